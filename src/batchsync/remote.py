"""What GitHub told a run, as plain values: issues (``RemoteIssue``) and the primary budget.

The adapter returns these values, planning and the rate-limit arithmetic read them, the
results carry the budget: none of them through another's machinery. The one reader of an issue
answer (``issue_from_json``, REST's shape; GraphQL's answer is renamed into it) and the one
check of where an answer says an issue lives (``places``, ``foreign_place``) are here, pure.
Imports only the marker and the login rule.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from batchsync.marker import Marker, ambiguous_markers, parse_marker
from batchsync.ownership import valid_login

__all__ = [
    "MAX_ISSUE_NUMBER",
    "MAX_NODE_ID",
    "PARENT_UNNAMED",
    "TOO_QUICKLY",
    "Blocker",
    "NumberOutOfRange",
    "Place",
    "RateLimitSnapshot",
    "RemoteIssue",
    "api_place",
    "bounded_number",
    "foreign_place",
    "int_header",
    "issue_from_json",
    "places",
    "whole_number",
]

# A sub-issue's removal whose parent the answer cannot name (deleted, or not readable by the
# token): no issue has number 0, so it never equals a parent's number by chance.
PARENT_UNNAMED = 0

# GitHub's issue numbers are GraphQL ``Int`` values: signed 32-bit. A larger one in a file is a
# mistake or an attack; it is refused before int() reads it (int() of 5,000 digits raises).
MAX_ISSUE_NUMBER = 2**31 - 1
MAX_NODE_ID = 2**63 - 1  # GitHub's database ids are 64-bit
# GitHub's refusal of a create over its content-creation limit (GraphQL: HTTP 200, type
# UNPROCESSABLE; REST: a 422 whose ``errors`` say it); a substring, GitHub may add more
TOO_QUICKLY = "was submitted too quickly"


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    """A header's value as a whole number; None when absent or not a number."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(str(raw).strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class RateLimitSnapshot:
    """The primary budget as the last response reported it (``reset`` is UTC epoch seconds)."""

    limit: int | None = None
    remaining: int | None = None
    used: int | None = None
    reset: float | None = None
    resource: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitSnapshot | None:
        """Read the ``x-ratelimit-*`` headers (any case); None when the response has none."""
        lower = {k.lower(): v for k, v in headers.items()}
        remaining = int_header(lower, "x-ratelimit-remaining")
        limit = int_header(lower, "x-ratelimit-limit")
        if remaining is None and limit is None:
            return None
        reset = int_header(lower, "x-ratelimit-reset")
        return cls(
            limit=limit,
            remaining=remaining,
            used=int_header(lower, "x-ratelimit-used"),
            reset=float(reset) if reset is not None else None,
            resource=lower.get("x-ratelimit-resource"),
        )

    def to_json(self) -> dict[str, object]:
        """The snapshot as plain JSON values."""
        return {
            "limit": self.limit,
            "remaining": self.remaining,
            "used": self.used,
            "reset": self.reset,
            "resource": self.resource,
        }


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
    parent_known: bool = False  # the answer carried ``parent_issue_url``: parent_number is a fact
    sub_issues_total: int | None = None  # ``sub_issues_summary.total``; None when not sent
    author: str = ""  # ``user.login``
    author_association: str = ""  # OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, ...
    issue_type: str | None = None  # ``type.name``; None: no type (or not sent: see type_known)
    type_known: bool = False  # the answer carried ``type`` (only where the repository has types)
    blocked_by_total: int | None = None  # ``issue_dependencies_summary.total_blocked_by``

    @functools.cached_property
    def marker(self) -> Marker | None:
        """The body's marker, parsed once (planning asks for it many times)."""
        return parse_marker(self.body)

    @functools.cached_property
    def ambiguous(self) -> tuple[Marker, ...]:
        """The identities of a body holding marker lines of several (one pasted in by hand)."""
        return ambiguous_markers(self.body)

    @property
    def marker_key(self) -> str | None:
        """The item key named by the body's marker, if any."""
        return self.marker.key if self.marker else None

    @property
    def marker_hash(self) -> str | None:
        """The content hash in the body's marker, if any."""
        return self.marker.content_hash if self.marker else None


