"""The walk over ``prds/`` and ``epics/``: every file there gets exactly one place.

A file is a candidate work item (a PRD, epic or task by the layout's naming rules), or it is not
a work item and carries the rule that says so. Folders that cannot be listed, and symlinks that
lead out of the workspace (or nowhere), are recorded, never skipped in silence. Reads folders
only (``os.scandir``); ``items`` opens and parses the candidates.

The naming rules (both layouts, and the shapes found in real CCPM trees):

- ``prds/<name>.md``: a PRD.
- ``epics/<epic>/epic.md``: an epic; ``epics/<epic>/`` and ``epics/<epic>/tasks/`` hold its
  tasks: ``<N>.md``, ``<N>-<slug>.md`` (CCPM) and ``task-<N>[-<slug>].md`` (local mode).
- ``epics/archived/<epic>/`` and ``epics/.archived/<epic>/``: the same, archived (never synced).
- Everything else is not a work item, with the rule that made it so (``RULES``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from batchsync.workitem import Kind

__all__ = ["ARCHIVES", "RULES", "Candidate", "Refused", "Skipped", "Walk", "task_number"]

ARCHIVES = frozenset({"archived", ".archived"})  # CCPM's archive folders under epics/
_MAX_DEPTH = 12  # folders below prds/ or epics/ worth walking; deeper is not a CCPM tree
_EPIC_LOCAL = re.compile(r"epic-\d+(?:-.*)?")
_PRD_LOCAL = re.compile(r"prd-\d+(?:-.*)?\.md")
_TASK_LOCAL = re.compile(r"task-\d+(?:-.*)?\.md")
_TASK_NUMBER = re.compile(r"(\d+)\.md")  # CCPM: 001.md before a sync, <issue number>.md after
_TASK_SLUG = re.compile(r"([0-9]+)-(.+)\.md")  # <N>-<slug>.md
_BOOKKEEPING_SLUG = re.compile(r"(?:.*-)?analysis", re.IGNORECASE)  # 001-analysis.md

# Why a file is not a work item: one rule each, shown by `validate --verbose` and the summary.
RULES = {
    "not-markdown": "not a markdown file (.md)",
    "prds-subfolder": "in a subfolder of prds/: a PRD is prds/<name>.md",
    "epics-file": "a file directly in epics/: an epic is a folder holding epic.md",
    "archive-file": "a file directly in an archive folder, outside any archived epic",
    "analysis": "a task's analysis notes (<N>-analysis.md)",
    "updates": "progress notes under updates/",
    "epic-subfolder": "in a subfolder of an epic other than tasks/",
    "not-named": "not named like a work item (epic.md, <N>.md, <N>-<slug>.md, task-<N>.md)",
    "symlink-out": "a symlink leading outside the workspace (or nowhere): not followed",
    "loop": "a folder already walked (a symlink loop): not walked twice",
    "deep": f"more than {_MAX_DEPTH} folders deep: not walked",
    "not-selected": "its kind is not selected by `type`",
}


@dataclass(frozen=True)
class Candidate:
    """A file that the layout's naming rules make a work item."""

    rel: str  # relative to the base folder, posix
    file: str  # the path to open
    kind: Kind
    folder_local: bool  # the file or its epic folder is named the local-mode way
    archived: bool = False  # under epics/archived/ or epics/.archived/
    epic_folder: str = ""  # the epic folder (relative) of an epic or task; "" for a PRD
    number: int | None = None  # the task number its name claims (<N>.md, <N>-<slug>.md)


@dataclass(frozen=True)
class Skipped:
    """A file that is not a work item, and the rule (a ``RULES`` key) that says so."""

    rel: str
    rule: str


@dataclass(frozen=True)
class Refused:
    """A symlink named like a work item (or an epic folder) that leads out: an error."""

    rel: str
    kind: Kind


