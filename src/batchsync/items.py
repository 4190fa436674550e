"""Work items on disk: scan a tree of PRDs, epics and tasks (both layouts) into ``WorkItem`` values.

Pure apart from reading the files it is pointed at.

Layouts (docs/work-items.md), side by side in one tree:

- ClaudeAutoPM local mode: ``prds/prd-NNN-<slug>.md``, ``epics/epic-NNN-<slug>/epic.md``,
  ``epics/epic-NNN-<slug>/task-NNN.md``; key = frontmatter ``id``; link ``github_issue: <int>``.
- CCPM: ``prds/<name>.md``, ``epics/<name>/epic.md``, ``epics/<name>/<N>.md``; key = the path
  relative to the base folder; link ``github: <issue URL>``.

Anything else under ``epics/<name>/`` (``001-analysis.md``, ``github-mapping.md``,
``execution-status.md``, ``updates/``) is not a work item. Epics in CCPM's archive folders
(``epics/archived/``, ``epics/.archived/``) are parsed into ``ScanResult.archived``, never synced.
A file or folder that cannot be read is in ``ScanResult.unreadable`` (and in ``errors``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchsync.errors import ItemError
from batchsync.frontmatter import Document, decode, first_heading, parse_document, scalar_text
from batchsync.render import check_limits
from batchsync.syncmap import SYNC_MAP_NAME, map_pairs, parse_sync_map
from batchsync.workitem import Kind, Layout, LinkSource, WorkItem

__all__ = [
    "MAX_ISSUE_NUMBER",
    "SYNC_MAP_NAME",
    "Kind",
    "Layout",
    "LinkSource",
    "NumberOutOfRange",
    "ScanResult",
    "WorkItem",
    "bounded_number",
    "issue_number",
    "scan",
]

# GitHub's issue numbers are GraphQL ``Int`` values: signed 32-bit. A larger one in a file is a
# mistake or an attack; it is refused before int() reads it (int() of 5,000 digits raises).
MAX_ISSUE_NUMBER = 2**31 - 1
# An ``id`` is the key in every marker, sync-map entry and report line: longer is not an id.
MAX_KEY = 256


@dataclass(frozen=True)
class ScanResult:
    """Every item that parsed, and every per-item error (path and line) for those that did not."""

    items: tuple[WorkItem, ...] = ()
    errors: tuple[ItemError, ...] = ()  # includes every ``unreadable`` entry
    sync_map: Mapping[str, int] = field(default_factory=dict)
    # Files or folders under the base whose listing or opening raised OSError: what is in them
    # is unknown, so nothing there may be taken as removed.
    unreadable: tuple[ItemError, ...] = ()
    # Items in CCPM's archive folders (epics/archived/, epics/.archived/): parsed, never synced.
    archived: tuple[WorkItem, ...] = ()


_PRD_LOCAL = re.compile(r"prd-\d+(?:-.*)?\.md")
_EPIC_LOCAL = re.compile(r"epic-\d+(?:-.*)?")
_TASK_LOCAL = re.compile(r"task-\d+(?:-.*)?\.md")
_TASK_CCPM = re.compile(r"\d+\.md")
# ASCII digits only: ``\d`` would take other scripts' digits, which int() reads too.
_ISSUE_URL = re.compile(r"https?://[^\s]+/issues/([0-9]+)/?(?:[#?].*)?")
_ISSUE_REF = re.compile(r"#?([0-9]+)")
# CCPM's archive folders: their epics are parsed (``ScanResult.archived``) but never synced.
_ARCHIVES = frozenset({"archived", ".archived"})


@dataclass(frozen=True)
class _Candidate:
    """A file that the layout says is a work item."""

    rel: str  # relative to the base folder, posix
    file: str  # the path to open
    kind: Kind
    folder_local: bool  # the file or its epic folder is named the local-mode way
    archived: bool = False  # under epics/archived/ or epics/.archived/


@dataclass(frozen=True)
class _Parsed:
    """An item before keys are checked and parents, dependencies and links resolved."""

    kind: Kind
    key: str
    path: str
    values: dict[str, Any]  # the other WorkItem fields the file alone gives
    parent_ref: str | None  # prd_id / epic_id as written, or the resolved CCPM ``prd:`` path
    deps: tuple[object, ...]
    id_line: int | None
    link: int | None  # from the frontmatter


def scan(
    base: Path, *, workspace: Path | None = None, kinds: Iterable[Kind] = tuple(Kind)
) -> ScanResult:
    """Scan ``base`` (both layouts) into work items and per-item errors, parents first.

    Error paths are relative to ``workspace`` when given (so annotations point at the repository
    file), else ``base`` joined with the item's path. Symlinks leaving ``workspace`` (or ``base``
    when no workspace is given) are not followed.
    """
    wanted = frozenset(kinds)
    shown = _path_shower(base, workspace)
    boundary = (workspace or base).resolve()
    if not base.is_dir():
        missing = ItemError(shown(""), None, "folder not found: check the `path` input")
        return ScanResult(errors=(missing,))
    errors: list[ItemError] = []
    sync_map, map_error = _read_sync_map(base, shown(SYNC_MAP_NAME), boundary)
    if map_error is not None:
        errors.append(map_error)
    walk = _Walk(base, boundary, shown, wanted)
    live: list[_Parsed] = []
    archived: list[_Parsed] = []
    for candidate in walk.candidates():
        try:
            parsed = _parse_file(candidate, shown(candidate.rel))
        except _UnreadableFile as error:
            walk.unreadable.append(error)
        except ItemError as error:
            # A broken file in an archive is not synced, so it fails nothing.
            if candidate.kind in wanted and not candidate.archived:
                errors.append(error)
        else:
            (archived if candidate.archived else live).append(parsed)
    by_path = {entry.path: entry.key for entry in (*live, *archived)}
    items = _resolve(live, by_path, sync_map=sync_map, shown=shown, errors=errors, wanted=wanted)
    old = _resolve(archived, by_path, sync_map=sync_map, shown=shown, errors=[], wanted=wanted)
    items = _within_limits(items, shown, errors)
    # Unreadable files and folders are problems too: a user must see what was not read.
    errors.extend(walk.errors)
    errors.extend(walk.unreadable)
    return ScanResult(
        _sorted_items(items),
        tuple(sorted(errors, key=_error_order)),
        sync_map,
        unreadable=tuple(sorted(walk.unreadable, key=_error_order)),
        archived=_sorted_items(old),
    )


def _within_limits(
    items: list[WorkItem], shown: _Shower, errors: list[ItemError]
) -> list[WorkItem]:
    """The items whose issue GitHub would accept, rendered as a sync renders them.

    One policy: ``render`` owns GitHub's limits (title, labels, body, NUL); a scan renders each
    item with the issue numbers known locally, so ``validate`` reports what a sync would hit.
    """
    numbers = {item.key: item.link for item in items if item.link is not None}
    kept: list[WorkItem] = []
    for item in items:
        try:
            check_limits(item, numbers)
        except ItemError as error:
            errors.append(ItemError(shown(item.path), error.line, error.message, key=item.key))
        else:
            kept.append(item)
    return kept


def _sorted_items(items: Iterable[WorkItem]) -> tuple[WorkItem, ...]:
    """Parents first (PRDs, epics, tasks), then by key."""
    order = {kind: index for index, kind in enumerate(Kind)}
    return tuple(sorted(items, key=lambda item: (order[item.kind], item.key)))


def _error_order(error: ItemError) -> tuple[str, int, str]:
    return (error.path, error.line or 0, error.message)


def _path_shower(base: Path, workspace: Path | None) -> _Shower:
    """How a path relative to ``base`` is shown in errors."""
    prefix = base.as_posix()
    if workspace is not None:
        resolved = base.resolve()
        root = workspace.resolve()
        if resolved.is_relative_to(root):
            prefix = resolved.relative_to(root).as_posix()
    return _Shower("" if prefix == "." else prefix)


@dataclass(frozen=True)
class _Shower:
    """Joins the base folder as shown (workspace-relative when it can be) with a relative path."""

    prefix: str

    def __call__(self, rel: str) -> str:
        if not self.prefix:
            return rel or "."
        return f"{self.prefix}/{rel}" if rel else self.prefix


# --- finding the files -------------------------------------------------------------------------


class _Walk:
    """The walk over ``prds/`` and ``epics/``: candidates, plus what could not be read or used."""

    def __init__(self, base: Path, boundary: Path, shown: _Shower, wanted: frozenset[Kind]):
        self.base = base
        self.boundary = boundary
        self.shown = shown
        self.wanted = wanted
        self.errors: list[ItemError] = []  # symlinks not followed (wanted kinds only)
        self.unreadable: list[ItemError] = []  # listing or opening raised OSError

    def entries(self, folder: str) -> list[os.DirEntry[str]]:
        """The entries of ``base/folder`` sorted by name; a missing folder has none.

        Any other OSError (permission, I/O) is recorded as unreadable, never swallowed.
        """
        try:
            with os.scandir(self.base / folder) as it:
                return sorted(it, key=lambda entry: entry.name)
        except FileNotFoundError:
            return []
        except OSError as error:
            self.unreadable.append(
                ItemError(
                    self.shown(folder),
                    None,
                    f"cannot list the folder ({error.strerror or error}): "
                    "let the runner read it (permissions) or remove it",
                )
            )
            return []

    def usable(self, entry: os.DirEntry[str], rel: str, kind: Kind) -> bool:
        """False for a symlink leading outside the boundary (reported when its kind is wanted)."""
        if _leaves(entry, self.boundary):
            if kind in self.wanted:
                message = "symlink leads outside the workspace (or nowhere): fix or remove it"
                self.errors.append(ItemError(self.shown(rel), None, message))
            return False
        return True

    def candidates(self) -> Iterator[_Candidate]:
        """Every work-item file of both layouts (all kinds: parents are needed for children)."""
        for entry in self.entries("prds"):
            rel = f"prds/{entry.name}"
            if entry.name.endswith(".md") and self.usable(entry, rel, Kind.PRD) and entry.is_file():
                yield _Candidate(rel, entry.path, Kind.PRD, bool(_PRD_LOCAL.fullmatch(entry.name)))
        for folder in self.entries("epics"):
            rel_folder = f"epics/{folder.name}"
            if folder.name in _ARCHIVES:
                if self.usable(folder, rel_folder, Kind.EPIC) and folder.is_dir():
                    for epic in self.entries(rel_folder):
                        yield from self._epic(epic, f"{rel_folder}/{epic.name}", archived=True)
                continue
            yield from self._epic(folder, rel_folder, archived=False)

    def _epic(
        self, folder: os.DirEntry[str], rel_folder: str, archived: bool
    ) -> Iterator[_Candidate]:
        """The epic and task files of one epic folder."""
        if not self.usable(folder, rel_folder, Kind.EPIC) or not folder.is_dir():
            return
        local = bool(_EPIC_LOCAL.fullmatch(folder.name))
        for entry in self.entries(rel_folder):
            kind = _kind_in_epic(entry.name)
            rel = f"{rel_folder}/{entry.name}"
            if kind is not None and self.usable(entry, rel, kind) and entry.is_file():
                yield _Candidate(rel, entry.path, kind, local, archived)


def _leaves(entry: os.DirEntry[str], boundary: Path) -> bool:
    """True for a symlink whose target is outside ``boundary`` (it must not be followed)."""
    if not entry.is_symlink():
        return False
    try:
        target = Path(entry.path).resolve()
    except (OSError, RuntimeError):  # a symlink loop: nowhere to follow it to
        return True
    return not target.is_relative_to(boundary)


def _kind_in_epic(name: str) -> Kind | None:
    """What a file inside an epic folder is; None for CCPM's notes and progress files."""
    if name == "epic.md":
        return Kind.EPIC
    if _TASK_LOCAL.fullmatch(name) or _TASK_CCPM.fullmatch(name):
        return Kind.TASK
    return None


