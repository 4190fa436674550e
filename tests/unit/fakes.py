"""In-memory stand-ins for GitHub, the gate and the processor, for unit tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, TypeVar

from batchsync.emulator import ManualClock
from batchsync.emulator.state import Repo, Store, UserRef
from batchsync.errors import (
    ApiError,
    NotFoundError,
    RunStop,
    ServerError,
    UncertainWriteError,
    ValidationFailed,
    failure_of,
)
from batchsync.github import NoHistory
from batchsync.items import Kind, Layout, WorkItem
from batchsync.plan import RemoteIssue
from batchsync.processor import Gate
from batchsync.ratelimit import Limits, Op
from batchsync.results import BatchResult, Failure, ItemAction, Outcome

T = TypeVar("T")

ME = UserRef("me", 1)  # the account an emulator state test acts as


def work_item(key: str = "task-001", **changes: Any) -> WorkItem:
    """A local-mode task (``changes`` over it), as the plan's unit tests use."""
    base = WorkItem(
        kind=Kind.TASK,
        key=key,
        title="A task",
        path=f"epics/e/{key}.md",
        layout=Layout.LOCAL,
        body="Body",
        status="open",
    )
    return replace(base, **changes)


def new_repo() -> Repo:
    """A fresh emulator repository ``o/r`` (owner id 1) on its own manual clock."""
    return Store(ManualClock()).add_repo("o/r", owner_id=1)


WRITES = {"create_issue", "update_issue", "add_sub_issue", "add_comment"}
# The kind of request the GitHub adapter sends for each FakeGitHub method.
OPS = {
    "whoami": Op.READ,
    "get_parent": Op.READ,
    "sub_issue_numbers": Op.READ,
    "parent_removed": Op.READ,
    "list_issues": Op.READ,
    "get_issue": Op.READ,
    "find_created": Op.READ,
    "create_issue": Op.CREATE,
    "update_issue": Op.WRITE,
    "add_sub_issue": Op.CREATE,
    "add_comment": Op.CREATE,
}
# Nothing to wait for: no pacing, no budgets, no retries (a test that wants them says so).
UNPACED = Limits(
    max_retries=0, write_interval=0, creates_per_minute=0, creates_per_hour=0, points_per_minute=0
)


class Request(NamedTuple):
    """One request a FakeGate let through: its kind, its bucket, the headers of its answer."""

    op: Op
    resource: str
    headers: Mapping[str, str]


class PassGate:
    """A gate that sends each request at once: no pacing, no retry; records what went through.

    ``calls``: (op, headers of the answer) of each request answered or refused by GitHub;
    ``sent``: (op, resource) of each request sent. With ``uncertain``, a create's 5xx is an
    ``UncertainWriteError``, as the run's gate makes it.
    """

    def __init__(self, *, uncertain: bool = False) -> None:
        self.uncertain = uncertain
        self.calls: list[tuple[Op, Mapping[str, str]]] = []
        self.sent: list[tuple[Op, str]] = []

    def call(
        self, op: Op, fn: Callable[[], tuple[T, Mapping[str, str]]], *, resource: str = "core"
    ) -> T:
        """Run ``fn`` once."""
        self.sent.append((op, resource))
        try:
            value, headers = fn()
        except ApiError as exc:
            self.calls.append((op, exc.headers))
            if self.uncertain and op is Op.CREATE and isinstance(exc, ServerError):
                raise UncertainWriteError(exc) from exc
            raise
        self.calls.append((op, headers))
        return value


