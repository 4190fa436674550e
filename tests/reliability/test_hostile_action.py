"""The hostile tree through the action, as the runner runs it, against the emulator.

Every hostile file of test_hostile_input at once, beside good items, synced by the action's
entry point (``GITHUB_ACTIONS=true``, no arguments). Each bad file must be one error annotation
pointing at it; every usable item, HTML and Markdown in its title and body included, must be on
GitHub exactly once with its content; the step summary's tables must keep their shape with no
live HTML; no line of the log may be a workflow command the run did not mean to issue; the
results file and outputs must be readable; nothing may crash. The sync map is tried apart, with
write-back on, because it is shared by every local-mode item.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from relkit import (
    REPO,  # noqa: F401 - the emu fixture (tests/conftest.py) reads it
    TOKEN,
    TRACEBACK,
    write,
    write_tree,
)
from relsync import Zygote, action_job, check
from test_hostile_input import MAP, hostile_tree

from batchsync.emulator import Emulator

COMMANDS = ("::add-mask::", "::group::", "::endgroup::", "::error", "::warning", "::notice")
LIVE_HTML = re.compile(r"<\s*(script|img|iframe|a|svg|style|details|div)\b", re.IGNORECASE)
PROPERTY_ESCAPES = {"%0A": "\n", "%0D": "\r", "%3A": ":", "%2C": ",", "%25": "%"}


def unescape_property(value: str) -> str:
    return re.sub("%(0A|0D|3A|2C|25)", lambda m: PROPERTY_ESCAPES[m.group(0)], value)


def annotation_files(log: str) -> list[str]:
    """The ``file=`` of every error annotation, unescaped."""
    files = []
    for line in log.splitlines():
        if line.startswith("::error "):
            props = line[len("::error ") :].split("::", 1)[0]
            for prop in props.split(","):
                name, _, value = prop.partition("=")
                if name == "file":
                    files.append(unescape_property(value))
    return files


def broken_tables(markdown: str) -> list[str]:
    """Rows whose cell count differs from their table's header row."""
    bad, width = [], None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = line.count("|")
        if width is None:
            width = cells
        elif cells != width:
            bad.append(line)
    return bad


@pytest.mark.timeout(90)
@pytest.mark.parametrize("write_back", [False, True], ids=["no write-back", "write-back"])
def test_action_over_every_hostile_file_reports_each_and_syncs_the_rest(
    write_back: bool, emu: Emulator, zygote: Zygote, tmp_path: Path, record
) -> None:
    workspace = tmp_path / "ws"
    usable, failing = hostile_tree(workspace, tmp_path / "outside", sync_map=False)
    job = action_job(emu.url, workspace, TOKEN, write_back=str(write_back).lower())
    finished = zygote.run(job)
    runner = workspace / "_runner"
    summary = (runner / "step_summary").read_text()
    results = json.loads((workspace / "batchsync-results.json").read_text())
    found = check(emu, workspace, write_back=write_back)
    expected = {f".claude/{case.rel}" for case in failing}
    annotated = set(annotation_files(finished.stdout))
    stray = [line for line in finished.stdout.splitlines() if line.startswith("::")]
    stray = [line for line in stray if not line.startswith(COMMANDS)]
    lost = len({*found.missing, *found.stale, *found.unlinked, *found.unrecorded})
    lost += len(expected - set(found.broken)) + len(set(found.broken) - expected)
    crashes = int(TRACEBACK in finished.stdout + finished.stderr)
    mode = "write-back" if write_back else "no write-back"
    record(
        "hostile input",
        f"action over every hostile file at once ({mode})",
        items=usable + len(failing),
        lost=lost,
        duplicates=found.duplicates,
        crashes=crashes,
        note=f"{len(annotated)} annotations, {len(broken_tables(summary))} broken table rows",
    )
    assert crashes == 0, finished.stderr
    assert finished.code == 1
    assert found.items == usable
    assert set(found.broken) == expected
    assert (found.missing, found.stale, found.unlinked, found.unrecorded) == ([], [], [], [])
    assert found.duplicates == 0
    assert len(results["items"]) == usable + len(failing)
    assert broken_tables(summary) == []
    assert LIVE_HTML.search(summary) is None
    assert stray == []
    # GitHub shows ten error annotations a step: nine files and one aggregate line.
    assert len(annotated) == min(len(failing), 9)
    assert all(os.path.lexists(workspace / name) for name in annotated), annotated
    assert annotated <= expected


