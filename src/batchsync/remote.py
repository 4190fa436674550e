"""What GitHub told a run, as plain values: issues (``RemoteIssue``) and the primary budget.

The adapter returns these values, planning and the rate-limit arithmetic read them, the
results carry the budget: none of them through another's machinery. Imports only the marker.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from batchsync.marker import Marker, parse_marker

__all__ = [
    "MAX_ISSUE_NUMBER",
    "Blocker",
    "NumberOutOfRange",
    "RateLimitSnapshot",
    "RemoteIssue",
    "bounded_number",
    "int_header",
]

# GitHub's issue numbers are GraphQL ``Int`` values: signed 32-bit. A larger one in a file is a
# mistake or an attack; it is refused before int() reads it (int() of 5,000 digits raises).
MAX_ISSUE_NUMBER = 2**31 - 1


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