# --- one file ----------------------------------------------------------------------------------


class _UnreadableFile(ItemError):
    """Opening or reading a work-item file raised OSError."""


def _parse_file(candidate: _Candidate, shown: str) -> _Parsed:
    """Read and parse one work-item file; raise ``ItemError`` for anything unusable."""
    try:
        with open(candidate.file, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise _UnreadableFile(
            shown,
            None,
            f"cannot read the file ({error.strerror or error}): "
            "let the runner read it (permissions) or remove it",
        ) from None
    text = decode(data, shown)
    if not text.strip():
        raise ItemError(shown, 1, "empty file: write a frontmatter block with a title")
    doc = parse_document(text, shown)
    fields = doc.fields
    local = "id" in fields or "github_issue" in fields or candidate.folder_local
    layout = Layout.LOCAL if local and "github" not in fields else Layout.CCPM
    key = _key(fields, doc, candidate, shown)
    title, title_line = _title(doc, shown, key)
    body = doc.body
    link, url = _link(doc, shown, key)
    values = {
        "title": title,
        "title_line": title_line,
        "layout": layout,
        "body": body,
        "status": _text_field(doc, "status", shown, key),
        "priority": _text_field(doc, "priority", shown, key),
        "link_url": url,
        "labels": _labels(fields.get("labels")),
        "estimated_hours": _hours(fields.get("estimated_hours")),
        "lines": doc.lines,
        "body_line": doc.body_line,
        "has_frontmatter": doc.has_frontmatter,
    }
    deps = _dependencies(doc, shown, key)
    parent = _parent_ref(fields, candidate.kind)
    return _Parsed(
        candidate.kind, key, candidate.rel, values, parent, deps, doc.lines.get("id"), link
    )


def _key(fields: Mapping[str, object], doc: Document, candidate: _Candidate, shown: str) -> str:
    """The frontmatter ``id``, else the path relative to the base folder."""
    if "id" not in fields:
        return candidate.rel
    key = scalar_text(fields["id"])
    if key is None:
        raise ItemError(
            shown,
            doc.lines.get("id"),
            "`id` is empty or not text: give the item an id like prd-001",
        )
    if len(key) > MAX_KEY:
        raise ItemError(
            shown,
            doc.lines.get("id"),
            f"`id` is {len(key):,} characters; keep it under {MAX_KEY} (like prd-001)",
        )
    return key


def _title(doc: Document, shown: str, key: str) -> tuple[str, int | None]:
    """``title``, else ``name``, else the first ``# `` heading of the body; and its line."""
    for name in ("title", "name"):
        if name in doc.fields:
            title = _text_field(doc, name, shown, key)
            if title is not None:
                return title, doc.lines.get(name)
    heading = first_heading(doc.body)
    if heading is not None and heading[0]:
        return heading[0], doc.body_line + heading[1]
    line = 1 if doc.has_frontmatter else None
    raise ItemError(
        shown,
        line,
        "no title: add `title:` (or CCPM's `name:`) to the frontmatter, or a `# ` heading",
        key=key,
    )


def _text_field(doc: Document, name: str, shown: str, key: str) -> str | None:
    """A one-line text field; a list or mapping there is an error, a null is absent."""
    value = doc.fields.get(name)
    if isinstance(value, list | dict):
        raise ItemError(
            shown,
            doc.lines.get(name),
            f"`{name}` is a {'list' if isinstance(value, list) else 'mapping'}; write one value",
            key=key,
        )
    return scalar_text(value)


class NumberOutOfRange(ValueError):
    """A number from outside is larger than any GitHub can hold."""


def bounded_number(digits: str, maximum: int = MAX_ISSUE_NUMBER) -> int:
    """ASCII ``digits`` as an int, read only when it cannot exceed ``maximum``.

    Raises ``NumberOutOfRange`` for a larger number (whatever its length) and ``ValueError``
    for anything but ASCII digits.
    """
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError("not a number")
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(maximum)) or int(significant) > maximum:
        shown = (
            significant
            if len(significant) <= 20
            else f"{significant[:12]}... ({len(significant):,} digits)"
        )
        raise NumberOutOfRange(f"{shown} is out of range (at most {maximum:,})")
    return int(significant)


