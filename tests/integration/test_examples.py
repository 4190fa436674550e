"""Each runnable example in examples/ runs to the end against the emulator and says what it shows.

The examples check their own claims (no write on a re-run, no duplicate, nothing refused, ...)
and exit 1 when one does not hold; these tests run them as a user would, as scripts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


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
                "prd-003-broken.md:3: frontmatter is not valid YAML",
                " not done (",
                "not reached in the time budget: run again",
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
