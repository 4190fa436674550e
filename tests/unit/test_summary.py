"""The step summary, the results file and the outputs, rendered from BatchResults built here."""

from __future__ import annotations

import re

import pytest

from batchsync import summary
from batchsync.errors import Fatal
from batchsync.ratelimit import RateLimitSnapshot
from batchsync.report import document, ending, fatal_ending
from batchsync.results import BatchResult, Failure, FailureKind, ItemAction, Outcome, SkippedFile

URL = "https://github.com/o/r/issues/"


def outcome(key: str, action: ItemAction, number: int | None = None, **extra: object) -> Outcome:
    fields: dict[str, object] = {
        "key": key,
        "kind": "task",
        "path": f"epics/e/{key}.md",
        "action": action,
        "issue_number": number,
        "url": f"{URL}{number}" if number is not None else None,
    }
    if "error" in extra:  # a failure GitHub refused, with its message
        extra["failure"] = Failure(FailureKind.REJECTED, str(extra.pop("error")))
    fields.update(extra)
    return Outcome(**fields)  # type: ignore[arg-type]


def mixed_result() -> BatchResult:
    return BatchResult(
        outcomes=(
            outcome("t-created", ItemAction.CREATED, 1),
            outcome("t-same", ItemAction.UNCHANGED, 2),
            outcome("t-updated", ItemAction.UPDATED, 3),
            outcome("t-failed", ItemAction.FAILED, error="POST /x -> 422: body too long", line=4),
            outcome("t-later", ItemAction.NOT_DONE),
        ),
        duration=12.34,
        rate_limit=RateLimitSnapshot(limit=1000, remaining=940, used=60, reset=1_800_000_000),
    )


def table_rows(markdown: str) -> list[str]:
    """The item rows of the summary's tables (not the header or totals rows)."""
    starts = tuple(f"| {a.value} |" for a in ItemAction)
    return [line for line in markdown.splitlines() if line.startswith(starts)]


def unescaped_pipes(row: str) -> int:
    return row.count("|")


def test_totals_table_counts_each_action() -> None:
    text = summary.render_summary(mixed_result())
    assert "| total | created | updated | unchanged | closed | failed | not-done |" in text
    assert "| 5 | 1 | 1 | 1 | 0 | 1 | 1 |" in text


def test_failures_come_first_then_not_done_then_writes() -> None:
    rows = table_rows(summary.render_summary(mixed_result()))
    assert [r.split(" | ")[0] for r in rows] == ["| failed", "| not-done", "| created", "| updated"]


def test_unchanged_items_are_counted_not_listed() -> None:
    assert "t-same" not in summary.render_summary(mixed_result())


def test_rows_link_the_issue() -> None:
    text = summary.render_summary(mixed_result())
    assert f"[#1]({URL}1)" in text
    assert f"[#3]({URL}3)" in text


def test_failed_row_shows_file_line_and_error() -> None:
    row = next(r for r in table_rows(summary.render_summary(mixed_result())) if "t-failed" in r)
    assert "epics/e/t-failed.md:4" in row
    assert "POST /x -&gt; 422: body too long" in row


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain text", "plain text"),
        ("a|b", "a&#124;b"),
        ("line\nbreak\r\nhere", "line break here"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("`code`", "&#96;code&#96;"),
        ("[x](http://evil)", "&#91;x&#93;(http://evil)"),
        ("**bold** _it_ ~s~", "&#42;&#42;bold&#42;&#42; &#95;it&#95; &#126;s&#126;"),
        ("a\\|b", "a&#92;&#124;b"),
        ("&amp;", "&amp;amp;"),
        ("#12 @someone", "&#35;12 &#64;someone"),
        ("", ""),
        (None, ""),
    ],
)
def test_cell_escapes_item_text(raw: str | None, escaped: str) -> None:
    assert summary.cell(raw) == escaped


def test_cell_cuts_long_text() -> None:
    assert summary.cell("x" * 50, limit=10) == "x" * 9 + "…"


