"""GitHub's primary and secondary rate limits, enforced per token on the emulated clock.

Numbers and answers follow https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
and https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api
(docs/emulator.md lists them). Every limit can be switched off on its own.
"""

from __future__ import annotations

import enum
import math
import random
import threading
from collections import deque
from dataclasses import dataclass, field, replace

from batchsync.emulator.clock import Clock
from batchsync.emulator.protocol import ApiFailure, Identity

__all__ = ["LimitConfig", "Limiter", "Resource", "Verdict"]

PRIMARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/"
    "rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
SECONDARY_TEXT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {rid}."
)
CONTENT_TEXT = (
    "You have exceeded a secondary rate limit and have been temporarily blocked from content "
    "creation. Please retry your request again later. If you reach out to GitHub Support for "
    "help, please include the request ID {rid}."
)
# GitHub's older wording of a secondary limit (still seen from GHES and in octokit's fixtures):
# no "rate limit" in it at all.
ABUSE_TEXT = (
    "You have triggered an abuse detection mechanism. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID {rid}."
)
ABUSE_DOCS = "https://docs.github.com/rest/overview/resources-in-the-rest-api#abuse-rate-limits"
PRIMARY_TEXT = (
    "API rate limit exceeded for {who} ID {ident}. If you reach out to GitHub Support for help, "
    "please include the request ID {rid}."
)


class Resource(enum.StrEnum):
    """The rate-limit bucket a request is charged to (``x-ratelimit-resource``)."""

    CORE = "core"
    SEARCH = "search"
    GRAPHQL = "graphql"


@dataclass(frozen=True)
class LimitConfig:
    """Which limits apply and their numbers; ``None`` switches a secondary limit off."""

    primary: bool = True
    primary_limit: int = 1_000  # GITHUB_TOKEN's budget per repository and hour
    window: float = 3_600.0
    primary_statuses: tuple[int, ...] = (403,)
    search_limit: int = 30
    search_window: float = 60.0
    graphql_limit: int = 1_000  # GraphQL's own hourly points (GITHUB_TOKEN: per repository)
    max_in_flight: int | None = 100
    points_per_minute: int | None = 900
    read_points: int = 1
    write_points: int = 5
    creates_per_minute: int | None = 80
    creates_per_hour: int | None = 500
    server_seconds_per_minute: float | None = 90.0  # server time a token may use per minute
    secondary_statuses: tuple[int, ...] = (403, 429)
    retry_after_rate: float = 0.5  # share of secondary answers that carry retry-after
    penalty: float = 60.0  # seconds a secondary limit lasts when no retry-after is sent
    zero_remaining_rate: float = 0.0  # share of secondary answers reading remaining 0
    abuse_wording: bool = False  # word secondary limits as GitHub's older "abuse detection"
    # a request arriving this soon after a limit struck was in flight before the client could
    # know: it is refused but not counted as a violation
    violation_grace: float = 1.0

    @classmethod
    def github(cls, **changes: object) -> LimitConfig:
        """github.com with a ``GITHUB_TOKEN`` (the default)."""
        return replace(cls(), **changes)  # type: ignore[arg-type]

    @classmethod
    def off(cls) -> LimitConfig:
        """No limit enforced; the headers still count, from a budget no run exhausts."""
        return cls(
            primary=False,
            primary_limit=1_000_000_000,
            search_limit=1_000_000_000,
            graphql_limit=1_000_000_000,
            max_in_flight=None,
            points_per_minute=None,
            creates_per_minute=None,
            creates_per_hour=None,
            server_seconds_per_minute=None,
        )

    @classmethod
    def named(cls, name: str) -> LimitConfig:
        """``github`` or ``off``."""
        if name == "github":
            return cls.github()
        if name == "off":
            return cls.off()
        raise ValueError(f"limits must be 'github' or 'off', got {name!r}")


class Verdict(enum.StrEnum):
    """What the limiter decided about one request."""

    OK = "ok"
    PRIMARY = "primary"  # over the hourly budget: the client ignored remaining 0
    SECONDARY = "secondary"  # a secondary limit was hit: a penalty starts
    PENALTY = "penalty"  # arrived while a penalty was active: a violation


@dataclass
class _Budget:
    reset: float = 0.0
    used: int = 0
    exhausted_at: float = 0.0


@dataclass
class _TokenState:
    budgets: dict[Resource, _Budget] = field(default_factory=dict)
    in_flight: int = 0
    penalty_until: float = 0.0
    penalty_since: float = 0.0
    penalty_retry_after: bool = False
    penalty_content: bool = False  # the penalty came from the content-creation limit
    points: deque[tuple[float, int]] = field(default_factory=deque)
    points_total: int = 0
    creates: deque[float] = field(default_factory=deque)  # the last hour's
    recent_creates: deque[float] = field(default_factory=deque)  # the last minute's
    served: deque[tuple[float, float]] = field(default_factory=deque)  # (ended, seconds)
    served_total: float = 0.0


