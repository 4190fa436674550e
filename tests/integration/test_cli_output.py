"""``batchsync sync`` as a script sees it: --json, --results-file, and hostile text from GitHub."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from batchsync.cli import main
from batchsync.emulator import Emulator
from trees import write_file

TOKEN = "ghs_clioutputtoken"
REPO = "octo/out"
ITEMS = ("prds/prd-001-a.md", "prds/prd-002-b.md")


def two_prds(base: Path) -> None:
    """The workspace's items (tests/conftest.py)."""
    for n, rel in enumerate(ITEMS, 1):
        write_file(base, rel, f"---\nid: prd-00{n}\ntitle: Title {n}\n---\nbody\n")


WORK_ITEMS = two_prds


@pytest.fixture(autouse=True)
def terminal(in_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A person's terminal: in the workspace, no runner variables, a token in GITHUB_TOKEN."""
    for name in ("GITHUB_WORKSPACE", "GITHUB_ACTIONS", "GITHUB_REPOSITORY", "RUNNER_TEMP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)


def sync(emu: Emulator, *flags: str) -> int:
    return main(["sync", "--repo", REPO, "--api-url", emu.url, "--write-interval", "0", *flags])


def test_json_on_stdout_report_on_stderr_and_the_same_results_file(
    emu: Emulator, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sync(emu, "--json", "--results-file", "out/results.json") == 0
    printed = capsys.readouterr()
    document = json.loads(printed.out)
    created = [i for i in document["items"] if i["action"] == "created"]
    assert sorted(i["title"] for i in created) == ["Title 1", "Title 2"]
    for record in created:
        assert f"  created #{record['issue_number']} {record['key']}: {record['title']} " in (
            printed.err
        )
        assert record["url"] in printed.err
    assert f"\nbatchsync: 2 items in {REPO}: 2 created" in printed.err
    assert "results file: out/results.json" in printed.err
    assert json.loads((workspace / "out/results.json").read_text()) == document


def test_results_file_is_honoured_in_a_dry_run_and_absent_without_it(
    emu: Emulator, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sync(emu, "--dry-run") == 0
    assert not (workspace / "batchsync-results.json").exists()
    assert sorted(p.name for p in workspace.iterdir()) == [".claude"]
    assert sync(emu, "--dry-run", "--results-file", "plan.json") == 0
    plan = json.loads((workspace / "plan.json").read_text())
    assert plan["dry_run"] is True
    assert {i["action"] for i in plan["items"]} == {"would-create"}
    assert "would-create" in capsys.readouterr().out


@pytest.mark.parametrize("target", [ITEMS[0], ".claude/new.json", "../elsewhere.json"])
def test_results_file_over_a_work_item_or_outside_the_workspace_stops_before_any_request(
    emu: Emulator, workspace: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    before = {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()}
    assert (
        sync(emu, "--results-file", target if target.startswith(".") else f".claude/{target}") == 2
    )
    assert "invalid results-file" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()} == before
    assert emu.issues(REPO) == []
    assert not (workspace.parent / "elsewhere.json").exists()


def test_a_hostile_marker_key_from_github_issues_no_command_in_a_run_step(
    emu: Emulator,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Anyone who can open an issue can write a marker (in the tree's namespace, .claude here);
    # its key is percent-decoded when read.
    key = "x%0A::add-mask::leak%0A::stop-commands::p%1B]0;title%07%E2%80%AE"
    body = f"text\n\n<!-- batchsync key={key} ns=.claude hash=0123456789abcdef -->"
    answer = requests.post(
        f"{emu.url}/repos/{REPO}/issues",
        json={"title": "[PRD] hostile", "body": body, "labels": ["prd"]},
        headers={"Authorization": f"token {TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 201
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    sync(emu, "--dry-run", "--close-removed")
    printed = capsys.readouterr()
    # The key is shown, on one line, its escapes visible and inert.
    shown = "x ::add-mask::leak ::stop-commands::p\\x1b]0;title\\x07\\u202e"
    assert shown in printed.out
    assert shown in printed.err
    for line in re.split(r"\r\n|\r|\n", printed.out + printed.err):
        assert not line.lstrip().startswith("::") or line.startswith("::add-mask::ghs_"), line
        assert "##[" not in line
        assert "\x1b" not in line
        assert "\u202e" not in line
