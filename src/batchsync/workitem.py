"""The work item value: one PRD, epic or task file, parsed (``items.scan`` builds them)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Kind", "Layout", "LinkSource", "WorkItem", "kind_of_path", "kinds_named"]


class Kind(enum.StrEnum):
    """The three kinds of work item, in the order parents come before children."""

    PRD = "prd"
    EPIC = "epic"
    TASK = "task"

    @property
    def prefix(self) -> str:
        """The issue title prefix, e.g. ``[PRD]``."""
        return f"[{self.name}]"


def kinds_named(name: str) -> tuple[Kind, ...]:
    """The kinds a `type` setting selects (all, prd, epic or task), parents first."""
    return tuple(Kind) if name == "all" else (Kind(name),)


def kind_of_path(path: str) -> str:
    """The kind a file's place says (``prds/``, an epic folder's ``epic.md`` or other file), for
    a file that could not be read as a work item; "" outside both folders."""
    parts = path.replace("\\", "/").split("/")
    if "prds" in parts:
        return Kind.PRD.value
    if "epics" in parts:
        return Kind.EPIC.value if parts[-1] == "epic.md" else Kind.TASK.value
    return ""


class Layout(enum.StrEnum):
    """Which project-management workflow wrote the file."""

    LOCAL = "local"  # ClaudeAutoPM local mode: id, github_issue, sync-map.json
    CCPM = "ccpm"  # CCPM: name, github: <issue URL>

    @property
    def link_field(self) -> str:
        """The frontmatter field this layout keeps the issue link in."""
        return "github_issue" if self is Layout.LOCAL else "github"


class LinkSource(enum.StrEnum):
    """Where a work item's known issue number came from."""

    FRONTMATTER = "frontmatter"
    SYNC_MAP = "sync-map"


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
    link_source: LinkSource | None = None  # None when no issue is known yet
    link_url: str | None = None  # the issue URL as the file wrote it (CCPM ``github:``)
    body_line: int = 1  # 1-based line where the body starts
    has_frontmatter: bool = True  # False: write-back must add a frontmatter block
    title_line: int | None = None  # 1-based line of the title (its field, or the heading)
    namespace: str = ""  # the tree's, written into the marker ("": a marker without one)

    def line_of(self, name: str) -> int | None:
        """The line of a frontmatter field, if it was present."""
        return self.lines.get(name)

    @property
    def link_field(self) -> str:
        """The frontmatter field write-back puts the issue link in (``github_issue``/``github``)."""
        return self.layout.link_field