def _clears(
    times: deque[float], limit: int | None, window: float, now: float, count: int = 1
) -> float | None:
    """None while ``count`` more fit in ``times`` (pruned to ``window``), else the wait."""
    while times and times[0] <= now - window:
        times.popleft()
    if limit is None or len(times) + count <= limit:
        return None
    if not times:  # more at once than the limit allows: it never clears
        return window
    return times[min(len(times) - 1, len(times) + count - 1 - limit)] + window - now


@dataclass(frozen=True)
class Decision:
    """The limiter's answer: a verdict, the headers to send, and the failure to answer with."""

    verdict: Verdict
    headers: dict[str, str]
    failure: ApiFailure | None = None
    violation: bool = False  # sent while the client already knew the limit was active
    content: bool = False  # refused by the content-creation limit (or its penalty)


class Limiter:
    """Per-token budgets, in-flight counts, point and content windows, and penalties."""

    def __init__(self, config: LimitConfig, clock: Clock, seed: int = 0) -> None:
        self.config = config
        self.clock = clock
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._tokens: dict[int, _TokenState] = {}

    def reset(self, config: LimitConfig | None = None) -> None:
        """Forget every budget and penalty (and optionally switch configuration)."""
        with self._lock:
            self._tokens.clear()
            if config is not None:
                self.config = config

    def enter(self, who: Identity) -> int:
        """A request from ``who`` started; return how many are now in flight for it."""
        with self._lock:
            state = self._tokens.setdefault(who.token_id, _TokenState())
            state.in_flight += 1
            return state.in_flight

    def leave(self, who: Identity, started: float | None = None) -> None:
        """A request from ``who`` was answered; ``started`` (emulated) charges its server time."""
        with self._lock:
            state = self._tokens[who.token_id]
            state.in_flight -= 1
            if started is not None and self.config.server_seconds_per_minute is not None:
                now = self.clock.now()
                state.served.append((now, now - started))
                state.served_total += now - started

    def _limit(self, who: Identity, resource: Resource) -> int:
        if resource is Resource.SEARCH:
            return self.config.search_limit
        if resource is Resource.GRAPHQL:
            return self.config.graphql_limit
        return who.limit if who.limit is not None else self.config.primary_limit

    def _budget(self, state: _TokenState, resource: Resource, now: float) -> _Budget:
        budget = state.budgets.setdefault(resource, _Budget())
        if now >= budget.reset:
            window = (
                self.config.search_window if resource is Resource.SEARCH else self.config.window
            )
            budget.reset = float(math.ceil(now + window))
            budget.used = 0
        return budget

    def headers(self, who: Identity, resource: Resource = Resource.CORE) -> dict[str, str]:
        """The ``x-ratelimit-*`` headers for ``who`` right now, charging nothing."""
        with self._lock:
            state = self._tokens.setdefault(who.token_id, _TokenState())
            budget = self._budget(state, resource, self.clock.now())
            return self._headers(who, resource, budget)

    def _headers(self, who: Identity, resource: Resource, budget: _Budget) -> dict[str, str]:
        limit = self._limit(who, resource)
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(0, limit - budget.used)),
            "x-ratelimit-reset": str(int(budget.reset)),
            "x-ratelimit-used": str(budget.used),
            "x-ratelimit-resource": resource.value,
        }

    def snapshot(self, who: Identity, resource: Resource) -> dict[str, int]:
        """One ``rate_limit`` resource entry for ``who``."""
        hdrs = self.headers(who, resource)
        return {
            "limit": int(hdrs["x-ratelimit-limit"]),
            "used": int(hdrs["x-ratelimit-used"]),
            "remaining": int(hdrs["x-ratelimit-remaining"]),
            "reset": int(hdrs["x-ratelimit-reset"]),
        }

    def admit(
        self,
        who: Identity,
        *,
        method: str,
        resource: Resource,
        creates: int,
        request_id: str,
        storm: float | None = None,
        points: int | None = None,
    ) -> Decision:
        """Charge one request and decide whether it may run.

        ``creates`` counts the content creations it makes (a bool counts as 0 or 1); ``points``
        overrides the secondary points its method costs (GraphQL: 1 a query, 5 a mutation);
        ``storm`` forces a secondary limit lasting that many seconds (a fault).
        """
        with self._lock:
            now = self.clock.now()
            state = self._tokens.setdefault(who.token_id, _TokenState())
            budget = self._budget(state, resource, now)
            grace = self.config.violation_grace
            if now < state.penalty_until:
                wait = state.penalty_until - now if state.penalty_retry_after else None
                hdrs = self._headers(who, resource, budget)
                refused = self._secondary(Verdict.PENALTY, hdrs, request_id, creates, wait)
                content = state.penalty_content and creates > 0
                return replace(
                    refused, violation=now >= state.penalty_since + grace, content=content
                )
            limit = self._limit(who, resource)
            if (self.config.primary or resource is Resource.SEARCH) and budget.used >= limit:
                refused = self._primary(who, resource, budget, request_id)
                return replace(refused, violation=now >= budget.exhausted_at + grace)
            budget.used += 1
            if budget.used == limit:
                budget.exhausted_at = now
            hdrs = self._headers(who, resource, budget)
            cost = points if points is not None else self._cost(method)
            clears = storm if storm is not None else self._over_general(state, cost, now)
            content = clears is None and bool(creates)
            if content:
                clears = self._over_content(state, int(creates), now)
            if clears is not None:
                state.penalty_content = content
                refused = self._start_penalty(
                    state,
                    hdrs=hdrs,
                    request_id=request_id,
                    creates=creates,
                    now=now,
                    clears=clears,
                    storm=storm is not None,
                )
                return replace(refused, content=content)
            self._charge(state, cost, int(creates), now)
            return Decision(Verdict.OK, hdrs)

    def _cost(self, method: str) -> int:
        return self.config.read_points if method in ("GET", "HEAD") else self.config.write_points

    def _over_general(self, state: _TokenState, cost: int, now: float) -> float | None:
        """None when no secondary limit (content creation aside) is hit, else when it clears."""
        cfg = self.config
        if cfg.max_in_flight is not None and state.in_flight > cfg.max_in_flight:
            return 0.0
        while state.points and state.points[0][0] <= now - 60.0:
            state.points_total -= state.points.popleft()[1]
        if cfg.points_per_minute is not None and state.points_total + cost > cfg.points_per_minute:
            freed, total = 0.0, state.points_total
            for at, points in state.points:
                total -= points
                freed = at + 60.0 - now
                if total + cost <= cfg.points_per_minute:
                    break
            return freed
        while state.served and state.served[0][0] <= now - 60.0:
            state.served_total -= state.served.popleft()[1]
        busy = cfg.server_seconds_per_minute
        if busy is not None and state.served_total > busy:
            return state.served[0][0] + 60.0 - now
        return None

    def _over_content(self, state: _TokenState, creates: int, now: float) -> float | None:
        """None while ``creates`` more content creations fit, else the seconds until they do."""
        cfg = self.config
        hour = _clears(state.creates, cfg.creates_per_hour, 3_600.0, now, creates)
        return (
            hour
            if hour is not None
            else _clears(state.recent_creates, cfg.creates_per_minute, 60.0, now, creates)
        )

    def _charge(self, state: _TokenState, cost: int, creates: int, now: float) -> None:
        state.points.append((now, cost))
        state.points_total += cost
        for _ in range(creates):
            if self.config.creates_per_hour is not None:
                state.creates.append(now)
            if self.config.creates_per_minute is not None:
                state.recent_creates.append(now)

    def _start_penalty(
        self,
        state: _TokenState,
        *,
        hdrs: dict[str, str],
        request_id: str,
        creates: int,
        now: float,
        clears: float,
        storm: bool,
    ) -> Decision:
        # retry-after, when sent, is truthful: never shorter than the time the limit takes to clear
        with_retry = self._rng.random() < self.config.retry_after_rate
        length = clears if storm else self.config.penalty
        if with_retry:
            drawn = self._rng.randint(max(1, int(length // 2)), max(1, int(length)))
            length = max(float(drawn), math.ceil(clears))
        state.penalty_until = now + length
        state.penalty_since = now
        state.penalty_retry_after = with_retry
        return self._secondary(
            Verdict.SECONDARY, hdrs, request_id, creates, length if with_retry else None
        )

    def _secondary(
        self,
        verdict: Verdict,
        hdrs: dict[str, str],
        request_id: str,
        creates: int,
        retry_after: float | None,
    ) -> Decision:
        status = self._rng.choice(self.config.secondary_statuses)
        headers = dict(hdrs)
        if retry_after is not None:
            headers["retry-after"] = str(max(1, math.ceil(retry_after)))
        if self._rng.random() < self.config.zero_remaining_rate:
            headers["x-ratelimit-remaining"] = "0"
        text, docs = (CONTENT_TEXT if creates else SECONDARY_TEXT), SECONDARY_DOCS
        if self.config.abuse_wording:
            text, docs = ABUSE_TEXT, ABUSE_DOCS
        failure = ApiFailure(
            status, text.format(rid=request_id), documentation_url=docs, headers=headers
        )
        return Decision(verdict, headers, failure)

    def _primary(
        self, who: Identity, resource: Resource, budget: _Budget, request_id: str
    ) -> Decision:
        headers = self._headers(who, resource, budget)
        status = self._rng.choice(self.config.primary_statuses)
        who_kind = "installation" if who.kind == "installation" else "user"
        ident = who.token_id if who.kind == "installation" else who.user_id
        text = PRIMARY_TEXT.format(who=who_kind, ident=ident, rid=request_id)
        failure = ApiFailure(status, text, documentation_url=PRIMARY_DOCS, headers=headers)
        return Decision(Verdict.PRIMARY, headers, failure)
