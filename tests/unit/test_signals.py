"""The stop button (``signals.Interrupt``), its handlers, and the gate that reads it."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Mapping

import pytest

from batchsync.emulator import ManualClock
from batchsync.errors import BudgetExhausted, Interrupted, StopKind
from batchsync.processor import Gate
from batchsync.ratelimit import Limits, Op
from batchsync.signals import Interrupt, StoppedAtOnce, handling, signal_of

PACED = Limits(write_interval=1.0, creates_per_minute=0, creates_per_hour=0, points_per_minute=0)


def ok() -> tuple[str, Mapping[str, str]]:
    return "ok", {}


def test_a_pressed_button_lets_no_request_start_reads_included(clock: ManualClock) -> None:
    interrupt = Interrupt()
    gate = Gate(PACED, clock=clock, sleep=clock.sleep, interrupt=interrupt)
    assert gate.call(Op.READ, ok) == "ok"
    interrupt.trigger(signal.SIGINT)
    sent: list[str] = []

    def request() -> tuple[str, Mapping[str, str]]:
        sent.append("sent")
        return ok()

    for op in (Op.READ, Op.WRITE, Op.CREATE):
        with pytest.raises(Interrupted) as caught:
            gate.call(op, request)
        # a BudgetExhausted, so the engine and the lanes stop as at a deadline
        assert isinstance(caught.value, BudgetExhausted)
        assert caught.value.kind is StopKind.INTERRUPTED
        assert "interrupted by SIGINT" in str(caught.value)
    assert sent == []


def test_a_signal_during_a_wait_ends_it_and_the_write_never_starts(clock: ManualClock) -> None:
    interrupt = Interrupt()

    def sleep(seconds: float) -> None:
        interrupt.trigger(signal.SIGTERM)  # the signal comes while the lane waits
        clock.sleep(seconds)

    gate = Gate(PACED, clock=clock, sleep=sleep, interrupt=interrupt)
    sent: list[float] = []

    def write() -> tuple[str, Mapping[str, str]]:
        sent.append(clock())
        return ok()

    gate.call(Op.WRITE, write)
    with pytest.raises(Interrupted, match="SIGTERM"):
        gate.call(Op.WRITE, write)  # paced: it waits a second, and the signal comes
    assert len(sent) == 1


def test_a_real_wait_is_the_buttons_and_ends_once_pressed() -> None:
    interrupt = Interrupt()
    gate = Gate(PACED, interrupt=interrupt)  # the real clock and sleep
    # A lane's real sleep is the button's wait, so a long pause does not outlast a signal.
    assert gate._sleep == interrupt.wait
    interrupt.trigger(signal.SIGINT)
    start = time.monotonic()
    interrupt.wait(600)  # pressed: returns at once
    assert time.monotonic() - start < 1


def test_the_first_press_counts_and_the_second_is_no_new_one() -> None:
    interrupt = Interrupt()
    assert interrupt.trigger(signal.SIGTERM) is True
    assert interrupt.trigger(signal.SIGINT) is False
    assert interrupt.signum == signal.SIGTERM


def test_handlers_press_once_then_stop_at_once_and_are_restored() -> None:
    said: list[tuple[str, threading.Thread]] = []
    before = signal.getsignal(signal.SIGTERM)

    def say(text: str) -> None:
        said.append((text, threading.current_thread()))

    with handling(Interrupt(), say) as interrupt:
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler)
        handler(signal.SIGTERM, None)
        assert interrupt.signum == signal.SIGTERM
        with pytest.raises(StoppedAtOnce) as stop:
            handler(signal.SIGTERM, None)
        assert signal_of(stop.value) == signal.SIGTERM  # its own code follows, not Ctrl-C's
    assert signal.getsignal(signal.SIGTERM) is before
    ((text, speaker),) = said  # said by the time the block is left
    assert text.startswith("batchsync: SIGTERM received")
    # Not said in the handler: the interrupted thread may hold the stream's lock.
    assert speaker is not threading.main_thread()


def test_outside_the_main_thread_no_handler_is_installed() -> None:
    seen: list[object] = []

    def body() -> None:
        with handling(Interrupt(), print):
            seen.append(signal.getsignal(signal.SIGINT))

    lane = threading.Thread(target=body)
    lane.start()
    lane.join()
    assert seen == [signal.default_int_handler]
