"""The engine: plan and apply one scanned tree through one BatchProcessor, exactly once.

Execution runs in phases, PRDs, then epics, then tasks (within a kind, dependencies before
dependents), through ONE BatchProcessor, so every request shares one rate-limit state and
parents exist before their children. Per item: create (or update, or nothing), record the link
locally (write-back), then link the sub-issue under its parent.

Exactly once: the marker is written in the same request that creates the issue. A create whose
answer was lost (``UncertainWriteError``) is looked for by its marker among the issues created
since it was sent before it is sent again; a run killed at any moment is finished by the next
one, which finds every issue it made by its marker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from batchsync import defaults
from batchsync.errors import (
    ApiError,
    BudgetExhausted,
    Failure,
    FailureKind,
    ItemError,
    NotFoundError,
    RunStop,
    TransportError,
    UncertainWriteError,
    ValidationFailed,
    failure_of,
)
from batchsync.items import Kind, ScanResult, WorkItem
from batchsync.ownership import Trust, needs_identity
from batchsync.plan import (
    Claim,
    Plan,
    PlanAction,
    PlannedAction,
    PlanOptions,
    RemoteIndex,
    RemoteIssue,
    decide,
    index_issues,
    kind_of_issue,
    merged_labels,
    needs_link,
    plan,
)
from batchsync.render import RenderedIssue, render, restate
from batchsync.results import BatchResult, ItemAction, Outcome
from batchsync.writeback import WriteBack

__all__ = [
    "SUB_ISSUE_CAP",
    "Engine",
    "EngineOptions",
    "IssueClient",
    "Processor",
    "ProgressFn",
    "waves",
]

SUB_ISSUE_CAP = 100  # GitHub's limit of sub-issues per parent (closed ones count)
# A progress callback: (done, total, what finished: a WorkItem, a CloseJob or a scan failure).
ProgressFn = Callable[[int, int, object], None]
_PLANNED = {
    PlanAction.CREATE: ItemAction.PLANNED_CREATE,
    PlanAction.UPDATE: ItemAction.PLANNED_UPDATE,
    PlanAction.ADOPT: ItemAction.PLANNED_UPDATE,
    PlanAction.UNCHANGED: ItemAction.UNCHANGED,
    PlanAction.CLOSE: ItemAction.PLANNED_CLOSE,
}
_DONE = {
    PlanAction.CREATE: ItemAction.CREATED,
    PlanAction.UPDATE: ItemAction.UPDATED,
    PlanAction.ADOPT: ItemAction.UPDATED,
    PlanAction.UNCHANGED: ItemAction.UNCHANGED,
}


class IssueClient(Protocol):
    """What the engine needs from ``github.GitHubClient``."""

    def whoami(self) -> str | None:
        """The login the token acts as; None when it cannot be learned without a 403."""
        ...

    def list_issues(self) -> list[RemoteIssue]:
        """Every issue of the repository."""
        ...

    def get_parent(self, number: int) -> int | None:
        """The number of the issue's parent, None when it has none."""
        ...

    def sub_issue_numbers(self, parent: int) -> list[int]:
        """The numbers of the sub-issues of ``parent``."""
        ...

    def get_issue(self, number: int) -> RemoteIssue | None:
        """One issue, or None when gone."""
        ...

    def find_created(
        self, wanted: Callable[[RemoteIssue], bool], *, above: int
    ) -> RemoteIssue | None:
        """The newest issue above ``above`` that ``wanted`` accepts."""
        ...

    def create_issue(
        self, title: str, body: str, labels: tuple[str, ...], *, parent: int | None = None
    ) -> RemoteIssue:
        """Create an issue; under ``parent`` when the answer's ``parent_number`` says so."""
        ...

    def update_issue(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        labels: tuple[str, ...] | None = None,
        state: str | None = None,
        state_reason: str | None = None,
    ) -> RemoteIssue:
        """PATCH an issue."""
        ...

    def add_sub_issue(self, parent: int, child_id: int, *, replace_parent: bool = False) -> None:
        """Link a sub-issue."""
        ...

    def add_comment(self, number: int, body: str) -> None:
        """Comment on an issue."""
        ...


