"""Plan what each work item needs on GitHub: create, update, unchanged, or close. Pure.

Conflict rule (also in docs/sync.md): the marker at the end of each issue body holds the hash of
what batchsync last wrote. An item is written only when its freshly rendered hash differs from
that hash. So edits made on GitHub (a new title, closing the issue, extra labels, a moved
sub-issue) survive as long as the local file does not change; once it changes, the local content
wins (title, body, open/closed state), but labels that people added on GitHub are kept: the new
label set is the rendered labels plus every remote label batchsync does not manage (managed:
``prd``, ``epic``, ``task`` and ``priority:*``).

Matching (who may be touched at all is ``ownership``'s rule): an issue belongs to the item its
marker names when its author is trusted. An issue without a marker is adopted through the item's
local link (``github_issue`` / ``github:`` / the sync map) when it is in the target repository and
is trusted or its title matches the item's, and rewritten with a marker. An issue whose marker
names another item that still exists is never taken over; one whose marker names a key gone from
the tree is the same file under a new key (CCPM renames ``001.md`` to ``<issue number>.md`` after
its own sync) and is adopted through the link when its kind matches, its marker rewritten under
the new key. An unmarked issue batchsync's own identity wrote under exactly the item's rendered
title is taken back (a person deleted the marker) instead of duplicated.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
import shlex
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from batchsync import defaults
from batchsync.blockers import BlockerRef, Blocking, Reader, blocking
from batchsync.errors import ItemError
from batchsync.items import Kind, LinkSource, ScanResult, WorkItem
from batchsync.marker import REMOVED, valid_namespace
from batchsync.ownership import Trust, title_matches
from batchsync.pull import Verdict, file_changed, three_way, written_state
from batchsync.remote import PARENT_UNNAMED, RemoteIssue
from batchsync.render import (
    RenderedIssue,
    is_managed_label,
    labels_of,
    marked_typed,
    render,
    written_references,
)

__all__ = [
    "NO_SUB_ISSUES_API",
    "Claim",
    "LinkFacts",
    "LinkPlan",
    "ParentRef",
    "Plan",
    "PlanAction",
    "PlanOptions",
    "PlannedAction",
    "RemoteIndex",
    "RemoteIssue",
    "claim_all",
    "close_candidates",
    "close_refusal",
    "content_written",
    "decide",
    "index_issues",
    "kind_of_issue",
    "link_line",
    "link_text",
    "links_wanted",
    "marks_typed",
    "merged_labels",
    "needs_link",
    "plan",
    "plan_links",
    "refuse_links",
    "type_to_set",
    "waves",
]


@dataclass(frozen=True)
class Claim:
    """The issue an item owns (or none), how it was found, and why a link was refused."""

    issue: RemoteIssue | None = None
    via: str = ""  # "marker", "link" (adopted through the local link), "takeback", "" for none
    refused: str | None = None  # the local link names an issue batchsync may not take


@dataclass(frozen=True)
class RemoteIndex:
    """The repository's issues, by marker key (trusted authors only) and by number."""

    by_key: Mapping[str, RemoteIssue] = field(default_factory=dict)
    by_number: Mapping[int, RemoteIssue] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    linked_children: Mapping[int, int] = field(default_factory=dict)  # parent -> children seen
    trust: Trust = field(default_factory=Trust)
    foreign: tuple[RemoteIssue, ...] = ()  # marked, but by an author batchsync does not trust
    unmarked_own: Mapping[str, tuple[RemoteIssue, ...]] = field(default_factory=dict)  # by title
    repository: str = ""  # owner/name: a link URL naming another repository is refused
    namespace: str = ""  # this tree's: only markers naming it (or none, see ``legacy``) are ours
    legacy: frozenset[int] = frozenset()  # ours through a marker without a namespace
    moved_from: str = ""  # the one other tree this default-named tree, with no issue, may be
    moved: Mapping[str, RemoteIssue] = field(default_factory=dict)  # that tree's, by key
    ambiguous: Mapping[int, RemoteIssue] = field(default_factory=dict)  # pasted marker lines
    blockers_added: bool = False  # batchsync added blocked-by relationships here (``added_here``)

    @property
    def max_number(self) -> int:
        """The highest issue number seen (0 when none): anything above was created later."""
        return max(self.by_number, default=0)

    def match(self, item: WorkItem, present: Container[str] | None = None) -> RemoteIssue | None:
        """The issue that belongs to ``item``: by marker, else through its local link.

        ``present`` holds the keys of the items in the tree; without it, an issue marked for
        another key is never adopted.
        """
        return self.claim(item, present).issue

    def claim(self, item: WorkItem, present: Container[str] | None = None) -> Claim:
        """Like ``match``, with how the issue was found and why a local link was refused."""
        found = self.by_key.get(item.key)
        if found is not None:
            return Claim(found, "legacy" if found.number in self.legacy else "marker")
        if item.link is None:
            return Claim()
        other = _other_repository(item.link_url, self.repository)
        if other:
            return Claim(
                refused=(
                    f"{link_text(item)} names an issue in another repository ({other}); "
                    f"batchsync syncs to {self.repository} only: link an issue of "
                    f"{self.repository}, or remove the link to create one"
                )
            )
        linked = self.by_number.get(item.link)
        if linked is None:
            return Claim()
        if linked.number in self.ambiguous:
            return Claim(refused=_ambiguous_item_message(linked))
        return self._through_link(item, linked, present)

    def _through_link(
        self, item: WorkItem, linked: RemoteIssue, present: Container[str] | None
    ) -> Claim:
        old_key = linked.marker_key
        trusted = self.trust.trusts(linked.author)
        tree = _tree_of(linked, self.namespace)
        if trusted and tree is not None:
            return Claim(refused=_other_tree_message(item, linked, tree))
        if old_key is not None and trusted and self.by_key.get(old_key) is linked:
            moved = present is not None and old_key not in present
            renamed = moved and kind_of_issue(linked) == item.kind.value
            return Claim(linked, "link") if renamed else Claim()
        if old_key == item.key:
            return Claim(linked, "link")  # adopted on an earlier run: the link is the trust
        if old_key is not None and present is not None and old_key in present:
            return Claim()  # another item's issue
        if trusted or title_matches(linked.title, item.title):
            return Claim(linked, "link")
        return Claim(refused=_not_adopted_message(item, linked))

    def take_back(self, rendered_title: str) -> RemoteIssue | None:
        """The one unmarked issue batchsync's own identity wrote under exactly this title."""
        found = self.unmarked_own.get(rendered_title, ())
        return found[0] if len(found) == 1 else None

    def children_of(self, number: int) -> int:
        """How many sub-issues the issue ``number`` has, as far as the listing shows."""
        issue = self.by_number.get(number)
        counted = self.linked_children.get(number, 0)
        total = issue.sub_issues_total if issue else None
        return max(counted, total or 0)

    def foreign_message(self, claimed: Container[int] = ()) -> str | None:
        """One warning naming every marked issue by an untrusted author, or None."""
        left = [i for i in self.foreign if i.number not in claimed]
        if not left:
            return None
        shown = "; ".join(
            f"#{i.number} by {i.author or 'an unknown author'} (key {i.marker_key!r})"
            for i in left[:20]
        )
        more = f"; and {len(left) - 20} more" if len(left) > 20 else ""
        return (
            f"{len(left)} issue(s) carry a batchsync marker but were written by an author "
            f"batchsync does not trust, so they were left alone: {shown}{more}. Only when an "
            "author is the account batchsync writes as (an App token, a person's token) add it "
            "to `trusted-authors`: batchsync then updates and closes every issue that author "
            "writes with a batchsync marker"
        )