@dataclass
class Walk:
    """Walks ``base``'s ``prds/`` and ``epics/`` once; symlinks are followed only inside
    ``boundary``."""

    base: Path
    boundary: Path
    candidates: list[Candidate] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (rel, reason)
    _seen: set[tuple[int, int]] = field(default_factory=set)

    def run(self) -> Walk:
        """Walk both folders; return self."""
        for entry in self._entries("prds"):
            self._prd(entry, f"prds/{entry.name}")
        for entry in self._entries("epics"):
            rel = f"epics/{entry.name}"
            if not self._is_dir(entry, rel, Kind.EPIC):
                self._skip(entry, rel, "epics-file")
            elif entry.name in ARCHIVES:
                for epic in self._entries(rel):
                    inner = f"{rel}/{epic.name}"
                    if self._is_dir(epic, inner, Kind.EPIC):
                        self._epic(inner, archived=True)
                    else:
                        self._skip(epic, inner, "archive-file")
            else:
                self._epic(rel, archived=False)
        return self

    # --- folders -------------------------------------------------------------------------

    def _entries(self, folder: str) -> list[os.DirEntry[str]]:
        """The entries of ``base/folder`` sorted by name; a missing folder has none.

        Any other OSError (permission, I/O) is recorded as unreadable, never swallowed.
        """
        try:
            with os.scandir(self.base / folder) as it:
                return sorted(it, key=lambda entry: entry.name)
        except FileNotFoundError:
            return []
        except OSError as error:
            self.unreadable.append((folder, str(error.strerror or error)))
            return []

    def _first_visit(self, rel: str) -> bool:
        """False for a folder already walked (reached again through a symlink)."""
        try:
            info = os.stat(self.base / rel)
        except OSError:
            return True  # listing it will record why it cannot be read
        key = (info.st_dev, info.st_ino)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _is_dir(self, entry: os.DirEntry[str], rel: str, kind: Kind) -> bool:
        """True for a folder to walk; a symlink leading out is refused (and not a folder)."""
        if _leaves(entry, self.boundary):
            if _is_dir_link(entry):
                self.refused.append(Refused(rel, kind))
            else:
                self.skipped.append(Skipped(rel, "symlink-out"))
            return False
        return _safe(entry.is_dir)

    def _skip(self, entry: os.DirEntry[str], rel: str, rule: str) -> None:
        """Mark ``rel`` (a file, or every file under a folder) as not a work item."""
        if _safe(entry.is_dir) and not _leaves(entry, self.boundary):
            self._skip_folder(rel, rule, depth=rel.count("/"))
        elif _leaves(entry, self.boundary):
            self.skipped.append(Skipped(rel, "symlink-out"))
        else:
            self.skipped.append(Skipped(rel, rule))

    def _skip_folder(self, rel: str, rule: str, depth: int) -> None:
        if depth > _MAX_DEPTH or not self._first_visit(rel):
            self.skipped.append(Skipped(f"{rel}/", "deep" if depth > _MAX_DEPTH else "loop"))
            return
        for entry in self._entries(rel):
            inner = f"{rel}/{entry.name}"
            if _safe(entry.is_dir) and not _leaves(entry, self.boundary):
                self._skip_folder(inner, rule, depth + 1)
            else:
                self._skip(entry, inner, rule)

    # --- files ---------------------------------------------------------------------------

    def _file(self, entry: os.DirEntry[str], candidate: Candidate) -> None:
        """Keep ``candidate`` when it is a file that may be followed."""
        if _leaves(entry, self.boundary):
            if candidate.archived:  # never synced: nothing to refuse
                self.skipped.append(Skipped(candidate.rel, "symlink-out"))
            else:
                self.refused.append(Refused(candidate.rel, candidate.kind))
        elif _safe(entry.is_file):
            self.candidates.append(candidate)
        else:
            self._skip(entry, candidate.rel, "not-named")

    def _prd(self, entry: os.DirEntry[str], rel: str) -> None:
        if _safe(entry.is_dir) and not _leaves(entry, self.boundary):
            self._skip(entry, rel, "prds-subfolder")
        elif not entry.name.endswith(".md"):
            self._skip(entry, rel, "not-markdown")
        else:
            local = bool(_PRD_LOCAL.fullmatch(entry.name))
            self._file(entry, Candidate(rel, entry.path, Kind.PRD, local))

    def _epic(self, rel: str, *, archived: bool) -> None:
        """The epic and task files of one epic folder (and of its ``tasks/``)."""
        if not self._first_visit(rel):
            self.skipped.append(Skipped(f"{rel}/", "loop"))
            return
        local = bool(_EPIC_LOCAL.fullmatch(rel.rsplit("/", 1)[-1]))
        for entry in self._entries(rel):
            inner = f"{rel}/{entry.name}"
            if entry.name in {"tasks", "updates"} and self._is_dir(entry, inner, Kind.TASK):
                if entry.name == "updates":
                    self._skip(entry, inner, "updates")
                else:
                    self._tasks(inner, rel, local=local, archived=archived)
            elif _safe(entry.is_dir) and not _leaves(entry, self.boundary):
                self._skip(entry, inner, "epic-subfolder")
            else:
                self._in_epic(entry, inner, rel, local=local, archived=archived)

    def _tasks(self, rel: str, epic: str, *, local: bool, archived: bool) -> None:
        if not self._first_visit(rel):
            self.skipped.append(Skipped(f"{rel}/", "loop"))
            return
        for entry in self._entries(rel):
            inner = f"{rel}/{entry.name}"
            kind, rule = _kind_of(entry.name)
            if _safe(entry.is_dir) and not _leaves(entry, self.boundary):
                self._skip(entry, inner, "epic-subfolder")
            elif kind is Kind.TASK:
                self._file(entry, _task(entry, inner, epic, local=local, archived=archived))
            else:
                self._skip(entry, inner, rule if kind is None else "not-named")

    def _in_epic(
        self, entry: os.DirEntry[str], rel: str, epic: str, *, local: bool, archived: bool
    ) -> None:
        kind, rule = _kind_of(entry.name)
        if kind is Kind.EPIC:
            self._file(entry, Candidate(rel, entry.path, kind, local, archived, epic))
        elif kind is Kind.TASK:
            self._file(entry, _task(entry, rel, epic, local=local, archived=archived))
        else:
            self._skip(entry, rel, rule)