@dataclass(frozen=True)
class Blocker:
    """An issue that blocks another (``GET .../issues/{n}/dependencies/blocked_by``).

    A blocker may live in another repository: ``same_repository`` says whether it is in the
    repository asked about, so its ``number`` is never read as a number of that one.
    """

    number: int
    id: int
    repository: str  # ``owner/name`` from the answer's ``repository_url``
    same_repository: bool


class NumberOutOfRange(ValueError):
    """A number from outside is larger than any GitHub can hold."""


def bounded_number(digits: str, maximum: int = MAX_ISSUE_NUMBER) -> int:
    """ASCII ``digits`` as an int, read only when it cannot exceed ``maximum``.

    Raises ``NumberOutOfRange`` for a larger number (whatever its length) and ``ValueError``
    for anything but ASCII digits.
    """
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError("not a number")
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(maximum)) or int(significant) > maximum:
        shown = (
            significant
            if len(significant) <= 20
            else f"{significant[:12]}... ({len(significant):,} digits)"
        )
        raise NumberOutOfRange(f"{shown} is out of range (at most {maximum:,})")
    return int(significant)


# ---- one issue answer, REST's shape ---------------------------------------------------------

# Where an issue answer says it lives: ``url`` and ``repository_url`` (API paths, after any
# prefix such as GHES's /api/v3) and ``html_url`` (the web page); GitHub always sends all three.
_NAME = r"([A-Za-z0-9_.-]{1,100})"
_API_PLACE = re.compile(rf"/repos/{_NAME}/{_NAME}(?:/issues/([0-9]{{1,10}}))?/?")
_WEB_PLACE = re.compile(rf"/{_NAME}/{_NAME}/(?:issues|pull)/([0-9]{{1,10}})/?")
_PLACE_FIELDS = (("url", _API_PLACE), ("repository_url", _API_PLACE), ("html_url", _WEB_PLACE))


@dataclass(frozen=True)
class Place:
    """A repository (``owner/name`` as an answer spells it) and, when named, an issue number."""

    repository: str
    number: int | None = None

    def __str__(self) -> str:
        return self.repository if self.number is None else f"{self.repository}#{self.number}"

    def is_in(self, repository: str) -> bool:
        """True when this is in ``repository`` (GitHub's owner and name ignore case)."""
        return self.repository.lower() == repository.lower()


def _place(url: object, pattern: re.Pattern[str]) -> Place | None:
    """The place a URL names; None for anything else (a value a server sends is untrusted)."""
    if not isinstance(url, str) or len(url) > 2_000:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    found = next((m for m in pattern.finditer(path) if m.end() == len(path)), None)
    if found is None:
        return None
    owner, name, number = found.groups()
    try:
        return Place(f"{owner}/{name}", bounded_number(number) if number else None)
    except ValueError:  # a number larger than any GitHub gives: no place it can name
        return None


def api_place(url: object) -> Place | None:
    """The repository (and issue) an API URL names: ``.../repos/{owner}/{name}[/issues/{n}]``."""
    return _place(url, _API_PLACE)


def places(data: Mapping[str, Any]) -> tuple[Place, ...]:
    """Every place an issue answer names (its ``url``, ``repository_url`` and ``html_url``)."""
    found = (_place(data.get(key), pattern) for key, pattern in _PLACE_FIELDS)
    return tuple(p for p in found if p is not None)