def _other_tree_message(item: WorkItem, linked: RemoteIssue, tree: str) -> str:
    """Why a link to another tree's issue is refused; the same key means the tree moved."""
    link, number, key = link_text(item), linked.number, linked.marker_key
    if key != item.key or not valid_namespace(tree):
        return (
            f"{link} names #{number}, the issue of '{key}' in another tree (namespace "
            f"'{tree}'): fix the link"
        )
    return (
        f"{link} names #{number}, the issue of '{key}' in another tree (namespace '{tree}'), "
        "with this item's key: if this is that tree, moved or run from another "
        f"folder, set `namespace: {tree}` (`--namespace {shlex.quote(tree)}`) to keep its "
        "issues; otherwise fix the link"
    )


def _moved_message(index: RemoteIndex, held: RemoteIssue) -> str:
    """Why an item of a tree that may have moved gets no issue of its own."""
    other, ours = index.moved_from, index.namespace
    return (
        f"#{held.number} carries this item's key for the tree of namespace '{other}', and this "
        f"tree (namespace '{ours}', from its folder) has no issue at all: most likely the same "
        "tree, moved or run from another folder, so no second issue is made: set "
        f"`namespace: {other}` (`--namespace {shlex.quote(other)}`) to keep its issues; if "
        "this is a new tree, give it a `namespace` of its own"
    )


def _ambiguous_message(issue: RemoteIssue) -> str:
    """The warning for an issue whose marker lines name different items or trees."""
    names = ", ".join(
        f"'{m.key}'" + (f" (namespace '{m.namespace}')" if m.namespace else "")
        for m in issue.ambiguous
    )
    return (
        f"#{issue.number} carries batchsync marker lines of different items or trees ({names}), so "
        "batchsync leaves it alone: no update, no close, no adoption, and no second issue for "
        f"its item. A marker line was pasted into #{issue.number} by hand (copying an issue's "
        f"body copies its marker): take the pasted line, the one that is not #{issue.number}'s "
        "own, out of its body on GitHub"
    )


def _ambiguous_item_message(issue: RemoteIssue) -> str:
    """Why an item named by an issue with marker lines of several items gets no issue."""
    return (
        f"#{issue.number} carries this item's batchsync marker and another's (a line pasted in "
        "by hand), so it is neither written nor duplicated: take the pasted line out of "
        f"#{issue.number} (see the warning naming #{issue.number})"
    )


def _not_adopted_message(item: WorkItem, linked: RemoteIssue) -> str:
    """Why a linked issue was not adopted, and the ways out that never make a duplicate."""
    link, number, title, by = link_text(item), linked.number, linked.title, linked.author
    if not by:  # no login to trust: the title is the only way in
        return (
            f"{link} names #{number} by an unknown author, which batchsync did not write and "
            f"whose title ({title!r}) is not the item's, so it was not adopted: if #{number} "
            "is the item's issue, give it the item's title on GitHub; if it is not, fix the "
            "link to name the item's issue, or remove the link when the item has no issue yet"
        )
    return (
        f"{link} names #{number} by {by}, which batchsync did not write and whose title "
        f"({title!r}) is not the item's, so it was not adopted: if #{number} is the item's "
        f"issue, give it the item's title on GitHub, or add {by} to `trusted-authors` "
        f"(batchsync then adopts the issues {by} wrote that items link, and updates and "
        f"closes every issue {by} writes with a batchsync marker); if it is not, fix the "
        "link to name the item's issue, or remove the link when the item has no issue yet"
    )


def link_text(item: WorkItem) -> str:
    """How the item's local link reads in its file (or the sync map), for messages."""
    if item.link_source is LinkSource.SYNC_MAP:
        return f"the sync map's entry #{item.link}"
    for name in ("github_issue", "github"):
        if item.line_of(name) is not None:
            return f"`{name}: {item.link_url or item.link}`"
    return f"`{item.link_field}: {item.link_url or item.link}`"


def link_line(item: WorkItem) -> int | None:
    """The line of the item's local link in its file (None for the sync map)."""
    if item.link_source is LinkSource.SYNC_MAP:
        return None
    return item.line_of("github_issue") or item.line_of("github")


def _other_repository(url: str | None, repository: str) -> str | None:
    """``owner/name`` when the issue URL names a repository other than ``repository``."""
    if not url or not repository:
        return None
    found = _URL_REPO.search(url)
    if found is None:
        return None
    named = f"{found.group(1)}/{found.group(2)}"
    return None if named.lower() == repository.lower() else named


# owner/name in a web or API issue URL (github.com, GHES ``/api/v3``)
_URL_REPO = re.compile(
    r"^[a-z][a-z0-9+.-]*://[^/]+/(?:api/v3/)?(?:repos/)?([^/\s]+)/([^/\s]+)/issues/"
)


def _tree_of(issue: RemoteIssue, namespace: str) -> str | None:
    """The other tree (namespace) an issue's marker names, or None when it is this one's or
    names none."""
    marker = issue.marker
    return None if marker is None or marker.in_tree(namespace) else marker.namespace


def _held(issues: Iterable[RemoteIssue], trust: Trust) -> set[str]:
    """The keys a trusted namespaced marker holds (this tree's or another's): an old marker of
    such a key is left alone, since it may be another tree's not re-marked yet."""
    return {
        i.marker.key
        for i in issues
        if i.marker is not None and i.marker.namespace and trust.trusts(i.author)
    }


def _place(issue: RemoteIssue, trust: Trust, namespace: str, held: Container[str]) -> str:
    """Where an issue goes in the index: ``unmarked``, ``other`` (another tree's, or maybe),
    ``foreign`` (an untrusted author), ``legacy`` (ours, by a marker without a namespace) or
    ``ours``."""
    marker = issue.marker
    if issue.ambiguous:  # a marker line pasted in: no identity can be trusted
        return "ambiguous"
    if marker is None:
        return "unmarked"
    if _tree_of(issue, namespace) is not None:
        return "other"
    if not trust.trusts(issue.author):
        return "foreign"
    if not namespace or marker.namespace:
        return "ours"
    return "other" if marker.key in held else "legacy"


