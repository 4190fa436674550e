"""Rate-limit arithmetic, pure: parse GitHub's ``x-ratelimit-*`` headers and decide waits.

No I/O, no threads, no sleeping, no tenacity: the clock is always passed in. The retry policy
built on these waits is ``batchsync.retry``; the threads and locks that act on them live in
``batchsync.processor``.
"""

from __future__ import annotations

import datetime
import email.utils
import enum
import random
import re
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from batchsync import defaults
from batchsync.remote import TOO_QUICKLY, RateLimitSnapshot, int_header

__all__ = [
    "CONTENT_REFUSALS",
    "JITTER",
    "PACING",
    "PAUSE",
    "RESET_MARGIN",
    "TOKEN_EXPIRY_MARGIN",
    "TOO_QUICKLY",
    "CreationBudget",
    "Limits",
    "Op",
    "RateLimitSnapshot",
    "SlidingWindow",
    "backoff_delay",
    "earliest_start",
    "jittered",
    "limit_wait",
    "merge_snapshot",
    "parse_retry_after",
    "points_of",
    "threshold_pause_until",
    "token_expiry",
    "window_free_at",
]


class Op(enum.Enum):
    """What a request does, which decides how it is paced and whether it may be retried."""

    READ = "read"  # GET: runs alongside others, up to max-concurrent
    WRITE = "write"  # PATCH/PUT/DELETE: the paced write lane; idempotent, may be retried
    CREATE = "create"  # content-creating POST: paced lane and content budget; never retried blind


# No write starts this close to the expiry GitHub announced: a write, and the marker lookup
# after a lost answer, must finish while the token still works.
TOKEN_EXPIRY_MARGIN = 120.0
_EXPIRATION_HEADER = "github-authentication-token-expiration"
_EXPIRATION = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (UTC|GMT|[+-]\d{4})")


def token_expiry(headers: Mapping[str, str]) -> float | None:
    """When GitHub says the token expires (epoch seconds), or None.

    Read from ``github-authentication-token-expiration`` (``2026-01-10 06:51:21 UTC``), which
    GitHub sends only for tokens that carry an expiry; an unreadable value counts as absent.
    """
    raw = next((v for k, v in headers.items() if k.lower() == _EXPIRATION_HEADER), None)
    match = _EXPIRATION.fullmatch(str(raw).strip()[:40]) if raw is not None else None
    if match is None:
        return None
    zone = "+0000" if match.group(2) in {"UTC", "GMT"} else match.group(2)
    try:
        when = datetime.datetime.strptime(f"{match.group(1)} {zone}", "%Y-%m-%d %H:%M:%S %z")
    except ValueError:  # e.g. month 13: the pattern checks digits, not the calendar
        return None
    return when.timestamp()


# GitHub's x-ratelimit-reset is whole epoch seconds and the runner's clock may drift from
# GitHub's: wake a little after the reset rather than a little before it.
RESET_MARGIN = 1.0
# The spread of backoff jitter, as a fraction of the delay (the delay itself is a floor).
JITTER = 0.25
_MINUTE = 60.0
_HOUR = 3600.0
# Reasons earliest_start gives that the Gate treats specially.
PACING = "write interval"  # too short and too frequent to report
PAUSE = "rate-limit pause"  # the Gate knows the pause's own reason
# GitHub's texts for a refused content creation: TOO_QUICKLY (remote) and REST's 403/429 ("... have
# been temporarily blocked from content creation ..."); a substring each, GitHub appends more
CONTENT_REFUSALS = (TOO_QUICKLY, "blocked from content creation")
MAX_CONTENT_WEIGHT = 8


@dataclass(frozen=True)
class Limits:
    """Client-side rate-limit settings; the defaults are safe on github.com."""

    threshold: int = (
        defaults.RATE_LIMIT_THRESHOLD
    )  # pause all lanes until reset when remaining <= threshold
    max_retries: int = defaults.MAX_RETRIES  # retries after the first attempt; 0 allowed
    retry_delay: float = (
        defaults.RETRY_DELAY
    )  # base seconds of exponential backoff (5xx, connection errors)
    write_interval: float = (
        defaults.WRITE_INTERVAL
    )  # seconds between the starts of two writes; 0 = off
    creates_per_minute: int = defaults.CREATES_PER_MINUTE  # content-creation budget; 0 = off
    creates_per_hour: int = defaults.CREATES_PER_HOUR  # 0 = off
    secondary_wait: float = 60.0  # first wait on a secondary limit with no hint; doubles
    requests_per_hour: int = 5000  # the original's default, reported only
    points_per_minute: int = 900  # GitHub's secondary points (read 1, write 5); 0 = off

    def __post_init__(self) -> None:
        for name in (
            "threshold",
            "max_retries",
            "retry_delay",
            "write_interval",
            "creates_per_minute",
            "creates_per_hour",
            "secondary_wait",
            "requests_per_hour",
            "points_per_minute",
        ):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"Limits.{name} must be 0 or more, got {value!r}")


