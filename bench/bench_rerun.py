"""A no-change rerun over a linked tree, whatever GitHub's list answers carry.

GitHub's schema makes ``parent_issue_url`` and ``sub_issues_summary`` optional, and nothing
promises them in list answers. The same tree (synced once, every child linked) is rerun against
an emulator whose lists carry both fields, only ``sub_issues_summary``, or neither. Targets:
0 writes every time; at most 15 requests when lists carry both fields; at most 15 plus one
read per parent otherwise: a count of sub-issues cannot tell which children are under a parent
(a person may have added one while one is missing), so each parent's list is read once.

    PYTHONPATH=src python bench/bench_rerun.py --items 1000
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from batchsync.emulator import Emulator
from batchsync.items import scan
from batchsync.results import ItemAction
from batchsync.sync import run
from bench_requests import emulator_settings, write_tree

TOKEN = "ghs_bench"  # an installation token, as GITHUB_TOKEN: no GET /user
REPO = "bench/rerun"
SUB_ISSUES = "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues"
PARENT = "/repos/{owner}/{repo}/issues/{issue_number}/parent"
WAYS = (
    ("both", "lists with both fields"),
    ("summary", "sub_issues_summary only"),
    ("none", "neither field"),
)
UNPACED = {"write_interval": 0, "creates_per_minute": 0, "creates_per_hour": 0}


def sync(emu: Emulator, workspace: Path, **overrides: object) -> dict[str, int]:
    """One run; what reached the server."""
    emu.stats.reset()
    settings = emulator_settings(emu, workspace, TOKEN, REPO, **overrides)
    result = run(settings, clock=emu.clock.now, sleep=emu.clock.sleep)
    stats = emu.stats
    return {
        "requests": stats.total,
        "writes": stats.writes(),  # the GraphQL query (login, node ids) is no write
        "sub_issues": stats.count(method="GET", template=SUB_ISSUES),
        "parent": stats.count(method="GET", template=PARENT),
        "unchanged": result.count(ItemAction.UNCHANGED),
        "failed": result.failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args()
    # The first sync only sets the stage (unpaced, no limits); the reruns run as shipped.
    with tempfile.TemporaryDirectory() as tmp, Emulator(limits="off", scale=1000) as emu:
        emu.add_token(TOKEN)
        emu.add_repo(REPO)
        workspace = Path(tmp)
        write_tree(workspace / ".claude", args.items, done_every=0)
        items = len(list((workspace / ".claude").rglob("*.md")))
        scanned = scan(workspace / ".claude")
        parents = len({i.parent_key for i in scanned.items if i.parent_key})
        fresh = sync(emu, workspace, **UNPACED)
        assert fresh["failed"] == 0, fresh
        print(f"no-change rerun of {items:,} items ({parents} parents), all linked")
        head = (
            f"{'list answers carry':<24} {'requests':>8} {'writes':>6} {'sub_issues':>10} "
            f"{'parent':>6} {'unchanged':>9}  target"
        )
        print(head)
        print("-" * len(head))
        for fields, label in WAYS:
            emu.set_list_fields(fields)
            got = sync(emu, workspace)
            limit = 15 + (0 if fields == "both" else parents)
            met = got["writes"] == 0 and got["requests"] <= limit and got["failed"] == 0
            print(
                f"{label:<24} {got['requests']:>8} {got['writes']:>6} {got['sub_issues']:>10} "
                f"{got['parent']:>6} {got['unchanged']:>9}  0 writes, <= {limit} requests: "
                f"{'met' if met else 'MISSED'}"
            )


if __name__ == "__main__":
    main()
