"""Progress displays: plain lines for an Actions log, a live bar for a terminal.

Both are ``on_progress`` callbacks ``(done, total, item)`` for ``BatchProcessor.batch_upload``
and take ``on_wait(reason, seconds)`` from ``Gate``. The formatting is pure (the clock is passed
in); the classes only decide when to write a line and write it, through ``workflow.Out`` (item
keys and wait reasons come from files and from GitHub).

``done`` counts only units that finished: units a stop (Ctrl-C, the time budget) leaves are
reported apart, as a ``NotDone`` item, so no line ever calls them done.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from batchsync.results import ItemAction, Outcome
from batchsync.workflow import FIELD_LIMIT, Out, clean

__all__ = [
    "ActionsProgress",
    "NotDone",
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

logger = logging.getLogger("batchsync")
PREFIX = "batchsync:"
# A progress callback: (done, total, what finished: a plan step, a scan failure, or NotDone).
ProgressFn = Callable[[int, int, object], None]


@dataclass(frozen=True)
class NotDone:
    """The item of a progress call for units a stop left: ``count`` of them so far, not done."""

    count: int


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


def _eta_text(done: int, total: int, elapsed: float, not_done: int) -> str:
    """``ETA 3m05s``; empty once units are left not done (the run stopped: no time to come)."""
    if not_done:
        return ""
    eta = eta_seconds(done, total, elapsed)
    return f"ETA {format_duration(eta)}" if eta is not None else "ETA -"


def _not_done_text(not_done: int) -> str:
    return f", {not_done} not done" if not_done else ""


def format_status(
    done: int, total: int, elapsed: float, item: object | None = None, *, not_done: int = 0
) -> str:
    """One log line: count, percentage, units not done, rate, ETA and the last item."""
    percent = 100 * done // total if total else 100
    parts = [
        f"{PREFIX} {done}/{total} ({percent}%){_not_done_text(not_done)}",
        format_rate(done, elapsed),
        _eta_text(done, total, elapsed, not_done),
        f"elapsed {format_duration(elapsed)}",
    ]
    if item is not None:
        parts.append(f"last {item_label(item)}")
    return " | ".join(part for part in parts if part)


def format_wait(reason: str, seconds: float) -> str:
    """One log line for a wait on a limit: how long and why."""
    return f"{PREFIX} waiting {format_duration(seconds)}: {clean(reason, limit=FIELD_LIMIT)}"


def format_bar(
    done: int,
    total: int,
    elapsed: float,
    *,
    width: int = 30,
    note: str = "",
    not_done: int = 0,
) -> str:
    """A one-line progress bar (no control characters); units not done are not filled in."""
    fraction = done / total if total else 1.0
    filled = min(width, int(fraction * width))
    parts = [
        f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {int(fraction * 100):3d}%"
        f"{_not_done_text(not_done)}",
        format_rate(done, elapsed),
        _eta_text(done, total, elapsed, not_done),
    ]
    text = " ".join(part for part in parts if part)
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
        self.not_done = 0

    def update(self, done: int, total: int, item: object, now: float) -> object | None:
        """Take one progress call; the item to show (None for a ``NotDone``)."""
        if isinstance(item, NotDone):  # done has not moved: the same phase
            self.not_done, self.total = item.count, total
            return None
        if done <= self.last_done or total != self.total:
            # The engine's next phase (epics after PRDs): time it from the previous call.
            self.start = self.last_call
            self.not_done = 0
        self.last_done = done
        self.total = total
        self.last_call = now
        return item

    def complete(self, done: int, total: int) -> bool:
        """Whether every unit is done or left not done: nothing more will be reported."""
        return done + self.not_done >= total


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
            now, phase = self.clock(), self._phase
            shown = phase.update(done, total, item, now)
            bucket = 10 * done // total if total else 10
            complete = phase.complete(done, total)
            if bucket == self._last_bucket and not complete and now - self._last_print < self.every:
                return
            self._last_bucket = bucket
            elapsed = now - phase.start
            self._write(format_status(done, total, elapsed, shown, not_done=phase.not_done), now)
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
            now, phase = self.clock(), self._phase
            phase.update(done, total, item, now)
            elapsed = now - phase.start
            self._draw(format_bar(done, total, elapsed, width=self.width, not_done=phase.not_done))
            if phase.complete(done, total):
                self.out.end_line()
                self._shown = 0

    def on_wait(self, reason: str, seconds: float) -> None:
        """Show the wait and its reason beside the bar."""
        with self._lock:
            phase = self._phase
            elapsed = self.clock() - phase.start
            note = f"waiting {format_duration(seconds)}: {reason}"
            total = phase.total or 1
            self._draw(
                format_bar(
                    phase.last_done,
                    total,
                    elapsed,
                    width=self.width,
                    note=note,
                    not_done=phase.not_done,
                )
            )

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
        self._offset = 0  # units finished (done, failed, unchanged...)
        self._not_done = 0  # units a stop left

    def callback(self) -> ProgressFn | None:
        """The callback for the next batch: its 1..n counted on from the batches before it."""
        if self._callback is None:
            return None
        outer, offset, total = self._callback, self._offset, self._total
        return lambda done, _n, unit: outer(offset + done, total, unit)

    def advance(self, outcomes: Sequence[Outcome]) -> None:
        """Count a batch run: its callback reported each unit finished; report those not done."""
        left = sum(outcome.action is ItemAction.NOT_DONE for outcome in outcomes)
        self._offset += len(outcomes) - left
        self._leave(left)

    def skip(self, units: Sequence[object]) -> None:
        """Report units that finish without being started (failed at scan time, a dry run)."""
        for unit in units:
            self._offset += 1
            self._tell(unit)

    def not_done(self, units: Sequence[object]) -> None:
        """Report units a stop leaves before they start: not done, never counted as progress."""
        self._leave(len(units))

    def _leave(self, count: int) -> None:
        if not count:
            return
        self._not_done += count
        self._tell(NotDone(self._not_done))

    def _tell(self, unit: object) -> None:
        if self._callback is None:
            return
        try:
            self._callback(self._offset, self._total, unit)
        except Exception:  # a display must not end the run (its report is still to come)
            logger.exception("the progress callback failed; the batch goes on")