def index_issues(
    issues: Iterable[RemoteIssue],
    trust: Trust | None = None,
    *,
    repository: str = "",
    namespace: str = "",
    gone: Callable[[str], bool] | None = None,
) -> RemoteIndex:
    """Index issues by marker key and by number, by the ownership rule and the tree's namespace.

    Only marked issues by trusted authors are indexed by key; among duplicates, the one
    batchsync's own identity wrote wins over one marked by hand, then the lowest number. A
    marker naming another namespace is another tree's: never indexed, written or closed. A
    marker naming none (written before namespaces) is this tree's while no namespaced marker
    holds its key (see docs/sync.md, "Several trees in one repository"). With ``gone``
    (the namespace is the default, from the folder), a tree that holds no issue while exactly
    one other tree does, whose folder is ``gone``, keeps it as ``moved_from``: most likely
    this tree, moved.
    """
    trust = trust or Trust()
    ordered = sorted(issues, key=lambda i: i.number)
    held = _held(ordered, trust)
    by_number: dict[int, RemoteIssue] = {}
    holders: dict[str, list[RemoteIssue]] = {}
    foreign: list[RemoteIssue] = []
    unmarked: dict[str, list[RemoteIssue]] = {}
    children: dict[int, int] = {}
    legacy: set[int] = set()
    ambiguous: dict[int, RemoteIssue] = {}
    for issue in ordered:
        by_number[issue.number] = issue
        if issue.parent_number is not None:
            children[issue.parent_number] = children.get(issue.parent_number, 0) + 1
        key = issue.marker_key
        place = _place(issue, trust, namespace, held)
        if place == "unmarked" and trust.is_own(issue.author):
            unmarked.setdefault(issue.title, []).append(issue)
        elif place == "foreign":
            foreign.append(issue)
        elif place == "ambiguous":
            ambiguous[issue.number] = issue
        elif key is not None and place in ("ours", "legacy"):
            holders.setdefault(key, []).append(issue)
            legacy |= {issue.number} if place == "legacy" else set()
    by_key, warnings = _ranked(holders, trust)
    warnings += _ambiguous_warnings(ambiguous.values(), namespace)
    moved = _moved_tree(_other_trees(ordered, trust, namespace), gone) if not holders else None
    return RemoteIndex(
        by_key,
        by_number,
        tuple(warnings),
        children,
        trust,
        tuple(foreign),
        {title: tuple(found) for title, found in unmarked.items()},
        repository,
        namespace,
        frozenset(legacy),
        *(moved or ("", {})),
        ambiguous,
    )


def _ranked(
    holders: Mapping[str, Sequence[RemoteIssue]], trust: Trust
) -> tuple[dict[str, RemoteIssue], list[str]]:
    """Each key's issue (batchsync's own identity first, then the lowest number), and a warning
    for each duplicate."""
    by_key: dict[str, RemoteIssue] = {}
    warnings: list[str] = []
    for key, found in holders.items():
        ranked = sorted(found, key=lambda i: (trust.rank(i.author), i.number))
        by_key[key] = ranked[0]
        for extra in ranked[1:]:
            warnings.append(
                f"issues #{ranked[0].number} and #{extra.number} both carry the marker of "
                f"'{key}': #{ranked[0].number} is used; close #{extra.number} as a duplicate"
            )
    return by_key, warnings


def _ambiguous_warnings(issues: Iterable[RemoteIssue], namespace: str) -> list[str]:
    """A warning for each issue with marker lines of several items, one of them this tree's
    (or of no tree): another tree's are that tree's to report."""
    return [_ambiguous_message(i) for i in issues if any(m.in_tree(namespace) for m in i.ambiguous)]


def _other_trees(
    issues: Iterable[RemoteIssue], trust: Trust, namespace: str
) -> dict[str, dict[str, RemoteIssue]]:
    """Other trees' trusted issues, by namespace then key (the first of each key)."""
    trees: dict[str, dict[str, RemoteIssue]] = {}
    for issue in issues:
        tree = _tree_of(issue, namespace)
        if tree is not None and issue.marker is not None and trust.trusts(issue.author):
            trees.setdefault(tree, {}).setdefault(issue.marker.key, issue)
    return trees


def _moved_tree(
    trees: Mapping[str, Mapping[str, RemoteIssue]], gone: Callable[[str], bool] | None
) -> tuple[str, Mapping[str, RemoteIssue]] | None:
    """The one other tree, by key, when its folder is ``gone`` (a tree with no issue of its own
    asks): None for a namespace set by hand, several trees, or one still in its folder."""
    if gone is None or len(trees) != 1:
        return None
    tree, issues = next(iter(trees.items()))
    return (tree, issues) if valid_namespace(tree) and gone(tree) else None


def claim_all(index: RemoteIndex, items: Sequence[WorkItem]) -> dict[str, Claim]:
    """Each item's claim, by item key: one issue belongs to one item at most.

    An item that finds no issue takes back the one unmarked issue batchsync's own identity wrote
    under exactly its rendered title (when no other item renders that title), and is refused
    when only an untrusted issue carries its marker: creating a second one would duplicate it
    on every run if that author is in fact batchsync's (an App token not in
    ``trusted-authors``).
    """
    present = {i.key for i in items}
    titles = {i.key: render(i, {}).title for i in items}
    counts = Counter(titles.values())
    claims: dict[str, Claim] = {}
    for item in items:
        found = index.claim(item, present)
        if found.issue is None and found.refused is None:
            found = _unclaimed(
                index, item, titles[item.key] if counts[titles[item.key]] == 1 else ""
            )
        claims[item.key] = found
    return _one_item_per_issue(claims, {i.key: i for i in items})


def _unclaimed(index: RemoteIndex, item: WorkItem, title: str) -> Claim:
    held = next((i for i in index.foreign if i.marker_key == item.key), None)
    if held is not None:
        by = held.author or "an unknown author"
        return Claim(
            refused=(
                f"#{held.number} carries this item's batchsync marker but was written by {by}, "
                "whom batchsync does not trust, so no second issue is made: if #"
                f"{held.number} is the item's issue, written as {by} (an App token, a person's "
                f"token), add {by} to `trusted-authors`: batchsync then updates and closes "
                f"every issue {by} writes with a batchsync marker. If the marker was copied "
                f"into #{held.number} by hand, take the copied line out of #{held.number}"
            )
        )
    pasted = next((i for i in index.ambiguous.values() if _names(i, item.key, index)), None)
    if pasted is not None:
        return Claim(refused=_ambiguous_item_message(pasted))
    moved = index.moved.get(item.key)
    if moved is not None:
        return Claim(refused=_moved_message(index, moved))
    taken = index.take_back(title) if title else None
    return Claim(taken, "takeback") if taken is not None else Claim()