def test_hostile_item_text_cannot_break_the_table() -> None:
    hostile = "a|b\n| injected | row |\n<img src=x>`|`"
    result = BatchResult(
        outcomes=(outcome(hostile, ItemAction.FAILED, error=hostile, path=hostile),)
    )
    text = summary.render_summary(result)
    rows = [r for r in table_rows(text) if "injected" in r]
    assert len(rows) == 1
    assert unescaped_pipes(rows[0]) == 7  # six cells
    assert "<img" not in text
    assert "`|`" not in text


def test_issue_url_cannot_end_the_link_or_the_cell() -> None:
    result = BatchResult(outcomes=(outcome("k", ItemAction.CREATED, 5, url="https://h/x) |[y](z"),))
    (row,) = table_rows(summary.render_summary(result))
    assert "[#5](https://h/x%29%20%7C%5By%5D%28z)" in row
    assert unescaped_pipes(row) == 7


def test_issue_without_http_url_is_plain_number() -> None:
    result = BatchResult(outcomes=(outcome("k", ItemAction.CREATED, 5, url="javascript:x"),))
    assert "| #5 |" in summary.render_summary(result)


def test_dry_run_shows_the_plan_with_reasons() -> None:
    result = BatchResult(
        outcomes=(
            outcome("new", ItemAction.PLANNED_CREATE, reason="no issue carries its marker"),
            outcome("old", ItemAction.PLANNED_UPDATE, 9, reason="content hash changed"),
            outcome("same", ItemAction.UNCHANGED, 10),
        )
    )
    text = summary.render_summary(result, summary.RunInfo(repository="o/r", dry_run=True))
    assert text.startswith("## batchsync to o/r (dry run)")
    assert "Dry run: nothing was written" in text
    plan = text.split("### Dry-run plan", 1)[1]
    # A plain reason per row; the plan's own words are in the results file.
    assert "| would-create | task | new |  | epics/e/new.md | new |" in plan
    assert "| epics/e/old.md | changed |" in plan
    assert "no issue carries its marker" not in plan
    assert (
        "| total | created | updated | unchanged | closed | failed | not-done | planned |" in text
    )
    assert "| 3 | 0 | 0 | 1 | 0 | 0 | 0 | 2 |" in text


def test_verdict_names_failures() -> None:
    assert "**1 of 5 items failed.**" in summary.render_summary(mixed_result())


def test_verdict_all_in_step() -> None:
    result = BatchResult(outcomes=(outcome("a", ItemAction.UNCHANGED, 1),))
    assert "All 1 items are in step." in summary.render_summary(result)


def test_rate_limit_state_is_at_the_end() -> None:
    text = summary.render_summary(mixed_result())
    tail = text.split("### Rate limit", 1)[1]
    assert "940 of 1000 requests left" in tail
    assert "2027-01-15 08:00:00 UTC" in tail
    assert "12.3 s" in tail
    assert "###" not in tail


def test_rate_limit_without_headers_says_so() -> None:
    result = BatchResult(outcomes=())
    assert "No rate-limit headers were seen." in summary.render_summary(result)


def test_warnings_are_listed_escaped() -> None:
    result = BatchResult(outcomes=(), warnings=("sub-issues API missing | <b>",))
    assert "- sub-issues API missing &#124; &lt;b&gt;" in summary.render_summary(result)


def big_result(n: int) -> BatchResult:
    long_error = "e" * 2000
    return BatchResult(
        outcomes=tuple(
            outcome(f"item-{i:05d}", ItemAction.FAILED, error=long_error, line=i) for i in range(n)
        ),
        rate_limit=RateLimitSnapshot(limit=1000, remaining=1, reset=0),
    )


def test_summary_stays_under_the_budget_with_a_note() -> None:
    result = big_result(300)
    text = summary.render_summary(
        result, summary.RunInfo(results_file="out.json"), max_bytes=20_000
    )
    assert len(text.encode()) <= 20_000
    shown = len([r for r in table_rows(text) if "item-" in r])
    note = re.search(r"_(\d+) rows not shown: .* results file out.json._", text)
    assert note is not None
    assert shown + int(note.group(1)) == 300
    assert shown > 0
    assert text.rstrip().endswith("Run took 0.0 s.")