class Processor(Protocol):
    """What the engine needs from ``processor.BatchProcessor``."""

    def batch_upload(
        self,
        items: Sequence[Unit],
        sync_fn: Callable[..., Outcome],
        *,
        repo: str,
        client: object,
        sync_map: Mapping[str, int],
        dry_run: bool = False,
        on_progress: ProgressFn | None = None,
        describe: Callable[[Unit, ItemAction, Failure | None, str | None], Outcome] | None = None,
    ) -> BatchResult:
        """Run ``sync_fn`` over ``items`` under the shared limits."""
        ...


@dataclass(frozen=True)
class EngineOptions:
    """How one run behaves (built from the Settings by ``sync.run``)."""

    repo: str = ""
    dry_run: bool = False
    sub_issues: bool = defaults.SUB_ISSUES
    close_removed: bool = defaults.CLOSE_REMOVED
    max_close: int = defaults.MAX_CLOSE
    all_kinds: bool = True  # closing removed items needs a scan of every kind
    create_attempts: int = defaults.MAX_RETRIES + 1  # sends of a create whose answer is lost
    path_prefix: str = ""  # base folder relative to the workspace, e.g. ".claude/"
    trusted_authors: tuple[str, ...] = ()  # logins whose marked issues are batchsync's too


@dataclass(frozen=True)
class CloseJob:
    """An issue to close because its item is gone (the processor's unit of work)."""

    key: str
    kind: str
    path: str
    issue: RemoteIssue


Unit = WorkItem | CloseJob  # what the processor runs: an item to sync or an issue to close


class _LinkError(Exception):
    """The sub-issue link could not be made; the issue itself exists."""

    def __init__(self, message: str, kind: FailureKind = FailureKind.REJECTED) -> None:
        self.message = message
        self.kind = kind
        super().__init__(message)


def waves(items: Sequence[WorkItem]) -> list[list[WorkItem]]:
    """Items in execution order: by kind (PRDs, epics, tasks), then dependencies first.

    Within a kind, each wave holds the items whose same-kind dependencies are in earlier waves;
    items on a dependency cycle share one last wave.
    """
    return [wave for kind in Kind for wave in _ordered([i for i in items if i.kind is kind])]


def _ordered(group: list[WorkItem]) -> list[list[WorkItem]]:
    """One kind's items in waves, each after the waves of its same-kind dependencies."""
    keys = {i.key for i in group}
    waiting = {i.key: {d for d in i.dependencies if d in keys and d != i.key} for i in group}
    done: set[str] = set()
    out: list[list[WorkItem]] = []
    while group:
        ready = [i for i in group if waiting[i.key] <= done] or group  # none ready: a cycle
        out.append(ready)
        done |= {i.key for i in ready}
        group = [i for i in group if i.key not in done]
    return out