def _names(issue: RemoteIssue, key: str, index: RemoteIndex) -> bool:
    """Whether one of the issue's marker lines names ``key`` in this tree (or in none)."""
    return any(m.key == key and m.in_tree(index.namespace) for m in issue.ambiguous)


def _one_item_per_issue(
    claims: dict[str, Claim], items: Mapping[str, WorkItem]
) -> dict[str, Claim]:
    holders: dict[int, list[str]] = {}
    for key, found in claims.items():
        if found.issue is not None:
            holders.setdefault(found.issue.number, []).append(key)
    for number, keys in holders.items():
        if len(keys) < 2:
            continue
        keep = next((k for k in keys if claims[k].via == "marker"), sorted(keys)[0])
        for key in keys:
            if key != keep:
                lost = claims[key].via == "takeback"
                why = (
                    f"{link_text(items[key])} names #{number}, which is already the issue of "
                    f"'{keep}': fix the link"
                )
                claims[key] = Claim() if lost else Claim(refused=why)
    return claims


class PlanAction(enum.StrEnum):
    """What the plan does with one item or issue."""

    CREATE = "create"
    UPDATE = "update"
    ADOPT = "adopt"  # an update that gives an issue the item's marker (a link, a take-back)
    UNCHANGED = "unchanged"
    CLOSE = "close"
    LINK = "link"  # the issue matches the file; only its sub-issue link is written
    PULL = "pull"  # GitHub's close or reopen goes into the file's status (two-way)
    SKIP = "skip"  # the item cannot be synced as it stands: its reason says what to fix


@dataclass(frozen=True)
class ParentRef:
    """The issue a child goes under: a number, a placeholder for one this run creates, or none."""

    key: str
    number: int | None = None  # None: created in this run (``created``), or never synced
    created: bool = True  # with no number: the parent's issue is created in this run

    def __str__(self) -> str:
        if self.number is not None:
            return f"#{self.number}"
        return f"'{self.key}' (new)" if self.created else f"'{self.key}' (not synced)"


@dataclass(frozen=True)
class LinkPlan:
    """The sub-issue link a step writes under its ``parent`` (``plan_links`` decides it)."""

    replace: bool = False  # the issue is under another parent now: moved from there
    refused: str | None = None  # the link cannot be made: the step fails with this, after its write


@dataclass(frozen=True)
class PlannedAction:
    """One step of the plan, with the reason it was chosen."""

    action: PlanAction
    reason: str
    item: WorkItem | None = None
    issue: RemoteIssue | None = None
    rendered: RenderedIssue | None = None
    parent: ParentRef | None = None  # where the item's issue belongs as a sub-issue
    line: int | None = None  # for a skip: the line of the file to fix
    after: tuple[str, ...] = ()  # items created in this run that its body names (filled in)
    via: str = ""  # how the issue was found (``Claim.via``): "takeback" is reported when done
    pulled: str | None = None  # for a pull: the status word written into the file
    issue_type: str | None = None  # the issue type its write sets (``type_to_set``); None: none
    blocking: Blocking = field(default_factory=Blocking)  # blocked-by writes before its body
    link: LinkPlan | None = None  # the sub-issue link it writes (``plan_links``); None: none
    changed: bool = False  # the file changed since batchsync last wrote the issue (``decide``)

    @property
    def summary(self) -> str:
        """The step in one line, as the dry run shows it."""
        what = self.action.value
        if self.issue is not None and self.action is not PlanAction.CREATE:
            what += f" #{self.issue.number}"
        under = f", under {self.parent}" if self.parent is not None else ""
        return f"{what} {self.key}{under}: {self.reason}"

    @property
    def kind(self) -> str:
        """The item's kind (for a close, the kind of the issue)."""
        if self.item is not None:
            return self.item.kind.value
        return kind_of_issue(self.issue) if self.issue is not None else ""

    @property
    def path(self) -> str:
        """The item's file, relative to the base folder ("" for a close)."""
        return self.item.path if self.item is not None else ""

    @property
    def key(self) -> str:
        """The item key (for a close, the key the issue's marker names)."""
        if self.item is not None:
            return self.item.key
        return (self.issue.marker_key if self.issue else None) or ""


@dataclass(frozen=True)
class PlanOptions:
    """What the plan may include besides the items: closing removed items."""

    close_removed: bool = defaults.CLOSE_REMOVED
    max_close: int = defaults.MAX_CLOSE
    all_kinds: bool = True  # closing removed items needs a scan of every kind
    pull: bool = defaults.PULL  # two-way status (``pull.three_way``)
    issue_types: Mapping[Kind, str] = field(default_factory=dict)  # resolved: issuetypes
    blocked_by: bool = defaults.BLOCKED_BY  # dependencies as blocked-by relationships (blockers)


@dataclass(frozen=True)
class Plan:
    """Every step of one run, decided before anything is sent: the applier's only input.

    ``steps`` holds one step per item (scan order): create, update (adopt, take back),
    unchanged, or skip, each with its reason and the parent it belongs under (a placeholder
    when that parent is created in the same run). ``order`` runs them in waves, each after the
    items it names. A body that names an issue created in this run is rendered with its number
    when applied (``PlannedAction.after``); one that names an issue created in the same or a
    later wave (a dependency cycle, a reference to a later kind) is completed by a
    ``followups`` step once every create is done, so a first sync leaves nothing for the next.
    ``closes`` are the removed items' issues. ``numbers`` are the issue numbers known before
    the run.
    """

    steps: tuple[PlannedAction, ...] = ()
    closes: tuple[PlannedAction, ...] = ()
    claims: Mapping[str, Claim] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    close_error: str | None = None  # close-removed refused: reported as one failure
    order: tuple[tuple[str, ...], ...] = ()  # item keys in waves
    followups: tuple[PlannedAction, ...] = ()
    numbers: Mapping[str, int] = field(default_factory=dict)
    pasted: frozenset[int] = frozenset()  # issues holding pasted marker lines: no link under them

    @functools.cached_property
    def _by_key(self) -> Mapping[str, PlannedAction]:
        return {s.key: s for s in self.steps}

    def step(self, key: str) -> PlannedAction | None:
        """The step of the item ``key``."""
        return self._by_key.get(key)

    def waves(self) -> list[list[PlannedAction]]:
        """The item steps in execution order, wave by wave."""
        return [[self._by_key[key] for key in wave] for wave in self.order]

    def lines(self) -> list[str]:
        """The plan as text, one step a line (what ``--dry-run`` decides)."""
        done = [s.summary for s in (*self.steps, *self.closes)]
        return done + [f"then {s.summary}" for s in self.followups]

    def count(self, action: PlanAction) -> int:
        """How many steps (closes included) are ``action``."""
        return sum(1 for s in (*self.steps, *self.closes) if s.action is action)