def test_default_budget_is_under_one_mebibyte() -> None:
    text = summary.render_summary(big_result(5000))
    assert summary.SUMMARY_BUDGET < summary.SUMMARY_LIMIT == 1024 * 1024
    assert len(text.encode()) <= summary.SUMMARY_BUDGET
    assert "rows not shown" in text


def test_small_summary_has_no_cut_note() -> None:
    assert "not shown" not in summary.render_summary(mixed_result())


def test_fatal_summary_gives_the_fix() -> None:
    text = summary.render_fatal(
        "token may not write | <x>", "permissions:\n  issues: write", summary.RunInfo("o/r")
    )
    assert "**Nothing was synced.**" in text
    assert "token may not write &#124; &lt;x&gt;" in text
    assert "```yaml\npermissions:\n  issues: write\n```" in text


def test_the_results_document_has_one_record_per_item_and_the_run_s_ending() -> None:
    info = summary.RunInfo(repository="o/r", dry_run=False)
    result = mixed_result()
    doc = document(result, info, ending(result, fail_on_error=True, repository="o/r"))
    assert (doc["exit_code"], doc["fatal"]) == (1, None)  # an item failed
    assert doc["repository"] == "o/r"
    assert doc["totals"]["failed"] == 1
    assert doc["rate_limit"]["remaining"] == 940
    assert [r["key"] for r in doc["items"]] == [
        "t-created",
        "t-same",
        "t-updated",
        "t-failed",
        "t-later",
    ]
    failed = doc["items"][3]
    assert failed == {
        "key": "t-failed",
        "kind": "task",
        "path": "epics/e/t-failed.md",
        "action": "failed",
        "issue_number": None,
        "url": None,
        "error": "POST /x -> 422: body too long",
        "failure": {
            "kind": "rejected",
            "status": None,
            "retryable": False,
            "fix": "GitHub refused the request: change what its message names",
        },
        "line": 4,
        "reason": None,
        "title": None,
    }


def test_a_run_that_could_not_start_documents_its_error_and_code() -> None:
    doc = document(BatchResult(), summary.RunInfo("o/r"), fatal_ending(Fatal("no token", "set")))
    assert (doc["exit_code"], doc["fatal"]) == (2, {"title": "no token", "message": "set"})
    assert doc["items"] == []


def test_outputs_are_strings_with_the_results_file() -> None:
    assert summary.outputs(mixed_result(), "batchsync-results.json") == {
        "total": "5",
        "created": "1",
        "updated": "1",
        "unchanged": "1",
        "closed": "0",
        "failed": "1",
        "not-done": "1",
        "planned": "0",
        "results-file": "batchsync-results.json",
    }


def test_ten_thousand_items_and_a_thousand_long_warnings_stay_under_one_mebibyte() -> None:
    failed = big_result(10_000).outcomes
    warnings = tuple(f"warning {i}: " + "w" * 5_000 for i in range(1_000))
    result = BatchResult(outcomes=failed, warnings=warnings)
    text = summary.render_summary(result, summary.RunInfo(results_file="r.json"))
    assert len(text.encode()) <= summary.SUMMARY_BUDGET < summary.SUMMARY_LIMIT
    shown_warnings = len([line for line in text.splitlines() if line.startswith("- warning ")])
    shown_rows = len([r for r in table_rows(text) if "item-" in r])
    note = re.search(r"_(?:([\d,]+) warnings and )?([\d,]+) rows not shown", text)
    assert note is not None, text[-2000:]
    cut_warnings = int((note.group(1) or "0").replace(",", ""))
    assert shown_warnings + cut_warnings == 1_000
    assert shown_rows + int(note.group(2).replace(",", "")) == 10_000
    assert text.rstrip().endswith("Run took 0.0 s.")


def test_warnings_alone_are_cut_with_a_note() -> None:
    result = BatchResult(warnings=tuple("w" * 300 for _ in range(100)))
    text = summary.render_summary(result, max_bytes=10_000)
    assert len(text.encode()) <= 10_000
    assert re.search(r"_\d+ warnings not shown", text)


