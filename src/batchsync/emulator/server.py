"""The HTTP side: a keep-alive HTTP/1.1 server on loopback, and the ``Emulator`` facade."""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import secrets
import socket
import socketserver
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from email.utils import formatdate
from types import TracebackType
from typing import Any

from batchsync.emulator.clock import Clock, ScaledClock
from batchsync.emulator.dependencies import blockers
from batchsync.emulator.faults import FaultConfig, FaultKind, ListingFault, ScheduledFault
from batchsync.emulator.graphql import GraphQLConfig
from batchsync.emulator.issue_types import DEFAULT_ISSUE_TYPES
from batchsync.emulator.limits import LimitConfig
from batchsync.emulator.protocol import ApiFailure
from batchsync.emulator.service import Answer, Handle, Service
from batchsync.emulator.shapes import LIST_FIELDS, comment_json, issue_json
from batchsync.emulator.state import Repo
from batchsync.emulator.stats import Stats

__all__ = ["Emulator"]

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    service: Service

    def __init__(self, address: tuple[str, int], service: Service) -> None:
        self.service = service
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def close_connections(self) -> None:
        """Shut every open keep-alive connection so handler threads end."""
        with self.connections_lock:
            for conn in list(self.connections):
                with contextlib.suppress(OSError):  # already closed by the peer
                    conn.shutdown(socket.SHUT_RDWR)


class _BadRequest(Exception):
    """The bytes on the connection are not an HTTP/1.1 request we can serve."""