def merge_snapshot(
    old: RateLimitSnapshot | None, new: RateLimitSnapshot | None, resource: str = "core"
) -> RateLimitSnapshot | None:
    """Combine two snapshots from concurrent responses: the newer window, then the lower count.

    Answers to concurrent requests arrive out of order, so a later answer may carry an older
    ``remaining``; within one window (same reset) the lowest remaining is the truest. Only the
    ``resource`` budget is tracked (``core`` for REST; ``graphql`` is a bucket of its own).
    """
    if new is None or (new.resource or "core") != resource:
        return old  # other resources (search, graphql) have budgets of their own
    if old is None or old.reset is None or new.reset is None or new.reset > old.reset:
        return new
    if new.reset < old.reset:
        return old
    if old.remaining is not None and (new.remaining is None or old.remaining < new.remaining):
        return RateLimitSnapshot(
            limit=new.limit if new.limit is not None else old.limit,
            remaining=old.remaining,
            used=old.used,
            reset=old.reset,
            resource=new.resource or old.resource,
        )
    return new


def threshold_pause_until(
    snapshot: RateLimitSnapshot | None, threshold: int, now: float, in_flight: int = 0
) -> float | None:
    """When a pause for a nearly spent primary budget ends, or None when there is no need.

    ``in_flight`` requests are not in the snapshot yet but will each spend one.
    """
    if snapshot is None or snapshot.remaining is None or snapshot.reset is None:
        return None
    if snapshot.remaining - in_flight > threshold:
        return None
    until = snapshot.reset + RESET_MARGIN
    return until if until > now else None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``retry-after`` value (seconds or an HTTP date); None if absent."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - now)


def limit_wait(
    headers: Mapping[str, str], now: float, repeat: int, secondary_wait: float
) -> tuple[float, str]:
    """How long to wait after a 403/429 rate-limit answer, and why, in GitHub's order.

    1. ``retry-after``: that many seconds. 2. ``x-ratelimit-remaining: 0``: until
    ``x-ratelimit-reset``. 3. Otherwise ``secondary_wait``, doubling on each repeat (``repeat``
    counts consecutive limit answers from 1).
    https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api
    """
    lower = {k.lower(): v for k, v in headers.items()}
    hinted = parse_retry_after(lower.get("retry-after"), now)
    if hinted is not None:
        return hinted, f"rate limited: retry-after {hinted:g} s"
    remaining = int_header(lower, "x-ratelimit-remaining")
    reset = int_header(lower, "x-ratelimit-reset")
    if remaining == 0 and reset is not None:
        wait = max(0.0, reset + RESET_MARGIN - now)
        return wait, f"primary rate limit exhausted: waiting for the reset ({wait:.0f} s)"
    wait = secondary_wait * 2.0 ** max(0, repeat - 1)
    return wait, f"secondary rate limit without retry-after: waiting {wait:g} s (repeat {repeat})"


def backoff_delay(retry_number: int, base: float) -> float:
    """Exponential backoff before retry ``retry_number`` (1-based): base, 2 x base, 4 x base..."""
    return base * 2.0 ** max(0, retry_number - 1)


def jittered(delay: float, rng: random.Random) -> float:
    """``delay`` plus up to ``JITTER`` of it at random, so lanes that failed together spread out."""
    return delay * (1.0 + JITTER * rng.random())


def window_free_at(
    entries: Sequence[tuple[float, int]],
    now: float,
    *,
    cap: int,
    window: float,
    cost: int = 1,
    pending: int = 0,
) -> float:
    """Earliest time ``cost`` more units fit ``cap`` units per sliding ``window``; cap 0 is off.

    ``entries`` are ``(time, units)`` in time order; ``pending`` units are sent but unanswered.
    """
    if cap <= 0:
        return now
    live = [(at, units) for at, units in entries if at > now - window]
    used = sum(units for _, units in live) + pending
    if used + cost <= cap:
        return now
    for at, units in live:
        used -= units
        if used + cost <= cap:
            return at + window  # once this entry leaves the window, the new one fits
    return now + window  # unanswered requests alone fill it: look again after a window


