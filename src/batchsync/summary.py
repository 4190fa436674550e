"""What a run reports, pure: the step summary Markdown, the results-file JSON and the outputs.

Text that comes from work items (keys, paths, error messages quoting them) is escaped before it
reaches Markdown, so a pipe, a line break, a backtick or HTML in an item cannot break the table
or inject markup. The summary is kept under GitHub's 1 MiB per-step limit
(https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#adding-a-job-summary):
rows are dropped from the end, with a note, while the totals and the rate-limit state stay.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from batchsync.remote import RateLimitSnapshot
from batchsync.results import BatchResult, ItemAction, Outcome

__all__ = [
    "SUMMARY_BUDGET",
    "SUMMARY_LIMIT",
    "RunInfo",
    "cell",
    "outputs",
    "render_fatal",
    "render_summary",
    "results_document",
    "results_json",
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
    flat = " ".join(text.split())
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
    return f"[{label}]({quote(url, safe=':/?&=#%+.,;~-')})"


def _where(outcome: Outcome) -> str:
    place = f"{outcome.path}:{outcome.line}" if outcome.line is not None else outcome.path
    return cell(place)


def _row(outcome: Outcome) -> str:
    detail = outcome.error or outcome.reason
    return (
        f"| {outcome.action.value} | {cell(outcome.kind)} | {cell(outcome.key)} | "
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


def _verdict(result: BatchResult, info: RunInfo) -> str:
    if result.failed:
        return f"**{result.failed} of {result.total} items failed.** Details below."
    if result.not_done:
        return (
            f"**{result.not_done} items were not reached** before the time budget ran out; "
            "the next run picks them up."
        )
    if info.dry_run:
        return "Dry run: nothing was written; the plan is below."
    return f"All {result.total} items are in step."


def _head(result: BatchResult, info: RunInfo) -> list[str]:
    where = f" to {cell(info.repository)}" if info.repository else ""
    title = f"## batchsync{where}" + (" (dry run)" if info.dry_run else "")
    lines = [title, "", _verdict(result, info), "", *_totals(result), ""]
    if result.warnings:
        lines += ["### Warnings", "", *(f"- {cell(w)}" for w in result.warnings), ""]
    return lines


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


def _sections(result: BatchResult) -> Iterator[tuple[list[str], list[Outcome]]]:
    changes = _sorted(result, _CHANGE_ORDER)
    if changes:
        yield ["### Items", "", *_TABLE_HEAD], changes
    plan = _sorted(result, _PLAN_ORDER)
    if plan:
        yield ["### Dry-run plan", "", *_TABLE_HEAD], plan


def _size(lines: Iterable[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


def render_summary(
    result: BatchResult, info: RunInfo = RunInfo(), *, max_bytes: int = SUMMARY_BUDGET
) -> str:
    """The step summary: totals, items (failures first), the dry-run plan, the rate limit."""
    head, tail = _head(result, info), _tail(result)
    room = max_bytes - _size(head) - _size(tail) - _NOTE_RESERVE
    body: list[str] = []
    omitted = 0
    for title, outcomes in _sections(result):
        rows = [_row(o) for o in outcomes]
        shown = 0
        for row in rows:
            cost = _size([row]) + (0 if shown else _size(title) + 1)
            if omitted or cost > room:
                omitted += 1
                continue
            if not shown:
                body += title
            body.append(row)
            room -= cost
            shown += 1
        if shown:
            body.append("")
    if omitted:
        where = f" {cell(info.results_file)}" if info.results_file else ""
        body += [
            f"_{omitted} more rows not shown: GitHub keeps a step summary under 1 MiB. "
            f"Every item is in the results file{where}._",
            "",
        ]
    return "\n".join(head + body + tail)


def render_fatal(message: str, fix: str | None = None, info: RunInfo = RunInfo()) -> str:
    """The step summary when nothing could run: what went wrong and the exact fix."""
    where = f" to {cell(info.repository)}" if info.repository else ""
    lines = [f"## batchsync{where}", "", "**Nothing was synced.**", "", cell(message), ""]
    if fix:
        lines += ["Fix:", "", "```yaml", fix, "```", ""]
    return "\n".join(lines)


def _record(outcome: Outcome) -> dict[str, object]:
    return {**outcome.to_json(), "line": outcome.line, "reason": outcome.reason}


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
    }


def results_json(result: BatchResult, info: RunInfo = RunInfo()) -> str:
    """The results file as JSON text."""
    return json.dumps(results_document(result, info), indent=2, ensure_ascii=False) + "\n"


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


def text(result: BatchResult, *, repository: str = "", dry_run: bool = False) -> str:
    """A short plain-text report of a run, for a terminal (a dry run lists its plan)."""
    parts = [f"{result.count(a)} {label}" for a, label in _LABELS if result.count(a)]
    head = f"batchsync: {'dry run, ' if dry_run else ''}{result.total} items"
    where = f" in {repository}" if repository else ""
    lines = [f"{head}{where}: {', '.join(parts) or 'nothing to do'} ({result.duration:.1f} s)"]
    for o in result.outcomes:
        if o.action in _PLAN_ACTIONS:
            target = f" #{o.issue_number}" if o.issue_number else ""
            lines.append(f"  {o.action.value}{target} {o.key} ({o.path or 'no file'}): {o.reason}")
    for o in result.errors:
        place = f"{o.path}:{o.line}" if o.line else (o.path or o.key)
        lines.append(f"  error: {place}: {o.error}")
    if result.not_done:
        lines.append(f"  {result.not_done} items not reached in the time budget: run again")
    lines.extend(f"  warning: {w}" for w in result.warnings)
    snap = result.rate_limit
    if snap is not None and snap.remaining is not None:
        lines.append(f"  rate limit: {snap.remaining} of {snap.limit} requests left")
    return "\n".join(lines)