def plan(
    scanned: ScanResult,
    index: RemoteIndex,
    options: PlanOptions | None = None,
    read: Reader | None = None,
) -> Plan:
    """The whole run as a value: each item's step, their order, the closes, and why.

    Pure but for ``read``, which gives GitHub's blocked-by list of an issue whose blockers the
    step may change (``blockers.blocking``), with ``blocked_by`` on.
    """
    options = options or PlanOptions()
    if index.namespace:  # every marker this run writes names its tree
        scanned = _in_namespace(scanned, index.namespace)
    items = scanned.items
    claims = claim_all(index, items)
    owned = dict(index.by_key)
    owned.update({k: c.issue for k, c in claims.items() if c.issue is not None})
    numbers = _pasted_numbers(index, items, owned)
    numbers.update({key: issue.number for key, issue in owned.items()})
    ours = {i.number: BlockerRef(k, i.number, i.id) for k, i in owned.items()}
    blocked: Callable[[PlannedAction], PlannedAction] = _same
    if options.blocked_by and read is not None:
        blocked = functools.partial(_blocked, ours=ours, read=read)
    steps, order, followups = _ordered_steps(items, claims, numbers, options, blocked)
    base = Plan(steps, (), claims, order=order, followups=followups, numbers=numbers)
    base = dataclasses.replace(base, pasted=frozenset(index.ambiguous))
    if not options.close_removed:
        return base
    refused = close_refusal(scanned)
    if refused is not None:
        return dataclasses.replace(base, close_error=refused)
    closes, warnings = _closes(scanned, index, options)
    return dataclasses.replace(base, closes=closes, warnings=warnings)


def _pasted_numbers(
    index: RemoteIndex, items: Sequence[WorkItem], owned: Mapping[str, RemoteIssue]
) -> dict[str, int]:
    """The issue numbers references keep for items whose issue holds a pasted marker line.

    Such an issue is never written (``_unclaimed``) nor linked under (``_linked``), but the
    issues naming it keep its number (a blocker, a parent): a paste, or taking it out again,
    rewrites nothing else. Its number is kept only when exactly one of its lines names an item
    of this tree that no other issue holds, batchsync trusts its author, and every item that
    references that item has a proven body naming the number already: kept, it is written into
    no body that did not hold it (an epic whose own issue is gone never borrows it).
    """
    present = {i.key for i in items}
    numbers: dict[str, int] = {}
    for issue in index.ambiguous.values():
        if not index.trust.trusts(issue.author):
            continue
        keys = {
            m.key
            for m in issue.ambiguous
            if m.in_tree(index.namespace) and m.key in present and m.key not in owned
        }
        if len(keys) == 1 and _named_already(key := keys.pop(), issue.number, items, owned):
            numbers.setdefault(key, issue.number)
    return numbers


def _named_already(
    key: str, number: int, items: Sequence[WorkItem], owned: Mapping[str, RemoteIssue]
) -> bool:
    """Whether every item referencing ``key`` that has an issue already names #number there, in
    a body proven batchsync's (hashed with the file's labels: a person's label proves nothing
    away); an item with no issue yet rewrites no body."""
    referring = (i for i in items if i.parent_key == key or key in i.dependencies)
    return all(
        written_state(issue, labels_of(i)) is not None and number in written_references(issue.body)
        for i in referring
        if (issue := owned.get(i.key)) is not None
    )


def _in_namespace(scanned: ScanResult, namespace: str) -> ScanResult:
    """The scan with every item in ``namespace`` (the marker each renders names it)."""
    return dataclasses.replace(
        scanned,
        items=tuple(dataclasses.replace(i, namespace=namespace) for i in scanned.items),
        archived=tuple(dataclasses.replace(i, namespace=namespace) for i in scanned.archived),
    )


def _ordered_steps(
    items: Sequence[WorkItem],
    claims: Mapping[str, Claim],
    numbers: Mapping[str, int],
    options: PlanOptions,
    blocked: Callable[[PlannedAction], PlannedAction],
) -> tuple[tuple[PlannedAction, ...], tuple[tuple[str, ...], ...], tuple[PlannedAction, ...]]:
    """Each item's step, the waves they run in, and the follow-ups that complete references."""
    first = [_step(item, claims[item.key], numbers, options) for item in items]
    created = {s.key for s in first if s.action is PlanAction.CREATE}
    order = tuple(tuple(i.key for i in wave) for wave in waves(items))
    wave_of = {key: n for n, wave in enumerate(order) for key in wave}
    steps = tuple(blocked(_filled(s, created)) for s in _parents(first, created))
    followups = tuple(f for s in steps if (f := _followup(s, wave_of)) is not None)
    return steps, order, followups


def _same(step: PlannedAction) -> PlannedAction:
    return step


def _blocked(step: PlannedAction, *, ours: Mapping[int, BlockerRef], read: Reader) -> PlannedAction:
    """The step with the blocked-by writes it makes before its body (``blockers.blocking``)."""
    if step.item is None or step.rendered is None or step.action is PlanAction.SKIP:
        return step
    created = [k for k in step.after if k in step.item.dependencies]
    found = blocking(step.issue, step.rendered, ours, created, read)
    if isinstance(found, str):
        number = step.issue.number if step.issue is not None else 0
        why = (
            f"#{number}'s blocked-by list could not be read ({found}): nothing was written; "
            "the next run tries again"
        )
        return PlannedAction(PlanAction.SKIP, why, step.item, step.issue)
    if not found:
        return step
    action = PlanAction.UPDATE if step.action is PlanAction.UNCHANGED else step.action
    why = f"{step.reason}; {found.reason}"
    return dataclasses.replace(step, action=action, reason=why, blocking=found)


def refuse_links(planned: Plan, refused: Mapping[int, str]) -> Plan:
    """The plan with every item whose local link names an issue in ``refused`` (number -> why:
    transferred, moved) skipped with that reason: such an issue is never read or written, and
    no second one is made in its place."""
    if not refused:
        return planned
    steps = tuple(_refused(s, refused) for s in planned.steps)
    return dataclasses.replace(planned, steps=steps)


def _refused(step: PlannedAction, refused: Mapping[int, str]) -> PlannedAction:
    item = step.item
    why = refused.get(item.link) if item is not None and item.link is not None else None
    if item is None or why is None or step.action is not PlanAction.CREATE:
        return step
    return PlannedAction(PlanAction.SKIP, why, item, line=link_line(item))


# ---- sub-issue links: decided here from facts read before the plan (``subissues.read_facts``)


@dataclass(frozen=True)
class LinkFacts:
    """What GitHub says of the issues a plan may link under their parents, read before it."""

    parents: Mapping[int, int | None] = field(default_factory=dict)  # child -> its parent now
    removed: Mapping[int, int | None] = field(default_factory=dict)  # child -> last taken out of
    refused: Mapping[int, str] = field(default_factory=dict)  # child -> why it cannot be linked
    counts: Mapping[int, int] = field(default_factory=dict)  # parent -> sub-issues read
    history: bool = True  # False: the server keeps no timeline batchsync can read (no GraphQL)
    api: bool = True  # False: the server has no sub-issues API (404): nothing is linked