def test_item_column_shows_the_title_and_an_id_key_but_not_a_path_key() -> None:
    local = outcome("prd-001", ItemAction.CREATED, 3, path="p/prds/a.md", title="Login | flow")
    ccpm = outcome("epics/x/4.md", ItemAction.UPDATED, 4, path=".claude/epics/x/4.md", title="T")
    rows = table_rows(summary.render_summary(BatchResult(outcomes=(local, ccpm))))
    assert "| created | task | Login &#124; flow (prd-001) | [#3]" in rows[0]
    assert "| updated | task | T | [#4]" in rows[1]
    assert rows[1].count("epics/x/4.md") == 1  # in the file column only
    assert rows[0].endswith("| new |")
    assert rows[1].endswith("| changed |")


def test_terminal_report_names_created_and_failed_items_with_numbers_and_urls() -> None:
    created = tuple(
        outcome(f"c-{i}", ItemAction.CREATED, i, title=f"Title {i}") for i in range(1, 26)
    )
    failed = (outcome("f-1", ItemAction.FAILED, 99, error="PATCH -> 422: no", line=2),)
    report = summary.text(BatchResult(outcomes=created + failed), repository="o/r")
    lines = report.splitlines()
    assert lines[0].startswith("batchsync: 26 items in o/r: 25 created, 1 failed")
    assert f"  created #1 c-1: Title 1 {URL}1" in lines
    assert sum(line.startswith("  created #") for line in lines) == summary.REPORT_CAP
    assert "  ... and 5 more created (every item is in --json)" in lines
    assert f"  error: epics/e/f-1.md:2 (#99): PATCH -> 422: no {URL}99" in lines


def test_a_fix_quoting_an_input_cannot_close_its_code_block() -> None:
    text = summary.render_fatal("bad", "with:\n  path: x\n```\n# injected\n\x1b[31m")
    lines = text.splitlines()
    assert lines.count("```yaml") == 1
    assert lines.count("```") == 1
    assert "\x1b" not in text


def test_a_token_shaped_text_in_a_cell_is_redacted_before_it_is_escaped() -> None:
    token = "ghp_" + "CellToken0" * 4
    assert summary.cell(f"owner/{token}") == "owner/&#42;&#42;&#42;"
    text = summary.render_summary(BatchResult(), summary.RunInfo(repository=f"o/{token}"))
    assert "CellToken0" not in text


# --- files not synced by design (archived, not work items) --------------------------------------

NOT_SYNCED = (
    SkippedFile(".claude/epics/archived/old/epic.md", "archived item", "archived, never synced"),
    SkippedFile(".claude/epics/e/checkpoint.json", "not a work item", "not a markdown file (.md)"),
)


def test_files_not_synced_are_listed_in_a_collapsed_section() -> None:
    result = BatchResult(outcomes=(outcome("a", ItemAction.CREATED, 1),), not_synced=NOT_SYNCED)
    markdown = summary.render_summary(result)
    start = markdown.index("<details><summary>2 files not synced")
    section = markdown[start : markdown.index("</details>", start)]
    assert "| .claude/epics/e/checkpoint.json | not a work item | not a markdown file (.md) |" in (
        section
    )
    assert "archived, never synced" in section


def test_files_not_synced_are_in_the_results_document() -> None:
    result = BatchResult(not_synced=NOT_SYNCED)
    document = summary.results_document(result)
    assert document["not_synced"] == [f.to_json() for f in NOT_SYNCED]
    assert document["not_synced"][0]["class"] == "archived item"


def test_a_cut_section_of_files_not_synced_still_closes_its_details() -> None:
    many = tuple(
        SkippedFile(f".claude/epics/e/n{n}.txt", "not a work item", "x" * 50) for n in range(5000)
    )
    result = BatchResult(outcomes=(outcome("a", ItemAction.CREATED, 1),), not_synced=many)
    markdown = summary.render_summary(result, max_bytes=20_000)
    assert len(markdown.encode()) <= 20_000
    assert markdown.count("<details>") == markdown.count("</details>") == 1
    assert "files not synced not shown" in markdown
