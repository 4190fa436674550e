"""Ctrl-C and SIGTERM mid-run, end to end against the emulator: the run stops cleanly, reports
what is done and what is not, writes its files, exits 130 or 143; the next run finishes.

The signal is the handler batchsync installs, called from inside the run (after the second item
is done), as the interpreter would call it: no real signal, no sleeping.
"""

from __future__ import annotations

import functools
import io
import json
import re
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from batchsync import action, sync
from batchsync.config import Settings, load_settings
from batchsync.emulator import Emulator
from batchsync.github import GitHubClient
from batchsync.processor import BatchProcessor, Gate
from batchsync.progress import NotDone
from batchsync.results import BatchResult, ItemAction
from batchsync.signals import Interrupt
from batchsync.sync import limits_from
from emulated import run_overrides
from trees import Tree, write_item, write_prds

TOKEN = "ghs_interrupttoken"
REPO = "octo/interrupt"
WORK_ITEMS = functools.partial(write_prds, count=6)
PRESS_AFTER = 2  # items done before the signal comes
REAL_RUN = sync.run  # the tests put a pressing run in its place


def settings(emu: Emulator, workspace: Path, **changes: object) -> Settings:
    changes = {"max_concurrent": 1, **changes}
    given = run_overrides(emu, workspace, token=TOKEN, repo=REPO, **changes)
    return load_settings(given, env={})


def pressing(emu: Emulator, signum: int, presses: int = 1) -> Callable[..., BatchResult]:
    """``sync.run`` on the emulator's clock, whose progress sends ``signum`` mid-run."""

    def run(s: Settings, **kwargs: Any) -> BatchResult:
        shown = kwargs.pop("on_progress")

        def progress(done: int, total: int, item: object) -> None:
            shown(done, total, item)
            if done == PRESS_AFTER and not isinstance(item, NotDone):
                handler = signal.getsignal(signum)
                assert callable(handler)  # batchsync's own, installed for the run
                for _ in range(presses):
                    handler(signum, None)

        return REAL_RUN(
            s, clock=emu.clock.now, sleep=emu.clock.sleep, on_progress=progress, **kwargs
        )

    return run


def titles(emu: Emulator) -> list[str]:
    return sorted(issue["title"] for issue in emu.issues(REPO))


def test_ctrl_c_in_the_terminal_stops_cleanly_reports_and_exits_130(
    emu: Emulator, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "run", pressing(emu, signal.SIGINT))
    out, err = io.StringIO(), io.StringIO()
    s = settings(emu, workspace, results_file="results.json")
    code = sync.main(s, stdout=out, stderr=err)
    assert code == 130
    assert "SIGINT received: no new request starts" in err.getvalue()
    assert "interrupted by SIGINT: 2 items done, 4 not done; run again to finish" in out.getvalue()
    assert "Traceback" not in out.getvalue() + err.getvalue()
    document = json.loads((workspace / "results.json").read_text(encoding="utf-8"))
    assert document["exit_code"] == 130
    assert document["totals"]["created"] == PRESS_AFTER
    assert document["totals"]["not-done"] == 6 - PRESS_AFTER
    assert len(titles(emu)) == PRESS_AFTER  # nothing started after the signal
    # the handlers are the process's own again once the run is over
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_next_run_finishes_what_the_interrupted_one_left_exactly_once(
    emu: Emulator, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "run", pressing(emu, signal.SIGINT))
    assert sync.main(settings(emu, workspace), stdout=io.StringIO(), stderr=io.StringIO()) == 130
    monkeypatch.undo()
    result = sync.run(settings(emu, workspace), clock=emu.clock.now, sleep=emu.clock.sleep)
    assert result.interrupted is None
    assert result.not_done == 0
    assert result.failed == 0
    assert titles(emu) == [f"[PRD] P{n}" for n in range(1, 7)]


