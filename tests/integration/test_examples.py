"""Each runnable example in examples/ runs to the end against the emulator and says what it shows.

The examples check their own claims (no write on a re-run, no duplicate, nothing refused, ...)
and exit 1 when one does not hold; these tests run them as a user would, as scripts. The example
workflows are read as GitHub reads them: what keeps the pull workflows from looping is checked
here, and each file is linted as `.ci/lint` does when the linters are installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from batchsync.marker import format_marker

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FROM_SOURCE = "sync-from-source.yml"  # runs a pinned checkout (`uses: ./.batchsync`)
WORKFLOWS = sorted(p for p in (EXAMPLES / "workflows").glob("*.yml") if p.name != FROM_SOURCE)
PULL_WORKFLOWS = ["pull-on-issue-close.yml", "pull-scheduled.yml"]


def run_example(name: str, *args: str) -> str:
    """Run ``examples/<name>`` in a fresh interpreter; return its output, failing on exit != 0."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=EXAMPLES.parent,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, f"{name} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_every_example_script_is_run_by_a_test() -> None:
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    tested = {
        "sync_all.py",
        "custom_rate_limits.py",
        "error_handling.py",
        "benchmark.py",
        "dry_run.py",
    }
    assert scripts == tested


def test_sync_all_creates_every_item_then_a_rerun_writes_nothing() -> None:
    out = run_example("sync_all.py")
    assert "13 items in demo/tree: 13 created" in out
    assert "[13/13]" in out
    assert out.rstrip().endswith("requests: 1 (0 writes)")  # the list, nothing else


@pytest.mark.parametrize(
    ("name", "says"),
    [
        pytest.param(
            "custom_rate_limits.py",
            [
                "content-creation budget: 10 a minute",
                "primary rate limit: 5 left (threshold 5), waiting for the reset",
                "requests GitHub would have refused: 0",
            ],
            id="custom-rate-limits-pause-for-the-budgets-and-nothing-is-refused",
        ),
        pytest.param(
            "error_handling.py",
            [
                "prd-003-broken.md:2: frontmatter is not valid YAML",
                " not done (",
                "not reached before the time budget ran out",
                "duplicates: none",
                "besides the broken file): none",
            ],
            id="error-handling-reports-the-bad-file-and-the-second-run-finishes",
        ),
        pytest.param(
            "dry_run.py",
            ["13 to create", "would-update #", "would-close #", "writes: 0, files changed: False"],
            id="dry-run-previews-creates-updates-and-closes-without-writing",
        ),
    ],
)
def test_an_example_says_what_it_shows(name: str, says: list[str]) -> None:
    out = run_example(name)
    for text in says:
        assert text in out


@pytest.mark.slow
def test_benchmark_carries_a_tree_over_several_runs_without_duplicates() -> None:
    out = run_example("benchmark.py", "--prds", "1", "--time-budget", "0.5")
    rows = [line for line in out.splitlines() if line.startswith("| ") and "|---" not in line]
    runs = [row for row in rows[1:] if not row.startswith("| re-run")]
    assert len(runs) >= 2  # 34 items do not fit in 30 seconds of writes
    assert "| re-run, nothing changed | 0.0 | 0 | 34 |" in out
    assert "duplicates: 0" in out


# --- the example workflows ----------------------------------------------------------------------


def workflow(name: str) -> dict[str, Any]:
    """A workflow file as GitHub reads it (YAML 1.1 reads the key `on` as True: undone here)."""
    data: dict[Any, Any] = yaml.safe_load((EXAMPLES / "workflows" / name).read_text())
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(name: str) -> list[dict[str, Any]]:
    """Every step of every job of a workflow."""
    return [step for job in workflow(name)["jobs"].values() for step in job["steps"]]


def batchsync_step(name: str) -> dict[str, Any]:
    [step] = [s for s in steps(name) if str(s.get("uses", "")).startswith("batchsync/")]
    return step


def test_every_example_workflow_runs_the_same_action_reference() -> None:
    uses = {batchsync_step(path.name)["uses"] for path in WORKFLOWS}
    assert uses == {"batchsync/batchsync@v0"}


@pytest.mark.parametrize("name", PULL_WORKFLOWS)
def test_a_pull_workflow_pulls_and_may_write_files_and_issues(name: str) -> None:
    flow = workflow(name)
    assert batchsync_step(name)["with"]["pull"] is True
    assert flow["permissions"]["contents"] == "write"
    assert flow["permissions"]["issues"] == "write"
    # One sync at a time with the push workflows, and a queued run waits rather than cancels.
    assert flow["concurrency"] == {
        "group": "batchsync-${{ github.repository }}",
        "cancel-in-progress": False,
    }


@pytest.mark.parametrize("name", PULL_WORKFLOWS)
def test_a_pull_workflow_writes_with_the_workflow_token_so_its_writes_start_no_run(
    name: str,
) -> None:
    # Events made with GITHUB_TOKEN start no workflow run: another token would lose that.
    for step in steps(name):
        assert "token" not in step.get("with", {}), f"{name}: {step}"
        assert "secrets." not in str(step), f"{name}: {step}"


def test_the_issue_workflow_runs_on_close_and_reopen_of_marked_issues_not_by_bots() -> None:
    flow = workflow("pull-on-issue-close.yml")
    assert flow["on"] == {"issues": {"types": ["closed", "reopened"]}}
    [job] = flow["jobs"].values()
    guard = " ".join(job["if"].split())
    assert "github.event.sender.type != 'Bot'" in guard
    marker = guard.split("contains(github.event.issue.body, '")[1].split("'")[0]
    assert format_marker("prd-001", "0" * 16).startswith(marker)
    assert marker.endswith(" ")  # `<!-- batchsync-x` is not the marker


def test_the_issue_workflow_commit_skips_push_workflows() -> None:
    [commit] = [s for s in steps("pull-on-issue-close.yml") if "git push" in s.get("run", "")]
    assert "[skip ci]" in commit["run"]
    assert "git pull --rebase" in commit["run"]


def test_the_scheduled_workflow_runs_on_a_schedule_and_by_hand() -> None:
    on = workflow("pull-scheduled.yml")["on"]
    assert set(on) == {"schedule", "workflow_dispatch"}
    assert [s for s in steps("pull-scheduled.yml") if "create-pull-request" in s.get("uses", "")]


def linter(name: str) -> Path:
    """A linter installed beside this interpreter (pyproject's `lint` extra), or skip."""
    tool = Path(sys.executable).parent / name
    if not tool.exists():
        pytest.skip(f"{name} is not installed: pip install -e '.[lint]'")
    return tool


def test_the_example_workflows_pass_the_linters() -> None:
    files = [str(path) for path in WORKFLOWS]
    schema = [str(linter("check-jsonschema")), "--builtin-schema", "vendor.github-workflows"]
    shellcheck = ["-shellcheck", str(linter("shellcheck"))]
    for command in ([*schema, *files], [str(linter("actionlint")), *shellcheck, *files]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"{command[0]}\n{done.stdout}{done.stderr}"
