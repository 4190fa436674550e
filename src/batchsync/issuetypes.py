"""Which issue type each kind of work item takes: the ``issue-types`` setting, read and resolved.

Issue types belong to organisations (a repository of a user account has none, nor has a server
without the API). The setting is off by default. ``true`` gives each kind the first of its
``DEFAULT_CHOICES`` the organisation has: a PRD is ``PRD`` else ``Feature``, an epic ``Epic``
else ``Feature``, a task ``Task`` (GitHub starts every organisation with Task, Bug and Feature).
A map, ``prd=Feature,epic=Epic,task=Task``, names the type of each kind it lists; a kind it
leaves out gets no type. Names match case-insensitively and are sent as GitHub spells them.
Whether an issue's type is written at all is the plan's rule (``plan.type_to_set``). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from batchsync.workitem import Kind

__all__ = [
    "DEFAULT_CHOICES",
    "TypeChoice",
    "missing_types_message",
    "no_types_message",
    "parse_issue_types",
    "resolve",
    "unread_types_message",
]

DEFAULT_CHOICES: Mapping[Kind, tuple[str, ...]] = {
    Kind.PRD: ("PRD", "Feature"),
    Kind.EPIC: ("Epic", "Feature"),
    Kind.TASK: ("Task",),
}
_ON = frozenset({"true", "yes", "1"})
_OFF = frozenset({"", "false", "no", "0"})
_ENTRY = re.compile(r"\s*([A-Za-z]+)\s*=\s*([^=,\n]*?)\s*")
MAX_NAME = 100  # a type's name as a person writes it; longer is a mistake, not a type


@dataclass(frozen=True)
class TypeChoice:
    """The types to try for each kind, in order: the first one the organisation has wins."""

    choices: tuple[tuple[Kind, tuple[str, ...]], ...]


def parse_issue_types(value: str) -> TypeChoice | None:
    """The ``issue-types`` value as a choice per kind; None when off. ValueError when unusable."""
    text = value.strip()
    if text.lower() in _OFF:
        return None
    if text.lower() in _ON:
        return TypeChoice(tuple(DEFAULT_CHOICES.items()))
    found: dict[Kind, tuple[str, ...]] = {}
    for entry in (e for e in re.split(r"[,\n]", text) if e.strip()):
        kind, name = _entry(entry)
        if kind in found:
            raise ValueError(f"{kind.value} is named twice")
        found[kind] = (name,)
    if not found:
        raise ValueError("no kind=type entry")
    return TypeChoice(tuple((k, found[k]) for k in Kind if k in found))


def _entry(entry: str) -> tuple[Kind, str]:
    """One ``kind=type`` entry of a map."""
    matched = _ENTRY.fullmatch(entry)
    kind = next((k for k in Kind if matched and k.value == matched.group(1).lower()), None)
    if matched is None or kind is None:
        raise ValueError(f"not kind=type: {entry.strip()!r}")
    name = matched.group(2)
    if not name or len(name) > MAX_NAME or not name.isprintable() or "|" in name:
        raise ValueError(f"not a type name: {name!r}")
    return kind, name


def resolve(
    choice: TypeChoice | None, available: Sequence[str] | None
) -> tuple[Mapping[Kind, str], str | None]:
    """Each kind's type as GitHub spells it, and at most one notice about what was not found.

    ``available`` is the repository's types (``GitHubClient.issue_types``), None when it has
    none. A kind none of whose names is a type of the repository gets no type.
    """
    if choice is None:
        return {}, None
    if not available:
        return {}, no_types_message()
    spelled = {name.lower(): name for name in available}
    found: dict[Kind, str] = {}
    missing: list[str] = []
    for kind, names in choice.choices:
        hit = next((spelled[n.lower()] for n in names if n.lower() in spelled), None)
        if hit is None:
            missing.append(f"{kind.value} ({' or '.join(names)})")
        else:
            found[kind] = hit
    if not missing:
        return found, None
    return found, missing_types_message(missing, available)


def no_types_message() -> str:
    """The notice of a run whose repository has no issue types."""
    return (
        "issue-types: the repository has no issue types (a user account's repository, a "
        "server without them, or a token that may not read the organisation's types), so no "
        "issue type was set"
    )


def unread_types_message(why: str) -> str:
    """The notice of a run that could not read the repository's issue types."""
    return (
        f"issue-types: the repository's issue types could not be read ({why}), so no issue "
        "type was set this run; the next run tries again"
    )


def missing_types_message(missing: Sequence[str], available: Sequence[str]) -> str:
    """The notice naming the kinds whose type the organisation does not have."""
    return (
        f"issue-types: the organisation has no issue type for {', '.join(missing)}, so those "
        f"items get none; its types are {', '.join(available)}: map the kind to one of them "
        "(for example `issue-types: prd=Feature,epic=Feature,task=Task`) or add the type"
    )
