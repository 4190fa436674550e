"""The status vocabulary: which ``status`` words close an issue, and which word a pull writes.

Pure, and the one place for both rules. Reading: a closed-like status (``CLOSED_STATUSES``,
any case) closes the item's issue; every other status, or none, keeps it open. Writing (pull):
when GitHub's open/closed state and the file disagree, the file gets the word its own tool
writes for that state, per layout and kind (docs/two-way.md names the source of each word):

================  ==========================  ==========================
layout            closed on GitHub (done)     reopened on GitHub (open)
================  ==========================  ==========================
LOCAL             completed                   in_progress
CCPM task         closed                      open
CCPM epic         completed                   in-progress
CCPM PRD          complete                    in-progress
================  ==========================  ==========================

Every done word is closed-like and no open word is, so a pulled file renders to the state it
was pulled from. Neither layout keeps a close reason (GitHub's ``state_reason``), so none is
written: an issue closed as "not planned" reads as done too, the only closed state a file has.
"""

from __future__ import annotations

from collections.abc import Mapping

from batchsync.workitem import Kind, Layout, WorkItem

__all__ = [
    "CLOSED_STATUSES",
    "DONE_WORDS",
    "OPEN_WORDS",
    "UPDATED_FIELD",
    "done_word",
    "is_closed_status",
    "issue_state",
    "open_word",
    "pulled_status",
]

CLOSED_STATUSES = frozenset({"completed", "complete", "closed", "done"})

# (layout, kind) -> the word written when GitHub closed the issue.
DONE_WORDS: Mapping[tuple[Layout, Kind], str] = {
    **{(Layout.LOCAL, kind): "completed" for kind in Kind},
    (Layout.CCPM, Kind.TASK): "closed",
    (Layout.CCPM, Kind.EPIC): "completed",
    (Layout.CCPM, Kind.PRD): "complete",
}
# (layout, kind) -> the word written when GitHub reopened the issue and the file says done.
OPEN_WORDS: Mapping[tuple[Layout, Kind], str] = {
    **{(Layout.LOCAL, kind): "in_progress" for kind in Kind},
    (Layout.CCPM, Kind.TASK): "open",
    (Layout.CCPM, Kind.EPIC): "in-progress",
    (Layout.CCPM, Kind.PRD): "in-progress",
}
# The layout that stamps every change of a file's frontmatter into ``updated:`` (CCPM does,
# as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC); ClaudeAutoPM's local mode changes status without it.
UPDATED_FIELD: Mapping[Layout, str | None] = {Layout.LOCAL: None, Layout.CCPM: "updated"}


def is_closed_status(status: str | None) -> bool:
    """True when ``status`` closes the issue (a closed-like word, in any case)."""
    return (status or "").strip().lower() in CLOSED_STATUSES


def issue_state(status: str | None) -> str:
    """The issue state a file's ``status`` asks for: ``"closed"`` or ``"open"``."""
    return "closed" if is_closed_status(status) else "open"


def done_word(layout: Layout, kind: Kind) -> str:
    """The status a file of ``layout`` and ``kind`` gets when its issue was closed."""
    return DONE_WORDS[layout, kind]


def open_word(layout: Layout, kind: Kind) -> str:
    """The status a done file of ``layout`` and ``kind`` gets when its issue was reopened."""
    return OPEN_WORDS[layout, kind]


def pulled_status(item: WorkItem, state: str) -> str | None:
    """The status to write into ``item``'s file for GitHub's ``state``; None to leave it.

    A file that already reads as ``state`` keeps its own word (``done`` stays ``done``,
    ``in-progress`` is not rewritten on a reopen). Raises ``ValueError`` for a state other than
    ``"open"`` or ``"closed"``.
    """
    if state not in ("open", "closed"):
        raise ValueError(f"an issue state is 'open' or 'closed', not {state!r}")
    if issue_state(item.status) == state:
        return None
    if state == "closed":
        return done_word(item.layout, item.kind)
    return open_word(item.layout, item.kind)
