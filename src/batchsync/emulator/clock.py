"""The emulator's clock: emulated epoch seconds that may run faster than real time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Clock", "ManualClock", "ScaledClock"]


class Clock(Protocol):
    """Emulated time: ``now()`` in epoch seconds and ``sleep(seconds)`` in emulated seconds."""

    def now(self) -> float:
        """Emulated epoch seconds."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds`` of emulated time."""
        ...


class ScaledClock:
    """A clock that starts at the real time and runs ``scale`` times faster than it."""

    def __init__(
        self,
        scale: float = 1.0,
        *,
        start: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        real_sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.scale = scale
        self._monotonic = monotonic
        self._real_sleep = real_sleep
        self._origin = monotonic()
        self._start = time.time() if start is None else start

    def now(self) -> float:
        """Emulated epoch seconds."""
        return self._start + (self._monotonic() - self._origin) * self.scale

    def __call__(self) -> float:
        """The clock as a plain ``clock()`` callable, as the processor expects."""
        return self.now()

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` emulated, that is ``seconds / scale`` real seconds."""
        if seconds > 0:
            self._real_sleep(seconds / self.scale)


class ManualClock:
    """A clock that only moves when told to (``advance``) or when slept on: for unit tests."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []  # every sleep asked for, in order: tests assert on waits

    def now(self) -> float:
        """Emulated epoch seconds."""
        with self._lock:
            return self._now

    def __call__(self) -> float:
        """The clock as a plain ``clock()`` callable."""
        return self.now()

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        """Advance by ``seconds`` at once, never blocking (and note the sleep)."""
        with self._lock:
            self.sleeps.append(seconds)
        if seconds > 0:
            self.advance(seconds)

    @property
    def slept(self) -> float:
        """Seconds slept in all."""
        with self._lock:
            return sum(self.sleeps)
