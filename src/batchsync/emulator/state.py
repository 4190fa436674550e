"""The emulator's repositories, issues, labels and sub-issue links, behind one lock.

Mutations follow GitHub's rules and raise ``ApiFailure`` with GitHub's answer when they break one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from batchsync.emulator.clock import Clock
from batchsync.emulator.protocol import (
    ApiFailure,
    MovedPermanently,
    not_found,
    validation_failed,
)

__all__ = [
    "MAX_BODY",
    "MAX_ISSUE_LABELS",
    "MAX_LABEL",
    "MAX_SUB_ISSUES",
    "MAX_TITLE",
    "TITLE_READINGS",
    "CommentState",
    "IssueState",
    "IssueTypeState",
    "LabelState",
    "MilestoneState",
    "ParentRemoval",
    "Repo",
    "SearchDoc",
    "Store",
    "UserRef",
    "user_ref",
]

MAX_BODY = 65_536
# github.com's 422 names 256 characters; some users report up to 1,024 accepted:
# ``Store.title_limit`` plays either reading (TITLE_READINGS).
MAX_TITLE = 256
TITLE_READINGS = (MAX_TITLE, 1_024)
MAX_LABEL = 50  # 422 "name is too long (maximum is 50 characters)"
MAX_ISSUE_LABELS = 100  # 422 "Issues cannot have more than 100 labels"
MAX_SUB_ISSUES = 100
MAX_DEPTH = 8
NEW_LABEL_COLOR = "ededed"
CLOSED_REASONS = ("completed", "not_planned", "duplicate")
STATE_REASONS = (*CLOSED_REASONS, "reopened")
COMMENT_DOCS = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"


@dataclass(frozen=True)
class UserRef:
    """An account as issues show it (author, assignee, closer)."""

    login: str
    id: int
    type: str = "User"


def user_ref(who: UserRef | str) -> UserRef:
    """An account by login (a stable id made from it; ``[bot]`` logins are bots)."""
    if isinstance(who, UserRef):
        return who
    if who == "github-actions[bot]":
        return UserRef(who, 41_898_282, "Bot")
    ident = 20_000_000 + sum(ord(c) * (i + 1) for i, c in enumerate(who)) % 9_000_000
    return UserRef(who, ident, "Bot" if who.endswith("[bot]") else "User")


@dataclass
class LabelState:
    """A repository label (mutable server state)."""

    id: int
    name: str
    color: str
    description: str | None
    default: bool = False


@dataclass
class MilestoneState:
    """A repository milestone (seeded by tests; enough for ``milestone`` on issues)."""

    id: int
    number: int
    title: str
    created_at: float
    state: str = "open"


@dataclass(frozen=True)
class SearchDoc:
    """What the search index knows of an issue at one moment."""

    title: str
    body: str
    state: str
    labels: tuple[str, ...]
    is_pull: bool


@dataclass
class CommentState:
    """One comment on an issue (mutable server state)."""

    id: int
    body: str
    user: UserRef
    created_at: float
    updated_at: float


@dataclass
class IssueState:
    """One issue or pull request (mutable server state)."""

    id: int
    number: int
    title: str
    body: str | None
    user: UserRef
    created_at: float
    updated_at: float
    state: str = "open"
    state_reason: str | None = None
    label_ids: list[int] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    milestone: int | None = None
    locked: bool = False
    closed_at: float | None = None
    closed_by: UserRef | None = None
    is_pull: bool = False
    parent: int | None = None  # the parent's number (same repository)
    children: list[int] = field(default_factory=list)  # sub-issue numbers, in order added
    comments: list[CommentState] = field(default_factory=list)  # oldest first
    history: list[tuple[float, SearchDoc]] = field(default_factory=list)
    # issue dependencies (dependencies.py) by issue id: a blocker may be in another repository
    blocked_by: list[int] = field(default_factory=list)  # in the order added
    blocking: list[int] = field(default_factory=list)
    type_id: int | None = None  # its issue type (issue_types.py)
    # its timeline's ``ParentIssueRemovedEvent``s, oldest first (served by graphql.py)
    parent_removals: list[ParentRemoval] = field(default_factory=list)


@dataclass(frozen=True)
class ParentRemoval:
    """A sub-issue taken out of its parent: GraphQL's ``ParentIssueRemovedEvent``."""

    actor: UserRef
    created_at: float
    parent: int  # the parent's number (same repository)