def needs_link(current: int | None, parent_number: int | None, *, written: bool) -> bool:
    """Whether an issue whose parent is ``current`` (a fact) must be linked under ``parent_number``.

    A missing link is made unless a person took the issue out (``plan_links`` reads that from its
    timeline). A link to another parent is replaced only when the item is being written: a
    child a person moved on GitHub stays where they put it until the file changes.
    """
    if parent_number is None or current == parent_number:
        return False
    return current is None or written


def content_written(step: PlannedAction) -> bool:
    """Whether the step writes content because the file changed since batchsync's last write
    (``decide``, by ``pull.file_changed``). A type, a marker, blocked-by writes, a status pulled
    from GitHub or a marker taken back do not: a change that came from GitHub is no file
    change, so a child a person moved or took out stays where they put it (``needs_link``)."""
    return step.changed and step.action not in (PlanAction.UNCHANGED, PlanAction.LINK)


def links_wanted(planned: Plan) -> list[tuple[RemoteIssue, int, bool]]:
    """The (issue, its file's parent, content written) whose facts ``plan_links`` needs: every
    existing issue whose parent's issue exists too."""
    return [
        (s.issue, s.parent.number, content_written(s))
        for s in planned.steps
        if s.issue is not None
        and s.parent is not None
        and s.parent.number is not None
        and s.action is not PlanAction.SKIP
    ]


# the one warning of a run whose server has no sub-issues API (read before the plan, or met
# by a link: ``subissues.SubIssueLinks``)
NO_SUB_ISSUES_API = (
    "the server has no sub-issues API (404 on .../sub_issues): the "
    "hierarchy is shown by the parent line in each issue body only"
)


def plan_links(planned: Plan, facts: LinkFacts) -> Plan:
    """The plan with every sub-issue link it writes, each said in its step's reason."""
    if not facts.api:
        return dataclasses.replace(planned, warnings=(*planned.warnings, NO_SUB_ISSUES_API))
    steps = tuple(_linked(s, facts, planned.pasted) for s in planned.steps)
    return dataclasses.replace(planned, steps=steps)


def _linked(step: PlannedAction, facts: LinkFacts, pasted: Container[int]) -> PlannedAction:
    """One step's link: a new issue goes under its parent; an existing one by ``_link_of``.
    Never under an issue holding pasted marker lines: batchsync takes it for no item's issue."""
    ref = step.parent
    if ref is None or step.action is PlanAction.SKIP or (ref.number is None and not ref.created):
        return step
    if ref.number in pasted:
        why = (
            f"not linked under #{ref.number}: it holds batchsync marker lines pasted from "
            "other issues, so it is no item's issue"
        )
        return dataclasses.replace(step, reason=f"{step.reason}; {why}")
    if step.action is PlanAction.CREATE:
        return dataclasses.replace(step, link=LinkPlan())
    assert step.issue is not None
    if ref.number is None:  # its parent is created in this run: the file's parent, written
        why = f"goes under {ref}"
        return _with_link(step, LinkPlan(replace=True), why)
    return _link_of(step, step.issue, ref.number, facts)


def _link_of(
    step: PlannedAction, issue: RemoteIssue, parent: int, facts: LinkFacts
) -> PlannedAction:
    """An existing issue's link under ``parent``, from the facts.

    Under no parent while batchsync's last write holds (no change in the file): a person took it
    out when its timeline's last removal names ``parent``, and that is kept; no removal means a
    run was cut off between create and link, which is finished. A server without that history
    (no GraphQL) cannot tell the two apart: nothing is written and the reason says so.
    """
    number = issue.number
    if number in facts.refused:
        return dataclasses.replace(step, link=LinkPlan(refused=facts.refused[number]))
    if number not in facts.parents or number == parent:
        return step
    current, written = facts.parents[number], content_written(step)
    if not needs_link(current, parent, written=written):
        return step
    if current is not None:
        return _with_link(step, LinkPlan(replace=True), f"moved under #{parent} from #{current}")
    if written:
        return _with_link(step, LinkPlan(), f"linked under #{parent}")
    return _unlinked(step, number, parent, facts)


def _unlinked(step: PlannedAction, number: int, parent: int, facts: LinkFacts) -> PlannedAction:
    """An issue under no parent whose content batchsync's last write holds (``_link_of``)."""
    if not facts.history:
        why = (
            f"#{number} is under no parent on GitHub and this server keeps no history batchsync "
            f"can read (no GraphQL) to tell whether a person took it out of #{parent} or a run "
            "was cut off before linking it: left as it is; link it on GitHub, or change the "
            "file, to have it linked"
        )
        return dataclasses.replace(step, reason=f"{step.reason}; {why}")
    removed = facts.removed.get(number)
    if removed in (parent, PARENT_UNNAMED):
        # a parent the answer cannot name (deleted, unreadable) may be this one: a person's
        # move is never undone on a guess
        source = f"#{parent}" if removed == parent else "a parent (no longer readable)"
        why = (
            f"#{number} was taken out of {source} on GitHub; kept; change the file's parent to "
            "link it again"
        )
        return dataclasses.replace(step, reason=f"{step.reason}; {why}")
    why = f"linked under #{parent} (a run stopped before linking it)"
    return _with_link(step, LinkPlan(), why)


def _with_link(step: PlannedAction, link: LinkPlan, why: str) -> PlannedAction:
    """The step writing ``link``: one that writes nothing else becomes a ``LINK`` step."""
    if step.action is PlanAction.UNCHANGED:
        return dataclasses.replace(step, action=PlanAction.LINK, reason=why, link=link)
    return dataclasses.replace(step, reason=f"{step.reason}; {why}", link=link)


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


def _named(item: WorkItem) -> tuple[str, ...]:
    """The item keys the item's body names: its parent and its dependencies."""
    named = (item.parent_key, *item.dependencies) if item.parent_key else item.dependencies
    return tuple(dict.fromkeys(k for k in named if not k.startswith("#") and k != item.key))


def _filled(step: PlannedAction, created: Container[str]) -> PlannedAction:
    """The step with the items its body names that get their issue in this run.

    An unchanged issue whose body will name a new issue's number is updated once it exists.
    """
    if step.item is None or step.action is PlanAction.SKIP:
        return step
    after = tuple(k for k in _named(step.item) if k in created)
    if not after:
        return step
    if step.action is PlanAction.UNCHANGED and step.issue is not None:
        names = ", ".join(f"'{k}'" for k in after)
        why = f"#{step.issue.number} will name {names}, created in this run"
        return dataclasses.replace(step, action=PlanAction.UPDATE, reason=why, after=after)
    return dataclasses.replace(step, after=after)


