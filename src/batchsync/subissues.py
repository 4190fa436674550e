"""Sub-issue links: where a child is on GitHub, decided from facts, and the link made once.

"Already linked" comes from facts GitHub always gives: the child's ``parent_issue_url`` when an
answer carried it, else the set of the parent's sub-issues (``GET .../sub_issues``, read once per
parent), else the child's own ``GET .../parent``. A count (``sub_issues_summary.total``) is never
taken for the set: a person may have added one child where another is missing.

Each parent holds at most ``SUB_ISSUE_CAP`` children; a slot is counted when a child is created
under it or linked to it, and given back when that write fails.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from batchsync.errors import (
    ApiError,
    FailureKind,
    NotFoundError,
    RunStop,
    TransportError,
    UncertainWriteError,
    ValidationFailed,
    failure_of,
)
from batchsync.github import LinkClient
from batchsync.remote import RemoteIssue
from batchsync.retry import Resend

__all__ = ["SUB_ISSUE_CAP", "LinkClient", "LinkError", "SubIssueLinks", "needs_link"]

SUB_ISSUE_CAP = 100  # GitHub's limit of sub-issues per parent (closed ones count)


class LinkError(Exception):
    """The sub-issue link could not be made; the issue itself exists."""

    def __init__(self, message: str, kind: FailureKind = FailureKind.REJECTED) -> None:
        self.message = message
        self.kind = kind
        super().__init__(message)


def needs_link(current: int | None, parent_number: int | None, *, written: bool) -> bool:
    """Whether an issue whose parent is ``current`` (a fact) must be linked under ``parent_number``.

    A missing link is always made (a run cut off between create and link leaves one). A link
    to another parent is replaced only when the item is being written: a child a person moved
    on GitHub stays where they put it until the file changes.
    """
    if parent_number is None or current == parent_number:
        return False
    return current is None or written


class SubIssueLinks:
    """One run's sub-issue state: children counted per parent, sets read, the API's presence."""

    def __init__(
        self,
        client: LinkClient,
        counts: Mapping[int, int],
        *,
        enabled: bool,
        resend: Resend,
        warn: Callable[[str], None],
    ) -> None:
        self._client = client
        self._children = dict(counts)  # parent -> sub-issues it holds, as far as known
        self._under: dict[int, frozenset[int]] = {}  # parent -> sub-issues read from GitHub
        self._reading: dict[int, threading.Lock] = {}  # parent -> held while its list is read
        self._lock = threading.Lock()
        self._on = enabled
        self._resend = resend  # ``retry.RetryPolicy.resend``
        self._warn = warn

    @property
    def enabled(self) -> bool:
        """False when switched off or the server showed it has no sub-issues API."""
        return self._on

    def claim_slot(self, parent: int) -> bool:
        """Count a child about to be created under ``parent``; False when it is full."""
        with self._lock:
            count = self._children.get(parent, 0)
            if count >= SUB_ISSUE_CAP:
                return False
            self._children[parent] = count + 1
            return True

    def release(self, parent: int) -> None:
        """Give back a slot whose write failed or did not link."""
        with self._lock:
            self._children[parent] = max(0, self._children.get(parent, 1) - 1)

    def ensure(
        self, issue: RemoteIssue, parent: int, parent_key: str, *, known: bool, written: bool
    ) -> None:
        """Link ``issue`` under ``parent`` unless a fact shows it there already.

        ``known``: the issue existed before this write (its listing entry is ``issue``); a new
        issue has no parent unless its create made the link. Raises ``LinkError``.
        """
        if not self._on or parent == issue.number:
            return
        try:
            current = self._parent_now(issue, parent) if known else None
        except NotFoundError:
            self._no_api()
            return
        if not needs_link(current, parent, written=written):
            return
        self._reserve(issue, parent, parent_key)
        try:
            self._send(issue, parent, replace=current is not None)
        except RunStop:
            self.release(parent)
            raise
        except NotFoundError:
            self.release(parent)
            self._no_api()
        except (ValidationFailed, UncertainWriteError, TransportError, ApiError) as exc:
            self.release(parent)
            raise LinkError(
                f"#{issue.number} exists but could not be linked under #{parent}: {exc}",
                failure_of(exc).kind,
            ) from None

    def _no_api(self) -> None:
        with self._lock:
            was, self._on = self._on, False
        if was:
            self._warn(
                "the server has no sub-issues API (404 on .../sub_issues): the "
                "hierarchy is shown by the parent line in each issue body only"
            )

    def _parent_now(self, child: RemoteIssue, parent: int) -> int | None:
        """The parent ``child`` has on GitHub: its answer's field, the parent's set, or a read."""
        if child.parent_known:
            return child.parent_number
        if child.number in self._sub_issues(parent):
            return parent
        return self._client.get_parent(child.number)

    def _sub_issues(self, parent: int) -> frozenset[int]:
        with self._lock:
            guard = self._reading.setdefault(parent, threading.Lock())
        with guard:  # one read per parent, however many of its children run at once
            known = self._under.get(parent)
            if known is None:
                known = frozenset(self._client.sub_issue_numbers(parent))
                with self._lock:
                    self._under[parent] = known
                    self._children[parent] = max(self._children.get(parent, 0), len(known))
        return known

    def _reserve(self, issue: RemoteIssue, parent: int, parent_key: str) -> None:
        if not self.claim_slot(parent):
            raise LinkError(
                f"#{issue.number} exists but was not linked under #{parent} "
                f"('{parent_key}'): it already has {SUB_ISSUE_CAP} sub-issues, GitHub's limit "
                f"is {SUB_ISSUE_CAP}; split '{parent_key}' into smaller parents"
            )

    def _send(self, issue: RemoteIssue, parent: int, *, replace: bool) -> None:
        """Link once: a lost answer, or GitHub's 422 for a child already linked, is settled by
        reading the child's parent."""

        def send() -> bool:
            try:
                self._client.add_sub_issue(parent, issue.id, replace_parent=replace)
            except ValidationFailed:
                # GitHub's 422 for a child already under this parent (or under another one):
                # the child's parent, read now, says which.
                if self._client.get_parent(issue.number) != parent:
                    raise
            return True

        def recover() -> bool | None:
            return True if self._client.get_parent(issue.number) == parent else None

        self._resend(send, recover)