def issue_number(value: object) -> tuple[int | None, str | None]:
    """The issue a link field names (``123``, ``"#123"``, an issue URL) and the URL if one.

    Anything else is a placeholder for "not synced yet" (``null``, CCPM's
    ``[Will be updated when synced to GitHub]``), not an error. A number GitHub cannot hold
    raises ``NumberOutOfRange``.
    """
    if isinstance(value, bool):
        return None, None
    if isinstance(value, int):
        if value > MAX_ISSUE_NUMBER:
            raise NumberOutOfRange(f"{value} is out of range (at most {MAX_ISSUE_NUMBER:,})")
        return (value, None) if value > 0 else (None, None)
    if not isinstance(value, str):
        return None, None
    text = value.strip()
    url = _ISSUE_URL.fullmatch(text)
    if url is not None:
        return bounded_number(url.group(1)) or None, text
    ref = _ISSUE_REF.fullmatch(text)
    if ref is not None:
        return bounded_number(ref.group(1)) or None, None
    return None, None


def _link(doc: Document, shown: str, key: str) -> tuple[int | None, str | None]:
    """The issue number from ``github_issue`` (local mode) or ``github`` (CCPM)."""
    for name in ("github_issue", "github"):
        try:
            number, url = issue_number(doc.fields.get(name))
        except NumberOutOfRange as error:
            raise ItemError(
                shown,
                doc.lines.get(name),
                f"`{name}` names issue {error}: write the issue's number or URL, "
                "or null before the first sync",
                key=key,
            ) from None
        if number is not None:
            return number, url
    return None, None


