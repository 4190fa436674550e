"""Rate-limit arithmetic, pure: parse GitHub's ``x-ratelimit-*`` headers and decide waits.

No I/O, no threads, no sleeping: the clock is always passed in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Op", "RateLimitSnapshot"]


class Op(enum.Enum):
    """What a request does, which decides how it is paced and whether it may be retried."""

    READ = "read"  # GET: runs alongside others, up to max-concurrent
    WRITE = "write"  # PATCH/PUT/DELETE: the paced write lane; idempotent, may be retried
    CREATE = "create"  # content-creating POST: paced lane and content budget; never retried blind


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
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
        remaining = _int_header(lower, "x-ratelimit-remaining")
        limit = _int_header(lower, "x-ratelimit-limit")
        if remaining is None and limit is None:
            return None
        reset = _int_header(lower, "x-ratelimit-reset")
        return cls(
            limit=limit,
            remaining=remaining,
            used=_int_header(lower, "x-ratelimit-used"),
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
