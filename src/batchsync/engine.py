"""The engine: list the issues once, plan the whole run, then apply the plan (or print it).

``prepare`` lists the repository's issues and builds the ``Plan``, the run's only contract; the
dry run reports it and stops (no processor, no threads, no write). Otherwise ``apply.Applier``
runs its steps wave by wave through ONE BatchProcessor, so every request shares one rate-limit
state and parents exist before their children; then the follow-ups that complete references to
issues created later in the run; then the closes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from batchsync import defaults
from batchsync.apply import PLANNED, Applier, Done, IssueClient
from batchsync.blockers import NO_API, PASSING_404, added_here
from batchsync.errors import (
    ApiError,
    BudgetExhausted,
    Failure,
    FailureKind,
    IssueMoved,
    ItemError,
    TransportError,
    failure_of,
)
from batchsync.github import read_blockers
from batchsync.issuetypes import TypeChoice, resolve, unread_types_message
from batchsync.items import Kind, ScanResult, WorkItem
from batchsync.ownership import Trust, needs_identity
from batchsync.plan import (
    LinkFacts,
    Plan,
    PlanAction,
    PlannedAction,
    PlanOptions,
    RemoteIndex,
    RemoteIssue,
    index_issues,
    links_wanted,
    plan,
    plan_links,
    refuse_links,
    waves,
)
from batchsync.progress import ProgressFn, RunCounter
from batchsync.remote import Blocker
from batchsync.results import BatchResult, ItemAction, Outcome
from batchsync.retry import RetryPolicy, policy_of
from batchsync.subissues import SUB_ISSUE_CAP, SubIssueLinks, read_facts
from batchsync.workitem import kind_of_path
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


class Processor(Protocol):
    """What the engine needs from ``processor.BatchProcessor``."""

    def batch_upload(
        self,
        items: Sequence[PlannedAction],
        sync_fn: Callable[..., Outcome],
        *,
        repo: str,
        client: object,
        sync_map: Mapping[str, int],
        dry_run: bool = False,
        on_progress: ProgressFn | None = None,
        describe: Callable[[PlannedAction, ItemAction, Failure | None, str | None], Outcome]
        | None = None,
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
    path_prefix: str = ""  # base folder relative to the workspace, e.g. ".claude/"
    trusted_authors: tuple[str, ...] = ()  # logins whose marked issues are batchsync's too
    pull: bool = defaults.PULL  # two-way status: GitHub's close or reopen goes into the file
    blocked_by: bool = defaults.BLOCKED_BY  # dependencies as GitHub's "blocked by" relationships
    namespace: str = ""  # the tree's, in every marker: other trees' issues are never touched
    tree_gone: Callable[[str], bool] | None = None  # the default namespace: a moved tree's
    issue_types: TypeChoice | None = None  # the issue type of each kind; None: off


class Engine:
    """One run: the listing, the plan, and the outcome of every step."""

    def __init__(
        self,
        client: IssueClient,
        processor: Processor,
        options: EngineOptions,
        *,
        write_back: WriteBack | None = None,
        policy: RetryPolicy | None = None,
        puller: WriteBack | None = None,
    ) -> None:
        self._client = client
        self._policy = policy or policy_of(getattr(processor, "gate", None))
        self._processor = processor
        self._opts = options
        self._write_back = None if options.dry_run else write_back
        self._puller = None if options.dry_run else puller
        self._lock = threading.Lock()
        self._index = RemoteIndex()
        self._plan = Plan()
        self._warnings: list[str] = []
        self._moved: dict[int, str] = {}  # linked numbers GitHub says live elsewhere now
        self._facts = LinkFacts()  # what GitHub says of the sub-issue links the plan decides
        self._depends_on = True  # False once the server showed it has no dependencies API

    @property
    def warnings(self) -> tuple[str, ...]:
        """Warnings gathered so far (duplicate markers, no sub-issues API, closes skipped)."""
        told: tuple[str, ...] = getattr(self._client, "warnings", ())  # e.g. no GraphQL
        return (*self._warnings, *told)

    @property
    def plan(self) -> Plan:
        """The plan of this run (empty before ``prepare``)."""
        return self._plan

    def _warn(self, text: str) -> None:
        with self._lock:
            self._warnings.append(text)

    # ---- list and plan ---------------------------------------------------------------------

    def load(self, items: Sequence[WorkItem]) -> RemoteIndex:
        """List the issues once, and learn who the token is when a decision depends on it.

        Linked issues the listing did not return (a link to an old closed issue on a server
        that pages differently) are read one by one.
        """
        trust = Trust.of(None, self._opts.trusted_authors)
        listed = self._client.list_issues()
        index = self._index_of(listed, trust)
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
        extra = [got for n in missing if (got := self._read_linked(n)) is not None]
        issues = [*listed, *extra]
        if needs_identity(trust, issues, items):
            trust = Trust.of(self._client.whoami(), self._opts.trusted_authors)
        if extra or trust.own is not None:
            index = self._index_of(issues, trust)
        self._index = index = replace(index, blockers_added=added_here(index.by_key, items))
        self._warnings.extend(index.warnings)
        return index

    def _read_linked(self, number: int) -> RemoteIssue | None:
        """A linked issue the listing did not hold; one that moved away is refused, never read."""
        try:
            return self._client.get_issue(number)
        except IssueMoved as exc:
            self._moved[number] = exc.message
            return None

    def _index_of(self, issues: Sequence[RemoteIssue], trust: Trust) -> RemoteIndex:
        opts = self._opts
        ns, gone = opts.namespace, opts.tree_gone
        return index_issues(issues, trust, repository=opts.repo, namespace=ns, gone=gone)

    def prepare(self, scanned: ScanResult) -> Plan:
        """List the issues, read the facts of the links, plan the whole run; nothing is written."""
        index = self.load(scanned.items)
        options = PlanOptions(
            close_removed=self._opts.close_removed,
            max_close=self._opts.max_close,
            all_kinds=self._opts.all_kinds,
            pull=self._opts.pull,
            issue_types=self._issue_types(),
            blocked_by=self._opts.blocked_by,
        )
        whole = plan(scanned, index, options, self._blockers)
        if options.blocked_by and not self._depends_on:  # no body may name a blocker not added
            whole = plan(scanned, index, replace(options, blocked_by=False))
        planned = refuse_links(whole, self._moved)
        if self._opts.sub_issues:
            self._facts = read_facts(self._client, links_wanted(planned))
        self._plan = plan_links(planned, self._facts)
        self._warnings.extend(self._plan.warnings)
        return self._plan

    def _blockers(self, number: int) -> Sequence[Blocker] | str:
        """Issue ``number``'s blockers, for the plan (``blockers.added_here`` tells a 404 twice)."""
        found = read_blockers(self._client, number) if self._depends_on else ()
        if found is None and not self._index.blockers_added:  # no API: said once, read as none
            self._depends_on, found = False, ()
            self._warnings.append(NO_API)
        return PASSING_404 if found is None else found  # a passing 404: this item waits

    def _issue_types(self) -> Mapping[Kind, str]:
        """Each kind's issue type: one listing a run, only when ``issue-types`` is on."""
        if self._opts.issue_types is None:
            return {}
        try:
            available = self._client.issue_types()
        except (ApiError, TransportError) as exc:  # optional: the sync goes on without types
            self._warnings.append(unread_types_message(str(exc)))
            return {}
        found, notice = resolve(self._opts.issue_types, available)
        if notice is not None:
            self._warnings.append(notice)
        return found

    # ---- the run ---------------------------------------------------------------------------

    def execute(self, scanned: ScanResult, on_progress: ProgressFn | None = None) -> BatchResult:
        """List, plan and apply ``scanned`` (print the plan when dry); every outcome."""
        errors = [self._scan_failure(e) for e in scanned.errors]
        try:
            planned = self.prepare(scanned)
        except BudgetExhausted:
            left = [self._outcome(s, Done(ItemAction.NOT_DONE)) for s in _bare(scanned.items)]
            return BatchResult(outcomes=(*left, *errors), warnings=self.warnings)
        if planned.close_error is not None:
            errors.append(self._close_failure(planned.close_error))
        counter = RunCounter(on_progress, len(planned.steps) + len(planned.closes) + len(errors))
        counter.skip(errors)
        if self._opts.dry_run:
            counter.skip([*planned.steps, *planned.closes])
            dry = [self._dry(s) for s in (*planned.steps, *planned.closes)]
            return BatchResult(outcomes=(*dry, *errors), warnings=self.warnings)
        applier = self._applier(planned)
        outcomes = self._apply_items(planned, applier, counter)
        closed = self._apply_closes(planned.closes, applier, counter)
        ordered = [outcomes[s.key] for s in planned.steps]
        foreign = self._foreign_warning(applier.learned)
        if foreign is not None:
            self._warnings.append(foreign)
        return BatchResult(outcomes=(*ordered, *errors, *closed), warnings=self.warnings)

    def _applier(self, planned: Plan) -> Applier:
        index, read = self._index, self._facts.counts
        links = SubIssueLinks(
            self._client,
            {n: max(index.children_of(n), read.get(n, 0)) for n in index.by_number},
            enabled=self._opts.sub_issues and self._facts.api,
            resend=self._policy.resend,
            warn=self._warn,
        )
        return Applier(
            self._client,
            links,
            planned.numbers,
            high_water=index.max_number,
            resend=self._policy.resend,
            write_back=self._write_back,
            warn=self._warn,
            puller=self._puller,
            depends_on=self._depends_on,
            blockers_added=index.blockers_added,
        )

    def _apply_items(
        self, planned: Plan, applier: Applier, counter: RunCounter
    ) -> dict[str, Outcome]:
        """Every item's outcome, wave by wave, then the follow-ups; a stop ends the waves."""
        outcomes: dict[str, Outcome] = {}
        for wave in planned.waves():
            if self._stopped(applier, outcomes):
                outcomes.update((s.key, self._outcome(s, _not_done())) for s in wave)
                counter.not_done(wave)
                continue
            done = self._run(wave, applier.apply, counter)
            outcomes.update(zip((s.key for s in wave), done, strict=True))
        if not planned.followups:
            return outcomes
        if self._stopped(applier, outcomes):
            for step in planned.followups:
                outcomes[step.key] = _cut(outcomes[step.key], step)
            return outcomes
        done = self._run(planned.followups, applier.complete)
        for step, after in zip(planned.followups, done, strict=True):
            outcomes[step.key] = _completed(outcomes[step.key], after)
        return outcomes

    def _apply_closes(
        self, closes: Sequence[PlannedAction], applier: Applier, counter: RunCounter
    ) -> list[Outcome]:
        if not closes:
            return []
        if applier.stopped is not None:
            counter.not_done(closes)
            return [self._outcome(s, _not_done()) for s in closes]
        return self._run(closes, applier.close, counter)

    @staticmethod
    def _stopped(applier: Applier, outcomes: Mapping[str, Outcome]) -> bool:
        """Whether the run stopped: a deadline met after a write, or items left not done."""
        if applier.stopped is not None:
            return True
        return any(o.action is ItemAction.NOT_DONE for o in outcomes.values())

    def _run(
        self,
        steps: Sequence[PlannedAction],
        apply: Callable[[PlannedAction], Done],
        counter: RunCounter | None = None,
    ) -> list[Outcome]:
        result = self._processor.batch_upload(
            steps,
            lambda step, **_: self._outcome(step, apply(step)),
            repo=self._opts.repo,
            client=self._client,
            sync_map={},
            on_progress=counter.callback() if counter is not None else None,
            describe=lambda step, action, failure, reason: self._outcome(
                step, Done(action, reason=reason, failure=failure)
            ),
        )
        if counter is not None:
            counter.advance(result.outcomes)
        return list(result.outcomes)

    def _foreign_warning(self, learned: tuple[str, int] | None) -> str | None:
        claimed = {c.issue.number for c in self._plan.claims.values() if c.issue is not None}
        text = self._index.foreign_message(claimed)
        if text is None or learned is None or self._index.trust.own is not None:
            return text
        login, number = learned
        if any(i.author.lower() == login.lower() for i in self._index.foreign):
            text += (
                f". This token writes as {login} (learned from #{number}, which it created), "
                f"so those are batchsync's own: add {login} to `trusted-authors`, and batchsync "
                f"updates and closes every issue {login} writes with a batchsync marker"
            )
        return text

    # ---- outcomes ----------------------------------------------------------------------------

    def _dry(self, step: PlannedAction) -> Outcome:
        """A step as the dry run reports it: what would be done, and why."""
        if step.action is PlanAction.SKIP:
            return self._outcome(
                step,
                Done(
                    ItemAction.FAILED,
                    failure=Failure(FailureKind.ITEM, step.reason),
                    line=step.line,
                ),
            )
        reason = step.reason
        ref = step.parent
        if ref is not None and ref.number is None and ref.created:
            reason += f"; goes under '{ref.key}', created in this run"
        elif ref is not None and ref.number is None:
            why = "see its error or the warning naming it"
            reason += f"; its parent '{ref.key}' is not synced ({why}): no parent link"
        late = next((f for f in self._plan.followups if f.key == step.key), None)
        if late is not None:
            reason += f"; then {late.reason}"
        return self._outcome(step, Done(PLANNED[step.action], step.issue, reason))

    def _outcome(self, step: PlannedAction, done: Done) -> Outcome:
        issue = done.issue
        title = step.item.title if step.item is not None else None
        if title is None and step.issue is not None:
            title = step.issue.title
        return Outcome(
            key=step.key,
            kind=step.kind,
            path=self._shown(step.path),
            action=done.action,
            issue_number=issue.number if issue else None,
            url=(issue.html_url or None) if issue else None,
            failure=done.failure,
            reason=done.reason,
            line=done.line,
            title=title,
        )

    def _shown(self, path: str) -> str:
        return f"{self._opts.path_prefix}{path}" if path else path

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
            kind=kind_of_path(error.path),
            path=error.path,
            action=ItemAction.FAILED,
            failure=failure_of(error),
            line=error.line,
        )


def _not_done() -> Done:
    return Done(ItemAction.NOT_DONE, reason="the run stopped first (time budget or a signal)")


def _bare(items: Sequence[WorkItem]) -> list[PlannedAction]:
    """Steps for items the run could not plan (the listing did not finish)."""
    return [PlannedAction(PlanAction.SKIP, "", item) for item in items]


def _completed(first: Outcome, after: Outcome) -> Outcome:
    """An item's outcome once its follow-up ran: a failed follow-up fails the item."""
    if after.action is ItemAction.FAILED:
        return replace(after, action=ItemAction.FAILED, reason=first.reason)
    if after.action is ItemAction.UPDATED and first.action is ItemAction.UNCHANGED:
        return replace(first, action=ItemAction.UPDATED, reason=after.reason)
    return first


def _cut(first: Outcome, step: PlannedAction) -> Outcome:
    """A written item whose follow-up the stopped run never reached: not done, with its issue."""
    if first.action in (ItemAction.FAILED, ItemAction.NOT_DONE):
        return first
    why = f"the run stopped before it {step.reason}: the next run finishes it"
    return replace(first, action=ItemAction.NOT_DONE, reason=why)
