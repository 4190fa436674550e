"""Helpers shared by the reliability tests: trees on disk, the CLI in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import batchsync
from trees import write_file as write

SRC = Path(batchsync.__file__).resolve().parents[1]
TRACEBACK = "Traceback (most recent call last)"


def item_text(fields: Mapping[str, object], body: str = "") -> str:
    """A work-item file: ``key: value`` frontmatter lines, then the body."""
    lines = ["---", *(f"{k}: {v}" for k, v in fields.items()), "---", "", body]
    return "\n".join(lines)


@dataclass(frozen=True)
class Finished:
    """A child process that ran to its end."""

    code: int
    stdout: str
    stderr: str

    @property
    def crashed(self) -> bool:
        """True when Python printed a traceback (an unhandled exception)."""
        return TRACEBACK in self.stdout or TRACEBACK in self.stderr


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child run: no runner variables from this machine, our sources."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_", "PYTHON"))
    }
    env["PYTHONPATH"] = str(SRC)
    env.update(extra or {})
    return env


def batchsync_cli(
    args: list[str], env: Mapping[str, str], *, cwd: Path, timeout: float = 60
) -> Finished:
    """``python -m batchsync ARGS`` in a child process, as a user or the runner starts it."""
    done = subprocess.run(
        [sys.executable, "-m", "batchsync", *args],
        env=child_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Finished(done.returncode, done.stdout, done.stderr)


# --- a tree of both layouts, and what GitHub must hold for it ---------------------------------

TOKEN = "ghs_" + "R3l1ab1l1ty" * 3
REPO = "octo/reliability"
LOCAL_TASKS = 6
CCPM_TASKS = 3
TREE_ITEMS = 2 + LOCAL_TASKS + 2 + CCPM_TASKS


def write_tree(base: Path, version: str = "v1", *, tasks: int = LOCAL_TASKS) -> None:
    """Both layouts side by side: 13 items (more with ``tasks``), some closed, a hierarchy."""
    folder = "epics/epic-001-core"
    write(
        base,
        "prds/prd-001-core.md",
        item_text(
            {"id": "prd-001", "title": "Core", "status": "draft", "priority": "high"},
            f"PRD body {version}",
        ),
    )
    write(
        base,
        f"{folder}/epic.md",
        item_text({"id": "epic-001", "title": "Core epic", "prd_id": "prd-001"}, f"Epic {version}"),
    )
    for n in range(1, tasks + 1):
        fields: dict[str, object] = {
            "id": f"task-{n:03}",
            "title": f"Task {n}",
            "epic_id": "epic-001",
            "status": "done" if n % 3 == 0 else "open",
            "github_issue": "null",
        }
        if n > 1:
            fields["dependencies"] = f"[task-{n - 1:03}]"
        write(base, f"{folder}/task-{n:03}.md", item_text(fields, f"Task {n} {version}"))
    placeholder = "[Will be updated when synced to GitHub]"
    write(base, "prds/search.md", item_text({"name": "Search", "status": "backlog"}, version))
    write(
        base,
        "epics/search/epic.md",
        item_text({"name": "Search epic", "prd": ".claude/prds/search.md", "github": placeholder}),
    )
    for n in range(1, CCPM_TASKS + 1):
        fields = {"name": f"Search task {n}", "status": "closed" if n == 2 else "open"}
        fields["github"] = placeholder
        write(base, f"epics/search/{n:03}.md", item_text(fields, f"# Search task {n} {version}"))


def edit_tree(base: Path, old: str, new: str, *, every: int = 1) -> int:
    """Replace ``old`` by ``new`` in every ``every``-th item file; how many changed."""
    changed = 0
    for n, path in enumerate(sorted(base.rglob("*.md"))):
        text = path.read_text(encoding="utf-8")
        if n % every == 0 and old in text:
            path.write_text(text.replace(old, new), encoding="utf-8")
            changed += 1
    return changed
