"""The one exit-code table and the one results writer (``batchsync.report``)."""

from __future__ import annotations

import io
import json
import re
import signal
from pathlib import Path
from typing import Any

import pytest

from batchsync import action, report, summary, sync
from batchsync.config import load_settings
from batchsync.errors import Failure, FailureKind, Fatal
from batchsync.report import ExitCode
from batchsync.results import BatchResult, ItemAction, Outcome

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghs_reporttoken"


def documented_table() -> dict[int, str]:
    """The rows of docs/action.md's "Exit codes" table: code -> meaning."""
    text = (ROOT / "docs" / "action.md").read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", section, flags=re.MULTILINE)
    return {int(code): meaning for code, meaning in rows}


def test_the_docs_table_is_the_enum() -> None:
    assert documented_table() == {int(code): code.meaning for code in ExitCode}


def failed(kind: FailureKind, status: int | None = None) -> Outcome:
    failure = Failure(kind, f"{kind.value} happened", status)
    return Outcome("k", "prd", "prds/k.md", ItemAction.FAILED, failure=failure)


DONE = Outcome("d", "prd", "prds/d.md", ItemAction.CREATED, issue_number=1)
LEFT = Outcome("l", "prd", "prds/l.md", ItemAction.NOT_DONE)


@pytest.mark.parametrize(
    ("outcomes", "fail_on_error", "interrupted", "code"),
    [
        ((DONE,), True, None, ExitCode.OK),
        ((DONE, LEFT), True, None, ExitCode.OK),
        ((DONE, failed(FailureKind.SERVER, 502)), True, None, ExitCode.FAILED),
        ((DONE, failed(FailureKind.SERVER, 502)), False, None, ExitCode.OK),
        ((failed(FailureKind.PERMISSION, 403),), False, None, ExitCode.FATAL),
        ((DONE, LEFT), True, int(signal.SIGINT), ExitCode.INTERRUPTED),
        ((DONE, LEFT), True, int(signal.SIGTERM), ExitCode.TERMINATED),
    ],
)
def test_one_rule_from_a_result_to_its_code(
    outcomes: tuple[Outcome, ...], fail_on_error: bool, interrupted: int | None, code: ExitCode
) -> None:
    result = BatchResult(outcomes=outcomes, interrupted=interrupted)
    assert report.ending(result, fail_on_error=fail_on_error, repository="o/r").code is code


def run_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, result: BatchResult) -> list[int]:
    """The exit code of the same result in the terminal and in the action."""
    (tmp_path / ".claude").mkdir(exist_ok=True)
    settings = load_settings(
        {"github_token": TOKEN, "repository": "o/r", "workspace": str(tmp_path)}, env={}
    )

    def fake(*args: Any, **kwargs: Any) -> BatchResult:
        return result

    monkeypatch.setattr(sync, "run", fake)
    terminal = sync.main(settings, stdout=io.StringIO(), stderr=io.StringIO())
    step = action.run_action(settings, run=fake, stdout=io.StringIO(), stderr=io.StringIO())
    return [terminal, step]


def test_a_refused_token_in_a_result_is_exit_2_in_the_terminal_as_in_the_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before the one table the terminal said 1 here and the action 2.
    result = BatchResult(outcomes=(DONE, failed(FailureKind.PERMISSION, 403)))
    assert run_both(tmp_path, monkeypatch, result) == [2, 2]


def test_an_interrupted_result_is_130_in_both_modes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = BatchResult(outcomes=(DONE, LEFT), interrupted=int(signal.SIGINT))
    assert run_both(tmp_path, monkeypatch, result) == [130, 130]


def test_the_results_file_holds_the_code_and_the_error(tmp_path: Path) -> None:
    path = tmp_path / "out" / "r.json"
    fatal = Fatal("run stopped", "nothing synced: 503 ghs_secretvalue")
    end = report.fatal_ending(fatal)
    info = summary.RunInfo(repository="o/r", results_file="out/r.json")
    scrub = lambda text: text.replace("ghs_secretvalue", "***")  # noqa: E731
    assert report.write_results(path, BatchResult(), info, end, scrub=scrub) is None
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["exit_code"] == 2
    assert document["fatal"] == {"title": "run stopped", "message": "nothing synced: 503 ***"}
    assert document["items"] == []


def test_a_results_file_that_cannot_be_written_is_said(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    end = report.Ending(ExitCode.OK)
    problem = report.write_results(
        tmp_path / "file" / "r.json", BatchResult(), summary.RunInfo(), end, scrub=str
    )
    assert problem is not None
    assert problem.startswith("could not write the results file: ")
