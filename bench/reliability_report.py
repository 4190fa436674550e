"""Run the reliability suite and print (or write) its figures as docs/reliability.md's table.

    python bench/reliability_report.py                  # print the table
    python bench/reliability_report.py --write docs/reliability.md
    python bench/reliability_report.py -- -k kill       # extra pytest arguments after --

Every row is one case of tests/reliability/: what was tried, how many items it involved, how many
runs it took, and the figures that must all be 0 (items lost, duplicate issues, crashes, secrets
leaked), with the test's verdict and the command that reruns that one case.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ("lost", "duplicates", "crashes", "leaks")
AREAS = ("fault", "kill", "concurrency", "secrets", "hostile input", "settings", "property")

INTRO = """\
# Reliability: faults, kills, hostile input and secrets, with the figures

batchsync promises: nothing lost, nothing duplicated, no secret leaked, whatever GitHub or the
input does. The suite in `tests/reliability/` tries every fault and input below against the real
code (the engine against the bundled GitHub emulator, the CLI and action mode in child processes
where a crash or a leak would show) and asserts each figure is 0. It runs in CI with the rest of
the tests.

This page is generated; do not edit it by hand. Regenerate it (about {seconds:.0f} s on 2 cores):

    python bench/reliability_report.py --write docs/reliability.md

Figures per case: **items** in the tree, **runs** it took (a rerun after a fault or a kill counts),
**lost** (an item without its issue, its latest content, its error, or silently dropped),
**duplicates** (issues beyond one per item), **crashes** (a traceback or an exception that is not
batchsync's own), **leaks** (places the token was found: stdout, stderr, summary, outputs, results
file, exception text, logs). Rerun one case with the command in its last column.

{totals}

"""

NOTES = """
## Two runs at once

{concurrency}

## What each figure is checked against

- Faults and kills: after the run (and at most one rerun), every item has exactly one issue whose
  marker names it, the issue's body and state are what the item renders to now, and the hierarchy
  is linked.
- Hostile input: the good items beside the hostile file scan exactly as they do alone; the hostile
  file is one error naming it (with its line where it has one) or a usable item.
- Settings: exit code 2 and exactly one `::error::` naming the input, no traceback.
- Secrets: the token is searched for in every text the run produced.
"""

CONCURRENCY = """\
Two runs started together over the same tree, without a workflow `concurrency:` group, both list
the issues before either creates one, so both may create the same item: the figures in the
"without concurrency group" row count those duplicates (they are expected there, and the row is
the one place a non-zero figure is not a failure). A copy may also name the other run's copy of
its parent. The next run adopts the lowest-numbered issue of each item by its marker, brings it
up to date (parent line, sub-issue link), creates nothing, and warns once per item naming both
issues; a person closes the other copy. The same two runs serialised, as a `concurrency:` group
does, make no duplicate:

```yaml
concurrency:
  group: batchsync-${{ github.repository }}
  cancel-in-progress: false   # never cancel a running sync half way; queue the next one
```

The example workflows in `examples/workflows/` carry this group. With `cancel-in-progress: true`
instead, the newer run kills the older one at any point; the kill cases above show the next run
then finishes the job with nothing lost and nothing duplicated, so that is safe too, only slower."""


def run_suite(extra: Sequence[str]) -> tuple[list[dict[str, Any]], float, int]:
    """Run tests/reliability with the figures option; the rows, seconds taken, exit code."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "figures.json"
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/reliability",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--reliability-report={target}",
                *extra,
            ],
            cwd=ROOT,
            check=False,
        )
        seconds = time.monotonic() - started
        rows = json.loads(target.read_text()) if target.exists() else []
    return rows, seconds, done.returncode


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", "\\n")


def command(nodeid: str) -> str:
    return f'`python -m pytest "{cell(nodeid)}"`'


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The Markdown table: one row per case, areas in a fixed order."""
    head = "| area | case | items | runs | lost | duplicates | crashes | leaks | result | rerun |"
    lines = [head, "|" + "---|" * 10]
    order = {area: i for i, area in enumerate(AREAS)}
    for row in sorted(rows, key=lambda r: (order.get(r["area"], 99), r["nodeid"])):
        figures = " | ".join(str(row[name]) for name in FIGURES)
        note = f" ({cell(row['note'])})" if row.get("note") else ""
        verdict = row["verdict"] + (" (shows the race)" if row.get("expected_nonzero") else "")
        lines.append(
            f"| {row['area']} | {cell(row['case'])}{note} | {row['items']} | {row['runs']} | "
            f"{figures} | {verdict} | {command(row['nodeid'])} |"
        )
    return "\n".join(lines) + "\n"


def by_area(rows: Sequence[dict[str, Any]]) -> str:
    """One line per area: cases, items and the summed figures (the race row apart)."""
    lines = [
        "| area | cases | items | lost | duplicates | crashes | leaks |",
        "|---|---|---|---|---|---|---|",
    ]
    for area in AREAS:
        mine = [r for r in rows if r["area"] == area and not r.get("expected_nonzero")]
        if not mine:
            continue
        sums = " | ".join(str(sum(int(r[name]) for r in mine)) for name in FIGURES)
        items = sum(int(r["items"]) for r in mine)
        lines.append(f"| {area} | {len(mine)} | {items} | {sums} |")
    return "\n".join(lines) + "\n"


def totals(rows: Sequence[dict[str, Any]]) -> str:
    """One line: cases, items, and the summed figures of the cases that must be 0."""
    counted = [r for r in rows if r["verdict"] == "pass" and not r.get("expected_nonzero")]
    sums = {name: sum(int(r[name]) for r in counted) for name in FIGURES}
    line = (
        f"**{len(rows)} cases**, {sum(int(r['items']) for r in rows)} items in all; "
        + ", ".join(f"{name} **{value}**" for name, value in sums.items())
        + "."
    )
    shown = [r for r in rows if r.get("expected_nonzero")]
    if shown:
        line += f" {len(shown)} case(s) show what happens without a safeguard (see below)."
    others = [r for r in rows if r["verdict"] != "pass"]
    for row in others:
        line += f"\n\n**{row['verdict']}**: {cell(row['case'])} (`{cell(row['nodeid'])}`)."
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite, print the table, optionally write the page."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path, help="write the whole page to this file")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    rows, seconds, code = run_suite(args.pytest_args)
    text = table(rows)
    print(text)
    print(totals(rows))
    if args.write is not None:
        page = INTRO.format(seconds=seconds, totals=totals(rows) + "\n\n" + by_area(rows))
        page += "\n## Every case\n\n" + text
        page += NOTES.format(concurrency=CONCURRENCY)
        args.write.write_text(page, encoding="utf-8")
        print(f"wrote {args.write}")
    return code


if __name__ == "__main__":
    sys.exit(main())
