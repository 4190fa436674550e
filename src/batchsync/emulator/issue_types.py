"""Issue types: an organisation's list, and the ``type`` that issues carry.

Types belong to organisations (https://docs.github.com/rest/orgs/issue-types); a repository of a
user account has none. ``Store.issue_types`` names the types every organisation starts with, or
is None for a server without them (no endpoints, and a ``type`` in a request body is ignored as
any unknown field is). Callers hold ``store.lock``.
"""

from __future__ import annotations

from typing import Any

from batchsync.emulator.protocol import validation_failed
from batchsync.emulator.state import IssueTypeState, Repo

__all__ = [
    "DEFAULT_ISSUE_TYPES",
    "org_types",
    "repo_types",
    "requested_type",
    "served",
    "type_of",
]

DEFAULT_ISSUE_TYPES = ("Task", "Bug", "Feature")  # what GitHub gives a new organisation
_DEFAULTS: dict[str, tuple[str | None, str | None]] = {
    "task": ("A specific piece of work", "yellow"),
    "bug": ("An unexpected problem or behavior", "red"),
    "feature": ("A request, idea, or new functionality", "blue"),
}


def served(repo: Repo) -> bool:
    """True when the repository has issue types at all: an organisation's, on a server with them."""
    return repo.store.issue_types is not None and repo.owner_type == "Organization"


def org_types(repo: Repo) -> list[IssueTypeState]:
    """Every issue type of the repository's organisation (enabled or not); made on first use."""
    store = repo.store
    if not served(repo):
        return []
    key = repo.owner.lower()
    found = store.org_types.get(key)
    if found is None:
        found = []
        for name in store.issue_types or ():
            description, color = _DEFAULTS.get(name.lower(), (None, None))
            ident = store.next_id("issue_type")
            found.append(IssueTypeState(ident, name, description, color, repo.created_at))
        store.org_types[key] = found
    return found


def repo_types(repo: Repo) -> list[IssueTypeState]:
    """The types an issue of the repository may take (the enabled ones)."""
    return [t for t in org_types(repo) if t.is_enabled]


def requested_type(repo: Repo, data: dict[str, Any]) -> tuple[bool, int | None]:
    """Whether a request body sets the ``type``, and the type's id (None: no type).

    A name matches case-insensitively; an unknown or disabled one, or any name where the
    repository has no types, is GitHub's 422 (``field: type``, ``code: invalid``). A PATCH may
    give ``{"value": name}`` instead of the name.
    """
    if repo.store.issue_types is None or "type" not in data:
        return False, None
    value = data["type"]
    if isinstance(value, dict):
        value = value.get("value")
    if value is None:
        return True, None
    wanted = value.lower() if isinstance(value, str) else None
    for kind in repo_types(repo):
        if kind.name.lower() == wanted:
            return True, kind.id
    raise validation_failed("Issue", "type", "invalid", value=value)


def type_of(repo: Repo, type_id: int | None) -> IssueTypeState | None:
    """The issue type with that id in the repository's organisation."""
    return next((t for t in org_types(repo) if t.id == type_id), None)