def foreign_place(
    data: Mapping[str, Any], repository: str, number: int | None = None
) -> Place | None:
    """The first place an issue answer names that is not the question's, else None.

    The question is ``repository`` and, when one was asked for, the issue ``number``: an
    answer that names another repository or number (a transferred issue, a redirect followed
    by something between) is about another issue. An answer naming no place at all is for the
    caller to refuse (``places`` is empty).
    """
    for place in places(data):
        if not place.is_in(repository):
            return place
        if number is not None and place.number is not None and place.number != number:
            return place
    named = whole_number(data.get("number"), MAX_ISSUE_NUMBER)
    if number is not None and named is not None and named != number:
        return Place(repository, named)
    return None


def whole_number(value: object, maximum: int) -> int | None:
    """``value`` when it is a whole number in 1..maximum (JSON from a server is untrusted)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= maximum:
        return value
    return None


def _parent_number(url: object, repository: str | None) -> int | None:
    """The number of a parent issue's URL; None for anything else, and for a parent in
    another repository than ``repository`` (its number means nothing here)."""
    place = api_place(url) or _place(url, _WEB_PLACE)
    if place is None or (repository is not None and not place.is_in(repository)):
        return None
    return place.number


def _label_names(raw: object) -> tuple[str, ...]:
    names: list[str] = []
    for label in raw if isinstance(raw, list) else []:
        name = label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str):
            names.append(name)
    return tuple(names)


def issue_from_json(data: Mapping[str, Any], repository: str | None = None) -> RemoteIssue | None:
    """Reduce one issue answer (REST's shape) to a ``RemoteIssue``.

    None for a pull request, and for an entry without a usable ``number`` and ``id``: such an
    entry cannot be matched to an item, so it is never written to. ``repository`` (the one
    asked about) makes a ``parent_issue_url`` into another repository no fact about a parent
    here. Where the answer itself says it lives is ``foreign_place``'s to check.
    """
    number = whole_number(data.get("number"), MAX_ISSUE_NUMBER)
    issue_id = whole_number(data.get("id"), MAX_NODE_ID)
    if "pull_request" in data or number is None or issue_id is None:
        return None
    summary = data.get("sub_issues_summary")
    total = summary.get("total") if isinstance(summary, dict) else None
    association = data.get("author_association")
    parent, known = _parent_of(data, repository)
    return RemoteIssue(
        number=number,
        id=issue_id,
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        state=str(data.get("state") or "open"),
        labels=_label_names(data.get("labels")),
        html_url=str(data.get("html_url") or ""),
        state_reason=data.get("state_reason"),
        parent_number=parent,
        parent_known=known,
        sub_issues_total=total if isinstance(total, int) and not isinstance(total, bool) else None,
        author=_author(data.get("user")),
        author_association=association if isinstance(association, str) else "",
        # ``type`` is sent only where the repository has issue types: absence is no fact
        issue_type=_type_name(data.get("type")),
        type_known="type" in data,
        blocked_by_total=_count(data.get("issue_dependencies_summary"), "total_blocked_by"),
    )


def _type_name(raw: object) -> str | None:
    """The name in an answer's ``type`` object; None for null or an object without one."""
    name = raw.get("name") if isinstance(raw, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def _count(raw: object, key: str) -> int | None:
    """A whole, non-negative count from a summary object; None when absent or not one."""
    value = raw.get(key) if isinstance(raw, dict) else None
    usable = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if usable else None


def _parent_of(data: Mapping[str, Any], repository: str | None) -> tuple[int | None, bool]:
    """An answer's parent number, and whether the answer makes it a fact.

    Both sub-issue fields are optional in GitHub's schema and a list answer may leave them out
    for an issue that has a parent: only a present ``parent_issue_url`` is a fact (null, or a
    URL naming a parent in this repository).
    """
    url = data.get("parent_issue_url")
    parent = _parent_number(url, repository)
    return parent, "parent_issue_url" in data and (url is None or parent is not None)


def _author(user: object) -> str:
    """``user.login``; a login is shown in messages: anything that is not one is no author."""
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) and valid_login(login) else ""
