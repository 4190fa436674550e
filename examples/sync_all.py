"""Example 1: sync every work item, with progress, then run again and see nothing written.

    python examples/sync_all.py

Syncs the bundled sample tree (ClaudeAutoPM local mode and CCPM side by side) into the GitHub
emulator: PRDs first, then epics under their PRD, then tasks under their epic. A progress line
is printed per item and a line for every wait. The second run finds every issue by its marker
and writes nothing.
"""

from __future__ import annotations

import sys
from typing import Any

from _emulated import REPO, emulator, settings, workspace
from batchsync import summary, sync
from batchsync.progress import NotDone


def on_progress(done: int, total: int, item: Any) -> None:
    """Called once per item as it finishes, counting 1..total over the whole run; the items a
    stop leaves (Ctrl-C, the time budget) come in one call as a ``NotDone`` with their count."""
    if isinstance(item, NotDone):
        print(f"  [{done:>2}/{total}] {item.count} not done")
        return
    print(f"  [{done:>2}/{total}] {item.kind} {item.key}")


def on_wait(reason: str, seconds: float) -> None:
    """Called when the run pauses for a limit, so a quiet log is not mistaken for a hang."""
    print(f"  waiting {seconds:.0f} s: {reason}")


def main() -> int:
    """Two runs of the sample tree; exit 1 if the second one wrote anything."""
    with workspace() as root, emulator() as emu:
        config = settings(root, emu, write_back=True)
        print(f"first run: {root / '.claude'} -> {REPO}")
        first = sync.run(
            config, clock=emu.clock, sleep=emu.clock.sleep, on_progress=on_progress, on_wait=on_wait
        )
        print(summary.text(first, repository=REPO))
        writes = emu.stats.writes()
        print(f"requests: {emu.stats.total} ({writes} writes)\n")

        print("issues on GitHub:")
        for issue in emu.issues(REPO):
            children = emu.sub_issues(REPO, issue["number"])
            below = f"  sub-issues {children}" if children else ""
            print(f"  #{issue['number']:<3} {issue['state']:<6} {issue['title']}{below}")

        emu.stats.reset()
        print("\nsecond run, nothing changed:")
        second = sync.run(config, clock=emu.clock, sleep=emu.clock.sleep)
        print(summary.text(second, repository=REPO))
        writes = emu.stats.writes()
        print(f"requests: {emu.stats.total} ({writes} writes)")
        return 1 if writes or first.failed else 0


if __name__ == "__main__":
    sys.exit(main())
