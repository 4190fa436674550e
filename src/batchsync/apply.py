"""Apply a finished plan, step by step: never re-decide, only fill in numbers created meanwhile.

Each step's action comes from the plan. What the applier adds is what only the run can know:
the number of an issue created earlier in the run (a parent, a dependency), filled into the
bodies that name it. The plan's sub-issue links (``plan.plan_links``) are made through
``subissues.SubIssueLinks`` (each parent's cap, the exactly-once send).

Exactly once: the marker is written in the same request that creates the issue. A create whose
answer was lost (``UncertainWriteError``) is looked for by its marker among the issues created
since it was sent before it is sent again; a run killed at any moment is finished by the next
one, which finds every issue it made by its marker.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from batchsync.blockers import NO_API, PASSING_404
from batchsync.errors import (
    ApiError,
    Failure,
    FailureKind,
    ItemError,
    NotFoundError,
    RunStop,
    ServerError,
    TransportError,
    UncertainWriteError,
    failure_of,
)
from batchsync.github import IssueClient, dependencies_missing
from batchsync.marker import KEPT, REMOVED, remark
from batchsync.plan import PlanAction, PlannedAction, merged_labels
from batchsync.pull import file_changed
from batchsync.remote import RemoteIssue
from batchsync.render import RenderedIssue, close_comment, render, restate
from batchsync.results import ItemAction
from batchsync.retry import Resend
from batchsync.subissues import LinkError, SubIssueLinks
from batchsync.writeback import WriteBack

__all__ = ["PLANNED", "Applier", "Done", "IssueClient", "Resend"]

_DONE = {
    PlanAction.CREATE: ItemAction.CREATED,
    PlanAction.UPDATE: ItemAction.UPDATED,
    PlanAction.ADOPT: ItemAction.UPDATED,
    PlanAction.UNCHANGED: ItemAction.UNCHANGED,
    PlanAction.CLOSE: ItemAction.CLOSED,
    PlanAction.LINK: ItemAction.UPDATED,
    PlanAction.PULL: ItemAction.PULLED,
}

# what the dry run reports for each planned action
PLANNED = {
    PlanAction.CREATE: ItemAction.PLANNED_CREATE,
    PlanAction.UPDATE: ItemAction.PLANNED_UPDATE,
    PlanAction.ADOPT: ItemAction.PLANNED_UPDATE,
    PlanAction.UNCHANGED: ItemAction.UNCHANGED,
    PlanAction.CLOSE: ItemAction.PLANNED_CLOSE,
    PlanAction.LINK: ItemAction.PLANNED_UPDATE,
    PlanAction.PULL: ItemAction.PLANNED_PULL,
    PlanAction.SKIP: ItemAction.FAILED,
}


@dataclass(frozen=True)
class Done:
    """What applying one step did: the action, the issue, why, and the failure if any."""

    action: ItemAction
    issue: RemoteIssue | None = None
    reason: str | None = None
    failure: Failure | None = None
    line: int | None = None


class Applier:
    """Runs the steps of one plan; safe across the processor's lanes."""

    def __init__(
        self,
        client: IssueClient,
        links: SubIssueLinks,
        numbers: Mapping[str, int],
        *,
        high_water: int,
        resend: Resend,
        write_back: WriteBack | None,
        warn: Callable[[str], None],
        puller: WriteBack | None = None,
        depends_on: bool = True,
        blockers_added: bool = False,
    ) -> None:
        self._client = client
        self._links = links
        self._numbers = dict(numbers)
        self._high_water = high_water
        self._resend = resend
        self._write_back = write_back
        self._puller = puller  # the file writer of a pull (two-way status)
        self._depends_on = depends_on  # False once the server showed it has no dependencies API
        self._blockers_added = blockers_added  # a 404 twice is passing here (blockers.added_here)
        self._added: dict[str, set[str]] = {}  # item key -> blocker keys added in this run
        self._warn = warn
        self._lock = threading.Lock()
        self._written: dict[str, tuple[RemoteIssue, RenderedIssue]] = {}  # key -> (issue, sent)
        self.learned: tuple[str, int] | None = None  # (author, number) of the first create
        self.stopped: RunStop | None = None  # a stop met after a step's write was done

    # ---- one item ------------------------------------------------------------------------

    def apply(self, step: PlannedAction) -> Done:
        """Apply one item step; failures are outcomes, a ``RunStop`` before any write goes on."""
        assert step.item is not None
        if step.action is PlanAction.SKIP:
            return Done(ItemAction.FAILED, failure=_item_failure(step), line=step.line)
        try:
            if step.issue is not None:  # its blockers before the body that names them
                self._block(step, step.issue.number, removes=True)
            rendered = self._filled(step)
            issue, reason, known = self._write(step, rendered)
        except (ItemError, ApiError, TransportError, UncertainWriteError) as exc:
            return Done(ItemAction.FAILED, failure=failure_of(exc))
        with self._lock:
            self._numbers[step.item.key] = issue.number
            self._written[step.item.key] = (issue, rendered)
        action = _DONE[step.action]
        if step.action is PlanAction.UPDATE and issue is step.issue:
            action = ItemAction.UNCHANGED  # the filled-in body was the issue's already
        return self._finish(step, rendered, issue, known, Done(action, issue, reason))

    def _filled(self, step: PlannedAction) -> RenderedIssue:
        """The step's rendering, with the numbers of issues created earlier in this run."""
        assert step.item is not None
        assert step.rendered is not None
        blocks = step.rendered.blocks and self._depends_on  # never names a blocker not added
        if not step.after and blocks == step.rendered.blocks:
            return step.rendered
        with self._lock:
            numbers = dict(self._numbers)
        item = step.item
        if step.pulled is not None:
            item = dataclasses.replace(item, status=step.pulled)
        return render(item, numbers, typed=step.rendered.typed, blocks=blocks)

    def _write(
        self, step: PlannedAction, rendered: RenderedIssue
    ) -> tuple[RemoteIssue, str, RemoteIssue | None]:
        """The step's one write: (the issue, why, the issue as its link should see it)."""
        before, reason = step.issue, step.reason
        if step.action is PlanAction.CREATE:
            return self._create(step, rendered)
        assert before is not None
        if step.action in (PlanAction.UNCHANGED, PlanAction.LINK):
            return before, reason, before
        if step.action is PlanAction.PULL:
            self._pull(step)  # the body shows the status too: written once, below if it differs
        held = step.action in (PlanAction.PULL, PlanAction.UPDATE)
        if held and not file_changed(before, rendered):
            return self._content_held(step, before)
        if step.action is PlanAction.PULL:  # the new Status line: title, labels, state stay
            return self._pulled(before, rendered, step), reason, before
        issue = self._update(before, rendered, step.issue_type)
        if step.via == "takeback":
            self._warn(
                f"took back #{issue.number} for '{step.key}': a person had removed its "
                "batchsync marker; the marker is restored (no duplicate was made)"
            )
        return issue, reason, before

    def _pulled(
        self, before: RemoteIssue, rendered: RenderedIssue, step: PlannedAction
    ) -> RemoteIssue:
        """A pull's one write: the body alone (GitHub holds the state already; a label or
        title a person changed there stays)."""
        if step.issue_type is not None:
            return self._client.update_issue(
                before.number, body=rendered.body, issue_type=step.issue_type
            )
        return self._client.update_issue(before.number, body=rendered.body)

    def _pull(self, step: PlannedAction) -> None:
        """Write the pulled status into the item's file (the one frontmatter writer)."""
        assert step.item is not None
        assert step.pulled is not None
        if self._puller is None:
            raise ItemError(step.item.path, None, "pull needs the files to be writable")
        self._puller.set_status(step.item, step.pulled)

    def _finish(
        self,
        step: PlannedAction,
        rendered: RenderedIssue,
        issue: RemoteIssue,
        known: RemoteIssue | None,
        done: Done,
    ) -> Done:
        """After the write: record the link locally, close a new closed item, link it."""
        assert step.item is not None
        unrecorded: Failure | None = None
        try:
            if self._write_back is not None:
                try:
                    self._write_back.record(step.item, issue.number, issue.html_url)
                except ItemError as exc:  # a local file: GitHub's side is still finished
                    unrecorded = failure_of(exc)
            if step.action is PlanAction.CREATE and issue.state != rendered.state:
                issue = self._client.update_issue(
                    issue.number,
                    body=rendered.body,
                    state="closed",
                    state_reason=rendered.state_reason,
                )
            if self._link(step, issue, known) and done.action is ItemAction.UNCHANGED:
                done = Done(ItemAction.UPDATED, issue, step.reason)  # the link was its write
        except RunStop as stop:
            if stop.kind.refused:
                raise
            self.stopped = stop
            what = {ItemAction.CREATED: "created", ItemAction.UNCHANGED: "found"}
            left = (
                f"#{issue.number} was {what.get(done.action, 'updated')}, then the run stopped "
                f"({stop.detail}) before its link was checked: the next run finishes it"
            )
            return Done(ItemAction.NOT_DONE, issue, left)
        except LinkError as exc:
            return Done(ItemAction.FAILED, issue, done.reason, Failure(exc.kind, exc.message))
        except (ItemError, ApiError, TransportError) as exc:
            return Done(ItemAction.FAILED, issue, done.reason, failure_of(exc))
        if unrecorded is not None:
            return Done(ItemAction.FAILED, issue, done.reason, unrecorded)
        return Done(done.action, issue, done.reason)

    def _link(self, step: PlannedAction, issue: RemoteIssue, known: RemoteIssue | None) -> bool:
        """Make the plan's sub-issue link (``plan.plan_links``); True when one was sent.

        A new issue's link is skipped when its create made it (``known`` is the issue then).
        """
        link, ref = step.link, step.parent
        if link is None or ref is None:
            return False
        if link.refused is not None:
            raise LinkError(link.refused, FailureKind.ITEM)
        if step.action is PlanAction.CREATE and known is not None:
            return False
        with self._lock:
            parent = self._numbers.get(ref.key)
        if parent is None or not self._links.enabled:
            return False
        self._links.link(known or issue, parent, ref.key, replace=link.replace)
        return True

    # ---- create, exactly once --------------------------------------------------------------

    def _create(
        self, step: PlannedAction, rendered: RenderedIssue
    ) -> tuple[RemoteIssue, str, RemoteIssue | None]:
        """One new issue for the step's item, under its parent when the server can (GraphQL).

        A create cannot set the state: an item that starts closed is created with the open
        variant's marker and closed after (see render.restate). Returns the issue as the link
        step should see it too: itself when the create made the link, else None (no parent).
        """
        withheld = self._withheld(step, rendered)
        sent = restate(withheld, "open") if withheld.state == "closed" else withheld
        parent = self._parent_slot(step)
        try:
            issue, recovered = self._create_once(step.key, sent, parent, step.issue_type)
        except BaseException:
            if parent is not None:
                self._links.release(parent)  # the failed create does not hold a child slot
            raise
        reason = step.reason
        if recovered:
            reason += "; the create's answer was lost, the issue was found by its marker"
        linked = parent is not None and issue.parent_number == parent
        if parent is not None and not linked:
            self._links.release(parent)
        created = issue  # linked in the create itself: no sub-issue request
        if withheld is not rendered:
            issue = self._named(step, issue, rendered)
        return issue, reason, created if linked else None

    def _named(
        self, step: PlannedAction, issue: RemoteIssue, rendered: RenderedIssue
    ) -> RemoteIssue:
        """A new issue's blockers, then the body that names them (in its state)."""
        self._block(step, issue.number, removes=False)
        if rendered.blocks and not self._depends_on:  # learned just now: no Blocked by line
            rendered = self._filled(step)
        return self._client.update_issue(
            issue.number,
            body=rendered.body,
            state=rendered.state,
            state_reason=rendered.state_reason,
        )

    def _parent_slot(self, step: PlannedAction) -> int | None:
        """The parent a new issue is created under (its child slot counted), or None."""
        if step.parent is None or not self._links.enabled:
            return None
        with self._lock:
            parent = self._numbers.get(step.parent.key)
        if parent is None or not self._links.claim_slot(parent):
            return None  # none yet, or full: created unlinked and the link step reports it
        return parent

    def _create_once(
        self, key: str, sent: RenderedIssue, parent: int | None, issue_type: str | None
    ) -> tuple[RemoteIssue, bool]:
        """Create, exactly once: a lost answer is looked for by its marker before a resend."""
        floor = [0]  # every issue up to here existed before the send that was lost
        extra: dict[str, Any] = {"parent": parent} if parent is not None else {}
        if issue_type is not None:
            extra["issue_type"] = issue_type

        def send() -> RemoteIssue:
            with self._lock:
                floor[0] = self._high_water
            return self._client.create_issue(sent.title, sent.body, sent.labels, **extra)

        def ours(issue: RemoteIssue) -> bool:
            marker = issue.marker  # the key in this tree's namespace: never another tree's
            return marker is not None and (marker.key, marker.namespace) == (key, sent.namespace)

        def recover() -> RemoteIssue | None:
            found = self._client.find_created(ours, above=floor[0])
            if found is not None and parent is not None and not found.parent_known:
                found = self._client.get_issue(found.number) or found  # the link's fact
            return found

        issue, recovered = self._resend(send, recover)
        self._saw(issue)
        return issue, recovered

    def _saw(self, issue: RemoteIssue) -> None:
        with self._lock:
            self._high_water = max(self._high_water, issue.number)
            if self.learned is None and issue.author:
                self.learned = (issue.author, issue.number)

    def _update(
        self, before: RemoteIssue, rendered: RenderedIssue, issue_type: str | None = None
    ) -> RemoteIssue:
        extra = {"issue_type": issue_type} if issue_type is not None else {}
        return self._client.update_issue(
            before.number,
            title=rendered.title,
            body=rendered.body,
            labels=merged_labels(rendered.labels, before.labels),
            state=rendered.state,
            state_reason=rendered.state_reason,
            **extra,
        )

    def _content_held(
        self, step: PlannedAction, before: RemoteIssue
    ) -> tuple[RemoteIssue, str, RemoteIssue | None]:
        """A step whose content the issue holds already: only its marker and type, if any.

        The type goes with the issue's own body, its marker saying ``typed`` (``plan.marks_typed``)
        in the same PATCH: a type a person takes off later is never set again, and an edit a
        person made to the body is not overwritten. An old marker (``via`` legacy) gets the
        tree's namespace in that same PATCH, or alone: one write re-marks it for good.
        """
        body = _held_body(step, before)
        if step.issue_type is not None:
            issue = self._client.update_issue(before.number, body=body, issue_type=step.issue_type)
            return issue, step.reason, before
        if body != before.body:
            return self._client.update_issue(before.number, body=body), step.reason, before
        if step.action is PlanAction.UPDATE:
            return before, f"#{before.number} matches the file", before
        return before, step.reason, before

    # ---- after every create ------------------------------------------------------------------

    def complete(self, step: PlannedAction) -> Done:
        """A follow-up: write the body again once the issues it names exist (no-op if equal)."""
        assert step.item is not None
        with self._lock:
            written = self._written.get(step.item.key)
            numbers = dict(self._numbers)
        if written is None:
            return Done(ItemAction.NOT_DONE, reason="its first write did not happen")
        issue, sent = written
        blocks = sent.blocks and self._depends_on
        rendered = render(step.item, numbers, typed=sent.typed, blocks=blocks)
        if rendered.content_hash == sent.content_hash:
            return Done(ItemAction.UNCHANGED, issue)
        try:
            self._block(step, issue.number, removes=False)  # before the body that names them
            issue = self._update(issue, rendered)
        except (ApiError, TransportError, UncertainWriteError) as exc:
            return Done(ItemAction.FAILED, issue, step.reason, failure_of(exc))
        return Done(ItemAction.UPDATED, issue, step.reason)

    # ---- "blocked by": the item's dependencies as GitHub's own relationships ----------------

    def _withheld(self, step: PlannedAction, rendered: RenderedIssue) -> RenderedIssue:
        """A create's first body: without the numbers of the blockers it adds right after, so a
        body naming a blocker always proves it was added (``blockers``)."""
        assert step.item is not None
        if not step.blocking.add or not self._depends_on:
            return rendered
        with self._lock:
            numbers = dict(self._numbers)
        for ref in step.blocking.add:
            numbers.pop(ref.key, None)
        first = render(step.item, numbers, typed=rendered.typed, blocks=rendered.blocks)
        return rendered if first.content_hash == rendered.content_hash else first

    def _block(self, step: PlannedAction, number: int, *, removes: bool) -> None:
        """The step's planned blocked-by writes whose blocker exists now (one made later in the
        run is added by its follow-up, before the body that names it). Each is sent once."""
        if not step.blocking or not self._depends_on:
            return
        with self._lock:
            made = {k: issue.id for k, (issue, _) in self._written.items()}
            done = self._added.setdefault(step.key, set())
        try:
            for ref in step.blocking.add:
                blocker = ref.id if ref.id is not None else made.get(ref.key)
                if blocker is not None and ref.key not in done:
                    self._client.add_blocked_by(number, blocker)
                    done.add(ref.key)
            for gone in step.blocking.remove if removes else ():
                self._client.remove_blocked_by(number, gone.id)
        except NotFoundError as exc:
            if not dependencies_missing(self._client, number):
                raise  # this issue or a blocker is gone: this step fails, the rest go on
            if self._blockers_added:  # the API answered here before: the next run tries again
                raise ServerError(exc.status, PASSING_404, exc.method, exc.path) from exc
            self._no_dependencies()

    def _no_dependencies(self) -> None:
        with self._lock:
            was, self._depends_on = self._depends_on, False
        if was:
            self._warn(NO_API)

    # ---- closing removed items ---------------------------------------------------------------

    def close(self, step: PlannedAction) -> Done:
        """Close a removed item's issue as not planned, then say why in a comment.

        One PATCH closes it and flags its marker ``removed``, so the flag and the close cannot
        come apart: an open issue with that flag is one a person reopened. A step that is not
        a close records such a reopen in the marker (``kept``) and changes nothing else.
        """
        before = step.issue
        assert before is not None
        closing = step.action is PlanAction.CLOSE
        flag = REMOVED if closing else KEPT
        marker = before.marker
        assert marker is not None  # only marked issues are batchsync's to close
        body = remark(before.body, dataclasses.replace(marker, flag=flag))
        try:
            if closing:
                issue = self._client.update_issue(
                    before.number, body=body, state="closed", state_reason="not_planned"
                )
            else:
                issue = self._client.update_issue(before.number, body=body)
        except (ApiError, TransportError, UncertainWriteError) as exc:
            return Done(ItemAction.FAILED, before, step.reason, failure_of(exc))
        if not closing:  # a write, as the dry run says (would-update)
            return Done(ItemAction.UPDATED, issue, step.reason)
        self._comment(issue.number, step.key)
        return Done(ItemAction.CLOSED, issue, step.reason)

    def _comment(self, number: int, key: str) -> None:
        """The comment after a close: sent, or a warning saying it may be missing and why."""
        try:
            self._client.add_comment(number, close_comment(key))
        except RunStop as stop:
            if stop.kind.refused:
                raise
            self.stopped = stop
            self._warn(f"closed #{number}; the comment explaining why was not sent ({stop.detail})")
        except UncertainWriteError:
            # a comment that may be missing is not worth risking a duplicate; but say so
            self._warn(
                f"closed #{number}, but the comment explaining why may not have been posted "
                "(its answer was lost)"
            )
        except (ApiError, TransportError) as exc:
            self._warn(f"closed #{number} but could not comment on it: {exc}")


def _held_body(step: PlannedAction, before: RemoteIssue) -> str:
    """The issue's own body, its marker saying ``typed`` when the step sets a type and naming
    the tree's namespace when the step re-marks an old marker (every other byte stays)."""
    marker = before.marker
    if marker is None:
        return before.body
    wanted = dataclasses.replace(marker, typed=True) if step.issue_type is not None else marker
    if step.via == "legacy" and step.rendered is not None:
        wanted = dataclasses.replace(wanted, namespace=step.rendered.namespace)
    return before.body if wanted == marker else remark(before.body, wanted)


def _item_failure(step: PlannedAction) -> Failure:
    """A skipped step's failure: its reason says what to fix in the file."""
    return Failure(FailureKind.ITEM, step.reason)