class FakeGate(Gate):
    """The real Gate on a manual clock with nothing paced or retried; records every request.

    It is the real Gate, not a copy of its rules: a 401, or a 403 that is no limit, raises the
    run's ``RunStop`` and nothing more is sent; a create's 5xx or lost answer is an
    ``UncertainWriteError``; a limit answer pauses (on the manual clock, so nothing sleeps).
    """

    def __init__(
        self,
        limits: Limits = UNPACED,
        *,
        clock: ManualClock | None = None,
        deadline: float | None = None,
    ) -> None:
        self.manual = clock if clock is not None else ManualClock()
        super().__init__(limits, clock=self.manual.now, sleep=self.manual.sleep, deadline=deadline)
        self.requests: list[Request] = []

    def call(
        self, op: Op, fn: Callable[[], tuple[T, Mapping[str, str]]], *, resource: str = "core"
    ) -> T:
        """``Gate.call``, noting each request that was sent with the headers of its answer."""

        def sent() -> tuple[T, Mapping[str, str]]:
            try:
                value, headers = fn()
            except ApiError as exc:
                self.requests.append(Request(op, resource, exc.headers))
                raise
            except Exception:
                self.requests.append(Request(op, resource, {}))
                raise
            self.requests.append(Request(op, resource, headers))
            return value, headers

        return super().call(op, sent, resource=resource)