@dataclass
class IssueTypeState:
    """One of an organisation's issue types (mutable server state)."""

    id: int
    name: str
    description: str | None
    color: str | None
    created_at: float
    is_enabled: bool = True


class Store:
    """Every repository, the id counters and the one lock that guards them."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.repos: dict[str, Repo] = {}  # lower-cased full name -> repo
        self.repos_by_id: dict[int, Repo] = {}
        self._ids: dict[str, int] = {}
        self.generation = 0  # bumped on every change, so cached renderings know they are stale
        self.title_limit = MAX_TITLE  # one of TITLE_READINGS
        # issue dependencies and issue types: served or not (switches), and their state
        self.dependencies = True
        self.blocked_by_limit = 50  # ours: GitHub documents no per-issue limit
        self.issue_types: tuple[str, ...] | None = None  # each organisation's types; None: no API
        self.org_types: dict[str, list[IssueTypeState]] = {}  # lower-cased org -> its types

    def changed(self) -> None:
        """Note that something changed (callers hold the lock)."""
        self.generation += 1

    def next_id(self, kind: str) -> int:
        """A fresh id; each kind gets its own range so ids never look like issue numbers."""
        base = {
            "repo": 700_000_000,
            "issue": 2_000_000_000,
            "comment": 3_000_000_000,
            "label": 5_000_000_000,
        }
        with self.lock:
            value = self._ids.get(kind, base.get(kind, 9_000_000_000)) + 1
            self._ids[kind] = value
            return value

    def add_repo(self, full_name: str, owner_id: int, *, owner_type: str = "Organization") -> Repo:
        """Create a repository (or return the existing one); ``owner_type`` "User" or
        "Organization" (only an organisation's repositories have issue types)."""
        owner, sep, name = full_name.partition("/")
        if not sep or not owner or not name or "/" in name:
            raise ValueError(f"repository must be 'owner/name', got {full_name!r}")
        with self.lock:
            existing = self.repos.get(full_name.lower())
            if existing is not None:
                return existing
            repo = Repo(self, self.next_id("repo"), owner, name, owner_id)
            repo.owner_type = owner_type
            self.repos[full_name.lower()] = repo
            self.repos_by_id[repo.id] = repo
            return repo

    def repo(self, owner: str, name: str) -> Repo:
        """The repository, or GitHub's 404."""
        found = self.repos.get(f"{owner}/{name}".lower())
        if found is None:
            raise not_found()
        return found

    def repo_by_id(self, repo_id: str) -> Repo:
        """The repository by its numeric id (``/repositories/{id}`` paths), or 404."""
        try:
            found = self.repos_by_id.get(int(repo_id))
        except ValueError:
            found = None
        if found is None:
            raise not_found()
        return found

    def issue_by_id(self, owner: str, issue_id: int) -> tuple[Repo, IssueState] | None:
        """Find an issue by its ``id`` among the owner's repositories."""
        for repo in self.repos.values():
            if repo.owner.lower() != owner.lower():
                continue
            for issue in repo.issues.values():
                if issue.id == issue_id:
                    return repo, issue
        return None


class Repo:
    """One repository: its issues (pull requests share the numbering), labels and milestones."""

    def __init__(self, store: Store, repo_id: int, owner: str, name: str, owner_id: int) -> None:
        self.store = store
        self.id = repo_id
        self.owner = owner
        self.name = name
        self.owner_id = owner_id
        self.owner_type = "Organization"  # or "User"
        self.created_at = store.clock.now()
        self.issues: dict[int, IssueState] = {}
        self.labels: dict[str, LabelState] = {}  # lower-cased name -> label
        self._labels_by_id: dict[int, LabelState] = {}
        self.milestones: dict[int, MilestoneState] = {}
        self.collaborators: set[str] = set()  # lower-cased logins with push access
        # issues transferred away: number here -> (the repository, the number there)
        self.moved: dict[int, tuple[Repo, int]] = {}
        self._next_number = 1

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    # --- seeding, for tests and the demo -------------------------------------------------

    def add_label(
        self, name: str, color: str = NEW_LABEL_COLOR, description: str | None = None
    ) -> None:
        """Create a label directly (no request, no limits)."""
        with self.store.lock:
            self.create_label(name, color, description)

    def add_milestone(self, title: str) -> int:
        """Create a milestone and return its number."""
        with self.store.lock:
            self.store.changed()
            number = len(self.milestones) + 1
            self.milestones[number] = MilestoneState(
                self.store.next_id("milestone"), number, title, self.store.clock.now()
            )
            return number

    def add_issue(
        self,
        title: str,
        body: str | None = None,
        *,
        labels: Sequence[str] = (),
        state: str = "open",
        pull_request: bool = False,
        author: UserRef | str | None = None,
    ) -> int:
        """Create an issue (or a pull request) directly and return its number.

        ``author``: the account shown as its ``user`` (a login or a ``UserRef``); the owner by
        default.
        """
        user = user_ref(author) if author is not None else UserRef(self.owner, self.owner_id)
        with self.store.lock:
            issue = self.create_issue(user, {"title": title, "body": body, "labels": list(labels)})
            issue.is_pull = pull_request
            if state == "closed":
                self.update_issue(user, issue.number, {"state": "closed"})
            self._index(issue)
            return issue.number

    def transfer(self, number: int, to: Repo) -> int:
        """Transfer issue ``number`` to ``to`` (as "Transfer issue" on GitHub); its new number.

        It takes the next number there and keeps its id, comments and the labels ``to`` has by
        name; its sub-issue links are dropped (the emulator links within one repository). Every
        request naming it here answers 301 with a ``Location`` at its new place.
        """
        with self.store.lock:
            self.store.changed()
            issue = self.issue(number)
            if issue.is_pull or to is self:
                raise ValueError("only an issue moves, and only to another repository")
            if issue.parent is not None:
                self.issues[issue.parent].children.remove(issue.number)
            for child in issue.children:
                self.issues[child].parent = None
            del self.issues[issue.number]
            names = {label.name.lower() for i in issue.label_ids if (label := self.label_by_id(i))}
            issue.label_ids = [label.id for name, label in to.labels.items() if name in names]
            issue.number, issue.parent, issue.children, issue.milestone = (
                to._next_number,
                None,
                [],
                None,
            )
            to._next_number += 1
            to.issues[issue.number] = issue
            to._index(issue)
            self.moved[number] = (to, issue.number)
            return issue.number

    def add_comment(self, number: int, body: str, *, author: UserRef | None = None) -> int:
        """Comment on an issue directly and return the comment's id."""
        user = author or UserRef(self.owner, self.owner_id)
        with self.store.lock:
            return self.create_comment(user, number, {"body": body}).id

    # --- operations the routes perform (caller holds store.lock) -----------------------

    def issue(self, number: int | str) -> IssueState:
        """The issue or pull request with that number; 404, or 301 for one transferred away."""
        try:
            wanted = int(number)
        except ValueError:
            raise not_found() from None
        found = self.issues.get(wanted)
        if found is None and wanted in self.moved:
            repo, there = self.moved[wanted]
            raise MovedPermanently(f"/repositories/{repo.id}/issues/{there}")
        if found is None:
            raise not_found()
        return found

    def label(self, name: str) -> LabelState:
        """The label (names match case-insensitively), or 404."""
        found = self.labels.get(name.lower())
        if found is None:
            raise not_found()
        return found

    def create_label(self, name: str, color: str | None, description: str | None) -> LabelState:
        """Create a label; 422 ``already_exists`` when the name is taken."""
        self.store.changed()
        if not isinstance(name, str) or not name.strip():
            raise validation_failed("Label", "name", "missing_field")
        if name.lower() in self.labels:
            raise validation_failed("Label", "name", "already_exists")
        if len(name) > MAX_LABEL:
            message = f"name is too long (maximum is {MAX_LABEL} characters)"
            raise validation_failed("Label", "name", "custom", message)
        label = LabelState(
            self.store.next_id("label"),
            name,
            _color(color or NEW_LABEL_COLOR),
            description,
        )
        self.labels[name.lower()] = label
        self._labels_by_id[label.id] = label
        return label

    def update_label(self, name: str, changes: dict[str, Any]) -> LabelState:
        """Rename or recolour a label."""
        self.store.changed()
        label = self.label(name)
        new_name = changes.get("new_name")
        if isinstance(new_name, str) and new_name and new_name.lower() != label.name.lower():
            if new_name.lower() in self.labels:
                raise validation_failed("Label", "name", "already_exists")
            del self.labels[label.name.lower()]
            label.name = new_name
            self.labels[new_name.lower()] = label
        elif isinstance(new_name, str) and new_name:
            label.name = new_name
        if changes.get("color"):
            label.color = _color(str(changes["color"]))
        if "description" in changes:
            label.description = changes["description"]
        return label

    def delete_label(self, name: str) -> None:
        """Delete a label and take it off every issue."""
        self.store.changed()
        label = self.label(name)
        del self.labels[label.name.lower()]
        del self._labels_by_id[label.id]
        for issue in self.issues.values():
            if label.id in issue.label_ids:
                issue.label_ids.remove(label.id)

    def label_ids_for(self, names: Iterable[Any]) -> list[int]:
        """Label ids for names (strings or ``{"name": ...}``), creating missing ones grey."""
        self.store.changed()
        ids: list[int] = []
        for raw in names:
            name = raw.get("name") if isinstance(raw, dict) else raw
            if not isinstance(name, str) or not name.strip():
                raise validation_failed("Label", "name", "invalid", value=name)
            label = self.labels.get(name.lower()) or self.create_label(name, None, None)
            if label.id not in ids:
                ids.append(label.id)
        if len(ids) > MAX_ISSUE_LABELS:
            raise ApiFailure(
                422, f"Validation Failed. Issues cannot have more than {MAX_ISSUE_LABELS} labels"
            )
        return ids

    def label_by_id(self, label_id: int) -> LabelState | None:
        """The label with that id, if it still exists."""
        return self._labels_by_id.get(label_id)

    def create_issue(self, user: UserRef, data: dict[str, Any]) -> IssueState:
        """Create an issue from a request body, validating it as GitHub does."""
        self.store.changed()
        title = data.get("title")
        if title is None or title == "":
            raise ApiFailure(
                422,
                'Invalid request.\n\n"title" wasn\'t supplied.',
                documentation_url="https://docs.github.com/rest/issues/issues#create-an-issue",
            )
        body = data.get("body")
        _check_text(title, body, self.store.title_limit)
        now = self.store.clock.now()
        issue = IssueState(
            id=self.store.next_id("issue"),
            number=self._next_number,
            title=str(title),
            body=body,
            user=user,
            created_at=now,
            updated_at=now,
        )
        issue.label_ids = self.label_ids_for(_list(data.get("labels"), "labels"))
        issue.assignees = _assignees(data)
        issue.milestone = self._milestone(data.get("milestone"))
        self._next_number += 1
        self.issues[issue.number] = issue
        self._index(issue)
        return issue

    def update_issue(self, user: UserRef, number: int | str, data: dict[str, Any]) -> IssueState:
        """Apply a PATCH body: title, body, state, state_reason, labels, assignees, milestone."""
        self.store.changed()
        issue = self.issue(number)
        if "title" in data:
            if not data["title"]:
                raise validation_failed("Issue", "title", "missing_field")
            _check_text(data["title"], None, self.store.title_limit)
            issue.title = str(data["title"])
        if "body" in data:
            _check_text(issue.title, data["body"], self.store.title_limit)
            issue.body = data["body"]
        if "labels" in data:
            issue.label_ids = self.label_ids_for(_list(data["labels"], "labels"))
        if "assignees" in data or "assignee" in data:
            issue.assignees = _assignees(data)
        if "milestone" in data:
            issue.milestone = self._milestone(data["milestone"])
        self._apply_state(user, issue, data)
        issue.updated_at = self.store.clock.now()
        self._index(issue)
        return issue

    def _apply_state(self, user: UserRef, issue: IssueState, data: dict[str, Any]) -> None:
        state = data.get("state", issue.state)
        reason = data.get("state_reason")
        if state not in ("open", "closed"):
            raise validation_failed("Issue", "state", "invalid", value=state)
        if reason is not None and reason not in STATE_REASONS:
            raise validation_failed("Issue", "state_reason", "invalid", value=reason)
        if state == "closed" and issue.state == "open":
            issue.state = "closed"
            issue.closed_at = self.store.clock.now()
            issue.closed_by = user
            issue.state_reason = reason if reason in CLOSED_REASONS else "completed"
        elif state == "open" and issue.state == "closed":
            issue.state = "open"
            issue.closed_at = None
            issue.closed_by = None
            issue.state_reason = "reopened"
        elif reason is not None and state == "closed" and reason in CLOSED_REASONS:
            issue.state_reason = reason

    def create_comment(
        self, user: UserRef, number: int | str, data: dict[str, Any]
    ) -> CommentState:
        """Comment on an issue (or pull request); 404 for an unknown one, 422 for a bad body."""
        self.store.changed()
        issue = self.issue(number)
        if "body" not in data:
            raise ApiFailure(
                422,
                'Invalid request.\n\n"body" wasn\'t supplied.',
                documentation_url=COMMENT_DOCS,
            )
        body = data["body"]
        if not isinstance(body, str):
            raise ApiFailure(
                422,
                f"Invalid request.\n\nFor 'properties/body', {body!r} is not a string.",
                documentation_url=COMMENT_DOCS,
            )
        if not body.strip():
            raise _comment_error("Body cannot be blank")
        if len(body) > MAX_BODY:
            raise _comment_error(f"Body is too long (maximum is {MAX_BODY} characters)")
        now = self.store.clock.now()
        comment = CommentState(self.store.next_id("comment"), body, user, now, now)
        issue.comments.append(comment)
        issue.updated_at = now  # GitHub moves the issue's updated_at on a new comment
        return comment

    def _milestone(self, value: Any) -> int | None:
        if value is None:
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        if number not in self.milestones:
            raise validation_failed("Issue", "milestone", "invalid", value=value)
        return number

    def touch(self, issue: IssueState) -> None:
        """Note a change made outside ``update_issue`` (labels endpoints)."""
        self.store.changed()
        issue.updated_at = self.store.clock.now()
        self._index(issue)

    def _index(self, issue: IssueState) -> None:
        """Record what the (lagging) search index will see of this issue from now on."""
        names = tuple(
            label.name for i in issue.label_ids if (label := self.label_by_id(i)) is not None
        )
        doc = SearchDoc(issue.title, issue.body or "", issue.state, names, issue.is_pull)
        issue.history.append((self.store.clock.now(), doc))

    # --- sub-issues ------------------------------------------------------------------------

    def add_sub_issue(
        self, number: int | str, sub_issue_id: Any, replace_parent: bool
    ) -> IssueState:
        """Link the issue with id ``sub_issue_id`` under issue ``number``; return the parent."""
        self.store.changed()
        parent = self.issue(number)
        if isinstance(sub_issue_id, bool) or not isinstance(sub_issue_id, int):
            raise validation_failed("Issue", "sub_issue_id", "invalid", value=sub_issue_id)
        found = self.store.issue_by_id(self.owner, sub_issue_id)
        if found is None:
            raise _sub_issue_error("The provided sub-issue does not exist")
        child_repo, child = found
        if child_repo is not self:
            raise _sub_issue_error("Sub-issues from other repositories are not supported here")
        self._check_link(parent, child, replace_parent)
        if child.parent is not None:
            self.issues[child.parent].children.remove(child.number)
        child.parent = parent.number
        parent.children.append(child.number)
        now = self.store.clock.now()
        parent.updated_at = now
        child.updated_at = now
        return parent

    def _check_link(self, parent: IssueState, child: IssueState, replace_parent: bool) -> None:
        if child.number == parent.number:
            raise _sub_issue_error("An issue cannot be its own sub-issue")
        if child.parent == parent.number:
            raise _sub_issue_error("Issue may not contain duplicate sub-issues")
        if child.parent is not None and not replace_parent:
            raise _sub_issue_error("Sub issue may only have one parent")
        if len(parent.children) >= MAX_SUB_ISSUES:
            raise _sub_issue_error(f"Parent cannot have more than {MAX_SUB_ISSUES} sub-issues")
        depth, cursor = 1, parent
        while cursor.parent is not None:
            if cursor.parent == child.number:
                raise _sub_issue_error("An issue cannot be a sub-issue of its own sub-issue")
            cursor = self.issues[cursor.parent]
            depth += 1
        if depth + _height(self, child) > MAX_DEPTH:
            raise _sub_issue_error(f"Sub-issues may be nested at most {MAX_DEPTH} levels deep")

    def remove_sub_issue(
        self, number: int | str, sub_issue_id: Any, actor: UserRef | None = None
    ) -> IssueState:
        """Unlink a sub-issue (its timeline records who took it out); return the child."""
        self.store.changed()
        parent = self.issue(number)
        for child_number in parent.children:
            child = self.issues[child_number]
            if child.id == sub_issue_id:
                parent.children.remove(child_number)
                child.parent = None
                if actor is not None:
                    now = self.store.clock.now()
                    child.parent_removals.append(ParentRemoval(actor, now, parent.number))
                return child
        raise not_found()


def _height(repo: Repo, issue: IssueState) -> int:
    """Levels in the subtree rooted at ``issue`` (1 for a leaf)."""
    if not issue.children:
        return 1
    return 1 + max(_height(repo, repo.issues[n]) for n in issue.children)


def _sub_issue_error(message: str) -> ApiFailure:
    return ApiFailure(
        422,
        "Validation Failed",
        errors=[
            {"resource": "Issue", "code": "custom", "field": "sub_issue_id", "message": message}
        ],
        documentation_url="https://docs.github.com/rest/issues/sub-issues#add-sub-issue",
    )


def _comment_error(message: str) -> ApiFailure:
    """GitHub's 422 for a comment body it will not store (the field is named ``data``)."""
    return ApiFailure(
        422,
        "Validation Failed",
        errors=[
            {
                "resource": "IssueComment",
                "code": "unprocessable",
                "field": "data",
                "message": message,
            }
        ],
        documentation_url=COMMENT_DOCS,
    )


def _check_text(title: Any, body: Any, title_limit: int) -> None:
    if not isinstance(title, str):
        raise validation_failed("Issue", "title", "invalid", value=title)
    if len(title) > title_limit:
        raise validation_failed(
            "Issue", "title", "custom", f"title is too long (maximum is {title_limit} characters)"
        )
    if body is not None and not isinstance(body, str):
        raise validation_failed("Issue", "body", "invalid")
    if body is not None and len(body) > MAX_BODY:
        raise validation_failed(
            "Issue", "body", "custom", f"body is too long (maximum is {MAX_BODY} characters)"
        )


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiFailure(
            422, f"Invalid request.\n\nFor 'properties/{name}', {value!r} is not an array."
        )
    return value


def _assignees(data: dict[str, Any]) -> list[str]:
    names = [str(a) for a in _list(data.get("assignees"), "assignees")]
    single = data.get("assignee")
    if isinstance(single, str) and single and single not in names:
        names.insert(0, single)
    return names


def _color(value: str) -> str:
    """A six-digit hex colour, kept in the case it was given (as GitHub keeps it)."""
    color = value.lstrip("#")
    if len(color) != 6 or any(c not in "0123456789abcdefABCDEF" for c in color):
        raise validation_failed("Label", "color", "invalid")
    return color