def _parent_ref(fields: Mapping[str, object], kind: Kind) -> str | None:
    """The parent as the file names it: ``prd_id``/``epic_id``, or CCPM's ``prd:`` path."""
    if kind is Kind.EPIC:
        ref = scalar_text(fields.get("prd_id"))
        if ref is not None:
            return ref
        path = scalar_text(fields.get("prd"))
        if path is not None and "prds/" in path:
            rel = "prds/" + path.rsplit("prds/", 1)[1]
            return rel if rel.endswith(".md") else f"{rel}.md"
        return None
    if kind is Kind.TASK:
        return scalar_text(fields.get("epic_id"))
    return None


_DEPENDENCY_FIELDS = ("dependencies", "depends_on")


def _dependencies(doc: Document, shown: str, key: str) -> tuple[object, ...]:
    """The dependency field's entries; an issue number GitHub cannot hold fails the item."""
    name = next((n for n in _DEPENDENCY_FIELDS if n in doc.fields), None)
    if name is None:
        return ()
    entries = _listed(doc.fields[name])
    for entry in entries:
        ref = _ISSUE_REF.fullmatch(scalar_text(entry) or "")
        try:
            if ref is not None:
                bounded_number(ref.group(1))
        except NumberOutOfRange as error:
            raise ItemError(
                shown,
                doc.lines.get(name),
                f"`{name}` names issue {error}: list item keys, task numbers or #N issues",
                key=key,
            ) from None
    return entries