class Engine:
    """One run's execution state: known issue numbers, link counts, warnings."""

    def __init__(
        self,
        client: IssueClient,
        processor: Processor,
        options: EngineOptions,
        *,
        write_back: WriteBack | None = None,
    ) -> None:
        self._client = client
        self._processor = processor
        self._opts = options
        self._write_back = None if options.dry_run else write_back
        self._lock = threading.Lock()
        self._index = RemoteIndex()
        self._trust = Trust()
        self._claims: dict[str, Claim] = {}
        self._plan = Plan()
        self._close_error: str | None = None  # close-removed refused: reported as one failure
        self._learned: tuple[str, int] | None = None  # own login, from the first issue created
        self._under: dict[int, frozenset[int]] = {}  # parent -> sub-issues read from GitHub
        self._reading: dict[int, threading.Lock] = {}  # parent -> held while its list is read
        self._expected: dict[int, int] = {}  # parent -> its children in the tree that exist
        self._numbers: dict[str, int] = {}
        self._children: dict[int, int] = {}
        self._high_water = 0
        self._links_on = options.sub_issues
        self._warnings: list[str] = []

    @property
    def warnings(self) -> tuple[str, ...]:
        """Warnings gathered so far (duplicate markers, no sub-issues API, closes skipped)."""
        told: tuple[str, ...] = getattr(self._client, "warnings", ())  # e.g. no GraphQL
        return (*self._warnings, *told)

    # ---- the run -------------------------------------------------------------------------

    def execute(self, scanned: ScanResult, on_progress: ProgressFn | None = None) -> BatchResult:
        """List, plan and apply ``scanned``; return every outcome (scan errors included)."""
        try:
            self.prepare(scanned)
        except BudgetExhausted:
            left = tuple(self._not_done(i) for i in scanned.items)
            failures = tuple(self._scan_failure(e) for e in scanned.errors)
            return BatchResult(outcomes=(*left, *failures), warnings=self.warnings)
        closes = self._close_jobs()
        errors = [self._scan_failure(e) for e in scanned.errors]
        if self._close_error is not None:
            errors.append(self._close_failure(self._close_error))
        # Progress counts what the report counts: files that failed at scan time are done now.
        counter = _Progress(on_progress, len(scanned.items) + len(closes) + len(errors))
        counter.skip(errors)
        outcomes, stopped = self._apply_items(scanned, counter)
        closed = self._apply_closes(closes, scanned.sync_map, counter, stopped=stopped)
        ordered = [outcomes[i.key] for i in scanned.items]
        foreign = self._foreign_warning()
        if foreign is not None:
            self._warnings.append(foreign)
        return BatchResult(outcomes=(*ordered, *errors, *closed), warnings=self.warnings)

    def _apply_items(
        self, scanned: ScanResult, counter: _Progress
    ) -> tuple[dict[str, Outcome], bool]:
        """Every item's outcome, wave by wave; True when the time budget stopped the run."""
        outcomes: dict[str, Outcome] = {}
        batches = [scanned.items] if self._opts.dry_run else waves(scanned.items)
        stopped = False
        for batch in batches:
            if stopped:
                outcomes.update((item.key, self._not_done(item)) for item in batch)
                counter.skip(batch)
                continue
            result = self._run(batch, self.sync_item, scanned.sync_map, counter)
            outcomes.update(zip((i.key for i in batch), result.outcomes, strict=True))
            stopped = any(o.action is ItemAction.NOT_DONE for o in result.outcomes)
        return outcomes, stopped

    def _apply_closes(
        self,
        closes: Sequence[CloseJob],
        sync_map: Mapping[str, int],
        counter: _Progress,
        *,
        stopped: bool,
    ) -> tuple[Outcome, ...]:
        if not closes:
            return ()
        if stopped:
            counter.skip(closes)
            return tuple(self._outcome(j, ItemAction.NOT_DONE) for j in closes)
        return self._run(closes, self.close_one, sync_map, counter).outcomes

    def load(self, items: Sequence[WorkItem]) -> RemoteIndex:
        """List the issues once, and learn who the token is when a decision depends on it.

        Linked issues the listing did not return (a link to an old closed issue on a server
        that pages differently) are read one by one.
        """
        self._trust = Trust.of(None, self._opts.trusted_authors)
        listed = self._client.list_issues()
        index = self._index_of(listed)
        missing = sorted(
            {
                i.link
                for i in items
                if i.link is not None
                and i.key not in index.by_key
                and i.link not in index.by_number
                and index.claim(i).refused is None  # a link to another repository
            }
        )
        extra = [got for n in missing if (got := self._client.get_issue(n)) is not None]
        issues = [*listed, *extra]
        if needs_identity(self._trust, issues, items):
            self._trust = Trust.of(self._client.whoami(), self._opts.trusted_authors)
        if extra or self._trust.own is not None:
            index = self._index_of(issues)
        self._index = index
        self._warnings.extend(index.warnings)
        self._high_water = index.max_number
        return index

    def prepare(self, scanned: ScanResult) -> Plan:
        """List the issues and plan the whole run (``plan``); nothing is written."""
        index = self.load(scanned.items)
        options = PlanOptions(
            close_removed=self._opts.close_removed,
            max_close=self._opts.max_close,
            all_kinds=self._opts.all_kinds,
        )
        self._plan = plan(scanned, index, options)
        self._warnings.extend(self._plan.warnings)
        self._close_error = self._plan.close_error
        self._claims = dict(self._plan.claims)
        self._numbers = {key: issue.number for key, issue in index.by_key.items()}
        for key, claim in self._claims.items():
            if claim.issue is not None:
                self._numbers[key] = claim.issue.number
        self._children = {n: index.children_of(n) for n in index.by_number}
        self._expected = _existing_children(scanned.items, self._numbers, self._claims)
        return self._plan

    @property
    def plan(self) -> Plan:
        """The plan of this run (empty before ``prepare``)."""
        return self._plan

    def _index_of(self, issues: Sequence[RemoteIssue]) -> RemoteIndex:
        return index_issues(issues, self._trust, repository=self._opts.repo)

    def _foreign_warning(self) -> str | None:
        claimed = {c.issue.number for c in self._claims.values() if c.issue is not None}
        text = self._index.foreign_message(claimed)
        if text is None or self._learned is None:
            return text
        login, number = self._learned
        if any(i.author.lower() == login.lower() for i in self._index.foreign):
            text += (
                f". This token writes as {login} (learned from #{number}, which it created): "
                f"add {login} to `trusted-authors`"
            )
        return text

    def _run(
        self,
        units: Sequence[Unit],
        fn: Callable[..., Outcome],
        sync_map: Mapping[str, int],
        counter: _Progress,
    ) -> BatchResult:
        result = self._processor.batch_upload(
            units,
            fn,
            repo=self._opts.repo,
            client=self._client,
            sync_map=sync_map,
            dry_run=self._opts.dry_run,
            on_progress=counter.callback(),
            describe=self._describe,
        )
        counter.advance(len(units))
        return result

    def _close_jobs(self) -> list[CloseJob]:
        planned = self._plan.closes
        return [CloseJob(p.key, kind_of_issue(p.issue), "", p.issue) for p in planned if p.issue]

    # ---- one item --------------------------------------------------------------------------

    def plan_item(self, item: WorkItem) -> PlannedAction:
        """The item's step of the plan, its bodies rendered with the issue numbers known now.

        A placeholder for a parent (or dependency) created earlier in this run resolves to its
        number here. Raises ``ItemError`` for a step the plan skips (what to fix is its reason).
        """
        step = self._plan.step(item.key)
        if step is None:  # an item the plan did not see (a caller's own list)
            step = plan(ScanResult(items=(item,)), self._index).steps[0]
        if step.action is PlanAction.SKIP:
            raise ItemError(self._shown(item.path), step.line, step.reason)
        if self._opts.dry_run:
            return step
        with self._lock:
            numbers = dict(self._numbers)
        claim = self._claims.get(item.key, Claim())
        return decide(item, claim.issue, render(item, numbers), via=claim.via)

    def sync_item(self, item: WorkItem, **_: object) -> Outcome:
        """The processor's ``sync_fn``: plan and apply one item (a ``RunStop`` goes through)."""
        try:
            planned = self.plan_item(item)
            if self._opts.dry_run:
                reason = planned.reason
                if planned.parent is not None and planned.parent.number is None:
                    reason += f"; goes under '{planned.parent.key}', created in this run"
                return self._outcome(item, _PLANNED[planned.action], planned.issue, reason)
            return self._apply(item, planned)
        except ItemError as exc:
            return self._outcome(item, ItemAction.FAILED, failure=failure_of(exc), line=exc.line)
        except (ApiError, TransportError, UncertainWriteError) as exc:
            return self._outcome(item, ItemAction.FAILED, failure=failure_of(exc))

    def _apply(self, item: WorkItem, planned: PlannedAction) -> Outcome:
        assert planned.rendered is not None
        rendered, before, reason = planned.rendered, planned.issue, planned.reason
        if planned.action is PlanAction.CREATE:
            issue, before, reason = self._create(item, rendered, reason)
        elif planned.action in (PlanAction.UPDATE, PlanAction.ADOPT):
            assert before is not None
            issue = self._update(before, rendered)
            if self._claims.get(item.key, Claim()).via == "takeback":
                self._took_back(item, issue)
        else:
            assert before is not None
            issue = before
        with self._lock:
            self._numbers[item.key] = issue.number
        unrecorded: Failure | None = None
        try:
            if self._write_back is not None:
                try:
                    self._write_back.record(item, issue.number, issue.html_url)
                except ItemError as exc:  # a local file: GitHub's side is still finished
                    unrecorded = failure_of(exc)
            if planned.action is PlanAction.CREATE and rendered.state == "closed":
                issue = self._close_new(issue, rendered)
            self._link(item, issue, before, written=planned.action is not PlanAction.UNCHANGED)
        except _LinkError as exc:
            failure = Failure(exc.kind, exc.message)
            return self._outcome(item, ItemAction.FAILED, issue, reason, failure=failure)
        except (ItemError, ApiError, TransportError) as exc:
            return self._outcome(item, ItemAction.FAILED, issue, reason, failure=failure_of(exc))
        if unrecorded is not None:
            return self._outcome(item, ItemAction.FAILED, issue, reason, failure=unrecorded)
        return self._outcome(item, _DONE[planned.action], issue, reason)

    def _create(
        self, item: WorkItem, rendered: RenderedIssue, reason: str
    ) -> tuple[RemoteIssue, RemoteIssue | None, str]:
        """The create step: one new issue for ``item``, exactly once, under its parent when the
        server can (GraphQL); (issue, the issue as the link step should see it, reason).

        A create cannot set the state: an item that starts closed is created with the open
        variant's marker and closed after (see render.restate). A link the create did not make
        follows in ``_link``.
        """
        sent = restate(rendered, "open") if rendered.state == "closed" else rendered
        parent = self._claim_parent(item)
        issue, recovered = self._create_once(item.key, sent, parent)
        if recovered:
            reason += "; the create's answer was lost, the issue was found by its marker"
        if parent is not None and issue.parent_number == parent:
            return issue, issue, reason  # linked in the create itself: no sub-issue request
        if parent is not None:
            self._release(parent)
        return issue, None, reason

    def _took_back(self, item: WorkItem, issue: RemoteIssue) -> None:
        with self._lock:
            self._warnings.append(
                f"took back #{issue.number} for '{item.key}': a person had removed its "
                "batchsync marker; the marker is restored (no duplicate was made)"
            )

    def _close_new(self, issue: RemoteIssue, rendered: RenderedIssue) -> RemoteIssue:
        return self._client.update_issue(
            issue.number, body=rendered.body, state="closed", state_reason=rendered.state_reason
        )

    def _claim_parent(self, item: WorkItem) -> int | None:
        """The parent a new issue is created under (its child slot counted), or None."""
        if item.parent_key is None:
            return None
        with self._lock:
            parent = self._numbers.get(item.parent_key)
            if not self._links_on or parent is None:
                return None
            count = self._children.get(parent, 0)
            if count >= SUB_ISSUE_CAP:
                return None  # created unlinked; the link step reports the cap
            self._children[parent] = count + 1
            return parent

    def _create_once(
        self, key: str, sent: RenderedIssue, parent: int | None = None
    ) -> tuple[RemoteIssue, bool]:
        lost: UncertainWriteError | None = None
        for _ in range(max(1, self._opts.create_attempts)):
            with self._lock:
                floor = self._high_water  # every issue up to here existed before this send
            try:
                issue = self._send_create(sent, parent)
            except UncertainWriteError as exc:
                lost = exc
                found = self._client.find_created(lambda i: i.marker_key == key, above=floor)
                if found is None:
                    continue  # GitHub did not act on it: sending again makes no duplicate
                self._saw(found.number)
                if parent is not None and not found.parent_known:
                    found = self._client.get_issue(found.number) or found  # the link's fact
                return found, True
            self._saw(issue.number)
            self._learn(issue)
            return issue, False
        assert lost is not None
        raise lost

    def _send_create(self, sent: RenderedIssue, parent: int | None) -> RemoteIssue:
        if parent is None:
            return self._client.create_issue(sent.title, sent.body, sent.labels)
        return self._client.create_issue(sent.title, sent.body, sent.labels, parent=parent)

    def _learn(self, issue: RemoteIssue) -> None:
        """An issue this run created names the account the token writes as."""
        with self._lock:
            if self._trust.own is None and self._learned is None and issue.author:
                self._learned = (issue.author, issue.number)

    def _saw(self, number: int) -> None:
        with self._lock:
            self._high_water = max(self._high_water, number)

    def _update(self, before: RemoteIssue, rendered: RenderedIssue) -> RemoteIssue:
        return self._client.update_issue(
            before.number,
            title=rendered.title,
            body=rendered.body,
            labels=merged_labels(rendered.labels, before.labels),
            state=rendered.state,
            state_reason=rendered.state_reason,
        )

    # ---- sub-issues ------------------------------------------------------------------------

    def _link(
        self, item: WorkItem, issue: RemoteIssue, before: RemoteIssue | None, *, written: bool
    ) -> None:
        if item.parent_key is None:
            return
        with self._lock:
            parent = self._numbers.get(item.parent_key)
            if not self._links_on or parent is None or parent == issue.number:
                return
        try:
            current = None if before is None else self._parent_now(before, parent)
        except NotFoundError:
            self._no_sub_issues()
            return
        if not needs_link(current, parent, written=written):
            return
        self._reserve(item, issue, parent)
        try:
            self._send_link(issue, parent, replace=current is not None)
        except RunStop:
            self._release(parent)
            raise
        except NotFoundError:
            self._release(parent)
            self._no_sub_issues()
        except (ValidationFailed, UncertainWriteError, TransportError, ApiError) as exc:
            self._release(parent)
            raise _LinkError(
                f"#{issue.number} exists but could not be linked under #{parent}: {exc}",
                failure_of(exc).kind,
            ) from None

    def _no_sub_issues(self) -> None:
        with self._lock:
            if self._links_on:
                self._links_on = False
                self._warnings.append(
                    "the server has no sub-issues API (404 on .../sub_issues): the "
                    "hierarchy is shown by the parent line in each issue body only"
                )

    def _parent_now(self, child: RemoteIssue, parent: int) -> int | None:
        """The parent ``child`` has on GitHub, from facts GitHub always gives.

        ``parent_issue_url`` in the listing is a fact when present; else a parent whose
        ``sub_issues_summary.total`` equals its children in the tree that existed before this
        run holds them all; else the parent's ``sub_issues`` are read (once per parent); only a
        child not among them costs a ``GET .../parent``.
        """
        if child.parent_known:
            return child.parent_number
        if self._holds(parent, child.number):
            return parent
        return self._client.get_parent(child.number)

    def _holds(self, parent: int, child: int) -> bool:
        listed = self._index.by_number.get(parent)
        total = listed.sub_issues_total if listed is not None else None
        if total is not None and total == self._expected.get(parent, -1):
            return True
        with self._lock:
            guard = self._reading.setdefault(parent, threading.Lock())
        with guard:  # one read per parent, however many of its children run at once
            known = self._under.get(parent)
            if known is None:
                known = frozenset(self._client.sub_issue_numbers(parent))
                with self._lock:
                    self._under[parent] = known
                    self._children[parent] = max(self._children.get(parent, 0), len(known))
        return child in known

    def _reserve(self, item: WorkItem, issue: RemoteIssue, parent: int) -> None:
        with self._lock:
            count = self._children.get(parent, 0)
            if count >= SUB_ISSUE_CAP:
                raise _LinkError(
                    f"#{issue.number} exists but was not linked under #{parent} "
                    f"('{item.parent_key}'): it already has {count} sub-issues, GitHub's limit "
                    f"is {SUB_ISSUE_CAP}; split '{item.parent_key}' into smaller parents"
                )
            self._children[parent] = count + 1

    def _release(self, parent: int) -> None:
        with self._lock:
            self._children[parent] = max(0, self._children.get(parent, 1) - 1)

    def _send_link(self, issue: RemoteIssue, parent: int, *, replace: bool) -> None:
        lost: UncertainWriteError | None = None
        for _ in range(max(1, self._opts.create_attempts)):
            try:
                self._client.add_sub_issue(parent, issue.id, replace_parent=replace)
                return
            except UncertainWriteError as exc:
                lost = exc
                if self._client.get_parent(issue.number) == parent:
                    return  # the link was made; only its answer was lost
            except ValidationFailed:
                # GitHub's 422 for a child already under this parent (or under another one):
                # the child's parent, read now, says which.
                if self._client.get_parent(issue.number) == parent:
                    return
                raise
        assert lost is not None
        raise lost

    # ---- closing removed items ---------------------------------------------------------------

    def close_one(self, job: CloseJob, **_: object) -> Outcome:
        """The processor's ``sync_fn`` for an issue whose item was removed."""
        reason = f"the item '{job.key}' no longer exists in the tree"
        if self._opts.dry_run:
            return self._outcome(job, ItemAction.PLANNED_CLOSE, job.issue, reason)
        try:
            issue = self._client.update_issue(
                job.issue.number, state="closed", state_reason="not_planned"
            )
            self._comment(issue.number, job.key)
        except (ApiError, TransportError) as exc:
            failure = failure_of(exc)
            return self._outcome(job, ItemAction.FAILED, job.issue, reason, failure=failure)
        return self._outcome(job, ItemAction.CLOSED, issue, reason)

    def _comment(self, number: int, key: str) -> None:
        text = (
            f"Closed as not planned by batchsync: the work item `{key}` no longer exists in "
            "the synced tree."
        )
        try:
            self._client.add_comment(number, text)
        except UncertainWriteError:
            # a comment that may be missing is not worth risking a duplicate; but say so
            with self._lock:
                self._warnings.append(
                    f"closed #{number}, but the comment explaining why may not have been posted "
                    "(its answer was lost)"
                )
        except (ApiError, TransportError) as exc:
            with self._lock:
                self._warnings.append(f"closed #{number} but could not comment on it: {exc}")

    # ---- outcomes ----------------------------------------------------------------------------

    def _shown(self, path: str) -> str:
        return f"{self._opts.path_prefix}{path}" if path else path

    def _outcome(
        self,
        unit: WorkItem | CloseJob,
        action: ItemAction,
        issue: RemoteIssue | None = None,
        reason: str | None = None,
        *,
        failure: Failure | None = None,
        line: int | None = None,
    ) -> Outcome:
        kind = unit.kind.value if isinstance(unit, WorkItem) else unit.kind
        title = unit.title if isinstance(unit, WorkItem) else unit.issue.title
        return Outcome(
            key=unit.key,
            kind=kind,
            path=self._shown(unit.path),
            action=action,
            issue_number=issue.number if issue else None,
            url=(issue.html_url or None) if issue else None,
            failure=failure,
            reason=reason,
            line=line,
            title=title,
        )

    def _not_done(self, item: WorkItem) -> Outcome:
        return self._outcome(item, ItemAction.NOT_DONE, reason="the time budget ran out first")

    def _describe(
        self,
        unit: WorkItem | CloseJob,
        action: ItemAction,
        failure: Failure | None,
        reason: str | None,
    ) -> Outcome:
        """The processor's ``describe``: the outcome of a unit that raised or never started."""
        return self._outcome(unit, action, reason=reason, failure=failure)

    def _close_failure(self, message: str) -> Outcome:
        return Outcome(
            key="close-removed",
            kind="",
            path=self._opts.path_prefix.rstrip("/") or ".",
            action=ItemAction.FAILED,
            failure=Failure(FailureKind.ITEM, message),  # the message says what to fix
        )

    def _scan_failure(self, error: ItemError) -> Outcome:
        return Outcome(
            key=error.key or error.path,
            kind=_kind_from_path(error.path),
            path=error.path,
            action=ItemAction.FAILED,
            failure=failure_of(error),
            line=error.line,
        )