SYNC_MAPS = {
    "symlink to /dev/zero": lambda base: os.symlink("/dev/zero", base / MAP),
    "nested too deep": lambda base: write(base, MAP, "[" * 100_000),
    "number too long": lambda base: write(base, MAP, '{"prd-001": ' + "1" * 5_000 + "}"),
    "a folder": lambda base: (base / MAP).mkdir(),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", list(SYNC_MAPS), ids=str)
def test_hostile_sync_map_with_write_back_is_one_error_per_item_and_left_alone(
    case: str, emu: Emulator, zygote: Zygote, tmp_path: Path, record
) -> None:
    base = tmp_path / ".claude"
    write_tree(base)
    SYNC_MAPS[case](base)
    before = os.readlink(base / MAP) if (base / MAP).is_symlink() else None
    finished = zygote.run(action_job(emu.url, tmp_path, TOKEN, write_back="true"))
    found = check(emu, tmp_path)
    crashes = int(TRACEBACK in finished.stdout + finished.stderr)
    record(
        "hostile input",
        f"sync map {case}, write-back on",
        items=found.items,
        lost=len({*found.missing, *found.stale, *found.unlinked}),
        duplicates=found.duplicates,
        crashes=crashes,
    )
    assert crashes == 0, finished.stderr
    assert finished.code == 1  # the local-mode items could not record their links
    assert (found.missing, found.stale, found.unlinked, found.duplicates) == ([], [], [], 0)
    assert f"{MAP}" in finished.stdout
    if before is not None:
        assert os.readlink(base / MAP) == before  # never replaced, never read through


def annotation_properties(line: str) -> dict[str, str]:
    """The properties of one ``::error k=v,...::message`` line, unescaped."""
    props = line[len("::error ") :].split("::", 1)[0]
    return {
        name: unescape_property(value)
        for name, _, value in (prop.partition("=") for prop in props.split(","))
    }


@pytest.mark.timeout(60)
def test_markup_and_commands_in_a_failing_key_stay_inside_one_annotation(
    emu: Emulator, zygote: Zygote, tmp_path: Path, record
) -> None:
    key = "<script>x</script>|**y**\n::warning::z,a:b"
    write_tree(tmp_path / ".claude")
    write(
        tmp_path / ".claude", "prds/prd-999-x.md", f"---\nid: {json.dumps(key)}\ntitle: [a]\n---\n"
    )
    finished = zygote.run(action_job(emu.url, tmp_path, TOKEN))
    errors = [line for line in finished.stdout.splitlines() if line.startswith("::error")]
    stray = [line for line in finished.stdout.splitlines() if line.startswith("::warning")]
    found = check(emu, tmp_path)
    record(
        "hostile input",
        "markup, a newline and commands in a failing item's key (annotation)",
        items=found.items + 1,
        lost=len({*found.missing, *found.stale, *found.unlinked}) + (len(errors) != 1),
        crashes=int(TRACEBACK in finished.stdout + finished.stderr),
    )
    assert len(errors) == 1, finished.stdout
    props = annotation_properties(errors[0])
    assert props["file"] == ".claude/prds/prd-999-x.md"
    assert props["title"] == "batchsync: " + " ".join(key.split())
    assert stray == []
    assert (found.missing, found.stale, found.unlinked, found.duplicates) == ([], [], [], 0)