def test_sigterm_in_the_action_writes_outputs_summary_and_results_and_exits_143(
    emu: Emulator, workspace: Path
) -> None:
    output, step_summary = workspace / "output.txt", workspace / "summary.md"
    s = settings(emu, workspace, output_file=str(output), step_summary=str(step_summary))
    log = io.StringIO()
    code = action.run_action(s, run=pressing(emu, signal.SIGTERM), stdout=log, stderr=io.StringIO())
    assert code == 143
    outputs = output.read_text(encoding="utf-8")
    assert "not-done<<" in outputs
    assert f"\n{6 - PRESS_AFTER}\n" in outputs
    assert "interrupted by SIGTERM" in step_summary.read_text(encoding="utf-8")
    warnings = [line for line in log.getvalue().splitlines() if line.startswith("::warning")]
    assert any("interrupted by SIGTERM: 2 items done, 4 not done" in w for w in warnings)
    document = json.loads((workspace / "batchsync-results.json").read_text(encoding="utf-8"))
    assert document["exit_code"] == 143


def test_a_second_signal_stops_at_once_without_a_traceback(
    emu: Emulator, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(s: Settings, **kwargs: Any) -> BatchResult:
        handler = signal.getsignal(signal.SIGINT)
        assert callable(handler)
        handler(signal.SIGINT, None)
        handler(signal.SIGINT, None)  # raises KeyboardInterrupt, as in the main thread
        raise AssertionError("not reached")

    monkeypatch.setattr(sync, "run", run)
    err = io.StringIO()
    assert sync.main(settings(emu, workspace), stdout=io.StringIO(), stderr=err) == 130
    assert "stopped at once by a second signal: run again to finish" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_a_write_cut_between_its_create_and_its_close_is_not_done_with_its_issue_number(
    emu: Emulator, tree: Tree
) -> None:
    """An item that starts closed is created open, then closed: a signal between the two
    leaves it not-done with its issue number; the next run closes it, creating nothing."""
    workspace = tree.root
    write_item(
        workspace / ".claude",
        "prds/prd-001-a.md",
        {"id": "prd-001", "title": "A", "status": "done"},
    )
    s = settings(emu, workspace)
    interrupt = Interrupt()
    gate = Gate(limits_from(s), clock=emu.clock.now, sleep=emu.clock.sleep, interrupt=interrupt)
    client = GitHubClient(s.api_url, TOKEN, REPO, gate)
    created = client.create_issue

    def create(*args: Any, **kwargs: Any) -> Any:
        issue = created(*args, **kwargs)
        interrupt.trigger(signal.SIGINT)  # the write is done: the signal comes before the close
        return issue

    client.create_issue = create  # type: ignore[method-assign]
    processor = BatchProcessor(1, gate=gate)
    result = sync.run(s, client=client, processor=processor, interrupt=interrupt)
    (outcome,) = result.outcomes
    assert (outcome.action, outcome.issue_number) == (ItemAction.NOT_DONE, 1)
    assert result.interrupted == signal.SIGINT
    assert [i["state"] for i in emu.issues(REPO)] == ["open"]
    again = sync.run(settings(emu, workspace), clock=emu.clock.now, sleep=emu.clock.sleep)
    assert [o.action for o in again.outcomes] == [ItemAction.UPDATED]
    assert [(i["number"], i["state"]) for i in emu.issues(REPO)] == [(1, "closed")]


def test_a_signal_before_the_listing_stops_the_run_before_any_request(
    emu: Emulator, workspace: Path
) -> None:
    interrupt = Interrupt()
    interrupt.trigger(signal.SIGTERM)
    s = settings(emu, workspace)
    result = sync.run(s, clock=emu.clock.now, sleep=emu.clock.sleep, interrupt=interrupt)
    assert (result.not_done, result.total, result.interrupted) == (6, 6, signal.SIGTERM)
    assert emu.stats.to_json()["counts"] == []  # not even the listing was sent


@pytest.mark.parametrize("lanes", [2, 4])
def test_with_many_lanes_every_write_made_is_reported_and_the_rest_is_not_done(
    emu: Emulator, workspace: Path, monkeypatch: pytest.MonkeyPatch, lanes: int
) -> None:
    monkeypatch.setattr(sync, "run", pressing(emu, signal.SIGINT))
    s = settings(emu, workspace, max_concurrent=lanes, results_file="results.json")
    assert sync.main(s, stdout=io.StringIO(), stderr=io.StringIO()) == 130
    document = json.loads((workspace / "results.json").read_text(encoding="utf-8"))
    reported = {i["issue_number"] for i in document["items"] if i["issue_number"] is not None}
    assert reported == {issue["number"] for issue in emu.issues(REPO)}  # no write unreported
    actions = [i["action"] for i in document["items"]]
    assert set(actions) <= {"created", "not-done"}
    assert actions.count("created") >= PRESS_AFTER
    assert actions.count("not-done") >= 1


class Terminal(io.StringIO):
    """A stream that says it is a terminal: the run draws its live bar."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream", [io.StringIO, Terminal], ids=["log-lines", "terminal-bar"])
def test_after_ctrl_c_the_progress_counts_the_items_not_done_apart(
    emu: Emulator, workspace: Path, monkeypatch: pytest.MonkeyPatch, stream: type[io.StringIO]
) -> None:
    monkeypatch.setattr(sync, "run", pressing(emu, signal.SIGINT))
    out, err = io.StringIO(), stream()
    assert sync.main(settings(emu, workspace), stdout=out, stderr=err) == 130
    shown = err.getvalue()
    # the last progress line (or the bar's last drawing) counts 2 done and 4 not done
    last = [p for p in re.split(r"[\r\n]", shown) if "/6" in p][-1]
    assert f"{PRESS_AFTER}/6" in last
    assert re.search(r"33%\)?, 4 not done", last)
    assert "ETA" not in last
    assert "6/6" not in shown
    assert "100%" not in shown
    assert shown.endswith("\n")  # the bar's line is finished before the report


def cancelled(s: Settings, **kwargs: Any) -> BatchResult:
    """``sync.run`` as a cancelled workflow ends it: SIGINT, then SIGTERM in the main thread."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        assert callable(handler)  # batchsync's own, installed for the run
        handler(signum, None)  # the second raises, as the interpreter would in the main thread
    raise AssertionError("not reached")


def stale_results(workspace: Path) -> Path:
    """A results file a previous, successful run left."""
    path = workspace / "batchsync-results.json"
    stale = {"exit_code": 0, "fatal": None, "items": [{"key": "prd-001", "action": "created"}]}
    path.write_text(json.dumps(stale), encoding="utf-8")
    return path


def test_a_cancel_s_second_signal_in_the_action_replaces_the_results_and_exits_143(
    emu: Emulator, workspace: Path
) -> None:
    output, step_summary = workspace / "output.txt", workspace / "summary.md"
    s = settings(emu, workspace, output_file=str(output), step_summary=str(step_summary))
    path = stale_results(workspace)
    log = io.StringIO()
    assert action.run_action(s, run=cancelled, stdout=log, stderr=io.StringIO()) == 143
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["exit_code"] == 143
    assert document["items"] == []  # nothing stale: what the cut writes did is unknown
    assert document["fatal"]["title"] == "stopped at once"
    assert "results-file<<" in output.read_text(encoding="utf-8")
    assert "stopped at once by a second signal" in step_summary.read_text(encoding="utf-8")
    assert "::warning title=batchsync::stopped at once" in log.getvalue()
    assert "Traceback" not in log.getvalue()


@pytest.mark.parametrize("as_json", [False, True])
def test_a_second_signal_in_the_terminal_replaces_the_results_and_exits_with_its_code(
    emu: Emulator, workspace: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    monkeypatch.setattr(sync, "run", cancelled)
    path = stale_results(workspace)
    s = settings(emu, workspace, results_file="batchsync-results.json")
    out, err = io.StringIO(), io.StringIO()
    assert sync.main(s, stdout=out, stderr=err, as_json=as_json) == 143
    document = json.loads(path.read_text(encoding="utf-8"))
    assert (document["exit_code"], document["items"]) == (143, [])
    if as_json:
        assert json.loads(out.getvalue())["exit_code"] == 143
    assert "stopped at once by a second signal: run again to finish" in err.getvalue()
