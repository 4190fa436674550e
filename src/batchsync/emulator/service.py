"""The request pipeline, free of HTTP plumbing: auth, limits, faults, dispatch, stats."""

from __future__ import annotations

import hmac
import itertools
import json
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from batchsync.emulator.clock import Clock
from batchsync.emulator.faults import (
    FaultConfig,
    FaultKind,
    FaultPlan,
    Faults,
    ListingFault,
    broken_listing,
    other_issue,
)
from batchsync.emulator.graphql import GraphQLConfig, graphql_path
from batchsync.emulator.issue_types import DEFAULT_ISSUE_TYPES
from batchsync.emulator.limits import Decision, LimitConfig, Limiter, Resource, Verdict
from batchsync.emulator.protocol import (
    ApiFailure,
    Charge,
    Identity,
    RawJson,
    Request,
    Response,
)
from batchsync.emulator.routes import INTEGRATION_FORBIDDEN, Api, Route
from batchsync.emulator.state import Store
from batchsync.emulator.stats import RequestRecord, Stats

__all__ = ["Answer", "Handle", "Service"]

TIMEOUT_TEXT = (
    "We couldn't respond to your request in time. Sorry about that. Please try resubmitting "
    "your request and contact us if the problem persists."
)
GRAPHQL_TIMEOUT_TEXT = (
    "Something went wrong while executing your query. This may be the result of a timeout, or "
    "it could be a GitHub bug. Please include `{rid}` when reporting this issue."
)
NO_CHARGE = Charge(0, 0, "")
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
EXPIRATION_HEADER = "github-authentication-token-expiration"
BASE_HEADERS = {
    "content-type": "application/json; charset=utf-8",
    "x-github-media-type": "github.v3; format=json",
    "x-github-api-version-selected": "2022-11-28",
}


class AdminHandler(Protocol):
    """Serves ``/_emulator/...`` (set by the server, which owns the emulator's controls)."""

    def handle(
        self, method: str, name: str, pairs: tuple[tuple[str, str], ...], raw: bytes, host: str
    ) -> Answer:
        """Answer one admin request."""
        ...


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer: status, headers, body bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes


# One request in, its answer out (None: drop the connection): what ``Service.wrap`` wraps.
Handle = Callable[[str, str, Mapping[str, str], bytes, str], Answer | None]


