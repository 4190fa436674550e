"""Progress displays: plain lines for an Actions log, a live bar for a terminal.

Both are ``on_progress`` callbacks ``(done, total, item)`` for ``BatchProcessor.batch_upload``
and take ``on_wait(reason, seconds)`` from ``Gate``. The formatting is pure (the clock is passed
in); the classes only decide when to write a line and write it, through ``workflow.Out`` (item
keys and wait reasons come from files and from GitHub).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from batchsync.workflow import FIELD_LIMIT, Out, clean

__all__ = [
    "ActionsProgress",
    "ProgressFn",
    "RunCounter",
    "TerminalProgress",
    "eta_seconds",
    "format_bar",
    "format_duration",
    "format_rate",
    "format_status",
    "format_wait",
    "item_label",
    "progress_for",
]

PREFIX = "batchsync:"
# A progress callback: (done, total, what finished: a plan step or a scan failure).
ProgressFn = Callable[[int, int, object], None]


def format_duration(seconds: float) -> str:
    """A short duration: ``45s``, ``3m05s``, ``2h07m``."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_rate(done: int, elapsed: float) -> str:
    """Items per second, or per minute when slower than one a second (creates often are)."""
    if done <= 0 or elapsed <= 0:
        return "-"
    per_second = done / elapsed
    if per_second >= 1:
        return f"{per_second:.1f}/s"
    return f"{per_second * 60:.1f}/min"


