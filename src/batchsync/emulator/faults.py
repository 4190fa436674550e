"""Faults to inject, seeded and repeatable: latency, 5xx, server timeouts, lost answers, storms."""

from __future__ import annotations

import enum
import random
import threading
from dataclasses import dataclass

__all__ = ["FaultConfig", "FaultKind", "FaultPlan", "Faults", "ScheduledFault"]


class FaultKind(enum.StrEnum):
    """A kind of injected fault."""

    ERROR = "error"  # a 5xx before anything was done
    TIMEOUT = "timeout"  # the server's timeout passes, then 502, possibly after acting
    DROP = "drop"  # the request is applied, then the connection closes with no answer
    STORM = "storm"  # a secondary rate limit out of the blue, with its penalty


@dataclass(frozen=True)
class ScheduledFault:
    """Inject ``kind`` on the ``nth`` (1-based) request matching ``method`` and ``template``."""

    kind: FaultKind
    nth: int
    method: str | None = None
    template: str | None = None  # e.g. "/repos/{owner}/{repo}/issues"

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
                return self._build(scheduled, latency, method)
            if cfg.methods is not None and method not in cfg.methods:
                return FaultPlan(latency) if latency else NO_FAULT
            kind = self._draw(creates)
            if kind is None:
                return FaultPlan(latency) if latency else NO_FAULT
            return self._build(kind, latency, method)

    def _scheduled(self, method: str, template: str) -> FaultKind | None:
        hit: FaultKind | None = None
        for i, fault in enumerate(self.config.schedule):
            if fault.matches(method, template):
                self._seen[i] += 1
                if self._seen[i] == fault.nth and hit is None:
                    hit = fault.kind
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
        if kind is FaultKind.TIMEOUT:
            acts = method != "GET" and self._rng.random() < cfg.timeout_acts_rate
            return FaultPlan(latency, kind, 502, acts)
        if kind is FaultKind.DROP:
            return FaultPlan(latency, kind, 0, True)
        return FaultPlan(latency, kind)
