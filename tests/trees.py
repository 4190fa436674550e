"""Work-item files on disk for the tests: one file writer, one item writer (``tree`` fixture)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path


def write_file(root: Path, rel: str, content: str | bytes) -> Path:
    """Write one file under ``root``, making its folders."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def item_text(fields: Mapping[str, object], body: str = "Body.") -> str:
    """A work-item file: ``key: value`` frontmatter lines (lists as JSON), then the body."""
    lines = ["---"]
    for key, value in fields.items():
        lines.append(f"{key}: {json.dumps(value) if isinstance(value, list) else value}")
    return "\n".join([*lines, "---", "", body, ""])


def write_item(root: Path, rel: str, fields: Mapping[str, object], body: str = "Body.") -> Path:
    """Write one work item under ``root`` (see ``item_text``)."""
    return write_file(root, rel, item_text(fields, body))


def write_prds(base: Path, count: int) -> None:
    """``count`` PRDs ``prd-001``... titled ``P1``... in the work-item folder ``base``."""
    for n in range(1, count + 1):
        write_item(base, f"prds/prd-{n:03}-a.md", {"id": f"prd-{n:03}", "title": f"P{n}"})


CART_EPIC = "epics/epic-001-cart"  # the folder of the cart tree's epic and tasks


def cart_task(base: Path, n: int, *, body: str | None = None, **fields: object) -> Path:
    """Task ``n`` of the cart epic (``task-00n``, titled ``Step n``), with ``fields`` added."""
    return write_item(
        base,
        f"{CART_EPIC}/task-{n:03}.md",
        {"id": f"task-{n:03}", "title": f"Step {n}", "epic_id": "epic-001", **fields},
        f"Do step {n}." if body is None else body,
    )


def write_cart(base: Path, tasks: int = 2, **fields: object) -> None:
    """The cart tree in the work-item folder ``base``: PRD ``prd-001`` ("Cart"), its epic
    ``epic-001`` ("Cart screens") and ``tasks`` tasks (``cart_task``), each with ``fields``."""
    write_item(base, "prds/prd-001-cart.md", {"id": "prd-001", "title": "Cart"}, "# Cart")
    write_item(
        base,
        f"{CART_EPIC}/epic.md",
        {"id": "epic-001", "title": "Cart screens", "prd_id": "prd-001"},
        "The screens.",
    )
    for n in range(1, tasks + 1):
        cart_task(base, n, **fields)


def cart_task_path(workspace: Path, n: int) -> Path:
    """Where the cart tree's task ``n`` lies in a workspace whose work items are in ``.claude``."""
    return workspace / ".claude" / CART_EPIC / f"task-{n:03}.md"


class Tree:
    """Writes files and work items under one folder (the test's workspace)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def file(self, rel: str, content: str | bytes) -> Path:
        """Write one file under the workspace."""
        return write_file(self.root, rel, content)

    def item(self, rel: str, fields: Mapping[str, object], body: str = "Body.") -> Path:
        """Write one work item under the workspace."""
        return write_item(self.root, rel, fields, body)

    def prds(self, count: int, base: str = ".claude") -> Path:
        """``count`` PRDs ``prd-001``... titled ``P1``...; returns the workspace."""
        write_prds(self.root / base, count)
        return self.root
