"""Issue dependencies ("blocked by"): GitHub's rules over the emulator's issues.

An issue is blocked by issues named by their ``id`` (not their number), which may live in
another repository (https://docs.github.com/rest/issues/issue-dependencies). Both sides are kept
(``IssueState.blocked_by`` and ``blocking``), so an issue's summary costs no search. Callers
hold ``store.lock``; a broken rule raises ``ApiFailure`` with GitHub's answer.
"""

from __future__ import annotations

import json
from typing import Any

from batchsync.emulator.protocol import ApiFailure, not_found
from batchsync.emulator.state import IssueState, Repo, Store

__all__ = ["add_blocked_by", "blocked", "blockers", "find_issue", "remove_blocked_by", "summary"]

DOCS = (
    "https://docs.github.com/rest/issues/issue-dependencies#add-a-dependency-an-issue-is-blocked-by"
)


def find_issue(store: Store, issue_id: int) -> tuple[Repo, IssueState] | None:
    """The issue (not a pull request) with that ``id`` in any repository, and its repository."""
    for repo in store.repos.values():
        for issue in repo.issues.values():
            if issue.id == issue_id and not issue.is_pull:
                return repo, issue
    return None


def _resolved(store: Store, ids: list[int]) -> list[tuple[Repo, IssueState]]:
    return [found for i in ids if (found := find_issue(store, i)) is not None]


def blockers(store: Store, issue: IssueState) -> list[tuple[Repo, IssueState]]:
    """The issues blocking ``issue``, in the order they were added."""
    return _resolved(store, issue.blocked_by)


def blocked(store: Store, issue: IssueState) -> list[tuple[Repo, IssueState]]:
    """The issues ``issue`` blocks, in the order they were added."""
    return _resolved(store, issue.blocking)


def summary(store: Store, issue: IssueState) -> dict[str, int]:
    """``issue_dependencies_summary``: the open ones and all, each way."""

    def still_open(pairs: list[tuple[Repo, IssueState]]) -> int:
        return sum(1 for _, other in pairs if other.state == "open")

    return {
        "blocked_by": still_open(blockers(store, issue)) if issue.blocked_by else 0,
        "blocking": still_open(blocked(store, issue)) if issue.blocking else 0,
        "total_blocked_by": len(issue.blocked_by),
        "total_blocking": len(issue.blocking),
    }


def _dependent(repo: Repo, number: int | str) -> IssueState:
    """The issue the path names; a pull request has no dependencies here (404)."""
    issue = repo.issue(number)
    if issue.is_pull:
        raise not_found()
    return issue


def _refusal(message: str) -> ApiFailure:
    return ApiFailure(
        422,
        "Validation Failed",
        errors=[{"resource": "Issue", "code": "custom", "field": "issue_id", "message": message}],
        documentation_url=DOCS,
    )


def _blocker_id(data: dict[str, Any]) -> int:
    """The request body's ``issue_id`` (an integer, as GitHub's schema requires)."""
    if "issue_id" not in data:
        raise ApiFailure(
            422, 'Invalid request.\n\n"issue_id" wasn\'t supplied.', documentation_url=DOCS
        )
    value = data["issue_id"]
    if isinstance(value, bool) or not isinstance(value, int):
        shown = json.dumps(value)
        raise ApiFailure(
            422,
            f"Invalid request.\n\nFor 'properties/issue_id', {shown} is not an integer.",
            documentation_url=DOCS,
        )
    return value


def add_blocked_by(repo: Repo, number: int | str, data: dict[str, Any]) -> IssueState:
    """Mark issue ``number`` blocked by the issue whose ``id`` the body names; return it."""
    store = repo.store
    store.changed()
    issue = _dependent(repo, number)
    found = find_issue(store, _blocker_id(data))
    if found is None:
        raise _refusal("The provided blocking issue does not exist")
    blocker = found[1]
    if blocker is issue:
        raise _refusal("An issue cannot be blocked by itself")
    if blocker.id in issue.blocked_by:
        raise _refusal("The issue is already blocked by the provided issue")
    if len(issue.blocked_by) >= store.blocked_by_limit:
        raise _refusal(f"An issue cannot be blocked by more than {store.blocked_by_limit} issues")
    issue.blocked_by.append(blocker.id)
    blocker.blocking.append(issue.id)
    now = store.clock.now()
    issue.updated_at = now
    blocker.updated_at = now
    return issue


def remove_blocked_by(repo: Repo, number: int | str, blocker_id: str) -> IssueState:
    """Take the issue with id ``blocker_id`` off issue ``number``'s blockers; 404 when it is
    not one of them. Returns issue ``number``."""
    store = repo.store
    store.changed()
    issue = _dependent(repo, number)
    ident = int(blocker_id) if blocker_id.isascii() and blocker_id.isdigit() else -1
    if ident not in issue.blocked_by:
        raise not_found()
    issue.blocked_by.remove(ident)
    found = find_issue(store, ident)
    if found is not None and issue.id in found[1].blocking:
        found[1].blocking.remove(issue.id)
        found[1].updated_at = store.clock.now()
    issue.updated_at = store.clock.now()
    return issue
