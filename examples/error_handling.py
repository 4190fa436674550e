"""Example 3: errors and recovery: bad files, lost answers, 5xx, and a run cut off midway.

    python examples/error_handling.py

The sample tree gets one file that is not valid YAML. The emulator fails 10% of requests with
a 5xx and drops the connection after creating the issue for 20% of creates (the answer is lost,
the issue exists). The first run also has a time budget too short for the whole tree. Then:

- the bad file is one failed item with its path, line and fix; the others go on;
- a create whose answer was lost is looked up by its marker, not sent twice;
- the items the budget did not reach are reported as not done;
- a second run, with GitHub healthy again, finishes the job: no duplicate issue, nothing lost.
"""

from __future__ import annotations

import sys

from _emulated import REPO, duplicates, emulator, settings, workspace
from batchsync import summary, sync
from batchsync.emulator import FaultConfig
from batchsync.results import BatchResult, ItemAction

BROKEN = "---\ntitle: [unclosed\nstatus: open\n---\nThis frontmatter is not valid YAML.\n"
FAULTS = FaultConfig(error_rate=0.1, drop_rate=0.2)


def report(result: BatchResult) -> None:
    """The run's outcome, item by item where something went wrong."""
    print(summary.text(result, repository=REPO))
    for outcome in result.outcomes:
        if outcome.reason and "lost" in outcome.reason:
            print(f"  recovered: {outcome.key} -> #{outcome.issue_number} ({outcome.reason})")


def main() -> int:
    """Two runs; exit 1 on a duplicate issue or an item the second run did not finish."""
    with workspace() as root, emulator(seed=7, faults=FAULTS) as emu:
        (root / ".claude" / "prds" / "prd-003-broken.md").write_text(BROKEN, encoding="utf-8")
        # 0.25 minutes: 15 emulated seconds, about 15 writes at one a second.
        cut_short = settings(root, emu, write_back=True, time_budget=0.25, max_retries=2)
        print("run 1: faults on, 15-second time budget")
        first = sync.run(cut_short, clock=emu.clock, sleep=emu.clock.sleep)
        report(first)
        print(f"  faults injected: {emu.stats.to_json()['faults']}")

        emu.set_faults(FaultConfig())  # GitHub recovers
        print("\nrun 2: faults off, default time budget")
        second = sync.run(
            settings(root, emu, write_back=True), clock=emu.clock, sleep=emu.clock.sleep
        )
        report(second)

        twins = duplicates(emu)
        left = [
            o.key
            for o in second.outcomes
            if o.action in {ItemAction.FAILED, ItemAction.NOT_DONE} and "broken" not in o.path
        ]
        print(f"\nissues: {len(emu.issues(REPO))}, duplicates: {twins or 'none'}")
        print(f"items still not synced (besides the broken file): {left or 'none'}")
        return 1 if twins or left else 0


if __name__ == "__main__":
    sys.exit(main())