def eta_seconds(done: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the rate so far; None before the first item."""
    if done <= 0 or elapsed <= 0:
        return None
    return (total - done) * elapsed / done


def item_label(item: object) -> str:
    """How an item is named in progress output: its ``key`` when it has one, made printable."""
    key = getattr(item, "key", None)
    return clean(key if key is not None else item, limit=FIELD_LIMIT)


def format_status(done: int, total: int, elapsed: float, item: object | None = None) -> str:
    """One log line: count, percentage, rate, ETA and the last item."""
    percent = 100 * done // total if total else 100
    eta = eta_seconds(done, total, elapsed)
    parts = [
        f"{PREFIX} {done}/{total} ({percent}%)",
        format_rate(done, elapsed),
        f"ETA {format_duration(eta)}" if eta is not None else "ETA -",
        f"elapsed {format_duration(elapsed)}",
    ]
    if item is not None:
        parts.append(f"last {item_label(item)}")
    return " | ".join(parts)


def format_wait(reason: str, seconds: float) -> str:
    """One log line for a wait on a limit: how long and why."""
    return f"{PREFIX} waiting {format_duration(seconds)}: {clean(reason, limit=FIELD_LIMIT)}"


def format_bar(done: int, total: int, elapsed: float, *, width: int = 30, note: str = "") -> str:
    """A one-line progress bar (no control characters)."""
    fraction = done / total if total else 1.0
    filled = min(width, int(fraction * width))
    eta = eta_seconds(done, total, elapsed)
    text = (
        f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {int(fraction * 100):3d}%"
        f" {format_rate(done, elapsed)} ETA {format_duration(eta) if eta is not None else '-'}"
    )
    return f"{text}  {clean(note, limit=FIELD_LIMIT)}" if note else text


def _out(stream: TextIO | Out, *, actions: bool) -> Out:
    return stream if isinstance(stream, Out) else Out(stream, actions=actions)


class _Phase:
    """Elapsed time of the batch being reported; a count that restarts begins a new batch."""

    def __init__(self, now: float) -> None:
        self.start = now
        self.last_call = now
        self.last_done = 0
        self.total = 0

    def update(self, done: int, total: int, now: float) -> None:
        if done <= self.last_done or total != self.total:
            # The engine's next phase (epics after PRDs): time it from the previous call.
            self.start = self.last_call
        self.last_done = done
        self.total = total
        self.last_call = now


class ActionsProgress:
    """Progress lines for a CI log: at every 10 % and at least every ``every`` seconds."""

    def __init__(
        self,
        stream: TextIO | Out,
        clock: Callable[[], float] = time.time,
        *,
        every: float = 10.0,
    ) -> None:
        # A log may be a CI log: the runner's rule applies unless an Out says otherwise.
        self.out = _out(stream, actions=True)
        self.clock = clock
        self.every = every
        self._lock = threading.Lock()
        self._phase = _Phase(clock())
        self._last_print = float("-inf")
        self._last_bucket = -1
        self._last_wait = ""

    def __call__(self, done: int, total: int, item: object) -> None:
        """Report that ``done`` of ``total`` items are finished, ``item`` the latest."""
        with self._lock:
            now = self.clock()
            self._phase.update(done, total, now)
            bucket = 10 * done // total if total else 10
            if bucket == self._last_bucket and done < total and now - self._last_print < self.every:
                return
            self._last_bucket = bucket
            self._write(format_status(done, total, now - self._phase.start, item), now)
            self._last_wait = ""

    def on_wait(self, reason: str, seconds: float) -> None:
        """Report a wait on a limit (many lanes report one pause: say it once per interval)."""
        with self._lock:
            now = self.clock()
            if reason == self._last_wait and now - self._last_print < self.every:
                return
            self._last_wait = reason
            self._write(format_wait(reason, seconds), now)

    def _write(self, line: str, now: float) -> None:
        self.out.say(line)
        self._last_print = now


class TerminalProgress:
    """A live one-line bar for a terminal, redrawn in place with ``\\r``."""

    def __init__(
        self, stream: TextIO | Out, clock: Callable[[], float] = time.time, *, width: int = 30
    ) -> None:
        self.out = _out(stream, actions=False)
        self.clock = clock
        self.width = width
        self._lock = threading.Lock()
        self._phase = _Phase(clock())
        self._shown = 0  # length of the line on screen, to blank out what a shorter one leaves

    def __call__(self, done: int, total: int, item: object) -> None:
        """Redraw the bar; finish the line when the batch is complete."""
        with self._lock:
            now = self.clock()
            self._phase.update(done, total, now)
            self._draw(format_bar(done, total, now - self._phase.start, width=self.width))
            if done >= total:
                self.out.end_line()
                self._shown = 0

    def on_wait(self, reason: str, seconds: float) -> None:
        """Show the wait and its reason beside the bar."""
        with self._lock:
            phase = self._phase
            elapsed = self.clock() - phase.start
            note = f"waiting {format_duration(seconds)}: {reason}"
            total = phase.total or 1
            self._draw(format_bar(phase.last_done, total, elapsed, width=self.width, note=note))

    def _draw(self, text: str) -> None:
        self.out.redraw(text, self._shown)
        self._shown = len(text)


def progress_for(
    stream: TextIO | Out, *, actions: bool, clock: Callable[[], float] = time.time
) -> ActionsProgress | TerminalProgress:
    """Lines in Actions or any log file, the live bar only on a terminal."""
    out = _out(stream, actions=actions)
    if not actions and out.stream.isatty():
        return TerminalProgress(out, clock)
    return ActionsProgress(out, clock)


class RunCounter:
    """Turns per-batch progress (1..n each time) into one count over the whole run."""

    def __init__(self, callback: ProgressFn | None, total: int) -> None:
        self._callback = callback
        self._total = total
        self._offset = 0

    def callback(self) -> ProgressFn | None:
        """The callback for the next batch: its 1..n counted on from the batches before it."""
        if self._callback is None:
            return None
        outer, offset, total = self._callback, self._offset, self._total
        return lambda done, _n, unit: outer(offset + done, total, unit)

    def advance(self, count: int) -> None:
        """Count a batch of ``count`` units as finished (its callback reported each)."""
        self._offset += count

    def skip(self, units: Sequence[object]) -> None:
        """Report units that finish without being started (failed at scan time, or not reached)."""
        for unit in units:
            self._offset += 1
            if self._callback is not None:
                self._callback(self._offset, self._total, unit)
