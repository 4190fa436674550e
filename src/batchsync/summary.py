"""What a run reports, pure: the step summary Markdown, the results-file JSON and the outputs.

Text that comes from work items or GitHub (titles, keys, paths, error messages quoting them) is
cleaned by ``workflow.clean`` (no control or invisible characters) and escaped before it reaches
Markdown, so a pipe, a line break, a backtick or HTML in an item cannot break the table or inject
markup. The whole summary is kept under GitHub's 1 MiB per-step limit
(https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#adding-a-job-summary):
warnings and rows are dropped from the end, with a note, while the totals and the rate-limit
state stay.
"""

from __future__ import annotations

import signal
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from batchsync.remote import RateLimitSnapshot
from batchsync.results import BatchResult, ItemAction, Outcome
from batchsync.workflow import FIELD_LIMIT, clean, redact

__all__ = [
    "SUMMARY_BUDGET",
    "SUMMARY_LIMIT",
    "RunInfo",
    "cell",
    "left_over",
    "outputs",
    "render_fatal",
    "render_summary",
    "results_document",
    "text",
]

SUMMARY_LIMIT = 1024 * 1024  # GitHub rejects a step summary above 1 MiB
SUMMARY_BUDGET = SUMMARY_LIMIT - 16 * 1024  # a margin for anything else written to the file
_NOTE_RESERVE = 512  # bytes kept free for the "rows not shown" note
_DETAIL_CHARS = 300  # one long error message must not crowd out the other rows

# Failures first: they are what the reader has to act on.
_CHANGE_ORDER = (
    ItemAction.FAILED,
    ItemAction.NOT_DONE,
    ItemAction.CREATED,
    ItemAction.UPDATED,
    ItemAction.CLOSED,
)
_PLAN_ORDER = (ItemAction.PLANNED_CREATE, ItemAction.PLANNED_UPDATE, ItemAction.PLANNED_CLOSE)

_CELL_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "|": "&#124;",
        "`": "&#96;",
        "[": "&#91;",
        "]": "&#93;",
        "*": "&#42;",
        "_": "&#95;",
        "~": "&#126;",
        "\\": "&#92;",
        "#": "&#35;",
        "@": "&#64;",
    }
)


@dataclass(frozen=True)
class RunInfo:
    """What the report needs to know about the run besides its results."""

    repository: str | None = None
    dry_run: bool = False
    results_file: str | None = None  # as given in the `results-file` output


def cell(text: str | None, *, limit: int | None = None) -> str:
    """Text made inert for a Markdown table cell: one line, no markup, no HTML."""
    if not text:
        return ""
    # Redacted here, before escaping turns `ghp_` into `ghp&#95;` that no later pass would know.
    flat = " ".join(redact(clean(text)).split())
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat.translate(_CELL_ESCAPES)


def _link(outcome: Outcome) -> str:
    if outcome.issue_number is None:
        return ""
    label = f"#{outcome.issue_number}"
    url = outcome.url or ""
    if not url.startswith(("https://", "http://")):
        return label
    # Percent-encode anything that could end the link target or the cell.
    return f"[{label}]({quote(clean(url), safe=':/?&=#%+.,;~-')})"


def _where(outcome: Outcome) -> str:
    place = f"{outcome.path}:{outcome.line}" if outcome.line is not None else outcome.path
    return cell(place)


_PLAIN_REASONS = {
    ItemAction.CREATED: "new",
    ItemAction.PLANNED_CREATE: "new",
    ItemAction.UPDATED: "changed",
    ItemAction.PLANNED_UPDATE: "changed",
    ItemAction.CLOSED: "closed",
    ItemAction.PLANNED_CLOSE: "closed",
    ItemAction.NOT_DONE: "not reached (time budget or a signal): the next run picks it up",
}


def _item(outcome: Outcome) -> str:
    """The issue title; the key too where it is an id (a CCPM key is the file's own path)."""
    key = outcome.key if outcome.key and not outcome.path.endswith(outcome.key) else ""
    if outcome.title and key:
        return f"{cell(outcome.title, limit=_DETAIL_CHARS)} ({cell(key)})"
    return cell(outcome.title or key, limit=_DETAIL_CHARS)


