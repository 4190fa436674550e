"""Plan what each work item needs on GitHub: create, update, unchanged, or close. Pure.

Conflict rule (also in docs/sync.md): the marker at the end of each issue body holds the hash of
what batchsync last wrote. An item is written only when its freshly rendered hash differs from
that hash. So edits made on GitHub (a new title, closing the issue, extra labels, a moved
sub-issue) survive as long as the local file does not change; once it changes, the local content
wins (title, body, open/closed state), but labels that people added on GitHub are kept: the new
label set is the rendered labels plus every remote label batchsync does not manage (managed:
``prd``, ``epic``, ``task`` and ``priority:*``).

Matching: an issue belongs to the item its marker names. An issue without a marker is adopted
through the item's local link (``github_issue`` / ``github:`` / the sync map) and rewritten with
a marker. An issue whose marker names another item that still exists is never taken over; one
whose marker names a key gone from the tree is the same file under a new key (CCPM renames
``001.md`` to ``<issue number>.md`` after its own sync) and is adopted through the link when its
kind matches, its marker rewritten under the new key.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from batchsync.items import Kind, WorkItem
from batchsync.render import Marker, RenderedIssue, is_managed_label, parse_marker

__all__ = [
    "PlanAction",
    "PlannedAction",
    "RemoteIndex",
    "RemoteIssue",
    "close_candidates",
    "decide",
    "index_issues",
    "kind_of_issue",
    "merged_labels",
    "needs_link",
]


@dataclass(frozen=True)
class RemoteIssue:
    """An issue as GitHub returned it, reduced to what the engine needs."""

    number: int
    id: int
    title: str
    body: str
    state: str
    labels: tuple[str, ...] = ()
    html_url: str = ""
    state_reason: str | None = None
    parent_number: int | None = None
    parent_known: bool = False  # the server reports parents (so parent_number None = none)
    sub_issues_total: int = 0  # from ``sub_issues_summary``: children already linked

    @functools.cached_property
    def marker(self) -> Marker | None:
        """The body's marker, parsed once (planning asks for it many times)."""
        return parse_marker(self.body)

    @property
    def marker_key(self) -> str | None:
        """The item key named by the body's marker, if any."""
        return self.marker.key if self.marker else None

    @property
    def marker_hash(self) -> str | None:
        """The content hash in the body's marker, if any."""
        return self.marker.content_hash if self.marker else None


@dataclass(frozen=True)
class RemoteIndex:
    """The repository's issues, by marker key and by number."""

    by_key: Mapping[str, RemoteIssue] = field(default_factory=dict)
    by_number: Mapping[int, RemoteIssue] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    linked_children: Mapping[int, int] = field(default_factory=dict)  # parent -> children seen

    @property
    def max_number(self) -> int:
        """The highest issue number seen (0 when none): anything above was created later."""
        return max(self.by_number, default=0)

    def match(self, item: WorkItem, present: Container[str] | None = None) -> RemoteIssue | None:
        """The issue that belongs to ``item``: by marker, else through its local link.

        ``present`` holds the keys of the items in the tree; without it, an issue marked for
        another key is never adopted.
        """
        found = self.by_key.get(item.key)
        if found is not None:
            return found
        if item.link is None:
            return None
        linked = self.by_number.get(item.link)
        if linked is None:
            return None
        old_key = linked.marker_key
        if old_key is None:
            return linked
        moved = present is not None and old_key not in present
        return linked if moved and kind_of_issue(linked) == item.kind.value else None

    def children_of(self, number: int) -> int:
        """How many sub-issues the issue ``number`` has, as far as the listing shows."""
        issue = self.by_number.get(number)
        counted = self.linked_children.get(number, 0)
        return max(counted, issue.sub_issues_total if issue else 0)


def index_issues(issues: Iterable[RemoteIssue]) -> RemoteIndex:
    """Index issues by marker key (the lowest number wins a duplicate) and by number."""
    by_number: dict[int, RemoteIssue] = {}
    by_key: dict[str, RemoteIssue] = {}
    warnings: list[str] = []
    children: dict[int, int] = {}
    for issue in sorted(issues, key=lambda i: i.number):
        by_number[issue.number] = issue
        if issue.parent_number is not None:
            children[issue.parent_number] = children.get(issue.parent_number, 0) + 1
        key = issue.marker_key
        if key is None:
            continue
        if key in by_key:
            warnings.append(
                f"issues #{by_key[key].number} and #{issue.number} both carry the marker of "
                f"'{key}': #{by_key[key].number} is used; close #{issue.number} as a duplicate"
            )
            continue
        by_key[key] = issue
    return RemoteIndex(by_key, by_number, tuple(warnings), children)