@dataclass
class FakeGitHub:
    """A repository's issues in memory, with scripted faults; records every call."""

    issues: dict[int, RemoteIssue] = field(default_factory=dict)
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)
    lose_creates: list[bool] = field(
        default_factory=list
    )  # per create: True = applied, answer lost
    fail_creates: list[bool] = field(default_factory=list)  # per create: True = 5xx, not applied
    sub_issues_api: bool = True
    parent_field: bool = True
    raise_on: dict[str, Exception] = field(default_factory=dict)
    next_number: int = 1
    link_in_create: bool = False  # create_issue(parent=...) links in the same request (GraphQL)
    login: str | None = None  # what ``whoami`` answers (None: an installation token)
    writer: str = "github-actions[bot]"  # the author of the issues this token creates
    # Every request through this gate, as the adapter sends them: a ``raise_on`` answer then
    # does what it does in a run (a 401 or 403 stops it, and nothing more is sent).
    gate: Gate | None = None
    # child number -> the parent it was last taken out of (GraphQL's timeline); None: the
    # server keeps no history batchsync can read (no GraphQL)
    removals: dict[int, int] | None = field(default_factory=dict)

    def _log(self, name: str, *args: Any, **kwargs: Any) -> None:
        if self.gate is None:
            self._answer(name, args, kwargs)
        else:
            self.gate.call(OPS[name], lambda: (self._answer(name, args, kwargs), {}))

    def _answer(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.calls.append((name, args, kwargs))
        if name in self.raise_on:
            raise self.raise_on[name]

    def writes(self) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
        return [c for c in self.calls if c[0] in WRITES]

    def add(self, title: str = "t", body: str = "", **kw: Any) -> RemoteIssue:
        number = self.next_number
        self.next_number += 1
        issue = RemoteIssue(
            number=number,
            id=9000 + number,
            title=title,
            body=body,
            state=kw.pop("state", "open"),
            html_url=f"https://github.com/o/r/issues/{number}",
            parent_known=self.parent_field,
            author=kw.pop("author", self.writer),
            **kw,
        )
        self.issues[number] = issue
        return issue

    def by_title(self, title: str) -> list[RemoteIssue]:
        return [i for i in self.issues.values() if i.title == title]

    def whoami(self) -> str | None:
        self._log("whoami")
        return self.login

    def get_parent(self, number: int) -> int | None:
        self._log("get_parent", number)
        if not self.sub_issues_api:
            raise NotFoundError(404, "Not Found", method="GET")
        return self.issues[number].parent_number

    def parent_removed(self, number: int) -> int | None:
        self._log("parent_removed", number)
        if self.removals is None:
            raise NoHistory(number)
        return self.removals.get(number)

    def sub_issue_numbers(self, parent: int) -> list[int]:
        self._log("sub_issue_numbers", parent)
        if not self.sub_issues_api or parent not in self.issues:  # GitHub's 404 for either
            raise NotFoundError(404, "Not Found", method="GET")
        return [n for n, i in self.issues.items() if i.parent_number == parent]

    def list_issues(self) -> list[RemoteIssue]:
        self._log("list_issues")
        return [self._shown(i) for i in self.issues.values()]

    def _shown(self, issue: RemoteIssue) -> RemoteIssue:
        if self.parent_field:
            return issue
        return replace(issue, parent_known=False, parent_number=None)

    def get_issue(self, number: int) -> RemoteIssue | None:
        self._log("get_issue", number)
        found = self.issues.get(number)
        return self._shown(found) if found else None

    def find_created(
        self, wanted: Callable[[RemoteIssue], bool], *, above: int
    ) -> RemoteIssue | None:
        self._log("find_created", above=above)
        for issue in sorted(self.issues.values(), key=lambda i: -i.number):
            if issue.number > above and wanted(issue):
                return issue
        return None

    def create_issue(
        self, title: str, body: str, labels: tuple[str, ...], *, parent: int | None = None
    ) -> RemoteIssue:
        if parent is None:
            self._log("create_issue", title, body, labels)
        else:
            self._log("create_issue", title, body, labels, parent=parent)
        if self.fail_creates and self.fail_creates.pop(0):
            raise UncertainWriteError(ServerError(502, "Bad Gateway", method="POST"))
        linked = parent if self.link_in_create else None
        issue = self.add(title, body, labels=labels, parent_number=linked)
        if self.lose_creates and self.lose_creates.pop(0):
            raise UncertainWriteError(ServerError(502, "Bad Gateway", method="POST"))
        return issue

    def update_issue(self, number: int, **fields: Any) -> RemoteIssue:
        self._log("update_issue", number, **fields)
        changes = {k: v for k, v in fields.items() if v is not None}
        self.issues[number] = replace(self.issues[number], **changes)
        return self.issues[number]

    def add_sub_issue(self, parent: int, child_id: int, *, replace_parent: bool = False) -> None:
        self._log("add_sub_issue", parent, child_id, replace_parent=replace_parent)
        if not self.sub_issues_api:
            raise NotFoundError(404, "Not Found", method="POST")
        child = next(i for i in self.issues.values() if i.id == child_id)
        if sum(1 for i in self.issues.values() if i.parent_number == parent) >= 100:
            raise ValidationFailed(422, "Validation Failed", method="POST")
        if child.parent_number is not None and not replace_parent:
            raise ValidationFailed(422, "already has a parent", method="POST")
        self.issues[child.number] = replace(child, parent_number=parent)

    def add_comment(self, number: int, body: str) -> None:
        self._log("add_comment", number, body)


class SerialProcessor:
    """The processor contract, one item at a time, no limits."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def batch_upload(
        self,
        items: Sequence[Any],
        sync_fn: Callable[..., Outcome],
        *,
        repo: str,
        client: object,
        sync_map: Mapping[str, int],
        dry_run: bool = False,
        on_progress: Callable[[int, int, Any], None] | None = None,
        describe: Callable[[Any, ItemAction, Failure | None, str | None], Outcome] | None = None,
    ) -> BatchResult:
        self.batches.append(len(items))
        record = describe or _record
        outcomes: list[Outcome] = []
        stopped = False
        done = 0  # progress counts the items done; those left not done are not reported
        for item in items:
            if stopped:
                outcomes.append(record(item, ItemAction.NOT_DONE, None, None))
            else:
                try:
                    outcomes.append(
                        sync_fn(item, repo=repo, client=client, sync_map=sync_map, dry_run=dry_run)
                    )
                except RunStop as stop:
                    if stop.kind.refused:
                        raise
                    stopped = True
                    outcomes.append(record(item, ItemAction.NOT_DONE, None, stop.detail))
                except Exception as exc:
                    outcomes.append(record(item, ItemAction.FAILED, failure_of(exc), None))
            if on_progress is not None and outcomes[-1].action is not ItemAction.NOT_DONE:
                done += 1
                on_progress(done, len(items), item)
        return BatchResult(outcomes=tuple(outcomes))


def _record(item: Any, action: ItemAction, failure: Failure | None, reason: str | None) -> Outcome:
    kind = getattr(item, "kind", "")
    return Outcome(
        key=item.key,
        kind=str(getattr(kind, "value", kind)),
        path=item.path,
        action=action,
        failure=failure,
        reason=reason,
    )