def _row(outcome: Outcome) -> str:
    detail = outcome.error or _PLAIN_REASONS.get(outcome.action) or outcome.reason
    return (
        f"| {outcome.action.value} | {cell(outcome.kind)} | {_item(outcome)} | "
        f"{_link(outcome)} | {_where(outcome)} | {cell(detail, limit=_DETAIL_CHARS)} |"
    )


_TABLE_HEAD = ("| action | kind | item | issue | file | detail |", "|---|---|---|---|---|---|")


def _sorted(result: BatchResult, order: tuple[ItemAction, ...]) -> list[Outcome]:
    rank = {action: i for i, action in enumerate(order)}
    picked = [o for o in result.outcomes if o.action in rank]
    return sorted(picked, key=lambda o: rank[o.action])  # stable: run order within an action


def _totals(result: BatchResult) -> list[str]:
    counts = _counts(result)
    if not counts["planned"]:
        del counts["planned"]
    names = " | ".join(counts)
    values = " | ".join(str(n) for n in counts.values())
    return [f"| {names} |", "|" + "---|" * len(counts), f"| {values} |"]


def left_over(result: BatchResult) -> str | None:
    """What the run left for the next one (interrupted, or out of time), or None: one text
    for the terminal, the summary and the annotation."""
    if result.interrupted is not None:
        name = signal.Signals(result.interrupted).name
        done = result.total - result.not_done
        return (
            f"interrupted by {name}: {done} items done, {result.not_done} not done; "
            "run again to finish"
        )
    if result.not_done:
        return (
            f"{result.not_done} items were not reached before the time budget ran out; "
            "the next run picks them up"
        )
    return None


def _verdict(result: BatchResult, info: RunInfo) -> str:
    if result.failed:
        return f"**{result.failed} of {result.total} items failed.** Details below."
    left = left_over(result)
    if left is not None:
        return f"**{left}.**"
    if info.dry_run:
        return "Dry run: nothing was written; the plan is below."
    return f"All {result.total} items are in step."


def _head(result: BatchResult, info: RunInfo) -> list[str]:
    where = f" to {cell(info.repository)}" if info.repository else ""
    title = f"## batchsync{where}" + (" (dry run)" if info.dry_run else "")
    return [title, "", _verdict(result, info), "", *_totals(result), ""]


