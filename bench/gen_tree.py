"""Generate a large work-item tree, both layouts side by side, for the scan benchmark.

python bench/gen_tree.py OUT --items 10000
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

TASKS_PER_EPIC = 10
EPICS_PER_PRD = 4
GROUP = 1 + EPICS_PER_PRD * (1 + TASKS_PER_EPIC)  # items per PRD with its epics and tasks

PARAGRAPH = (
    "The change keeps the existing behaviour for current users and adds the new path behind "
    "a setting. It is measured before and after, and the numbers go into the pull request. "
)


# A nested mapping in the frontmatter: real trees have some, and it takes PyYAML's full path.
NESTED = "review:\n  owner: ana\n  needed: [security, ux]\n"


def _body(rng: random.Random, title: str) -> str:
    paragraphs = "\n\n".join(PARAGRAPH * rng.randint(1, 4) for _ in range(rng.randint(2, 5)))
    criteria = "\n".join(f"- [ ] criterion {n}" for n in range(rng.randint(2, 6)))
    return f"\n# {title}\n\n## Description\n\n{paragraphs}\n\n## Acceptance criteria\n{criteria}\n"


def _local_group(root: Path, n: int, rng: random.Random, extra: str) -> int:
    """One PRD with its epics and tasks in ClaudeAutoPM local mode; returns the files written."""
    prd = f"prd-{n:04d}"
    (root / "prds" / f"{prd}-feature-{n}.md").write_text(
        f"---\nid: {prd}\ntitle: Feature {n}\nstatus: draft\npriority: high\n"
        f"created: 2025-01-10\ngithub_issue: null\n{extra}---\n{_body(rng, f'Feature {n}')}"
    )
    written = 1
    for e in range(EPICS_PER_PRD):
        epic = f"epic-{n:04d}{e}"
        folder = root / "epics" / f"{epic}-part-{e}"
        folder.mkdir(parents=True)
        (folder / "epic.md").write_text(
            f"---\nid: {epic}\ntitle: Part {e} of feature {n}\nprd_id: {prd}\n"
            f"status: in-progress\npriority: medium\ncreated: 2025-01-11\ngithub_issue: null\n"
            f"{extra}---\n{_body(rng, 'Epic')}"
        )
        for t in range(1, TASKS_PER_EPIC + 1):
            deps = f"[task-{epic}-{t - 1:03d}]" if t > 1 else "[]"
            (folder / f"task-{t:03d}.md").write_text(
                f"---\nid: task-{epic}-{t:03d}\ntitle: Step {t} of part {e}\nepic_id: {epic}\n"
                f"status: pending\npriority: low\nestimated_hours: {rng.randint(1, 8)}\n"
                f"dependencies: {deps}\ngithub_issue: null\n{extra}---\n{_body(rng, 'Task')}"
            )
        written += 1 + TASKS_PER_EPIC
    return written


def _ccpm_group(root: Path, n: int, rng: random.Random, extra: str) -> int:
    """One PRD with its epics and tasks in the CCPM layout, with CCPM's noise files."""
    name = f"feature-{n}"
    (root / "prds" / f"{name}.md").write_text(
        f"---\nname: {name}\ndescription: Feature {n}\nstatus: backlog\n"
        f"created: 2025-02-01T09:30:00Z\n{extra}---\n{_body(rng, f'PRD: {name}')}"
    )
    written = 1
    for e in range(EPICS_PER_PRD):
        folder = root / "epics" / f"{name}-{e}"
        (folder / "updates" / "001").mkdir(parents=True)
        (folder / "epic.md").write_text(
            f"---\nname: {name}-{e}\nstatus: backlog\ncreated: 2025-02-02T08:00:00Z\n"
            f"progress: 0%\nprd: .claude/prds/{name}.md\n"
            f"github: [Will be updated when synced to GitHub]\n{extra}---\n{_body(rng, 'Epic')}"
        )
        for t in range(1, TASKS_PER_EPIC + 1):
            deps = f"[{t - 1:03d}]" if t > 1 else "[]"
            (folder / f"{t:03d}.md").write_text(
                f"---\nname: Step {t}\nstatus: open\ncreated: 2025-02-02T08:10:00Z\n"
                f"updated: 2025-02-02T08:10:00Z\n"
                f"github: [Will be updated when synced to GitHub]\ndepends_on: {deps}\n"
                f"parallel: true\nconflicts_with: []\n{extra}---\n{_body(rng, 'Task')}"
            )
        (folder / "001-analysis.md").write_text("---\nissue: 001\n---\n# Analysis\n")
        (folder / "execution-status.md").write_text("# Execution Status\n")
        (folder / "updates" / "001" / "stream-A.md").write_text("progress\n")
        written += 1 + TASKS_PER_EPIC
    return written


def generate(root: Path, items: int, seed: int = 0, *, nested: bool = False) -> int:
    """Write about ``items`` work items (whole PRD groups, alternating layouts) under ``root``."""
    rng = random.Random(seed)
    (root / "prds").mkdir(parents=True, exist_ok=True)
    (root / "epics").mkdir(exist_ok=True)
    written = 0
    n = 0
    while written < items:
        group = _local_group if n % 2 == 0 else _ccpm_group
        written += group(root, n, rng, NESTED if nested else "")
        n += 1
    return written


def main() -> None:
    """Command line: write the tree and say how many items it holds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="folder to write the tree into (the base folder)")
    parser.add_argument("--items", type=int, default=10_000, help="work items to write, about")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nested", action="store_true", help="a nested field in every file")
    args = parser.parse_args()
    written = generate(args.out, args.items, args.seed, nested=args.nested)
    print(f"{written} work items in {args.out}")


if __name__ == "__main__":
    main()