class PlanAction(enum.StrEnum):
    """What the plan does with one item or issue."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    CLOSE = "close"


@dataclass(frozen=True)
class PlannedAction:
    """One step of the plan, with the reason it was chosen."""

    action: PlanAction
    reason: str
    item: WorkItem | None = None
    issue: RemoteIssue | None = None
    rendered: RenderedIssue | None = None

    @property
    def key(self) -> str:
        """The item key (for a close, the key the issue's marker names)."""
        if self.item is not None:
            return self.item.key
        return (self.issue.marker_key if self.issue else None) or ""


def decide(item: WorkItem, issue: RemoteIssue | None, rendered: RenderedIssue) -> PlannedAction:
    """Create, update or leave one item, by comparing content hashes."""
    if issue is None:
        reason = "no issue carries its marker"
        if item.link is not None:
            reason += f" (the local link #{item.link} is gone or belongs to another item)"
        return PlannedAction(PlanAction.CREATE, reason, item, None, rendered)
    remote_hash = issue.marker_hash
    old_key = issue.marker_key
    if old_key is not None and old_key != item.key:
        return PlannedAction(
            PlanAction.UPDATE,
            f"adopts #{issue.number} through the local link (the file was '{old_key}')",
            item,
            issue,
            rendered,
        )
    if remote_hash is None:
        return PlannedAction(
            PlanAction.UPDATE,
            f"adopts #{issue.number} through the local link (no marker yet)",
            item,
            issue,
            rendered,
        )
    if remote_hash != rendered.content_hash:
        return PlannedAction(
            PlanAction.UPDATE,
            f"content changed since #{issue.number} was written",
            item,
            issue,
            rendered,
        )
    return PlannedAction(
        PlanAction.UNCHANGED, f"#{issue.number} matches the file", item, issue, rendered
    )


def merged_labels(rendered: Sequence[str], remote: Sequence[str]) -> tuple[str, ...]:
    """The labels to send on an update: ours, plus every remote label we do not manage."""
    ours = {label.lower() for label in rendered}
    kept = [r for r in remote if not is_managed_label(r) and r.lower() not in ours]
    return (*rendered, *kept)


def needs_link(issue: RemoteIssue | None, parent_number: int | None, *, written: bool) -> bool:
    """Whether the issue must be (re)linked under ``parent_number`` as a sub-issue.

    A missing link is always made (a run cut off between create and link leaves one). A link
    to another parent is replaced only when the item is being written: a child a person moved
    on GitHub stays where they put it until the file changes.
    """
    if parent_number is None:
        return False
    if issue is None:
        return True
    if not issue.parent_known:
        return False  # the server does not report parents: nothing to compare cheaply
    if issue.parent_number is None:
        return True
    return written and issue.parent_number != parent_number


def kind_of_issue(issue: RemoteIssue) -> str:
    """The kind of a managed issue, from its title prefix or labels ("" when unclear)."""
    for kind in Kind:
        if issue.title.startswith(kind.prefix):
            return kind.value
    lowered = {label.lower() for label in issue.labels}
    return next((k.value for k in Kind if k.value in lowered), "")


def close_candidates(
    index: RemoteIndex, items: Iterable[WorkItem], *, max_close: int
) -> tuple[tuple[PlannedAction, ...], tuple[str, ...]]:
    """Open issues whose marker names an item that no longer exists, and any warning.

    The caller calls this only after a complete, error-free scan of every kind. An issue that an
    item adopts through its link (a renamed file) is not closed. When more than ``max_close``
    issues qualify, none is closed: a mass removal is more likely a wrong ``path``.
    """
    items = tuple(items)
    present = {i.key for i in items}
    taken = {m.number for i in items if (m := index.match(i, present)) is not None}
    found = tuple(
        PlannedAction(
            PlanAction.CLOSE,
            f"the item '{key}' no longer exists in the tree",
            None,
            issue,
            None,
        )
        for key, issue in sorted(index.by_key.items(), key=lambda kv: kv[1].number)
        if key not in present and issue.state == "open" and issue.number not in taken
    )
    if len(found) > max_close:
        numbers = ", ".join(f"#{a.issue.number}" for a in found[:10] if a.issue)
        return (), (
            f"{len(found)} issues ({numbers}{', ...' if len(found) > 10 else ''}) name items that "
            f"no longer exist, more than max-close ({max_close}); none was closed. Check `path`, "
            f"or raise `max-close` to at least {len(found)} to close them",
        )
    return found, ()