class _Handler(socketserver.StreamRequestHandler):
    """A small HTTP/1.1 keep-alive loop: parsing is the hot path, so it is done by hand."""

    server: _Server

    def setup(self) -> None:
        super().setup()
        # one write per answer and no Nagle delay: keep-alive clients see no 40 ms stalls
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):  # the peer went away first
            super().finish()

    def handle(self) -> None:
        with contextlib.suppress(OSError):  # a reset connection ends the loop
            while self._one():
                pass

    def _one(self) -> bool:
        """Serve one request; False when the connection is to be closed."""
        line = self.rfile.readline(65_537)
        if not line.strip():
            return False
        try:
            method, target, version, headers = self._head(line)
            raw = self._body(headers)
        except _BadRequest as error:
            self._write(
                "GET", Answer(400, {"content-type": "text/plain"}, str(error).encode()), True
            )
            return False
        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        host = headers.get("host") or "{}:{}".format(*self.server.server_address[:2])
        auth = {"authorization": headers.get("authorization", "")}
        answer = self.server.service.serve(method, target, auth, raw, host)
        if answer is None:  # the lost answer: applied, then the connection drops
            self.connection.shutdown(socket.SHUT_RDWR)
            return False
        self._write(method, answer, close)
        return not close

    def _head(self, line: bytes) -> tuple[str, str, str, dict[str, str]]:
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest("bad request line")
        headers: dict[str, str] = {}
        for _ in range(200):
            raw = self.rfile.readline(65_537)
            if raw in (b"\r\n", b"\n", b""):
                return parts[0], parts[1], parts[2], headers
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep:
                raise _BadRequest("bad header line")
            headers[name.strip().lower()] = value.strip()
        raise _BadRequest("too many headers")

    def _body(self, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(1_000).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline(1_000)
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1_000)
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            raise _BadRequest("bad content-length") from None
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, method: str, answer: Answer, close: bool) -> None:
        reason = REASONS.get(answer.status, "Unknown")
        lines = [f"HTTP/1.1 {answer.status} {reason}"]
        lines += [f"{name}: {value}" for name, value in answer.headers.items()]
        lines.append(f"content-length: {len(answer.body)}")
        lines.append(f"date: {formatdate(usegmt=True)}")
        if close:
            lines.append("connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if method == "HEAD" else head + answer.body)


class _Admin:
    """``/_emulator/...``: stats, faults, reset, repos, tokens, issues for a separate process."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def handle(
        self, method: str, name: str, pairs: tuple[tuple[str, str], ...], raw: bytes, host: str
    ) -> Answer:
        query = dict(pairs)
        try:
            body: Any = json.loads(raw) if raw.strip() else {}
            data = self._dispatch(method, name, query, body, host)
        except ApiFailure as failure:
            return _json(failure.status, {"message": failure.message})
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            return _json(400, {"message": f"bad admin request: {error}"})
        if data is None:
            return _json(404, {"message": "Not Found"})
        return _json(200, data)

    def _dispatch(self, method: str, name: str, query: dict[str, str], body: Any, host: str) -> Any:
        emu = self.emulator
        table: dict[tuple[str, str], Callable[[], Any]] = {
            ("GET", "stats"): lambda: emu.stats.to_json(log=query.get("log") in ("1", "true")),
            ("GET", "faults"): lambda: asdict(emu.service.faults.config),
            ("POST", "faults"): lambda: self._set_faults(body),
            ("POST", "reset"): lambda: self._reset(body),
            ("POST", "repos"): lambda: self._add_repo(body),
            ("POST", "tokens"): lambda: self._add_token(body),
            ("POST", "transfer"): lambda: self._transfer(body),
            ("GET", "issues"): lambda: emu.issues(query["repo"], host=host),
            ("GET", "comments"): lambda: emu.comments(
                query["repo"], int(query["number"]), host=host
            ),
            ("GET", "clock"): lambda: {"now": emu.clock.now()},
        }
        action = table.get((method, name))
        return action() if action is not None else None

    def _set_faults(self, body: Any) -> Any:
        self.emulator.set_faults(faults_from_json(body))
        return asdict(self.emulator.service.faults.config)

    def _reset(self, body: Any) -> Any:
        self.emulator.reset(limits=body.get("limits"))
        return {"reset": True}

    def _add_repo(self, body: Any) -> Any:
        repo = self.emulator.add_repo(
            str(body["full_name"]), user_owned=body.get("user_owned") is True
        )
        return {"full_name": repo.full_name, "id": repo.id}

    def _transfer(self, body: Any) -> Any:
        number = self.emulator.transfer(str(body["repo"]), int(body["number"]), str(body["to"]))
        return {"repo": str(body["to"]), "number": number}

    def _add_token(self, body: Any) -> Any:
        self.emulator.add_token(
            str(body["token"]),
            permission=str(body.get("permission", "write")),
            kind=str(body.get("kind", "installation")),
            login=str(body["login"]) if body.get("login") else None,
        )
        return {"added": True}


def _json(status: int, data: Any) -> Answer:
    return Answer(status, {"content-type": "application/json"}, json.dumps(data).encode())


def faults_from_json(data: dict[str, Any]) -> FaultConfig:
    """A ``FaultConfig`` from JSON (unknown keys are an error, so typos are not silent)."""
    known = {f.name for f in fields(FaultConfig)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown fault settings: {sorted(unknown)}")
    values = dict(data)
    if "schedule" in values:
        values["schedule"] = tuple(
            ScheduledFault(
                FaultKind(s["kind"]),
                int(s["nth"]),
                s.get("method"),
                s.get("template"),
                None if s.get("acts") is None else bool(s["acts"]),
            )
            for s in values["schedule"]
        )
    if values.get("listing") is not None:
        values["listing"] = ListingFault(values["listing"])
    for name in ("error_statuses", "methods"):
        if values.get(name) is not None:
            values[name] = tuple(values[name])
    return FaultConfig(**values)


def _prefix(prefix: str) -> str:
    cleaned = prefix.strip().rstrip("/")
    if cleaned and not cleaned.startswith("/"):
        cleaned = "/" + cleaned
    return cleaned


class Emulator:
    """A GitHub REST emulator on 127.0.0.1, served from a daemon thread; a context manager."""

    def __init__(
        self,
        *,
        limits: str | LimitConfig = "github",
        scale: float = 1.0,
        seed: int = 0,
        faults: FaultConfig | None = None,
        port: int = 0,
        prefix: str = "",
        sub_issues: bool = True,
        clock: Clock | None = None,
        search_lag: float = 10.0,
        host: str = "127.0.0.1",
        graphql: GraphQLConfig | None = GraphQLConfig(),  # noqa: B008 - frozen
        list_fields: str = "both",
        admin_token: str | None = None,
        dependencies: bool = True,
        issue_types: Sequence[str] | None = DEFAULT_ISSUE_TYPES,
    ) -> None:
        self.clock: Clock = clock if clock is not None else ScaledClock(scale)
        self.prefix = _prefix(prefix)
        self._limits = LimitConfig.named(limits) if isinstance(limits, str) else limits
        if graphql is not None and not sub_issues:  # a server without sub-issues has no parents
            graphql = dataclasses.replace(graphql, parent_issue_id=False)
        self.service = Service(
            clock=self.clock,
            limits=self._limits,
            faults=faults,
            seed=seed,
            prefix=self.prefix,
            sub_issues=sub_issues,
            search_lag=search_lag,
            graphql=graphql,
            list_fields=list_fields,
            dependencies=dependencies,
            issue_types=issue_types,
        )
        self.service.admin = _Admin(self)
        # Once a token is configured, `/_emulator/` answers only this one (random unless given).
        self.admin_token = admin_token or secrets.token_hex(16)
        self.service.admin_token = self.admin_token
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def stats(self) -> Stats:
        """The request log and counters."""
        return self.service.stats

    def wrap(self, wrapper: Callable[[Handle], Handle]) -> None:
        """Put ``wrapper`` around the request handler: ``wrapper(inner)`` returns the handler
        every later request goes through (a test holds, counts, drops or refuses requests)."""
        self.service.wrap(wrapper)

    @property
    def port(self) -> int:
        """The bound port (after ``start``)."""
        return self._server.server_address[1] if self._server else self._port

    @property
    def exposed(self) -> bool:
        """True when bound to an address other hosts may reach (not loopback)."""
        bound = self._server.server_address[0] if self._server else self._host
        try:
            return not ipaddress.ip_address(str(bound)).is_loopback
        except ValueError:  # a host name: only "localhost" is known to stay on this machine
            return str(bound) != "localhost"

    @property
    def open_to_all(self) -> bool:
        """True while no token is configured: any token (and any admin request) is accepted."""
        return not self.service.tokens

    def add_token(
        self,
        token: str,
        *,
        permission: str = "write",
        kind: str = "installation",
        limit: int | None = None,
        login: str | None = None,
        expires_at: float | None = None,
        announce_expiry: bool = True,
    ) -> None:
        """Accept ``token``; until the first one is added, any token is accepted.

        ``login`` names the account it acts as (issues it creates show it as their author).
        ``expires_at`` (the emulated clock's epoch seconds): from then on the token gets 401;
        until then every answer carries ``github-authentication-token-expiration``, unless
        ``announce_expiry`` is False.
        """
        self.service.add_token(
            token,
            permission=permission,
            kind=kind,
            limit=limit,
            login=login,
            expires_at=expires_at,
            announce_expiry=announce_expiry,
        )

    def set_list_fields(self, list_fields: str) -> None:
        """Change what list answers carry of ``parent_issue_url`` / ``sub_issues_summary``."""
        if list_fields not in LIST_FIELDS:
            raise ValueError(f"list_fields must be one of {LIST_FIELDS}, got {list_fields!r}")
        self.service.api.list_fields = list_fields

    def add_repo(self, full_name: str, *, user_owned: bool = False) -> Repo:
        """Create the repository ``owner/name`` and return it (for seeding issues and labels);
        an organisation's unless ``user_owned`` (a user account's has no issue types)."""
        kind = "User" if user_owned else "Organization"
        return self.service.store.add_repo(full_name, owner_id=9_000_001, owner_type=kind)

    def transfer(self, full_name: str, number: int, to: str) -> int:
        """Transfer issue ``number`` of ``full_name`` to the repository ``to`` (``Repo.transfer``):
        requests naming it in ``full_name`` answer 301 from now on; returns its number in ``to``."""
        store = self.service.store
        with store.lock:
            owner, _, name = full_name.partition("/")
            to_owner, _, to_name = to.partition("/")
            return store.repo(owner, name).transfer(number, store.repo(to_owner, to_name))

    def set_faults(self, faults: FaultConfig) -> None:
        """Change the injected faults at runtime."""
        self.service.faults.set(faults)

    def reset(self, *, limits: str | LimitConfig | None = None) -> None:
        """Clear stats, budgets and penalties and faults (the repositories keep their issues)."""
        config = LimitConfig.named(limits) if isinstance(limits, str) else limits
        self.service.limiter.reset(config)
        self.service.faults.set(FaultConfig())
        self.stats.reset()

    def start(self) -> Emulator:
        """Bind and serve in a daemon thread; ``url`` is set once this returns."""
        if self._server is not None:
            return self
        server = _Server((self._host, self._port), self.service)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.url = f"http://{self._host}:{server.server_address[1]}{self.prefix}"
        return self

    def stop(self) -> None:
        """Stop serving and close every connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _base(self, host: str | None) -> tuple[str, str]:
        web = f"http://{host}" if host else f"http://{self._host}:{self.port}"
        return web + self.prefix, web

    def issues(self, full_name: str, *, host: str | None = None) -> list[dict[str, Any]]:
        """Every issue of the repository (pull requests left out), in number order."""
        api, web = self._base(host)
        store = self.service.store
        with store.lock:
            owner, _, name = full_name.partition("/")
            repo = store.repo(owner, name)
            return [
                issue_json(repo, issue, api, web)
                for _, issue in sorted(repo.issues.items())
                if not issue.is_pull
            ]

    def sub_issues(self, full_name: str, number: int) -> list[int]:
        """The numbers of the sub-issues of issue ``number``, in the order they were added."""
        store = self.service.store
        with store.lock:
            owner, _, name = full_name.partition("/")
            return list(store.repo(owner, name).issue(number).children)

    def blocked_by(self, full_name: str, number: int) -> list[tuple[str, int]]:
        """The issues blocking issue ``number`` as (repository, number), in the order added."""
        store = self.service.store
        with store.lock:
            owner, _, name = full_name.partition("/")
            issue = store.repo(owner, name).issue(number)
            return [(repo.full_name, other.number) for repo, other in blockers(store, issue)]

    def comments(
        self, full_name: str, number: int, *, host: str | None = None
    ) -> list[dict[str, Any]]:
        """The comments on issue ``number``, oldest first, GitHub-shaped."""
        api, web = self._base(host)
        store = self.service.store
        with store.lock:
            owner, _, name = full_name.partition("/")
            repo = store.repo(owner, name)
            issue = repo.issue(number)
            return [comment_json(repo, issue, c, api, web) for c in issue.comments]
