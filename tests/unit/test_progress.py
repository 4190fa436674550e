"""Progress formatting (pure) and when each display writes."""

import io

import pytest

from batchsync.processor import BatchProcessor
from batchsync.progress import (
    ActionsProgress,
    NotDone,
    RunCounter,
    TerminalProgress,
    eta_seconds,
    format_bar,
    format_duration,
    format_rate,
    format_status,
    format_wait,
    item_label,
    progress_for,
)
from batchsync.results import ItemAction, Outcome


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


class Named:
    key = "task-epic-001-003"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (44.6, "45s"), (60, "1m00s"), (185, "3m05s"), (7620, "2h07m"), (-3, "0s")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_rate_per_second_when_fast_and_per_minute_when_slow():
    assert format_rate(50, 10) == "5.0/s"
    assert format_rate(40, 60) == "40.0/min"
    assert format_rate(0, 10) == "-"


def test_eta_from_the_rate_so_far():
    assert eta_seconds(25, 100, 50.0) == 150.0
    assert eta_seconds(0, 100, 50.0) is None


def test_item_label_prefers_the_key():
    assert item_label(Named()) == "task-epic-001-003"
    assert item_label("prds/a.md") == "prds/a.md"


def test_status_line_has_count_percent_rate_eta_and_item():
    line = format_status(250, 1000, 100.0, Named())
    assert line == (
        "batchsync: 250/1000 (25%) | 2.5/s | ETA 5m00s | elapsed 1m40s | last task-epic-001-003"
    )


def test_status_line_counts_units_not_done_apart_and_has_no_eta():
    line = format_status(4, 40, 5.0, not_done=36)
    assert line == "batchsync: 4/40 (10%), 36 not done | 48.0/min | elapsed 5s"


def test_bar_leaves_units_not_done_unfilled():
    assert (
        format_bar(4, 40, 5.0, width=10, not_done=36)
        == "[#.........] 4/40  10%, 36 not done 48.0/min"
    )


def test_log_lines_after_a_stop_never_reach_the_total():
    out, clock = io.StringIO(), Clock()
    progress = ActionsProgress(out, clock, every=1e9)
    for done in range(1, 5):
        clock.now += 1
        progress(done, 40, Named())
    progress(4, 40, NotDone(30))  # a wave left: more will follow, no line yet
    progress(4, 40, NotDone(36))  # every unit accounted for: the last line says so
    lines = out.getvalue().splitlines()
    assert lines[-1] == "batchsync: 4/40 (10%), 36 not done | 1.0/s | elapsed 4s"
    assert len(lines) == 3  # the first item, 10%, (nothing for 30 not done), the end
    assert not any("40/40" in line for line in lines)


def test_the_bar_after_a_stop_is_finished_with_the_units_not_done():
    out, clock = Tty(), Clock()
    progress = TerminalProgress(out, clock, width=10)
    clock.now += 2
    progress(1, 4, Named())
    progress(1, 4, NotDone(3))
    assert out.getvalue().endswith("\r[##........] 1/4  25%, 3 not done 30.0/min\n")


def test_run_counter_reports_units_left_apart_from_units_done():
    calls = []
    counter = RunCounter(lambda d, t, unit: calls.append((d, t, unit)), total=5)
    counter.skip(["scan-error"])
    batch = counter.callback()
    assert batch is not None
    batch(1, 3, "a")  # the processor reports only what finished
    counter.advance(
        [
            Outcome("a", "prd", "", ItemAction.CREATED),
            Outcome("b", "prd", "", ItemAction.NOT_DONE),
            Outcome("c", "prd", "", ItemAction.NOT_DONE),
        ]
    )
    counter.not_done(["close"])
    assert calls == [(1, 5, "scan-error"), (2, 5, "a"), (2, 5, NotDone(2)), (2, 5, NotDone(3))]


def test_wait_line_says_how_long_and_why():
    assert format_wait("secondary rate limit", 120) == (
        "batchsync: waiting 2m00s: secondary rate limit"
    )


def test_bar_fills_with_progress():
    assert format_bar(5, 10, 5.0, width=10) == "[#####.....] 5/10  50% 1.0/s ETA 5s"
    assert format_bar(0, 0, 0.0, width=4).startswith("[####] 0/0 100%")


def test_bar_shows_a_note():
    assert format_bar(1, 2, 1.0, width=2, note="waiting 1m00s: pause").endswith(
        "  waiting 1m00s: pause"
    )


def feed(progress, clock, total, step=1.0):
    for done in range(1, total + 1):
        clock.now += step
        progress(done, total, f"item-{done}")