def _followup(step: PlannedAction, wave_of: Mapping[str, int]) -> PlannedAction | None:
    """A second write for a body that names an issue created in its own or a later wave."""
    if step.item is None:
        return None
    mine = wave_of.get(step.item.key, 0)
    late = [k for k in step.after if wave_of.get(k, -1) >= mine]
    if not late:
        return None
    names = ", ".join(f"'{k}'" for k in late)
    why = f"completes its reference to {names}, created after it in this run"
    return dataclasses.replace(
        step, action=PlanAction.UPDATE, reason=why, rendered=None, issue_type=None
    )


def _closes(
    scanned: ScanResult, index: RemoteIndex, options: PlanOptions
) -> tuple[tuple[PlannedAction, ...], tuple[str, ...]]:
    why = ""
    if scanned.errors:
        why = f"{len(scanned.errors)} file(s) could not be read"
    elif not options.all_kinds:
        why = "only some kinds were synced (type is not 'all')"
    if why:
        return (), (f"close-removed skipped: {why}; nothing was closed",)
    return close_candidates(
        index, scanned.items, max_close=options.max_close, archived=scanned.archived
    )


def _step(
    item: WorkItem, claim: Claim, numbers: Mapping[str, int], options: PlanOptions
) -> PlannedAction:
    if claim.refused is not None:
        return PlannedAction(PlanAction.SKIP, claim.refused, item, line=link_line(item))
    try:
        rendered = render(item, numbers, blocks=options.blocked_by)
    except ItemError as exc:
        return PlannedAction(PlanAction.SKIP, exc.message, item, line=exc.line)
    step = decide(item, claim.issue, rendered, via=claim.via)
    if (
        options.pull
        and claim.via == "marker"
        and claim.issue is not None
        and not _flag(claim.issue)
    ):
        step = _two_way(step, claim.issue, rendered, numbers)
    step = _typed(step, options.issue_types.get(item.kind))
    if item.parent_key is None:
        return step
    parent = ParentRef(item.parent_key, numbers.get(item.parent_key))
    return dataclasses.replace(step, parent=parent)


def _two_way(
    step: PlannedAction, issue: RemoteIssue, rendered: RenderedIssue, numbers: Mapping[str, int]
) -> PlannedAction:
    """The step once GitHub's side of the state is heard (``pull.three_way``)."""
    assert step.item is not None
    found = three_way(step.item, issue, rendered, numbers)
    moved = "closed" if issue.state == "closed" else "reopened"
    if found.verdict is Verdict.PULL:
        why = (
            f"#{issue.number} was {moved} on GitHub since batchsync wrote it: "
            f"status '{found.word}' is written to the file"
        )
        return dataclasses.replace(
            step, action=PlanAction.PULL, reason=why, rendered=found.rendered, pulled=found.word
        )
    if found.verdict is Verdict.CONFLICT:
        why = (
            f"conflict: the file's status changed from {found.written or '(none)'!r} to "
            f"{step.item.status!r} and #{issue.number} was {moved} on GitHub since batchsync "
            "wrote it; nothing was written on either side: set `status` to the state it "
            "should have, or reopen or close the issue to match the file"
        )
        return PlannedAction(PlanAction.SKIP, why, step.item, line=step.item.line_of("status"))
    return step


def type_to_set(issue: RemoteIssue | None, wanted: str | None) -> str | None:
    """The issue type a write sets: ``wanted`` on a new issue, or on one never typed.

    A type already on the issue is kept, whoever set it (a person's choice, or batchsync's on
    an earlier run under another mapping): it is never written over. An issue without a type
    whose marker says it has had one (``typed``) was untyped by a person: that is their last
    word, never fought by typing it again. An answer without ``type`` (a server that does not
    send it) is no fact, so nothing is written on it: the next run sees the same answer and
    writes nothing either.
    """
    if wanted is None:
        return None
    if issue is None:
        return wanted
    return wanted if _bare(issue) and not _was_typed(issue) else None


def marks_typed(issue: RemoteIssue | None, setting: str | None) -> bool:
    """Whether a write's marker says the issue has had a type (the marker's ``typed`` token).

    True when the write sets one, when the issue holds one, and once the marker said so: the
    token is never dropped (the setting turned off and on again types no issue twice).
    """
    if setting is not None:
        return True
    if issue is None:
        return False
    return _was_typed(issue) or (issue.type_known and issue.issue_type is not None)


def _bare(issue: RemoteIssue) -> bool:
    """The answer shows the issue has no type (one without ``type`` shows nothing)."""
    return issue.type_known and issue.issue_type is None


def _was_typed(issue: RemoteIssue) -> bool:
    """The issue's marker says it has had a type (``marks_typed``)."""
    marker = issue.marker
    return marker is not None and marker.typed


def _typed(step: PlannedAction, wanted: str | None) -> PlannedAction:
    """The step with the issue type its write sets and its marker's ``typed`` token.

    An unchanged issue never typed is updated once; one a person untyped is left, said so.
    """
    if step.action is PlanAction.SKIP or step.rendered is None:
        return step
    setting = type_to_set(step.issue, wanted)
    rendered = marked_typed(step.rendered, marks_typed(step.issue, setting))
    step = dataclasses.replace(step, rendered=rendered)
    if setting is None:
        return _untyped(step, wanted)
    if step.action is PlanAction.UNCHANGED and step.issue is not None:
        why = f"#{step.issue.number} has no issue type: sets {setting!r}"
        return dataclasses.replace(step, action=PlanAction.UPDATE, reason=why, issue_type=setting)
    why = f"{step.reason}; type {setting!r}"
    return dataclasses.replace(step, reason=why, issue_type=setting)


def _untyped(step: PlannedAction, wanted: str | None) -> PlannedAction:
    """The step, its reason saying when a person took off the type batchsync had set."""
    issue = step.issue
    if wanted is None or issue is None or not (_bare(issue) and _was_typed(issue)):
        return step
    why = f"{step.reason}; no issue type: a person took it off, so {wanted!r} is not set again"
    return dataclasses.replace(step, reason=why)


def _parents(steps: Sequence[PlannedAction], created: Container[str]) -> list[PlannedAction]:
    """Each step's parent placeholder says whether that parent is created in this run."""
    return [
        dataclasses.replace(s, parent=dataclasses.replace(s.parent, created=False))
        if s.parent is not None and s.parent.number is None and s.parent.key not in created
        else s
        for s in steps
    ]


def close_refusal(scanned: ScanResult) -> str | None:
    """Why closing removed items is unsafe for this scan (an error, not a warning), or None."""
    if scanned.unreadable:
        shown = ", ".join(e.path for e in scanned.unreadable[:5])
        more = ", ..." if len(scanned.unreadable) > 5 else ""
        return (
            f"close-removed closed nothing: {len(scanned.unreadable)} file(s) or folder(s) "
            f"could not be read ({shown}{more}), so a missing item may only be unreadable; "
            "fix their permissions and run again"
        )
    if not scanned.items:
        return (
            "close-removed closed nothing: the scan found no work item under `path`; check "
            "`path` (an empty or wrong folder would otherwise close every issue)"
        )
    return None


