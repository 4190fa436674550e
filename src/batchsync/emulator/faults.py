"""Faults to inject, seeded and repeatable: latency, 5xx, server timeouts, lost answers, storms,
GraphQL's "Something went wrong", and listings that are not listings."""

from __future__ import annotations

import dataclasses
import enum
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from batchsync.emulator.protocol import RawJson, Request, Response

__all__ = [
    "FaultConfig",
    "FaultKind",
    "FaultPlan",
    "Faults",
    "ListingFault",
    "ScheduledFault",
    "broken_listing",
    "other_issue",
]

# What a sign-in wall or a proxy answers in place of the API (HTTP 200, text/html)
HTML_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en"><head><title>Sign in to GitHub</title></head>'
    b'<body><form action="/session" method="post"></form></body></html>\n'
)


class FaultKind(enum.StrEnum):
    """A kind of injected fault."""

    ERROR = "error"  # a 5xx before anything was done
    TIMEOUT = "timeout"  # the server's timeout passes, then 502, possibly after acting
    DROP = "drop"  # the request is applied, then the connection closes with no answer
    STORM = "storm"  # a secondary rate limit out of the blue, with its penalty
    # GraphQL's own timeout: HTTP 200, ``data`` null, "Something went wrong while executing your
    # query...", possibly after acting (on a REST route: as TIMEOUT)
    GRAPHQL_TIMEOUT = "graphql-timeout"


class ListingFault(enum.StrEnum):
    """A paged read (an answer that is a JSON array) answered as no listing is."""

    HTML = "html"  # 200 text/html: a sign-in or proxy page instead of JSON
    OBJECT = "object"  # a JSON object holding the entries instead of the array
    SCALARS = "scalars"  # an array of the entries' numbers instead of objects
    SAME_PAGE = "same-page"  # the ``next`` link names the page just answered
    ENDLESS = "endless"  # ``next`` always names one page more; past the last, the first again
    # a listing answered with the same route's answer for issue ``listing_other`` (a cache or
    # proxy mixing up answers): e.g. another parent's sub-issues
    OTHER_ISSUE = "other-issue"


@dataclass(frozen=True)
class ScheduledFault:
    """Inject ``kind`` on the ``nth`` (1-based) request matching ``method`` and ``template``.

    ``acts`` (TIMEOUT, GRAPHQL_TIMEOUT): whether the request is applied before the failure;
    None draws it at ``timeout_acts_rate``.
    """

    kind: FaultKind
    nth: int
    method: str | None = None
    template: str | None = None  # e.g. "/repos/{owner}/{repo}/issues"
    acts: bool | None = None

    def matches(self, method: str, template: str) -> bool:
        """True when a request is one this fault counts."""
        return (self.method is None or self.method == method) and (
            self.template is None or self.template == template
        )


@dataclass(frozen=True)
class FaultConfig:
    """Fault rates (0..1) and their parameters; times are emulated seconds."""

    latency: float = 0.0
    latency_spread: float = 0.0  # extra latency drawn uniformly from [0, spread]
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    timeout_rate: float = 0.0
    server_timeout: float = 10.0
    timeout_acts_rate: float = 0.5  # share of timed-out writes that were applied anyway
    drop_rate: float = 0.0  # applies to content-creating requests only
    storm_rate: float = 0.0
    storm_seconds: float = 60.0
    methods: tuple[str, ...] | None = None  # the rates apply to these methods only
    schedule: tuple[ScheduledFault, ...] = ()
    listing: ListingFault | None = None  # every paged GET answered so (see ListingFault)
    listing_template: str | None = None  # ... only this route's (None: every listing)
    listing_other: int = 0  # OTHER_ISSUE: the issue whose answer is given instead

    def broken_listing(self, method: str, template: str) -> ListingFault | None:
        """The listing fault for a request, if any (only a GET can be a paged read)."""
        if self.listing is None or method != "GET":
            return None
        return self.listing if self.listing_template in (None, template) else None


@dataclass(frozen=True)
class FaultPlan:
    """What to do to one request."""

    latency: float = 0.0
    kind: FaultKind | None = None
    status: int = 0
    acts: bool = False  # for TIMEOUT and DROP: apply the request before failing


NO_FAULT = FaultPlan()


