"""What the emulator saw: a request log, counters, limit violations, requests during penalties."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["WRITE_METHODS", "RequestRecord", "Stats"]

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_NOT_MUTATIONS = frozenset({"query", "invalid"})  # GraphQL operations that write nothing


@dataclass(frozen=True)
class RequestRecord:
    """One request as answered (status 0 means the connection was dropped with no answer)."""

    at: float  # emulated epoch seconds when it arrived
    method: str
    template: str  # the route's path template, or the raw path when no route matched
    path: str
    status: int
    verdict: str = "ok"  # ok | primary | secondary | penalty (see limits.Verdict) | auth
    fault: str | None = None
    violation: bool = False  # sent while the client already knew a limit was active
    token_id: int | None = None
    operation: str | None = None  # GraphQL: the root fields of a mutation, or "query"


class Stats:
    """Thread-safe counters and a bounded request log."""

    def __init__(self, log_size: int = 200_000) -> None:
        self._lock = threading.Lock()
        self._log_size = log_size
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far."""
        with self._lock:
            self._log: deque[RequestRecord] = deque(maxlen=self._log_size)
            self._counts: Counter[tuple[str, str, int]] = Counter()
            self._verdicts: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()
            self._operations: Counter[tuple[str, int]] = Counter()
            self.violations = 0
            self.internal_errors = 0  # emulator bugs answered 500: should stay 0
            self.max_in_flight = 0
            self.total = 0

    def in_flight(self, count: int) -> None:
        """Note the number of requests in flight for one token."""
        if count > self.max_in_flight:
            with self._lock:
                self.max_in_flight = max(self.max_in_flight, count)

    def record(self, record: RequestRecord) -> None:
        """Add one answered request."""
        with self._lock:
            self._log.append(record)
            self._counts[(record.method, record.template, record.status)] += 1
            self._verdicts[record.verdict] += 1
            if record.fault:
                self._faults[record.fault] += 1
            if record.operation:
                self._operations[(record.operation, record.status)] += 1
            if record.violation:
                self.violations += 1
            self.total += 1

    def requests(self) -> list[RequestRecord]:
        """The request log, oldest first (bounded; counters are exact)."""
        with self._lock:
            return list(self._log)

    def count(
        self, method: str | None = None, template: str | None = None, status: int | None = None
    ) -> int:
        """How many requests matched every given field."""
        with self._lock:
            return sum(
                n
                for (m, t, s), n in self._counts.items()
                if (method is None or m == method)
                and (template is None or t == template)
                and (status is None or s == status)
            )

    def operations(self, name: str, status: int | None = None) -> int:
        """How many GraphQL requests ran ``name`` ("createIssue", "query", ...)."""
        with self._lock:
            return sum(
                n
                for (op, s), n in self._operations.items()
                if op == name and (status is None or s == status)
            )

    def writes(self) -> int:
        """Requests that may have changed something: POST, PATCH, PUT and DELETE, except a
        GraphQL POST that ran no mutation (a query, or one a server without GraphQL refused)."""
        with self._lock:
            sent = sum(n for (m, _, _), n in self._counts.items() if m in WRITE_METHODS)
            graphql = sum(
                n for (m, t, _), n in self._counts.items() if m == "POST" and t.endswith("/graphql")
            )
            mutations = sum(
                n for (op, _), n in self._operations.items() if op not in _NOT_MUTATIONS
            )
        return sent - graphql + mutations

    @property
    def penalty_requests(self) -> int:
        """Requests that arrived while a secondary-limit penalty was active."""
        with self._lock:
            return self._verdicts["penalty"]

    @property
    def secondary_limits(self) -> int:
        """Secondary limits hit (each starts a penalty)."""
        with self._lock:
            return self._verdicts["secondary"]

    @property
    def primary_limits(self) -> int:
        """Requests refused because the hourly budget was spent."""
        with self._lock:
            return self._verdicts["primary"]

    def to_json(self, *, log: bool = False) -> dict[str, Any]:
        """Counters (and optionally the log) as plain JSON."""
        with self._lock:
            data: dict[str, Any] = {
                "total": self.total,
                "violations": self.violations,
                "penalty_requests": self._verdicts["penalty"],
                "secondary_limits": self._verdicts["secondary"],
                "primary_limits": self._verdicts["primary"],
                "max_in_flight": self.max_in_flight,
                "internal_errors": self.internal_errors,
                "faults": dict(self._faults),
                "counts": [
                    {"method": m, "template": t, "status": s, "count": n}
                    for (m, t, s), n in sorted(self._counts.items())
                ],
            }
            if log:
                data["requests"] = [asdict(r) for r in self._log]
        data["writes"] = self.writes()  # takes the lock itself
        return data
