"""A run killed with SIGKILL at any point is finished by the next run: every item exactly once."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import batchsync
from batchsync.config import load_settings
from batchsync.emulator import Emulator, FaultConfig
from batchsync.items import scan
from batchsync.render import parse_marker, render
from batchsync.sync import run
from emulated import LIST_FIELD_VARIANTS, run_overrides

TOKEN = "ghs_killtoken"
REPO = "octo/kill"
# The emu fixture (tests/conftest.py): a little latency per request, so the kill lands near the
# chosen request count; both list shapes.
EMULATOR = {"limits": "off", "faults": FaultConfig(latency=0.01)}
EMULATOR_VARIANTS = LIST_FIELD_VARIANTS
SRC = Path(batchsync.__file__).resolve().parents[1]
CHILD = (
    "import json, sys\n"
    "from batchsync.config import load_settings\n"
    "from batchsync.sync import run\n"
    "run(load_settings(json.loads(sys.argv[1]), env={}))\n"
)
TASKS = 10


def write_tree(base: Path, version: str) -> None:
    (base / "prds").mkdir(parents=True, exist_ok=True)
    folder = base / "epics" / "epic-001-core"
    folder.mkdir(parents=True, exist_ok=True)
    (base / "prds" / "prd-001-core.md").write_text(
        f"---\nid: prd-001\ntitle: Core\nstatus: draft\ngithub_issue: null\n---\n\nPRD {version}\n"
    )
    (folder / "epic.md").write_text(
        "---\nid: epic-001\ntitle: Core epic\nprd_id: prd-001\ngithub_issue: null\n---\n\n"
        f"Epic {version}\n"
    )
    for n in range(1, TASKS + 1):
        status = "done" if n % 4 == 0 else "open"
        (folder / f"task-{n:03}.md").write_text(
            f"---\nid: task-{n:03}\ntitle: Task {n}\nepic_id: epic-001\nstatus: {status}\n"
            f"github_issue: null\n---\n\nTask {n} {version}\n"
        )


def overrides(emu: Emulator, workspace: Path) -> dict[str, object]:
    return run_overrides(emu, workspace, token=TOKEN, repo=REPO, write_back=True, max_concurrent=4)


def kill_after(emu: Emulator, workspace: Path, requests_seen: int) -> bool:
    """Run a sync in a child process and SIGKILL it after ``requests_seen`` requests."""
    start = emu.stats.total
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(overrides(emu, workspace))],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while child.poll() is None and time.monotonic() < deadline:
        if emu.stats.total - start >= requests_seen:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            return True
        time.sleep(0.001)  # polling the emulator's counter, not a rate-limit wait
    _, err = child.communicate(timeout=20)
    assert child.returncode == 0, err.decode()
    return False


def assert_each_item_once_with_latest_content(emu: Emulator, workspace: Path) -> None:
    scanned = scan(workspace / ".claude", workspace=workspace)
    issues: dict[str, list[dict[str, object]]] = {}
    for issue in emu.issues(REPO):
        marker = parse_marker(str(issue.get("body") or ""))
        if marker is not None:
            issues.setdefault(marker.key, []).append(issue)
    assert {k: len(v) for k, v in issues.items()} == {i.key: 1 for i in scanned.items}
    numbers = {k: int(str(v[0]["number"])) for k, v in issues.items()}
    for item in scanned.items:
        issue = issues[item.key][0]
        rendered = render(dataclasses.replace(item, namespace=".claude"), numbers)  # the tree's
        assert issue["body"] == rendered.body, item.key
        assert issue["state"] == rendered.state, item.key
        assert item.link == numbers[item.key], f"write-back of {item.key}"
    assert emu.sub_issues(REPO, numbers["prd-001"]) == [numbers["epic-001"]]
    assert sorted(emu.sub_issues(REPO, numbers["epic-001"])) == sorted(
        numbers[f"task-{n:03}"] for n in range(1, TASKS + 1)
    )


@pytest.mark.parametrize("requests_seen", [2, 5, 9, 14])
def test_killed_fresh_sync_is_finished_by_the_next_run(
    emu: Emulator, tmp_path: Path, requests_seen: int
) -> None:
    write_tree(tmp_path / ".claude", "v1")
    assert kill_after(emu, tmp_path, requests_seen)
    result = run(load_settings(overrides(emu, tmp_path), env={}))
    assert result.failed == 0, result.errors
    assert_each_item_once_with_latest_content(emu, tmp_path)


def test_killed_update_run_is_finished_by_the_next_run(emu: Emulator, tmp_path: Path) -> None:
    write_tree(tmp_path / ".claude", "v1")
    run(load_settings(overrides(emu, tmp_path), env={}))
    for path in (tmp_path / ".claude").rglob("*.md"):
        path.write_text(path.read_text().replace(" v1\n", " v2\n"))
    assert kill_after(emu, tmp_path, 5)
    run(load_settings(overrides(emu, tmp_path), env={}))
    assert_each_item_once_with_latest_content(emu, tmp_path)


def test_two_kills_in_a_row_then_a_full_run(emu: Emulator, tmp_path: Path) -> None:
    write_tree(tmp_path / ".claude", "v1")
    assert kill_after(emu, tmp_path, 4)
    assert kill_after(emu, tmp_path, 6)
    run(load_settings(overrides(emu, tmp_path), env={}))
    assert_each_item_once_with_latest_content(emu, tmp_path)
