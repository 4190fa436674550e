"""What GitHub told a run, as plain values: the primary budget from its ``x-ratelimit-*`` headers.

A leaf module (no batchsync import): the adapter, the rate-limit arithmetic and the results all
read these values, none of them through another's machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["RateLimitSnapshot", "int_header"]


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
