"""What a run did: one frozen ``Outcome`` per item and a ``BatchResult`` for the batch."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from batchsync.errors import Failure, FailureKind
from batchsync.remote import RateLimitSnapshot

__all__ = ["BatchResult", "Failure", "FailureKind", "ItemAction", "Outcome", "SkippedFile"]


class ItemAction(enum.StrEnum):
    """What happened (or, in a dry run, would happen) to one item."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CLOSED = "closed"
    PULLED = "pulled"  # GitHub's close or reopen was written into the file
    FAILED = "failed"
    NOT_DONE = "not-done"  # the run stopped first (time budget, a signal); the next run picks it up
    PLANNED_CREATE = "would-create"
    PLANNED_UPDATE = "would-update"
    PLANNED_CLOSE = "would-close"
    PLANNED_PULL = "would-pull"

    @property
    def succeeded(self) -> bool:
        """True unless the item failed or was not reached."""
        return self not in {ItemAction.FAILED, ItemAction.NOT_DONE}


@dataclass(frozen=True)
class Outcome:
    """One record of the results file: what happened to one item."""

    key: str
    kind: str
    path: str
    action: ItemAction
    issue_number: int | None = None
    url: str | None = None
    failure: Failure | None = None
    reason: str | None = None
    line: int | None = None
    title: str | None = None  # the issue title (the item's), for reports

    @property
    def error(self) -> str | None:
        """The failure's message, if the item failed."""
        return self.failure.message if self.failure is not None else None

    def to_json(self) -> dict[str, object]:
        """The record as written to the ``results-file`` output."""
        return {
            "key": self.key,
            "kind": self.kind,
            "path": self.path,
            "action": self.action.value,
            "issue_number": self.issue_number,
            "url": self.url,
            "error": self.error,
            "failure": self.failure.to_json() if self.failure is not None else None,
        }


@dataclass(frozen=True)
class SkippedFile:
    """A file under prds/ or epics/ that was not synced, and why: archived, or not a work item."""

    path: str
    kind: str  # the class: "archived item" or "not a work item"
    why: str  # the rule that put it there

    def to_json(self) -> dict[str, str]:
        """The record as plain JSON values."""
        return {"path": self.path, "class": self.kind, "why": self.why}


@dataclass(frozen=True)
class BatchResult:
    """The outcome of a batch: counts, duration, errors, rate-limit state and per-item records."""

    outcomes: tuple[Outcome, ...] = ()
    duration: float = 0.0
    rate_limit: RateLimitSnapshot | None = None
    warnings: tuple[str, ...] = field(default=())
    # Files the scan found but that are not synced by design (archived, not work items).
    not_synced: tuple[SkippedFile, ...] = field(default=())
    # The signal that stopped the run early (SIGINT, SIGTERM), or None when it ran its course.
    interrupted: int | None = None

    @property
    def total(self) -> int:
        """Items in the batch."""
        return len(self.outcomes)

    def count(self, action: ItemAction) -> int:
        """How many items ended with ``action``."""
        return sum(1 for o in self.outcomes if o.action is action)

    @property
    def succeeded(self) -> int:
        """Items that ended well (including unchanged and planned)."""
        return sum(1 for o in self.outcomes if o.action.succeeded)

    @property
    def failed(self) -> int:
        """Items that failed."""
        return self.count(ItemAction.FAILED)

    @property
    def not_done(self) -> int:
        """Items the run did not reach before its time budget ran out."""
        return self.count(ItemAction.NOT_DONE)

    @property
    def errors(self) -> tuple[Outcome, ...]:
        """The failed items, each with its message."""
        return tuple(o for o in self.outcomes if o.action is ItemAction.FAILED)