class Service:
    """Turns one HTTP request into an ``Answer`` (or None: drop the connection)."""

    def __init__(
        self,
        *,
        clock: Clock,
        limits: LimitConfig,
        faults: FaultConfig | None,
        seed: int,
        prefix: str,
        sub_issues: bool,
        search_lag: float,
        graphql: GraphQLConfig | None = None,
        list_fields: str = "both",
        dependencies: bool = True,
        issue_types: Sequence[str] | None = DEFAULT_ISSUE_TYPES,
    ) -> None:
        self.clock = clock
        self.prefix = prefix
        self.graphql_path = graphql_path(prefix) if graphql is not None else None
        self.store = Store(clock)
        self.limiter = Limiter(limits, clock, seed)
        self.faults = Faults(faults, seed)
        self.stats = Stats()
        self.api = Api(
            self.store,
            self.limiter,
            sub_issues=sub_issues,
            search_lag=search_lag,
            graphql=graphql,
            seed=seed,
            list_fields=list_fields,
            dependencies=dependencies,
            issue_types=issue_types,
        )
        self.tokens: dict[str, Identity] = {}
        self._ids = itertools.count(1)
        self._token_ids = itertools.count(1_000_001)
        self._lock = threading.Lock()
        self.admin: AdminHandler | None = None
        self._outer: Handle = self.handle  # what the server calls: handle, or a wrapper of it
        self.admin_token: str | None = None  # what /_emulator/ needs once tokens are configured

    def add_token(
        self,
        token: str,
        *,
        permission: str,
        kind: str,
        limit: int | None = None,
        login: str | None = None,
        expires_at: float | None = None,
        announce_expiry: bool = True,
    ) -> Identity:
        """Register a token: ``permission`` "write" or "read", ``kind`` "installation" or "user".

        ``login``: the account it acts as (default ``github-actions[bot]`` for an installation
        token, ``emulator-user-N`` for a user token); an App's installation token acts as
        ``<slug>[bot]``. ``expires_at`` (emulated epoch seconds): from then on the token is
        refused with 401; before, answers announce it unless ``announce_expiry`` is False.
        """
        if permission not in ("write", "read"):
            raise ValueError(f"permission must be 'write' or 'read', got {permission!r}")
        if kind not in ("installation", "user"):
            raise ValueError(f"kind must be 'installation' or 'user', got {kind!r}")
        token_id = next(self._token_ids)
        default = "github-actions[bot]" if kind == "installation" else f"emulator-user-{token_id}"
        login = login or default
        user_id = 41_898_282 if login == "github-actions[bot]" else token_id
        identity = Identity(
            token_id, login, user_id, kind, permission, limit, expires_at, announce_expiry
        )
        with self._lock:
            self.tokens[token] = identity
        return identity

    def identify(self, authorization: str | None) -> Identity | None:
        """The token's identity; any token is accepted while none is registered."""
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() not in ("token", "bearer") or not token.strip():
            return None
        token = token.strip()
        found = self.tokens.get(token)
        if found is None and not self.tokens:
            found = Identity(1_000_000, "github-actions[bot]", 41_898_282, "installation", "write")
        return found

    def admin_allowed(self, authorization: str | None) -> bool:
        """Whether a request may use ``/_emulator/``: anyone while no token is configured (the
        emulator then accepts any token anyway), else only the admin token's holder, so that a
        caller cannot register a token of its own or read the state of a shared emulator."""
        with self._lock:
            open_to_all = not self.tokens
        if open_to_all:
            return True
        scheme, _, given = (authorization or "").strip().partition(" ")
        wanted = self.admin_token
        if not wanted or scheme.lower() not in ("token", "bearer"):
            return False
        return hmac.compare_digest(given.strip().encode(), wanted.encode())

    def wrap(self, wrapper: Callable[[Handle], Handle]) -> None:
        """Put ``wrapper`` around the request handler: ``wrapper(inner)`` returns the handler
        the server calls from now on (tests hold, count or refuse requests this way)."""
        self._outer = wrapper(self._outer)

    def serve(
        self, method: str, target: str, headers: Mapping[str, str], raw: bytes, host: str
    ) -> Answer | None:
        """What the server calls for each request: the handler with every wrapper around it."""
        return self._outer(method, target, headers, raw, host)

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], raw: bytes, host: str
    ) -> Answer | None:
        """Serve one request; None means: close the connection without an answer."""
        split = urlsplit(target)
        path = split.path
        pairs = tuple(parse_qsl(split.query, keep_blank_values=True))
        if path.startswith((self.prefix + "/_emulator/", "/_emulator/")):
            if self.admin is None:
                return Answer(404, {}, b"")
            if not self.admin_allowed(headers.get("authorization")):
                body = json.dumps({"message": "the /_emulator/ endpoints need the admin token"})
                return Answer(401, {"content-type": "application/json"}, body.encode())
            return self.admin.handle(method, path.split("/_emulator/", 1)[1], pairs, raw, host)
        rid = f"{next(self._ids):04X}:{7:04X}:{11:06X}:{13:06X}:{17:08X}"
        ex = _Exchange(self.clock.now(), method, path, path, rid, pairs, raw, host)
        if path == self.graphql_path:  # GHES serves it beside the REST prefix: /api/graphql
            ex.path = ex.template = "/graphql"
        elif not path.startswith(self.prefix + "/"):
            return self._finish(ex, ApiFailure(404, "Not Found").response())
        else:
            ex.path = ex.template = path[len(self.prefix) :]
        ex.who = self.identify(headers.get("authorization"))
        if ex.who is not None and ex.who.expires_at is not None and ex.at >= ex.who.expires_at:
            ex.who = None  # GitHub answers an expired token as it answers a wrong one
        if ex.who is None:
            ex.verdict = "auth"
            ex.limit_headers = self._anonymous(ex.at)
            return self._finish(ex, ApiFailure(401, "Bad credentials").response())
        found = self.api.route(method, ex.path)
        if found is not None:
            ex.route, ex.params = found
            ex.template = ex.route.template
            ex.charge = (
                ex.route.charge(raw)
                if ex.route.charge is not None
                else Charge(int(ex.route.creates), 0, "")
            )
        self.stats.in_flight(self.limiter.enter(ex.who))
        try:
            return self._serve(ex, ex.who)
        finally:
            self.limiter.leave(ex.who, ex.at)

    def _serve(self, ex: _Exchange, who: Identity) -> Answer | None:
        route = ex.route
        plan = FaultPlan()
        if route is not None and route.resource is not None:
            plan = self.faults.plan(ex.method, ex.template, ex.charge.creates > 0)
        decision = self._admit(ex, who, plan)
        ex.limit_headers = decision.headers
        if decision.failure is not None:
            ex.verdict = decision.verdict
            ex.violation = decision.violation
            if route is not None and route.refused is not None:
                return self._finish(ex, route.refused(decision, ex.charge))
            return self._finish(ex, decision.failure.response())
        self.clock.sleep(plan.latency)
        if route is None:
            return self._finish(ex, ApiFailure(404, "Not Found").response())
        request = self._request(ex, who)
        if isinstance(request, ApiFailure):
            return self._finish(ex, request.response())
        # GraphQL answers a read-only token's mutation itself (type FORBIDDEN)
        if ex.method in WRITE_METHODS and who.permission != "write" and route.charge is None:
            return self._finish(ex, ApiFailure(403, INTEGRATION_FORBIDDEN).response())
        return self._act(ex, route, request, plan)

    def _act(self, ex: _Exchange, route: Route, request: Request, plan: FaultPlan) -> Answer | None:
        ex.fault = plan.kind if plan.kind is not FaultKind.STORM else None
        if plan.kind is FaultKind.ERROR:
            return self._finish(ex, ApiFailure(plan.status, "Server Error").response())
        if plan.kind in (FaultKind.TIMEOUT, FaultKind.GRAPHQL_TIMEOUT):
            # GitHub gives up after its timeout, possibly after it acted
            self.clock.sleep(self.faults.config.server_timeout)
            if plan.acts:
                self._run(route, request)
            if plan.kind is FaultKind.GRAPHQL_TIMEOUT and route.charge is not None:
                error = {"message": GRAPHQL_TIMEOUT_TEXT.format(rid=ex.rid)}
                return self._finish(ex, Response(200, {"data": None, "errors": [error]}))
            return self._finish(ex, ApiFailure(502, TIMEOUT_TEXT).response())
        response = self._run(route, request)
        if plan.kind is FaultKind.DROP:
            self._record(ex, 0)
            return None
        broken = self.faults.config.broken_listing(ex.method, ex.template)
        if broken is ListingFault.OTHER_ISSUE:
            other = self.faults.config.listing_other
            response = other_issue(response, request, lambda r: self._run(route, r), other)
        elif broken is not None:
            response = broken_listing(broken, response, request, lambda r: self._run(route, r))
        return self._finish(ex, response)

    def _admit(self, ex: _Exchange, who: Identity, plan: FaultPlan) -> Decision:
        route = ex.route
        if route is not None and route.resource is None:
            return Decision(Verdict.OK, self.limiter.headers(who))
        resource = route.resource if route is not None and route.resource else Resource.CORE
        storm = self.faults.config.storm_seconds if plan.kind is FaultKind.STORM else None
        return self.limiter.admit(
            who,
            method=ex.method,
            resource=resource,
            creates=ex.charge.creates,
            request_id=ex.rid,
            storm=storm,
            points=ex.charge.points or None,
        )

    def _request(self, ex: _Exchange, who: Identity) -> Request | ApiFailure:
        body: Any = None
        if ex.raw.strip():
            try:
                body = json.loads(ex.raw)
            except ValueError:
                return ApiFailure(400, "Problems parsing JSON")
        web = f"http://{ex.host}"
        return Request(
            method=ex.method,
            path=ex.path,
            query=dict(ex.pairs),
            query_pairs=ex.pairs,
            params=ex.params,
            body=body,
            api_base=web + self.prefix,
            web_base=web,
            identity=who,
        )

    def _run(self, route: Route, request: Request) -> Response:
        with self.store.lock:
            try:
                return route.handler(request)
            except ApiFailure as failure:
                return failure.response(request.api_base)
            except Exception:  # an emulator bug: say so loudly, never pass it off as GitHub's
                traceback.print_exc()
                self.stats.internal_errors += 1
                return ApiFailure(500, "emulator internal error (see its stderr)").response()
            finally:
                if request.method != "GET":
                    self.store.changed()

    def _anonymous(self, now: float) -> dict[str, str]:
        return {
            "x-ratelimit-limit": "60",
            "x-ratelimit-remaining": "59",
            "x-ratelimit-reset": str(int(now) + 3_600),
            "x-ratelimit-used": "1",
            "x-ratelimit-resource": "core",
        }

    def _record(self, ex: _Exchange, status: int) -> None:
        self.stats.record(
            RequestRecord(
                ex.at,
                ex.method,
                ex.template,
                ex.path,
                status,
                str(ex.verdict),
                ex.fault.value if ex.fault else None,
                ex.violation,
                ex.who.token_id if ex.who else None,
                ex.charge.operation or None,
            )
        )

    def _finish(self, ex: _Exchange, response: Response) -> Answer:
        self._record(ex, response.status)
        headers = {
            **BASE_HEADERS,
            **ex.limit_headers,
            **response.headers,
            "x-github-request-id": ex.rid,
        }
        if ex.who is not None and ex.who.expires_at is not None and ex.who.announce_expiry:
            headers[EXPIRATION_HEADER] = time.strftime(
                "%Y-%m-%d %H:%M:%S UTC", time.gmtime(ex.who.expires_at)
            )
        if response.body is None:
            headers.pop("content-type", None)
            return Answer(response.status, headers, b"")
        if isinstance(response.body, RawJson):
            return Answer(response.status, headers, response.body.data)
        return Answer(response.status, headers, json.dumps(response.body).encode())


@dataclass
class _Exchange:
    """One request on its way through the pipeline."""

    at: float
    method: str
    path: str
    template: str
    rid: str
    pairs: tuple[tuple[str, str], ...]
    raw: bytes
    host: str
    who: Identity | None = None
    route: Route | None = None
    params: dict[str, str] = field(default_factory=dict)
    limit_headers: Mapping[str, str] = field(default_factory=dict)
    verdict: str = "ok"
    violation: bool = False
    fault: FaultKind | None = None
    charge: Charge = NO_CHARGE