def _existing_children(
    items: Sequence[WorkItem], numbers: Mapping[str, int], claims: Mapping[str, Claim]
) -> dict[int, int]:
    """Per parent issue number: how many of its children in the tree had an issue at load."""
    counts: dict[int, int] = {}
    for item in items:
        parent = numbers.get(item.parent_key) if item.parent_key else None
        claimed = claims.get(item.key)
        if parent is not None and claimed is not None and claimed.issue is not None:
            counts[parent] = counts.get(parent, 0) + 1
    return counts


def _kind_from_path(path: str) -> str:
    parts = path.replace("\\", "/").split("/")
    if "prds" in parts:
        return Kind.PRD.value
    if "epics" in parts:
        return Kind.EPIC.value if parts[-1] == "epic.md" else Kind.TASK.value
    return ""


class _Progress:
    """Turns per-batch progress (1..n each time) into one count over the whole run."""

    def __init__(self, callback: ProgressFn | None, total: int) -> None:
        self._callback = callback
        self._total = total
        self._offset = 0

    def callback(self) -> ProgressFn | None:
        if self._callback is None:
            return None
        outer, offset, total = self._callback, self._offset, self._total
        return lambda done, _n, unit: outer(offset + done, total, unit)

    def advance(self, count: int) -> None:
        self._offset += count

    def skip(self, units: Sequence[object]) -> None:
        """Report units that finish without being started (failed at scan time, or not reached)."""
        for unit in units:
            self._offset += 1
            if self._callback is not None:
                self._callback(self._offset, self._total, unit)


# ---- entry points ------------------------------------------------------------------------------
