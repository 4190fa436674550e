"""Dependencies as GitHub's "blocked by" relationships: what one item's step adds and removes. Pure.

The memory is the issue body batchsync last wrote: with ``blocked-by: true`` its "Blocked by"
line names the issues batchsync made blockers (``render.written_blockers``), and the applier
adds a blocker before the body that names it is written, so a proven body naming one proves it
was added once. Per blocker between two issues batchsync owns:

==================  ===================  ====================  ==============================
the body written    the file now         GitHub's list now     result
==================  ===================  ====================  ==============================
does not name it    names it             lacks it              added (the file changed)
names it            names it             lacks it              left off: a person removed it
names it            does not name it     has it                removed (the file changed)
does not name it    does not name it     has it                kept: a person added it
unproven            names it             lacks it              added (the file wins)
unproven            does not name it     has it                kept: nothing is removed
==================  ===================  ====================  ==============================

The body is proven when the marker's hash is the hash of what the file renders now (nothing
changed: nothing to do, nothing read) or of the issue's own title and body (``pull.written_state``).
A blocker in another repository, or an issue batchsync does not own, is never touched.

A 404 on the list, asked twice, of an issue that exists is taken for a server without the API
only where no proven body of batchsync's names a blocker (``added_here``): where one does, the
API answered in this repository before, so the 404 is passing and that item alone waits for
the next run. Turning the feature off there would rewrite every "Blocked by" line, the only
record of which blockers batchsync added, and a removal the file asks for would never be made.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from batchsync.pull import file_changed, written_state
from batchsync.remote import Blocker, RemoteIssue
from batchsync.render import RenderedIssue, labels_of, written_blockers
from batchsync.workitem import WorkItem

__all__ = ["NO_API", "PASSING_404", "BlockerRef", "Blocking", "Reader", "added_here", "blocking"]

# The one warning of a run on a server without the dependencies API.
NO_API = (
    "the server has no issue dependencies API (404 on .../dependencies/blocked_by): "
    "dependencies are shown by the Dependencies line in each issue body only"
)

# Why an item waits when its list answered 404 twice in a repository where the API answered before.
PASSING_404 = "404 twice, yet batchsync added blockers in this repository before: a passing failure"

# Reads an issue's blockers in its own repository; a str says why the read failed.
Reader = Callable[[int], "Sequence[Blocker] | str"]


@dataclass(frozen=True)
class BlockerRef:
    """A blocker to add: the item's key, with its issue's number and id when known (None: the
    issue is created in this run, filled in when applied)."""

    key: str
    number: int | None = None
    id: int | None = None

    def __str__(self) -> str:
        return f"#{self.number}" if self.number is not None else f"'{self.key}' (new)"


@dataclass(frozen=True)
class Blocking:
    """The blocked-by writes one step makes, before the body that names them."""

    add: tuple[BlockerRef, ...] = ()
    remove: tuple[Blocker, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)

    @property
    def reason(self) -> str:
        """The writes in words, for the step's reason."""
        parts = []
        if self.add:
            parts.append("adds " + ", ".join(str(b) for b in self.add))
        if self.remove:
            parts.append("removes " + ", ".join(f"#{b.number}" for b in self.remove))
        return "blocked by: " + "; ".join(parts)


def blocking(
    issue: RemoteIssue | None,
    rendered: RenderedIssue,
    ours: Mapping[int, BlockerRef],
    created: Collection[str],
    read: Reader,
) -> Blocking | str:
    """The step's blocked-by writes (a str: why they cannot be decided: the list was unread).

    ``ours`` are the issues batchsync owns (by number: their item and id); ``created`` the
    dependency keys whose issues this run creates (the rendered body names them by key).
    GitHub's list is read only when the file's blockers differ from the proven base, or when
    the base is unproven and the file names some: an item with none, ever, costs no read.
    """
    wanted = (written_blockers(rendered.body) & ours.keys()) - _own(issue)
    new = tuple(BlockerRef(k) for k in created)
    if issue is None:  # a new issue has no blocker yet
        return Blocking(tuple(_refs(wanted, ours)) + new)
    base = _base(issue, rendered, ours)
    if not new and (base == wanted or (base is None and not wanted)):
        return Blocking()
    current = read(issue.number)
    if isinstance(current, str):
        return current
    here = {b.number: b for b in current if b.same_repository}
    adds = wanted - (base or frozenset()) - here.keys()
    removes = ((base or frozenset()) - wanted) & here.keys()
    return Blocking(tuple(_refs(adds, ours)) + new, tuple(here[n] for n in sorted(removes)))


def added_here(owned: Mapping[str, RemoteIssue], items: Iterable[WorkItem]) -> bool:
    """Whether batchsync added blocked-by relationships in this repository: an item's issue
    (``owned``, by key) has a proven body (hashed with the file's labels, so a label a person
    added proves nothing away) whose "Blocked by" line names an issue. Then the dependencies
    API answered here, and a 404 on it is never its absence."""
    return any(
        (issue := owned.get(item.key)) is not None
        and bool(written_blockers(issue.body))
        and written_state(issue, labels_of(item)) is not None
        for item in items
    )


def _base(
    issue: RemoteIssue, rendered: RenderedIssue, ours: Mapping[int, BlockerRef]
) -> frozenset[int] | None:
    """The blockers batchsync's last write named, or None when that write cannot be proven."""
    if not file_changed(issue, rendered):
        body = rendered.body  # nothing changed since: the file renders what was written
    elif written_state(issue, rendered.labels) is not None:
        body = issue.body
    else:
        return None
    return (written_blockers(body) & ours.keys()) - _own(issue)


def _own(issue: RemoteIssue | None) -> frozenset[int]:
    return frozenset() if issue is None else frozenset({issue.number})


def _refs(numbers: Collection[int], ours: Mapping[int, BlockerRef]) -> list[BlockerRef]:
    return [ours[n] for n in sorted(numbers)]