def _clock_text(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _rate_limit_line(snapshot: RateLimitSnapshot | None) -> str:
    if snapshot is None or snapshot.remaining is None:
        return "No rate-limit headers were seen."
    text = f"{snapshot.remaining}"
    if snapshot.limit is not None:
        text += f" of {snapshot.limit}"
    text += " requests left"
    if snapshot.resource:
        text += f" ({cell(snapshot.resource)})"
    if snapshot.reset is not None:
        text += f"; the window resets at {_clock_text(snapshot.reset)}"
    return text + "."


def _tail(result: BatchResult) -> list[str]:
    return [
        "### Rate limit",
        "",
        _rate_limit_line(result.rate_limit),
        "",
        f"Run took {result.duration:.1f} s.",
        "",
    ]


@dataclass(frozen=True)
class _Section:
    """A part of the summary that may be cut: its heading lines and its rows, in order."""

    head: tuple[str, ...]
    rows: tuple[str, ...]
    unit: str  # what a row is, for the note when some are not shown ("warnings", "rows")
    foot: tuple[str, ...] = ()  # closes the section (``</details>``) when any row is shown


def _sections(result: BatchResult) -> Iterator[_Section]:
    # In order of importance: what is cut first is what comes last.
    if result.warnings:
        rows = tuple(f"- {cell(w, limit=_DETAIL_CHARS)}" for w in result.warnings)
        yield _Section(("### Warnings", ""), rows, "warnings")
    changes = _sorted(result, _CHANGE_ORDER)
    if changes:
        yield _Section(("### Items", "", *_TABLE_HEAD), tuple(map(_row, changes)), "rows")
    plan = _sorted(result, _PLAN_ORDER)
    if plan:
        yield _Section(("### Dry-run plan", "", *_TABLE_HEAD), tuple(map(_row, plan)), "rows")
    if result.not_synced:
        yield _not_synced(result)


# --- files not synced by design (archived, not work items): a collapsed section -----------------


def _not_synced(result: BatchResult) -> _Section:
    """Every file under prds/ and epics/ that is not synced, and the rule: collapsed."""
    count = len(result.not_synced)
    head = (
        f"<details><summary>{count:,} files not synced: archived, or not work items</summary>",
        "",
        "| file | class | why |",
        "|---|---|---|",
    )
    limit = _DETAIL_CHARS
    rows = tuple(
        f"| {cell(f.path, limit=limit)} | {cell(f.kind)} | {cell(f.why, limit=limit)} |"
        for f in result.not_synced
    )
    return _Section(head, rows, "files not synced", foot=("", "</details>"))


def _size(lines: Iterable[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


def _fit(sections: Iterable[_Section], room: int) -> tuple[list[str], dict[str, int]]:
    """The lines that fit in ``room`` bytes, and how many of each unit were left out."""
    body: list[str] = []
    omitted: dict[str, int] = {}
    for section in sections:
        shown = 0
        for row in section.rows:
            cost = _size([row]) + (0 if shown else _size(section.head) + _size(section.foot) + 1)
            if omitted or cost > room:  # once one is cut, the rest go too: no gaps
                omitted[section.unit] = omitted.get(section.unit, 0) + 1
                continue
            if not shown:
                body += section.head
            body.append(row)
            room -= cost
            shown += 1
        if shown:
            body += [*section.foot, ""]
    return body, omitted


def render_summary(
    result: BatchResult, info: RunInfo = RunInfo(), *, max_bytes: int = SUMMARY_BUDGET
) -> str:
    """The step summary: totals, warnings, items (failures first), the dry-run plan, the rate
    limit; the whole of it under ``max_bytes``, with a note when something was left out."""
    head, tail = _head(result, info), _tail(result)
    room = max_bytes - _size(head) - _size(tail) - _NOTE_RESERVE
    body, omitted = _fit(_sections(result), room)
    if omitted:
        counts = " and ".join(f"{n:,} {unit}" for unit, n in omitted.items())
        where = f" {cell(info.results_file)}" if info.results_file else ""
        body += [
            f"_{counts} not shown: GitHub keeps a step summary under 1 MiB. "
            f"Every item and warning is in the results file{where}._",
            "",
        ]
    return "\n".join(head + body + tail)


def render_fatal(message: str, fix: str | None = None, info: RunInfo = RunInfo()) -> str:
    """The step summary when nothing could run: what went wrong and the exact fix."""
    where = f" to {cell(info.repository)}" if info.repository else ""
    lines = [f"## batchsync{where}", "", "**Nothing was synced.**", "", cell(message), ""]
    if fix:
        # The fix may quote an input: no line of it may close the fence and add markup.
        inert = clean(fix, keep_breaks=True).replace("```", "'''")
        lines += ["Fix:", "", "```yaml", inert, "```", ""]
    return "\n".join(lines)


def _record(outcome: Outcome) -> dict[str, object]:
    return {
        **outcome.to_json(),
        "title": outcome.title,
        "line": outcome.line,
        "reason": outcome.reason,
    }


def results_document(result: BatchResult, info: RunInfo = RunInfo()) -> dict[str, object]:
    """The results file's content: totals, rate limit, warnings and one record per item."""
    return {
        "repository": info.repository,
        "dry_run": info.dry_run,
        "duration": round(result.duration, 3),
        "totals": _counts(result),
        "rate_limit": result.rate_limit.to_json() if result.rate_limit else None,
        "warnings": list(result.warnings),
        "items": [_record(o) for o in result.outcomes],
        "not_synced": [f.to_json() for f in result.not_synced],
    }


def _counts(result: BatchResult) -> dict[str, int]:
    return {
        "total": result.total,
        "created": result.count(ItemAction.CREATED),
        "updated": result.count(ItemAction.UPDATED),
        "unchanged": result.count(ItemAction.UNCHANGED),
        "closed": result.count(ItemAction.CLOSED),
        "failed": result.failed,
        "not-done": result.not_done,
        "planned": sum(result.count(a) for a in _PLAN_ORDER),
    }


def outputs(result: BatchResult, results_file: str) -> dict[str, str]:
    """The step outputs: the counts and the results file's path."""
    return {**{k: str(v) for k, v in _counts(result).items()}, "results-file": results_file}


# ---- the terminal's plain-text report ------------------------------------------------------

_LABELS = (
    (ItemAction.CREATED, "created"),
    (ItemAction.PLANNED_CREATE, "to create"),
    (ItemAction.UPDATED, "updated"),
    (ItemAction.PLANNED_UPDATE, "to update"),
    (ItemAction.UNCHANGED, "unchanged"),
    (ItemAction.CLOSED, "closed"),
    (ItemAction.PLANNED_CLOSE, "to close"),
    (ItemAction.FAILED, "failed"),
    (ItemAction.NOT_DONE, "not done"),
)
_PLAN_ACTIONS = {ItemAction.PLANNED_CREATE, ItemAction.PLANNED_UPDATE, ItemAction.PLANNED_CLOSE}


REPORT_CAP = 20  # created (or failed) items the terminal report names before counting the rest


def _named(outcome: Outcome) -> str:
    number = f"#{outcome.issue_number} " if outcome.issue_number is not None else ""
    title = f": {clean(outcome.title, limit=_DETAIL_CHARS)}" if outcome.title else ""
    url = f" {clean(outcome.url, limit=FIELD_LIMIT)}" if outcome.url else ""
    return f"{number}{clean(outcome.key, limit=FIELD_LIMIT)}{title}{url}"


def _capped(lines: list[str], what: str) -> list[str]:
    if len(lines) <= REPORT_CAP:
        return lines
    rest = len(lines) - REPORT_CAP
    return [*lines[:REPORT_CAP], f"  ... and {rest:,} more {what} (every item is in --json)"]


def _failed_line(o: Outcome) -> str:
    place = f"{o.path}:{o.line}" if o.line else (o.path or o.key)
    issue = f" (#{o.issue_number})" if o.issue_number is not None else ""
    error = clean(o.error, limit=FIELD_LIMIT)
    url = f" {clean(o.url, limit=FIELD_LIMIT)}" if o.url and o.issue_number is not None else ""
    return f"  error: {clean(place, limit=FIELD_LIMIT)}{issue}: {error}{url}"


def text(result: BatchResult, *, repository: str = "", dry_run: bool = False) -> str:
    """A short plain-text report of a run, for a terminal: the counts, the created and failed
    items with their issue numbers and URLs (capped, the rest counted), a dry run's plan."""
    lines = [_headline(result, repository, dry_run)]
    created = [f"  created {_named(o)}" for o in result.outcomes if o.action is ItemAction.CREATED]
    lines += _capped(created, "created")
    lines += [_plan_line(o) for o in result.outcomes if o.action in _PLAN_ACTIONS]
    lines += _capped([_failed_line(o) for o in result.errors], "failed")
    left = left_over(result)
    if left is not None:
        lines.append(f"  {left}")
    lines.extend(f"  warning: {clean(w, limit=FIELD_LIMIT)}" for w in result.warnings)
    snap = result.rate_limit
    if snap is not None and snap.remaining is not None:
        lines.append(f"  rate limit: {snap.remaining} of {snap.limit} requests left")
    return "\n".join(lines)


def _headline(result: BatchResult, repository: str, dry_run: bool) -> str:
    parts = [f"{result.count(a)} {label}" for a, label in _LABELS if result.count(a)]
    head = f"batchsync: {'dry run, ' if dry_run else ''}{result.total} items"
    where = f" in {clean(repository, limit=FIELD_LIMIT)}" if repository else ""
    return f"{head}{where}: {', '.join(parts) or 'nothing to do'} ({result.duration:.1f} s)"


def _plan_line(o: Outcome) -> str:
    number = f" #{o.issue_number}" if o.issue_number else ""
    return (
        f"  {o.action.value}{number} {clean(o.key, limit=FIELD_LIMIT)} "
        f"({clean(o.path or 'no file', limit=FIELD_LIMIT)}): "
        f"{clean(o.reason or '', limit=FIELD_LIMIT)}"
    )