def decide(
    item: WorkItem, issue: RemoteIssue | None, rendered: RenderedIssue, *, via: str = ""
) -> PlannedAction:
    """Create, update or leave one item, by comparing content hashes.

    ``via`` says how ``issue`` was found (``Claim.via``): an issue taken back after its marker
    was deleted is rewritten with the marker even when nothing else changed.
    """
    if issue is None:
        why = "no issue carries its marker"
        if item.link is not None:
            why += f" (the local link #{item.link} is gone or belongs to another item)"
        return PlannedAction(PlanAction.CREATE, why, item, None, rendered, changed=True)
    changed = file_changed(issue, rendered)
    by = issue.author or "an unknown author"
    old_key = issue.marker_key
    adopting: str | None = None
    if via == "takeback":
        adopting = f"takes back #{issue.number} by {by} (its batchsync marker was removed)"
    elif old_key is not None and old_key != item.key:
        adopting = (
            f"adopts #{issue.number} by {by} through the local link (the file was '{old_key}')"
        )
    elif old_key is None:
        adopting = f"adopts #{issue.number} by {by} through the local link (no marker yet)"
    elif _flag(issue):  # written even when the content matches: reopened, the flag cleared
        adopting = f"its file is back: #{issue.number}, closed as removed, is the item's again"
    if adopting is not None:  # written even when the content matches: the marker is new
        changed = changed and via != "takeback"  # a person removed the marker: not the file
        return PlannedAction(
            PlanAction.ADOPT, adopting, item, issue, rendered, via=via, changed=changed
        )
    if changed:
        why = f"content changed since #{issue.number} was written"
        return PlannedAction(PlanAction.UPDATE, why, item, issue, rendered, changed=True)
    if via == "legacy":  # a write of the marker line alone (apply): GitHub's edits stay
        why = f"#{issue.number} matches the file; its marker gets this tree's namespace"
        return PlannedAction(PlanAction.UPDATE, why, item, issue, rendered, via=via)
    return PlannedAction(
        PlanAction.UNCHANGED, f"#{issue.number} matches the file", item, issue, rendered
    )


def merged_labels(rendered: Sequence[str], remote: Sequence[str]) -> tuple[str, ...]:
    """The labels to send on an update: ours, plus every remote label we do not manage."""
    ours = {label.lower() for label in rendered}
    kept = [r for r in remote if not is_managed_label(r) and r.lower() not in ours]
    return (*rendered, *kept)


def kind_of_issue(issue: RemoteIssue) -> str:
    """The kind of a managed issue, from its title prefix or labels ("" when unclear)."""
    for kind in Kind:
        if issue.title.startswith(kind.prefix):
            return kind.value
    lowered = {label.lower() for label in issue.labels}
    return next((k.value for k in Kind if k.value in lowered), "")


_ARCHIVE_PREFIX = re.compile(r"^epics/\.?archived/")


def _unarchived(key: str) -> str:
    """The key a path-keyed CCPM item had before it was moved into an archive folder."""
    return _ARCHIVE_PREFIX.sub("epics/", key, count=1)


def close_candidates(
    index: RemoteIndex,
    items: Iterable[WorkItem],
    *,
    max_close: int,
    archived: Iterable[WorkItem] = (),
) -> tuple[tuple[PlannedAction, ...], tuple[str, ...]]:
    """Open issues whose marker names an item that no longer exists, and any warning.

    The caller calls this only after a complete, readable, non-empty scan of every kind. An
    issue that an item adopts through its link (a renamed file) is not closed, nor is one of an
    archived item (archived is not removed). When more than ``max_close`` issues qualify, none
    is closed: a mass removal is more likely a wrong ``path``. An open issue whose marker says
    batchsync closed it as removed was reopened by a person: never closed again, it gets a
    step that flags its marker ``kept`` and a notice, once.
    """
    gone = _gone(index, (*items, *archived), archived)
    old = [i for i in gone if i.number in index.legacy]  # maybe another tree's: never closed
    gone = [i for i in gone if i.number not in index.legacy]
    found = tuple(
        PlannedAction(
            PlanAction.CLOSE, f"the item '{i.marker_key}' no longer exists in the tree", issue=i
        )
        for i in gone
        if not _flag(i)
    )
    reopened = [i for i in gone if _flag(i) == REMOVED]
    keeps = tuple(_keep(i) for i in reopened)
    notices = tuple(s.reason for s in keeps) + _old_markers_message(old)
    if len(found) > max_close:
        numbers = ", ".join(f"#{a.issue.number}" for a in found[:10] if a.issue)
        return keeps, (
            f"{len(found)} issues ({numbers}{', ...' if len(found) > 10 else ''}) name items that "
            f"no longer exist, more than max-close ({max_close}); none was closed. Check `path`, "
            f"or raise `max-close` to at least {len(found)} to close them",
            *notices,
        )
    return (*found, *keeps), notices


def _gone(
    index: RemoteIndex, kept: Sequence[WorkItem], archived: Iterable[WorkItem]
) -> list[RemoteIssue]:
    """This tree's open issues whose item is neither in the tree, archived, nor renamed."""
    present = {i.key for i in kept} | {_unarchived(i.key) for i in archived}
    taken = {m.number for i in kept if (m := index.match(i, present)) is not None}
    return [
        issue
        for key, issue in sorted(index.by_key.items(), key=lambda kv: kv[1].number)
        if key not in present and issue.state == "open" and issue.number not in taken
    ]


def _old_markers_message(old: Sequence[RemoteIssue]) -> tuple[str, ...]:
    """The warning for open issues with a marker from before namespaces that name no item."""
    if not old:
        return ()
    shown = ", ".join(f"#{i.number} ('{i.marker_key}')" for i in old[:10])
    more = ", ..." if len(old) > 10 else ""
    return (
        f"{len(old)} open issue(s) carry a batchsync marker from before namespaces and name no "
        f"item of this tree: {shown}{more}. close-removed leaves them open, since they may be "
        "another tree's; close them on GitHub if they are this tree's removed items",
    )


def _flag(issue: RemoteIssue) -> str:
    """The removed-item flag of the issue's marker ("" when it has none)."""
    return issue.marker.flag if issue.marker is not None else ""


def _keep(issue: RemoteIssue) -> PlannedAction:
    """The step that records, in the marker, that a person reopened a removed item's issue.

    Said once: the marker's ``kept`` flag makes later runs pass the issue by in silence.
    """
    why = (
        f"a person reopened #{issue.number} after batchsync closed it as not planned (its item "
        f"'{issue.marker_key}' was removed): it stays open, and batchsync never closes it again"
    )
    return PlannedAction(PlanAction.UPDATE, why, issue=issue)
