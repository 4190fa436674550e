"""Work items on disk: scan a tree of PRDs, epics and tasks (both layouts) into ``WorkItem`` values.

Pure apart from reading the files it is pointed at.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from batchsync.errors import ItemError

__all__ = ["Kind", "Layout", "ScanResult", "WorkItem"]


class Kind(enum.StrEnum):
    """The three kinds of work item, in the order parents come before children."""

    PRD = "prd"
    EPIC = "epic"
    TASK = "task"

    @property
    def prefix(self) -> str:
        """The issue title prefix, e.g. ``[PRD]``."""
        return f"[{self.name}]"


class Layout(enum.StrEnum):
    """Which project-management workflow wrote the file."""

    LOCAL = "local"  # ClaudeAutoPM local mode: id, github_issue, sync-map.json
    CCPM = "ccpm"  # CCPM: name, github: <issue URL>


@dataclass(frozen=True)
class WorkItem:
    """One PRD, epic or task file, parsed."""

    kind: Kind
    key: str  # frontmatter id, else the path relative to the base folder (posix)
    title: str
    path: str  # relative to the base folder, posix separators
    layout: Layout
    body: str = ""
    status: str | None = None
    priority: str | None = None
    parent_key: str | None = None
    link: int | None = None  # issue number known locally (frontmatter link or sync map)
    labels: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()  # keys of other items, or "#N" issue references
    estimated_hours: float | None = None
    lines: Mapping[str, int] = field(default_factory=dict)  # frontmatter field -> 1-based line

    def line_of(self, name: str) -> int | None:
        """The line of a frontmatter field, if it was present."""
        return self.lines.get(name)


@dataclass(frozen=True)
class ScanResult:
    """Every item that parsed, and every per-item error (path and line) for those that did not."""

    items: tuple[WorkItem, ...] = ()
    errors: tuple[ItemError, ...] = ()
    sync_map: Mapping[str, int] = field(default_factory=dict)