def test_actions_prints_at_every_tenth():
    clock = Clock()
    out = io.StringIO()
    feed(ActionsProgress(out, clock, every=1e9), clock, 100, step=0.01)
    lines = out.getvalue().splitlines()
    counts = [line.split()[1] for line in lines]
    assert counts == ["1/100", *[f"{n}/100" for n in range(10, 101, 10)]]


def test_actions_prints_at_least_every_interval_between_tenths():
    clock = Clock()
    out = io.StringIO()
    feed(ActionsProgress(out, clock, every=10.0), clock, 1000, step=4.0)
    lines = out.getvalue().splitlines()
    # 1000 items every 4 s: a tenth each 400 s, so the 10 s rule decides: every third item.
    assert 300 <= len(lines) <= 340
    assert lines[-1].startswith("batchsync: 1000/1000 (100%)")


def test_actions_reports_rate_and_eta():
    clock = Clock()
    out = io.StringIO()
    progress = ActionsProgress(out, clock)
    clock.now += 20
    progress(10, 100, "x")
    assert "30.0/min" in out.getvalue()
    assert "ETA 3m00s" in out.getvalue()


def test_actions_reports_a_wait_once_per_interval():
    clock = Clock()
    out = io.StringIO()
    progress = ActionsProgress(out, clock, every=10.0)
    for _ in range(5):  # five lanes report one pause
        progress.on_wait("secondary rate limit", 60)
    clock.now += 10
    progress.on_wait("secondary rate limit", 50)
    progress.on_wait("primary rate limit: waiting for the reset", 900)
    assert out.getvalue().splitlines() == [
        "batchsync: waiting 1m00s: secondary rate limit",
        "batchsync: waiting 50s: secondary rate limit",
        "batchsync: waiting 15m00s: primary rate limit: waiting for the reset",
    ]


def test_actions_times_each_phase_from_its_own_start():
    clock = Clock()
    out = io.StringIO()
    progress = ActionsProgress(out, clock)
    feed(progress, clock, 10, step=100.0)  # a slow first phase
    feed(progress, clock, 10, step=1.0)  # a fast second one
    assert out.getvalue().splitlines()[-1].startswith("batchsync: 10/10 (100%) | 1.0/s")


def test_terminal_redraws_in_place_and_ends_the_line():
    clock = Clock()
    out = io.StringIO()
    feed(TerminalProgress(out, clock, width=4), clock, 2)
    text = out.getvalue()
    assert text.count("\r") == 2
    assert text.endswith("2/2 100% 1.0/s ETA 0s\n")
    assert "\n" not in text[:-1]


def test_terminal_blanks_what_a_shorter_line_leaves():
    out = io.StringIO()
    progress = TerminalProgress(out, Clock(), width=4)
    progress.on_wait("a long reason for waiting", 30)
    before = len(out.getvalue())
    progress(1, 3, "x")
    redraw = out.getvalue()[before:]
    assert len(redraw) == before  # padded with blanks to the old width
    assert redraw.endswith(" ")


def test_terminal_shows_the_wait_reason():
    out = io.StringIO()
    progress = TerminalProgress(out, Clock(), width=4)
    progress(1, 4, "x")
    progress.on_wait("secondary rate limit", 60)
    assert out.getvalue().endswith("waiting 1m00s: secondary rate limit")


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_for_picks_the_bar_only_on_a_terminal_outside_actions():
    assert isinstance(progress_for(Tty(), actions=False), TerminalProgress)
    assert isinstance(progress_for(Tty(), actions=True), ActionsProgress)
    assert isinstance(progress_for(io.StringIO(), actions=False), ActionsProgress)


def test_usable_as_the_processors_progress_callback():
    out = io.StringIO()
    clock = Clock()

    def sync(item, **kw):
        return Outcome(item, "task", "", ItemAction.UNCHANGED)

    BatchProcessor(3).batch_upload(
        [f"k{i}" for i in range(20)],
        sync,
        repo="o/r",
        client=None,
        sync_map={},
        on_progress=ActionsProgress(out, clock, every=1e9),
    )
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("batchsync: 20/20 (100%)")
    assert len(lines) == 11  # the first item, then every tenth


def test_a_raising_display_does_not_end_the_run_when_told_of_units_left(caplog):
    def broken(done, total, unit):
        raise AttributeError("'NotDone' object has no attribute 'key'")  # a pre-NotDone display

    counter = RunCounter(broken, total=3)
    with caplog.at_level("ERROR", logger="batchsync"):
        counter.skip(["scan-error"])
        counter.not_done(["a", "b"])
    assert "progress callback failed" in caplog.text