class Faults:
    """Draws fault plans from a seeded generator; safe to share between server threads."""

    def __init__(self, config: FaultConfig | None = None, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self.set(config or FaultConfig())

    def set(self, config: FaultConfig) -> None:
        """Switch to a new configuration and restart its random sequence and schedule counts."""
        with self._lock:
            self.config = config
            self._rng = random.Random(self._seed)
            self._seen = [0] * len(config.schedule)
            self._idle = config == FaultConfig()  # nothing to inject: skip the draws

    def plan(self, method: str, template: str, creates: bool) -> FaultPlan:
        """Decide the fault, if any, for one request."""
        if self._idle:
            return NO_FAULT
        with self._lock:
            cfg = self.config
            latency = cfg.latency
            if cfg.latency_spread > 0:
                latency += self._rng.uniform(0.0, cfg.latency_spread)
            scheduled = self._scheduled(method, template)
            if scheduled is not None:
                built = self._build(scheduled.kind, latency, method)
                if scheduled.acts is None:
                    return built
                return FaultPlan(built.latency, built.kind, built.status, scheduled.acts)
            if cfg.methods is not None and method not in cfg.methods:
                return FaultPlan(latency) if latency else NO_FAULT
            kind = self._draw(creates)
            if kind is None:
                return FaultPlan(latency) if latency else NO_FAULT
            return self._build(kind, latency, method)

    def _scheduled(self, method: str, template: str) -> ScheduledFault | None:
        hit: ScheduledFault | None = None
        for i, fault in enumerate(self.config.schedule):
            if fault.matches(method, template):
                self._seen[i] += 1
                if self._seen[i] == fault.nth and hit is None:
                    hit = fault
        return hit

    def _draw(self, creates: bool) -> FaultKind | None:
        cfg = self.config
        # one draw per rate, always in the same order, so a seed replays the same run
        draws = [self._rng.random() for _ in range(4)]
        if draws[0] < cfg.storm_rate:
            return FaultKind.STORM
        if draws[1] < cfg.error_rate:
            return FaultKind.ERROR
        if draws[2] < cfg.timeout_rate:
            return FaultKind.TIMEOUT
        if creates and draws[3] < cfg.drop_rate:
            return FaultKind.DROP
        return None

    def _build(self, kind: FaultKind, latency: float, method: str) -> FaultPlan:
        cfg = self.config
        if kind is FaultKind.ERROR:
            return FaultPlan(latency, kind, self._rng.choice(cfg.error_statuses))
        if kind in (FaultKind.TIMEOUT, FaultKind.GRAPHQL_TIMEOUT):
            acts = method != "GET" and self._rng.random() < cfg.timeout_acts_rate
            return FaultPlan(latency, kind, 502, acts)
        if kind is FaultKind.DROP:
            return FaultPlan(latency, kind, 0, True)
        return FaultPlan(latency, kind)


def _entries(response: Response) -> list[Any] | None:
    """The entries of a listing's answer; None for any other answer."""
    body = response.body
    if response.status != 200:
        return None
    if isinstance(body, RawJson):
        body = json.loads(body.data) if body.data.startswith(b"[") else None
    return body if isinstance(body, list) else None


def _page_url(request: Request, page: int) -> str:
    kept = [(k, v) for k, v in request.query_pairs if k != "page"]
    return f"{request.api_base}{request.path}?{urlencode([*kept, ('page', str(page))])}"


def _page(request: Request) -> int:
    raw = request.query.get("page") or "1"
    return int(raw) if raw.isdigit() and len(raw) < 10 else 1


def broken_listing(
    kind: ListingFault,
    response: Response,
    request: Request,
    rerun: Callable[[Request], Response],
) -> Response:
    """A listing's answer as ``kind`` breaks it (any other answer unchanged); ``rerun``
    answers another request to the same route (ENDLESS reads the first page again)."""
    entries = _entries(response)
    if entries is None:
        return response
    if kind is ListingFault.HTML:
        # the body is no JSON: RawJson only carries bytes, the content type says what they are
        return Response(200, RawJson(HTML_PAGE), {"content-type": "text/html; charset=utf-8"})
    headers = {k: v for k, v in response.headers.items() if k != "link"}
    if kind is ListingFault.OBJECT:
        return Response(200, {"total_count": len(entries), "items": entries}, headers)
    if kind is ListingFault.SCALARS:
        numbers = [e.get("number", e.get("id")) if isinstance(e, dict) else e for e in entries]
        return Response(200, numbers, headers)
    page = _page(request)
    if kind is ListingFault.SAME_PAGE:
        return Response(200, response.body, {**headers, "link": _next(request, page)})
    if not entries and page > 1:  # past the last page: the first one again, and on
        query = {**request.query, "page": "1"}
        pairs = (*((k, v) for k, v in request.query_pairs if k != "page"), ("page", "1"))
        response = rerun(dataclasses.replace(request, query=query, query_pairs=pairs))
    return Response(200, response.body, {**headers, "link": _next(request, page + 1)})


def other_issue(
    response: Response, request: Request, rerun: Callable[[Request], Response], other: int
) -> Response:
    """``ListingFault.OTHER_ISSUE``: a listing about one issue answered with issue ``other``'s."""
    if _entries(response) is None or "issue_number" not in request.params:
        return response
    return rerun(
        dataclasses.replace(request, params={**request.params, "issue_number": str(other)})
    )


def _next(request: Request, page: int) -> str:
    return f'<{_page_url(request, page)}>; rel="next"'
