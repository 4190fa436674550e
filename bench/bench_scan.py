"""Scan benchmark: CPU time and peak memory to scan and parse a large tree (both layouts).

    PYTHONPATH=src python bench/bench_scan.py [--items 10000] [--runs 3] [--nested]

``--nested`` adds a nested field to every file, so every frontmatter takes PyYAML's full parser
instead of the one-line fast path: the worst case.

Each run is a fresh process (so peak RSS is that scan's own); the tree is generated once into a
temporary folder and is in the page cache, as it is on a runner right after checkout.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gen_tree import generate  # beside this script, so on sys.path when run as a script


def child(base: Path) -> None:
    """Scan ``base`` once and print the measurements as JSON."""
    from batchsync.items import scan  # noqa: PLC0415 - imported before the baseline is taken

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = scan(base, workspace=base.parent)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    body_chars = sum(len(item.body) for item in result.items)
    print(
        json.dumps(
            {
                "items": len(result.items),
                "errors": len(result.errors),
                "cpu": cpu,
                "wall": wall,
                "rss_before_mb": before / 1024,
                "rss_peak_mb": peak / 1024,
                "body_mb": body_chars / 1e6,
            }
        )
    )


def measure(base: Path) -> dict[str, float]:
    """One scan in a fresh interpreter."""
    run = subprocess.run(
        [sys.executable, __file__, "--child", str(base)],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, float] = json.loads(run.stdout)
    return data


def main() -> None:
    """Generate the tree, scan it ``--runs`` times, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--nested", action="store_true", help="a nested field in every file")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / ".claude"
        written = generate(base, args.items, nested=args.nested)
        rows = [measure(base) for _ in range(args.runs)]
    shape = "nested field in every file" if args.nested else "one-line fields"
    print(f"scan of {written} work items (both layouts, CCPM noise files, {shape})\n")
    print("| run | items | errors | CPU s | wall s | RSS before MB | RSS peak MB | bodies MB |")
    print("|---|---|---|---|---|---|---|---|")
    for n, row in enumerate(rows, 1):
        print(
            f"| {n} | {row['items']:.0f} | {row['errors']:.0f} | {row['cpu']:.3f} | "
            f"{row['wall']:.3f} | {row['rss_before_mb']:.1f} | {row['rss_peak_mb']:.1f} | "
            f"{row['body_mb']:.1f} |"
        )
    best = min(rows, key=lambda row: row["cpu"])
    print(f"\nbest CPU {best['cpu']:.3f} s; peak RSS {max(r['rss_peak_mb'] for r in rows):.1f} MB")


if __name__ == "__main__":
    main()
