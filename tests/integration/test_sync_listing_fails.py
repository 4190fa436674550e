"""GitHub failing the listing (500, 502, 503 after every retry), against the emulator's injected
faults: nothing could run (exit 2), and the outputs, the step summary and the results file are
still written, in the action and in the terminal."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import pytest

from batchsync import action, sync
from batchsync.config import Settings, load_settings
from batchsync.emulator import Emulator, FaultConfig
from batchsync.report import ExitCode
from emulated import EmulatorFactory, run_overrides
from trees import write_prds

TOKEN = "ghs_listingtoken"
REPO = "octo/listing"
WORK_ITEMS = functools.partial(write_prds, count=3)


def failing(make_emulator: EmulatorFactory, status: int) -> Emulator:
    # Every GET fails: the listing (and anything else read) answers ``status`` every time.
    return make_emulator(
        faults=FaultConfig(error_rate=1.0, error_statuses=(status,), methods=("GET",))
    )


def on_its_clock(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """``emu``, with the terminal's runs made on its clock (no real waiting between retries)."""
    real = sync.run
    monkeypatch.setattr(
        sync, "run", functools.partial(real, clock=emu.clock.now, sleep=emu.clock.sleep)
    )
    return emu


def settings(emu: Emulator, workspace: Path, **changes: object) -> Settings:
    given = run_overrides(emu, workspace, token=TOKEN, repo=REPO, max_retries=1, **changes)
    return load_settings(given, env={})


def outputs_of(path: Path) -> dict[str, str]:
    """``name<<delimiter`` / value / delimiter entries of a GITHUB_OUTPUT file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[str, str] = {}
    for n, line in enumerate(lines):
        if "<<" in line:
            found[line.split("<<", 1)[0]] = lines[n + 1]
    return found


@pytest.mark.parametrize("status", [500, 502, 503])
def test_the_action_still_writes_outputs_summary_and_results(
    make_emulator: EmulatorFactory, workspace: Path, status: int
) -> None:
    emu = failing(make_emulator, status)
    output, step_summary = workspace / "output.txt", workspace / "summary.md"
    s = settings(emu, workspace, output_file=str(output), step_summary=str(step_summary))
    log = io.StringIO()
    run = functools.partial(sync.run, clock=emu.clock.now, sleep=emu.clock.sleep)
    code = action.run_action(s, run=run, stdout=log, stderr=io.StringIO())
    assert code == ExitCode.FATAL
    assert emu.issues(REPO) == []
    written = outputs_of(output)
    assert written["total"] == "0"
    assert written["results-file"] == "batchsync-results.json"
    assert "Nothing was synced." in step_summary.read_text(encoding="utf-8")
    document = json.loads((workspace / "batchsync-results.json").read_text(encoding="utf-8"))
    assert document["exit_code"] == 2
    assert document["items"] == []
    assert document["fatal"]["title"] == "run stopped"
    assert str(status) in document["fatal"]["message"]
    errors = [line for line in log.getvalue().splitlines() if line.startswith("::error")]
    assert len(errors) == 1


def test_the_terminal_still_writes_the_results_file(
    make_emulator: EmulatorFactory, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = on_its_clock(failing(make_emulator, 503), monkeypatch)
    err = io.StringIO()
    s = settings(emu, workspace, results_file="out/results.json")
    assert sync.main(s, stdout=io.StringIO(), stderr=err) == ExitCode.FATAL
    assert "batchsync: nothing synced: " in err.getvalue()
    document = json.loads((workspace / "out/results.json").read_text(encoding="utf-8"))
    assert (document["exit_code"], document["items"]) == (2, [])
    assert "503" in document["fatal"]["message"]


def test_json_on_stdout_carries_the_error_too(
    make_emulator: EmulatorFactory, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = on_its_clock(failing(make_emulator, 502), monkeypatch)
    out = io.StringIO()
    assert sync.main(settings(emu, workspace), stdout=out, stderr=io.StringIO(), as_json=True) == 2
    document = json.loads(out.getvalue())
    assert (document["exit_code"], document["fatal"]["title"]) == (2, "run stopped")