class SlidingWindow:
    """A budget of ``cap`` units per sliding ``window`` seconds (``cap`` 0 is off).

    A request is counted when its answer arrives: GitHub counted it at some moment before
    that, so a window measured from the answer never ends before GitHub's does. Until then
    it is pending and holds its units. Not thread-safe: the caller holds its own lock.
    """

    def __init__(self, cap: int, window: float) -> None:
        self.cap = cap
        self.window = window
        self.pending = 0
        self._entries: deque[tuple[float, int]] = deque()

    def earliest(self, now: float, cost: int = 1) -> float:
        """When ``cost`` more units may be sent."""
        while self._entries and self._entries[0][0] <= now - self.window:
            self._entries.popleft()
        return window_free_at(
            self._entries, now, cap=self.cap, window=self.window, cost=cost, pending=self.pending
        )

    def reserve(self, cost: int = 1) -> None:
        """A request of ``cost`` units was sent."""
        self.pending += cost

    def settle(self, at: float, cost: int = 1) -> None:
        """The request reserved with ``cost`` was answered (or failed) at ``at``."""
        self.pending = max(0, self.pending - cost)
        self.record(at, cost)

    def record(self, at: float, cost: int = 1) -> None:
        """Count ``cost`` units at ``at`` (times must not go backwards)."""
        if self.cap > 0:
            self._entries.append((at, cost))

    def scale(self, factor: int) -> None:
        """Count everything already in the window ``factor`` times (a budget found too lax)."""
        self._entries = deque((at, units * factor) for at, units in self._entries)


class CreationBudget:
    """The content-creation budget: per-minute and per-hour sliding windows of creates.

    ``weight`` is what one create counts; it starts at 1 and doubles (``adapt``) each time
    GitHub refuses content the budget allowed, so the pacing follows GitHub's real count.
    """

    def __init__(self, per_minute: int, per_hour: int) -> None:
        self.per_minute = per_minute
        self.per_hour = per_hour
        self.weight = 1
        self._minute = SlidingWindow(per_minute, _MINUTE)
        self._hour = SlidingWindow(per_hour, _HOUR)

    def adapt(self) -> None:
        """GitHub counted more than this budget did: each create counts twice as much.

        The creates already in the windows are recounted too: GitHub counted them its way.
        """
        weight = min(MAX_CONTENT_WEIGHT, self.weight * 2)
        factor, self.weight = weight // self.weight, weight
        if factor > 1:
            self._minute.scale(factor)
            self._hour.scale(factor)

    def earliest(self, now: float) -> tuple[float, str]:
        """When the next create may start, and which window decides it."""
        minute = self._minute.earliest(now, self.weight)
        hour = self._hour.earliest(now, self.weight)
        if hour >= minute:
            return hour, f"content-creation budget: {self.per_hour} an hour"
        return minute, f"content-creation budget: {self.per_minute} a minute"

    def reserve(self) -> None:
        """A create was sent."""
        self._minute.reserve()
        self._hour.reserve()

    def settle(self, at: float) -> None:
        """The create reserved last was answered (or failed) at ``at``."""
        self._minute.settle(at)
        self._hour.settle(at)
        for extra in (self._minute, self._hour):
            if self.weight > 1:
                extra.record(at, self.weight - 1)

    def record(self, at: float) -> None:
        """Count a create at ``at``."""
        self._minute.record(at)
        self._hour.record(at)


def points_of(op: Op) -> int:
    """GitHub's secondary-limit points for a request: 1 for a read, 5 for any write."""
    return 1 if op is Op.READ else 5


def earliest_start(
    op: Op,
    now: float,
    *,
    limits: Limits,
    pause_until: float,
    snapshot: RateLimitSnapshot | None,
    last_write_start: float | None,
    budget: CreationBudget,
    points: SlidingWindow | None = None,
    in_flight: int = 0,
) -> tuple[float, str]:
    """When a request of kind ``op`` may start, and the reason when that is later than ``now``.

    Every lane waits for a limit pause, for a spent primary budget's reset and for the points
    budget; writes also keep the write interval, and creates the content-creation budget.
    """
    candidates: list[tuple[float, str]] = [(now, "")]
    if pause_until > now:
        candidates.append((pause_until, PAUSE))
    reset = threshold_pause_until(snapshot, limits.threshold, now, in_flight)
    if reset is not None and snapshot is not None:
        candidates.append(
            (
                reset,
                f"primary rate limit: {snapshot.remaining} left (threshold {limits.threshold}),"
                " waiting for the reset",
            )
        )
    if points is not None:
        candidates.append(
            (
                points.earliest(now, points_of(op)),
                f"secondary rate limit: {points.cap} points a minute",
            )
        )
    if op is not Op.READ and last_write_start is not None and limits.write_interval > 0:
        candidates.append((last_write_start + limits.write_interval, PACING))
    if op is Op.CREATE:
        candidates.append(budget.earliest(now))
    return max(candidates, key=lambda c: c[0])
