"""Example 5: dry-run preview: what a sync would do, with the reason for each write.

    python examples/dry_run.py

A dry run lists the issues and plans, and stops there: no write to GitHub, no file changed.
First against an empty repository (everything would be created), then after a real sync and an
edit to one file (only that item would be updated), then with a removed file and
``close-removed`` (its issue would be closed). The emulator's request counts prove nothing was
written in any of the dry runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _emulated import REPO, emulator, settings, workspace
from batchsync import summary, sync
from batchsync.emulator import Emulator
from batchsync.results import BatchResult


def preview(title: str, root: Path, emu: Emulator, **overrides: object) -> BatchResult:
    """One dry run; print its plan and check it wrote nothing."""
    before = {p: p.read_bytes() for p in (root / ".claude").rglob("*") if p.is_file()}
    emu.stats.reset()
    config = settings(root, emu, dry_run=True, **overrides)
    result = sync.run(config, clock=emu.clock, sleep=emu.clock.sleep)
    print(f"\n{title}")
    print(summary.text(result, repository=REPO, dry_run=True))
    writes = emu.stats.writes()
    after = {p: p.read_bytes() for p in (root / ".claude").rglob("*") if p.is_file()}
    print(f"  requests: {emu.stats.total}, writes: {writes}, files changed: {before != after}")
    if writes or before != after:
        raise SystemExit(f"{title}: the dry run wrote something")
    return result


def main() -> int:
    """Three previews around one real sync."""
    with workspace() as root, emulator() as emu:
        preview("1. an empty repository", root, emu)

        sync.run(settings(root, emu), clock=emu.clock, sleep=emu.clock.sleep)
        task = root / ".claude" / "epics" / "epic-001-login-flow" / "task-002.md"
        with task.open("a", encoding="utf-8") as handle:
            handle.write("\nAlso: the link expires after 30 minutes.\n")
        preview("2. after a sync and an edit to one task", root, emu)

        (root / ".claude" / "prds" / "prd-002-audit-log.md").unlink()
        preview("3. a PRD deleted, close-removed on", root, emu, close_removed=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
