"""Ctrl-C and SIGTERM: the run's stop button, and the handlers that press it.

A first SIGINT or SIGTERM does not kill the run: it sets ``Interrupt``, which the gate reads
before each request and while it waits, so no new request starts, the writes in flight finish,
and the items not reached come back ``not-done``. The run then reports as usual (results file,
summary) and exits 130 (SIGINT) or 143 (SIGTERM). A second signal stops at once
(``StoppedAtOnce``, a ``KeyboardInterrupt``): the results file, outputs and summary then say
only that the run was stopped, with the signal's code (``report.stopped_at_once``); the next
run finishes what is left, by the markers it finds.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from batchsync.errors import Interrupted

__all__ = ["HANDLED", "STOPPED_AT_ONCE", "Interrupt", "StoppedAtOnce", "handling", "signal_of"]

# After a second signal: the writes in flight were cut, the markers let the next run finish.
STOPPED_AT_ONCE = "stopped at once by a second signal: run again to finish"

HANDLED = (signal.SIGINT, signal.SIGTERM)  # the runner sends SIGINT, then SIGTERM, on cancel


class StoppedAtOnce(KeyboardInterrupt):
    """The second signal: the run stops where it is; ``signum`` is that signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def signal_of(stop: KeyboardInterrupt) -> int:
    """The signal that stopped the run: the handler's, else SIGINT (Python's own Ctrl-C)."""
    return stop.signum if isinstance(stop, StoppedAtOnce) else int(signal.SIGINT)


class Interrupt:
    """Set once, by the first signal; read by every lane. Thread-safe."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._signum: int | None = None

    @property
    def signum(self) -> int | None:
        """The signal that set it, or None while the run goes on."""
        with self._lock:
            return self._signum

    def trigger(self, signum: int) -> bool:
        """Press the button for ``signum``; True the first time, False when already pressed."""
        with self._lock:
            if self._signum is not None:
                return False
            self._signum = signum
        self._event.set()
        return True

    def check(self) -> None:
        """Raise ``Interrupted`` once pressed: no new request starts."""
        signum = self.signum
        if signum is not None:
            raise Interrupted(signal.Signals(signum).name)

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when the button is pressed meanwhile."""
        self._event.wait(seconds)


@contextlib.contextmanager
def handling(interrupt: Interrupt, say: Callable[[str], None]) -> Iterator[Interrupt]:
    """SIGINT and SIGTERM press ``interrupt`` while the block runs; ``say`` tells the user.

    Outside the main thread (a test, an embedding program) Python allows no handler: the
    block runs with the signals as they were.
    """
    if threading.current_thread() is not threading.main_thread():
        yield interrupt
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not interrupt.trigger(signum):
            raise StoppedAtOnce(signum)  # the second signal: stop now
        text = (
            f"batchsync: {name} received: no new request starts; the writes in flight finish, "
            "then the report follows (send it again to stop at once)"
        )
        # Said from another thread: the interrupted main thread may hold the stream's lock.
        speaker = threading.Thread(target=say, args=(text,), name="batchsync-signal", daemon=True)
        speakers.append(speaker)
        speaker.start()

    speakers: list[threading.Thread] = []
    before = {signum: signal.signal(signum, handler) for signum in HANDLED}
    try:
        yield interrupt
    finally:
        for signum, previous in before.items():
            signal.signal(signum, previous)
        for speaker in speakers:
            speaker.join()  # the notice comes before the report
