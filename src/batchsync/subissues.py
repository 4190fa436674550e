"""Sub-issue links: the facts read before the plan, and the planned link made once.

"Already linked" comes from facts GitHub always gives: the child's ``parent_issue_url`` when an
answer carried it, else the set of the parent's sub-issues (``GET .../sub_issues``, read once per
parent), else the child's own ``GET .../parent``. A count (``sub_issues_summary.total``) is never
taken for the set: a person may have added one child where another is missing. A child that is
under no parent and whose content is not rewritten has one more fact read, its timeline's last
``ParentIssueRemovedEvent`` (GraphQL): a person took it out, or a run was cut off before its link
(``read_facts``; ``plan.plan_links`` decides). A tree whose children are all where the files say
costs no read beyond the parents' lists.

Each parent holds at most ``SUB_ISSUE_CAP`` children; a slot is counted when a child is created
under it or linked to it, and given back when that write fails.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Mapping

from batchsync.errors import (
    ApiError,
    FailureKind,
    NotFoundError,
    ParentElsewhere,
    RunStop,
    TransportError,
    UncertainWriteError,
    ValidationFailed,
    failure_of,
)
from batchsync.github import After404, LinkClient, NoHistory, after_404
from batchsync.plan import NO_SUB_ISSUES_API, LinkFacts
from batchsync.remote import RemoteIssue
from batchsync.retry import Resend

__all__ = [
    "SUB_ISSUE_CAP",
    "LinkClient",
    "LinkError",
    "LinkFacts",
    "SubIssueLinks",
    "read_facts",
]

SUB_ISSUE_CAP = 100  # GitHub's limit of sub-issues per parent (closed ones count)


class LinkError(Exception):
    """The sub-issue link could not be made; the issue itself exists."""

    def __init__(self, message: str, kind: FailureKind = FailureKind.REJECTED) -> None:
        self.message = message
        self.kind = kind
        super().__init__(message)


def read_facts(client: LinkClient, wanted: Iterable[tuple[RemoteIssue, int, bool]]) -> LinkFacts:
    """The facts for each (child, its file's parent, content rewritten) a plan may link.

    A 404 while reading a parent's sub-issues (``after_404``): a passing one is asked again;
    when the parent answers and its list still does not, the server has no sub-issues API and
    the run links nothing; when the parent is gone, only its children are refused. Any other
    failure to read (a 5xx after the retries, an answer that is not the one asked for) refuses
    that parent's children only: the rest of the run goes on.
    """
    reader = _Reader(client)
    unread: dict[int, str] = {}  # parent -> why its children are refused
    for child, parent, written in wanted:
        why = unread.get(parent)
        if why is None:
            read = functools.partial(reader.read, child, parent, written=written)
            meant = _read_once(client, parent, read)
            if meant is After404.ANSWERED:
                continue
            if meant is After404.MISSING:
                return LinkFacts(api=False)
            why = unread[parent] = (
                f"not linked: its parent #{parent} answered 404 (deleted since it was listed?); "
                "run again"
                if meant is After404.GONE
                else str(meant)
            )
        reader.refused[child.number] = why
    return LinkFacts(reader.parents, reader.removed, reader.refused, reader.counts, reader.history)


def _read_once(client: LinkClient, parent: int, read: Callable[[], None]) -> After404 | str:
    """``read`` the facts of one child of ``parent``: after a 404, what it meant; after any
    other failure to read, why (that parent's children are refused, the run goes on)."""
    try:
        try:
            read()
        except NotFoundError:
            return after_404(client, parent, read)
    except (ApiError, TransportError) as exc:
        return f"not linked: the sub-issues of #{parent} could not be read ({exc}); run again"
    return After404.ANSWERED


class _Reader:
    """One pass of ``read_facts``: each parent's list read once, each child's history once."""

    def __init__(self, client: LinkClient) -> None:
        self._client = client
        self._under: dict[int, frozenset[int]] = {}
        self.parents: dict[int, int | None] = {}
        self.removed: dict[int, int | None] = {}
        self.refused: dict[int, str] = {}
        self.counts: dict[int, int] = {}
        self.history = True

    def read(self, child: RemoteIssue, parent: int, *, written: bool) -> None:
        if parent == child.number:
            return
        try:
            now = self._parent_now(child, parent)
        except ParentElsewhere as exc:
            self.refused[child.number] = exc.message
            return
        self.parents[child.number] = now
        if now is None and not written and self.history:
            try:
                self.removed[child.number] = self._client.parent_removed(child.number)
            except (NoHistory, ValidationFailed):  # no GraphQL, or a schema without the event
                self.history = False
            except (ApiError, TransportError) as exc:  # e.g. another issue's history (unusable)
                self.refused[child.number] = (
                    f"not linked: #{child.number}'s history gave no answer ({exc}); run again"
                )

    def _parent_now(self, child: RemoteIssue, parent: int) -> int | None:
        """The parent ``child`` has on GitHub: its answer's field, the parent's set, or a read."""
        if child.parent_known:
            return child.parent_number
        known = self._under.get(parent)
        if known is None:
            known = frozenset(self._client.sub_issue_numbers(parent))
            self._under[parent] = known
            self.counts[parent] = len(known)
        if child.number in known:
            return parent
        return self._client.get_parent(child.number)


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

    def link(self, issue: RemoteIssue, parent: int, parent_key: str, *, replace: bool) -> None:
        """Make the planned link of ``issue`` under ``parent`` (``replace``: it is under another
        parent now). Raises ``LinkError``."""
        if not self._on or parent == issue.number:
            return
        self._reserve(issue, parent, parent_key)
        try:
            self._send(issue, parent, replace=replace)
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
        """The server has no sub-issues API: no link from now on, one warning."""
        with self._lock:
            was, self._on = self._on, False
        if was:
            self._warn(NO_SUB_ISSUES_API)

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