def _task(
    entry: os.DirEntry[str], rel: str, epic: str, *, local: bool, archived: bool
) -> Candidate:
    return Candidate(
        rel, entry.path, Kind.TASK, local, archived, epic, number=task_number(entry.name)
    )


def _kind_of(name: str) -> tuple[Kind | None, str]:
    """What a file in an epic folder is by its name; the rule when it is not a work item."""
    if name == "epic.md":
        return Kind.EPIC, ""
    if _TASK_LOCAL.fullmatch(name) or _TASK_NUMBER.fullmatch(name):
        return Kind.TASK, ""
    slug = _TASK_SLUG.fullmatch(name)
    if slug is not None:
        if _BOOKKEEPING_SLUG.fullmatch(slug.group(2)):
            return None, "analysis"
        return Kind.TASK, ""
    return None, "not-markdown" if not name.endswith(".md") else "not-named"


def task_number(name: str) -> int | None:
    """The task number a CCPM task file's name claims (``001.md``, ``001-slug.md``: 1)."""
    found = _TASK_NUMBER.fullmatch(name) or _TASK_SLUG.fullmatch(name)
    if found is None:
        return None
    digits = found.group(1)
    # ASCII only and bounded: a name is outside input too (never int() of 5,000 digits).
    if not digits.isascii() or len(digits.lstrip("0")) > 10:
        return None
    return int(digits)


def _safe(test: object) -> bool:
    """``entry.is_dir()`` / ``is_file()``, False when the check itself fails."""
    try:
        return bool(test())  # type: ignore[operator]
    except OSError:
        return False


def _is_dir_link(entry: os.DirEntry[str]) -> bool:
    return "." not in entry.name  # a link named like a folder (an epic), not a file


def _leaves(entry: os.DirEntry[str], boundary: Path) -> bool:
    """True for a symlink whose target is outside ``boundary`` or missing (not followed)."""
    if not entry.is_symlink():
        return False
    try:
        target = Path(entry.path).resolve(strict=True)
    except (OSError, RuntimeError):  # a loop, or a link to nothing: nowhere to follow it to
        return True
    return not target.is_relative_to(boundary)