def _listed(value: object) -> tuple[object, ...]:
    """A list field, also written as one comma-separated text."""
    if isinstance(value, list):
        return tuple(v for v in value if v is not None)
    if isinstance(value, str | int):
        return tuple(part.strip() for part in str(value).split(",") if part.strip())
    return ()


def _labels(value: object) -> tuple[str, ...]:
    labels = (scalar_text(v) for v in _listed(value))
    return tuple(dict.fromkeys(label for label in labels if label))


def _hours(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


# --- the tree ----------------------------------------------------------------------------------


def _resolve(
    parsed: list[_Parsed],
    by_path: Mapping[str, str],
    *,
    sync_map: Mapping[str, int],
    shown: _Shower,
    errors: list[ItemError],
    wanted: frozenset[Kind],
) -> list[WorkItem]:
    """Drop duplicate keys (every holder is an error); resolve parents, dependencies, links."""
    by_key: dict[str, list[_Parsed]] = {}
    for entry in parsed:
        by_key.setdefault(entry.key, []).append(entry)
    unique = [entries[0] for entries in by_key.values() if len(entries) == 1]
    for key, entries in by_key.items():
        if len(entries) > 1:
            errors.extend(_duplicate_errors(key, entries, shown, wanted))
    keys = {entry.key for entry in unique}
    return [_resolved(entry, by_path, keys, sync_map) for entry in unique if entry.kind in wanted]


def _duplicate_errors(
    key: str, entries: list[_Parsed], shown: _Shower, wanted: frozenset[Kind]
) -> Iterator[ItemError]:
    """One error per holder of ``key``, each naming the others."""
    for entry in entries:
        if entry.kind not in wanted:
            continue
        others = ", ".join(shown(o.path) for o in entries if o is not entry)
        yield ItemError(
            shown(entry.path),
            entry.id_line,
            f"duplicate key {key!r} (also {others}): give each item its own `id`",
            key=key,
        )


def _resolved(
    entry: _Parsed, by_path: Mapping[str, str], keys: set[str], sync_map: Mapping[str, int]
) -> WorkItem:
    """The item with its parent and dependencies as keys and its link from the sync map."""
    folder = entry.path.rsplit("/", 1)[0]
    parent: str | None = None
    if entry.kind is Kind.EPIC:
        ref = entry.parent_ref
        parent = by_path.get(ref) if ref is not None and ref.startswith("prds/") else ref
        if parent is None:
            # CCPM names the epic folder after its PRD: epics/<name>/ belongs to prds/<name>.md.
            parent = by_path.get(f"prds/{folder.rsplit('/', 1)[-1]}.md")
    elif entry.kind is Kind.TASK:
        parent = entry.parent_ref or by_path.get(f"{folder}/epic.md")
    link = entry.link
    source = LinkSource.FRONTMATTER if link is not None else None
    if link is None and entry.key in sync_map:
        link, source = sync_map[entry.key], LinkSource.SYNC_MAP
    return WorkItem(
        kind=entry.kind,
        key=entry.key,
        path=entry.path,
        parent_key=parent,
        dependencies=tuple(
            _dependency(text, folder, by_path, keys)
            for text in (scalar_text(dep) for dep in entry.deps)
            if text
        ),
        link=link,
        link_source=source,
        **entry.values,
    )


def _dependency(text: str, folder: str, by_path: Mapping[str, str], keys: set[str]) -> str:
    """A dependency as a key: an item's id, a CCPM task number in the same epic, else ``#N``."""
    if text in keys:
        return text
    ref = _ISSUE_REF.fullmatch(text)
    if ref is None:
        return text
    number = bounded_number(ref.group(1))  # checked when the file was parsed
    if not text.startswith("#"):
        for width in (3, 0):  # CCPM numbers tasks 001.md before sync, <issue>.md after
            key = by_path.get(f"{folder}/{number:0{width}d}.md")
            if key is not None:
                return key
    return f"#{number}"


# --- the sync map ------------------------------------------------------------------------------


def _read_sync_map(
    base: Path, shown: str, boundary: Path
) -> tuple[dict[str, int], ItemError | None]:
    """``<base>/sync-map.json``: key -> issue number; a bad file is one error, never a crash."""
    path = base / SYNC_MAP_NAME
    try:
        _check_regular(path, shown, boundary)
        parsed = parse_sync_map(path.read_bytes(), shown)
    except FileNotFoundError:
        return {}, None
    except OSError as error:
        message = f"cannot read the sync map ({error.strerror or error})"
        return {}, ItemError(shown, None, message)
    except ItemError as error:
        return {}, error
    found: dict[str, int] = {}
    bad: list[str] = []
    too_big: list[tuple[str, str]] = []
    for item_key, value in map_pairs(parsed.entries):
        try:
            number, _ = issue_number(value)
        except NumberOutOfRange as error:
            too_big.append((item_key, str(error)))
            continue
        if number is None:
            bad.append(item_key)
        else:
            found[item_key] = number
    if too_big:
        key, why = too_big[0]
        more = f" (and {len(too_big) - 1} more)" if len(too_big) > 1 else ""
        message = f"sync map entry {key!r} names issue {why}{more}: write the issue's number"
        return found, ItemError(shown, parsed.line_of(key), message)
    if not bad:
        return found, None
    listed = ", ".join(repr(k) for k in bad[:5]) + (" ..." if len(bad) > 5 else "")
    return found, ItemError(shown, None, f"sync map entries without an issue number: {listed}")


def _check_regular(path: Path, shown: str, boundary: Path) -> None:
    """Refuse a sync map that is a link out of the workspace (or a loop), or not a plain file."""
    if path.is_symlink():
        try:
            inside = path.resolve().is_relative_to(boundary)
        except RuntimeError:  # a symlink loop (Python 3.11 raises this, not OSError)
            inside = False
        if not inside:
            message = "sync map is a symlink leading outside the workspace (or nowhere): remove it"
            raise ItemError(shown, None, message)
    if path.exists() and not path.is_file():
        raise ItemError(shown, None, "sync map is not a regular file: remove it")
