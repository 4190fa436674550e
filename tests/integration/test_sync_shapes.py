"""Every shape of tests/fixtures/shapes at once, synced against the emulator and synced again."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from batchsync.config import load_settings
from batchsync.emulator import Emulator
from batchsync.items import FileClass, scan
from batchsync.marker import parse_marker
from batchsync.results import BatchResult, ItemAction
from batchsync.sync import run
from emulated import run_overrides, writes

TOKEN = "ghs_shapestoken"
EMULATOR = {"limits": "off", "scale": 1000}  # the emulator's options (tests/conftest.py)
REPO = "acme/app"
SHAPES = Path(__file__).parent.parent / "fixtures" / "shapes"


def every_shape(base: Path) -> None:
    """The workspace's items (tests/conftest.py): the shapes use distinct names, so they fit in
    one tree."""
    for shape in sorted(SHAPES.iterdir()):
        shutil.copytree(shape / ".claude", base, dirs_exist_ok=True)


WORK_ITEMS = every_shape


def sync(emu: Emulator, workspace: Path) -> BatchResult:
    given = run_overrides(emu, workspace, token=TOKEN, repo=REPO, write_back=True)
    return run(load_settings(given, env={}), clock=emu.clock.now, sleep=emu.clock.sleep)


def files_on_disk(base: Path) -> dict[str, str]:
    found = {}
    for folder in ("prds", "epics"):
        for root, _, names in os.walk(base / folder):
            for name in names:
                path = Path(root, name)
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[path.relative_to(base.parent).as_posix()] = digest
    return found


@pytest.mark.timeout(120)
def test_every_shape_syncs_once_reruns_with_no_write_and_every_file_is_accounted_for(
    emu: Emulator, workspace: Path
) -> None:
    base = workspace / ".claude"
    first = sync(emu, workspace)
    scanned = scan(base, workspace=workspace)

    # Every file under prds/ and epics/ is in exactly one class.
    paths = [f.path for f in scanned.files]
    assert sorted(paths) == sorted(files_on_disk(base))
    counts = {cls: scanned.count(cls) for cls in FileClass}
    assert sum(counts.values()) == len(paths)
    assert counts[FileClass.ITEM] == len(scanned.items) == 39
    assert counts[FileClass.ARCHIVED] == 4

    # Exactly the work items have an issue, one each; the items with errors failed, nothing else.
    markers: dict[str, list[int]] = {}
    for issue in emu.issues(REPO):
        marker = parse_marker(issue.get("body"))
        if marker is not None:
            markers.setdefault(marker.key, []).append(issue["number"])
    assert set(markers) == {item.key for item in scanned.items}
    assert all(len(numbers) == 1 for numbers in markers.values())
    failed = {o.path for o in first.outcomes if o.action is ItemAction.FAILED}
    assert failed == {f.path for f in scanned.files if f.cls is FileClass.ERROR}
    assert first.count(ItemAction.CREATED) == 39

    # The run's result (step summary, results file) lists what was not synced, and why.
    listed = {f.path: f.kind for f in first.not_synced}
    assert listed == {
        f.path: f.cls.value for f in scanned.files if f.cls in (FileClass.ARCHIVED, FileClass.OTHER)
    }
    assert len(listed) == counts[FileClass.ARCHIVED] + counts[FileClass.OTHER]
    assert any("`prd` is empty: synced without a parent" in w for w in first.warnings)

    # Write-back recorded each link; a second run writes nothing to GitHub or to the files.
    before = files_on_disk(base)
    emu.stats.reset()
    second = sync(emu, workspace)
    assert writes(emu) == 0
    assert files_on_disk(base) == before
    assert second.count(ItemAction.UNCHANGED) == 39


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give the tree to another user")
@pytest.mark.timeout(120)
def test_write_back_as_root_keeps_the_checkouts_owner_on_every_file(
    emu: Emulator, workspace: Path
) -> None:
    # A container action runs as root over a checkout owned by the runner's user (uid 1000 here):
    # a file it rewrites or creates must stay the user's, or the next checkout cannot clean it.
    modes = {}
    for root, folders, names in os.walk(workspace):
        for name in [*folders, *names]:
            os.chown(Path(root, name), 1000, 1000, follow_symlinks=False)
        for name in names:
            modes[Path(root, name)] = Path(root, name).stat().st_mode
    os.chown(workspace, 1000, 1000)
    sync(emu, workspace)
    owners = set()
    for root, folders, names in os.walk(workspace):
        for name in [*folders, *names]:
            info = Path(root, name).lstat()
            owners.add((info.st_uid, info.st_gid))
    assert owners == {(1000, 1000)}
    assert (workspace / ".claude" / "sync-map.json").exists()  # created by the run, still theirs
    assert all(path.stat().st_mode == mode for path, mode in modes.items())
