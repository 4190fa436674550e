"""Work items on disk: scan a tree of PRDs, epics and tasks (both layouts) into ``WorkItem`` values.

Pure apart from reading the files it is pointed at.

Layouts (docs/work-items.md), side by side in one tree:

- ClaudeAutoPM local mode: ``prds/prd-NNN-<slug>.md``, ``epics/epic-NNN-<slug>/epic.md``,
  ``epics/epic-NNN-<slug>/task-NNN.md``; key = frontmatter ``id``; link ``github_issue: <int>``.
- CCPM: ``prds/<name>.md``, ``epics/<name>/epic.md``, ``epics/<name>/<N>.md``; key = the path
  relative to the base folder; link ``github: <issue URL>``.

Tasks may also sit in ``epics/<name>/tasks/`` and be named ``<N>-<slug>.md``; which files are
candidates, and the rule for every other file, is ``tree``'s. Epics in CCPM's archive folders
(``epics/archived/``, ``epics/.archived/``) are parsed into ``ScanResult.archived``, never synced.
A file or folder that cannot be read is in ``ScanResult.unreadable`` (and in ``errors``). Every
file under ``prds/`` and ``epics/`` is in ``ScanResult.files``, in exactly one ``FileClass``.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchsync.errors import ItemError
from batchsync.frontmatter import Document, decode, first_heading, parse_document, scalar_text
from batchsync.remote import MAX_ISSUE_NUMBER, NumberOutOfRange, bounded_number
from batchsync.render import check_limits
from batchsync.syncmap import SYNC_MAP_NAME, map_pairs, parse_sync_map
from batchsync.tree import RULES, Candidate, Walk
from batchsync.workitem import Kind, Layout, LinkSource, WorkItem, kinds_named

__all__ = [
    "MAX_ISSUE_NUMBER",
    "SYNC_MAP_NAME",
    "USED_FIELDS",
    "FileClass",
    "Kind",
    "Layout",
    "LinkSource",
    "MalformedLink",
    "NumberOutOfRange",
    "ScanResult",
    "ScannedFile",
    "WorkItem",
    "bounded_number",
    "issue_number",
    "kinds_named",
    "scan",
]

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
    # Every file under prds/ and epics/, each in exactly one class (``FileClass``), in path order.
    files: tuple[ScannedFile, ...] = ()
    # Problems that do not stop an item (path, line, message): what a lenient read forgave, a
    # missing PRD, a file without frontmatter, a dependency left as text.
    warnings: tuple[ItemError, ...] = ()

    def count(self, cls: FileClass) -> int:
        """How many files are in ``cls``."""
        return sum(1 for f in self.files if f.cls is cls)


class FileClass(enum.StrEnum):
    """Where a file under ``prds/`` or ``epics/`` ended up: exactly one of these."""

    ITEM = "work item"
    ERROR = "item with an error"
    ARCHIVED = "archived item"
    OTHER = "not a work item"


@dataclass(frozen=True)
class ScannedFile:
    """One file under ``prds/`` or ``epics/``, its class and why (the rule, or the error)."""

    path: str  # as errors show it (workspace-relative when it can be)
    cls: FileClass
    why: str  # the item's key, the first error, the archive it is in, or the rule


# ASCII digits only: ``\d`` would take other scripts' digits, which int() reads too.
_ISSUE_URL = re.compile(r"https?://[^\s]+/issues/([0-9]+)/?(?:[#?].*)?")
_ISSUE_REF = re.compile(r"#?([0-9]+)")
# ... and with two non-empty path parts (owner, repository) right before /issues/.
_WHOLE_URL = re.compile(r"https?://[^\s/]+/(?:[^\s]*/)?[^\s/]+/[^\s/]+/issues/[0-9]+/?(?:[#?].*)?")


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
    epic_folder: str = ""  # the epic folder of an epic or task (relative)
    number: int | None = None  # the task number its file name claims
    prd_named: str | None = None  # an epic's ``prd:`` as written ("" when empty)


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
    notes: list[ItemError] = [*_no_item_folders(base, shown)]
    sync_map, map_error = _read_sync_map(base, shown(SYNC_MAP_NAME), boundary)
    if map_error is not None:
        errors.append(map_error)
    walk = Walk(base, boundary).run()
    unreadable = [_unlisted(shown(rel), why) for rel, why in walk.unreadable]
    message = "symlink leads outside the workspace (or nowhere): fix or remove it"
    errors.extend(ItemError(shown(r.rel), None, message) for r in walk.refused if r.kind in wanted)
    live, archived, broken = _parse_all(
        walk.candidates, shown, wanted=wanted, errors=errors, notes=notes, unreadable=unreadable
    )
    by_path = {entry.path: entry.key for entry in (*live, *archived)}
    context = _Context(by_path, _task_numbers(live), sync_map, shown, wanted)
    items = _resolve(live, context, errors, notes)
    old = _resolve(archived, context, [], [])
    items = _within_limits(items, shown, errors)
    notes.extend(_unknown_parents(items, live, old, wanted, shown))
    errors.extend(unreadable)  # a user must see what was not read
    files = _classify(
        walk, items=items, archived=old, broken=broken, errors=errors, context=context
    )
    return ScanResult(
        _sorted_items(items),
        tuple(sorted(errors, key=_error_order)),
        sync_map,
        unreadable=tuple(sorted(unreadable, key=_error_order)),
        archived=_sorted_items(old),
        files=files,
        warnings=tuple(sorted((n for n in notes if _wanted_path(n, errors)), key=_error_order)),
    )


ITEM_FOLDERS = ("prds", "epics")  # what a work-item folder holds, in both layouts


def _no_item_folders(base: Path, shown: _Shower) -> Iterator[ItemError]:
    """A warning when ``base`` holds neither folder: the run has nothing to do, and ``path``
    is most likely wrong (a typo, or the repository root instead of ``.claude``)."""
    if not any((base / name).is_dir() for name in ITEM_FOLDERS):
        yield ItemError(
            shown(""),
            None,
            "holds neither prds/ nor epics/, so there is no work item to sync: set `path` to "
            "the folder that holds them (by default .claude)",
        )


def _unlisted(shown: str, why: str) -> ItemError:
    return ItemError(
        shown,
        None,
        f"cannot list the folder ({why}): let the runner read it (permissions) or remove it",
    )


def _wanted_path(note: ItemError, errors: list[ItemError]) -> bool:
    """A warning about a file that failed anyway is noise: the error says enough."""
    return all(error.path != note.path for error in errors)


def _parse_all(
    candidates: list[Candidate],
    shown: _Shower,
    *,
    wanted: frozenset[Kind],
    errors: list[ItemError],
    notes: list[ItemError],
    unreadable: list[ItemError],
) -> tuple[list[_Parsed], list[_Parsed], dict[str, str]]:
    """Parse every candidate: (live items, archived items, archived files that did not parse).

    Two files in one epic that claim one task number are both errors: never guessed between.
    """
    clashes = _clashes(candidates, shown)
    live: list[_Parsed] = []
    archived: list[_Parsed] = []
    broken: dict[str, str] = {}
    for candidate in candidates:
        here = shown(candidate.rel)
        if candidate.rel in clashes:
            if candidate.kind in wanted:
                errors.append(ItemError(here, None, clashes[candidate.rel]))
            continue
        try:
            parsed = _parse_file(candidate, here, notes)
        except _UnreadableFile as error:
            unreadable.append(error)
        except ItemError as error:
            if candidate.archived:  # never synced, so it fails nothing
                broken[candidate.rel] = error.message
            elif candidate.kind in wanted:
                errors.append(error)
        else:
            (archived if candidate.archived else live).append(parsed)
    return live, archived, broken


def _clashes(candidates: list[Candidate], shown: _Shower) -> dict[str, str]:
    """rel -> error, for live task files claiming a task number another file in the epic claims."""
    claims: dict[tuple[str, int], list[str]] = {}
    for c in candidates:
        if c.kind is Kind.TASK and c.number is not None and not c.archived:
            claims.setdefault((c.epic_folder, c.number), []).append(c.rel)
    found: dict[str, str] = {}
    for (epic, number), rels in claims.items():
        if len(rels) < 2:
            continue
        for rel in rels:
            others = ", ".join(shown(other) for other in rels if other != rel)
            found[rel] = (
                f"task number {number} is claimed by {len(rels)} files in {shown(epic)}/ "
                f"(also {others}): keep one, or give each its own number"
            )
    return found


def _task_numbers(parsed: list[_Parsed]) -> dict[tuple[str, int], str]:
    """(epic folder, task number) -> key, for CCPM task files named by number."""
    return {(p.epic_folder, p.number): p.key for p in parsed if p.number is not None}


def _classify(
    walk: Walk,
    *,
    items: list[WorkItem],
    archived: list[WorkItem],
    broken: Mapping[str, str],
    errors: list[ItemError],
    context: _Context,
) -> tuple[ScannedFile, ...]:
    """Every walked file in exactly one class, with its reason."""
    shown = context.shown
    failed: dict[str, str] = {}
    for error in errors:
        failed.setdefault(error.path, error.message)
    synced = {item.path: item.key for item in items}
    kept = {item.path: item.key for item in archived}
    files: dict[str, ScannedFile] = {}
    for skipped in walk.skipped:
        files[skipped.rel] = ScannedFile(shown(skipped.rel), FileClass.OTHER, RULES[skipped.rule])
    for refused in walk.refused:
        why = failed.get(shown(refused.rel))
        cls = FileClass.ERROR if why else FileClass.OTHER
        files[refused.rel] = ScannedFile(shown(refused.rel), cls, why or RULES["not-selected"])
    for c in walk.candidates:
        here = shown(c.rel)
        if here in failed:
            files[c.rel] = ScannedFile(here, FileClass.ERROR, failed[here])
        elif c.archived:
            why = f"key {kept[c.rel]}" if c.rel in kept else "kept apart"
            why = f"not parsed: {broken[c.rel]}" if c.rel in broken else why
            files[c.rel] = ScannedFile(here, FileClass.ARCHIVED, f"archived, never synced ({why})")
        elif c.rel in synced:
            files[c.rel] = ScannedFile(here, FileClass.ITEM, synced[c.rel])
        else:  # parsed as a parent, but its kind is not selected
            files[c.rel] = ScannedFile(here, FileClass.OTHER, RULES["not-selected"])
    return tuple(files[rel] for rel in sorted(files))


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


# --- one file ----------------------------------------------------------------------------------


class _UnreadableFile(ItemError):
    """Opening or reading a work-item file raised OSError."""


# The fields batchsync reads. Any other field may hold anything: a value YAML cannot read there
# is left out with a warning, never an error (dates, sizes, agents, waves, nested maps).
USED_FIELDS = frozenset(
    {
        "id", "title", "name", "status", "priority", "labels", "estimated_hours",
        "dependencies", "depends_on", "depends", "prd_id", "epic_id", "prd",
        "github_issue", "github",
    }
)  # fmt: skip


def _parse_file(candidate: Candidate, shown: str, notes: list[ItemError]) -> _Parsed:
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
    doc = parse_document(text, shown, used=USED_FIELDS)
    fields = doc.fields
    _check_repeated(doc, shown)
    local = "id" in fields or "github_issue" in fields or candidate.folder_local
    layout = Layout.LOCAL if local and "github" not in fields else Layout.CCPM
    key = _key(fields, doc, candidate, shown)
    title, title_line = _title(doc, shown, key)
    link, url = _link(doc, shown, key)
    values = {
        "title": title,
        "title_line": title_line,
        "layout": layout,
        "body": doc.body,
        "status": _text_field(doc, "status", shown, key),
        "priority": _text_field(doc, "priority", shown, key),
        "link_url": url,
        "labels": _labels(fields.get("labels")),
        "estimated_hours": _hours(fields.get("estimated_hours")),
        "lines": doc.lines,
        "body_line": doc.body_line,
        "has_frontmatter": doc.has_frontmatter,
    }
    notes.extend(_notes(doc, shown, key))
    deps = _dependencies(doc, shown, key, text)
    parent = _parent_ref(fields, candidate.kind)
    prd = (scalar_text(fields.get("prd")) or "") if "prd" in fields else None
    return _Parsed(
        candidate.kind,
        key,
        candidate.rel,
        values,
        parent,
        deps,
        doc.lines.get("id"),
        link,
        epic_folder=candidate.epic_folder,
        number=candidate.number,
        prd_named=prd if candidate.kind is Kind.EPIC else None,
    )


def _check_repeated(doc: Document, shown: str) -> None:
    """A field batchsync reads, written twice in one block, fails the item: which one is meant?"""
    for name, lines in doc.repeated.items():
        if name in USED_FIELDS:
            listed = ", ".join(str(line) for line in lines)
            raise ItemError(
                shown,
                lines[-1],
                f"`{name}` is written {len(lines)} times (lines {listed}): keep one",
            )


def _notes(doc: Document, shown: str, key: str) -> Iterator[ItemError]:
    """Warnings: what a lenient read forgave, a repeated unused field, a file with no block."""
    for line, text in doc.notes:
        yield ItemError(shown, line, text, key=key)
    for name, lines in doc.repeated.items():
        if name not in USED_FIELDS:
            yield ItemError(
                shown, lines[-1], f"`{name}` is written {len(lines)} times; the last one counts"
            )
    if not doc.has_frontmatter:
        yield ItemError(
            shown,
            1,
            "no frontmatter: the title is the first `# ` heading; add a --- block with `name:`",
            key=key,
        )


def _key(fields: Mapping[str, object], doc: Document, candidate: Candidate, shown: str) -> str:
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


class MalformedLink(ValueError):
    """An issue URL that names no repository (``https://github.com//issues/2``)."""


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
        if _WHOLE_URL.fullmatch(text) is None:
            raise MalformedLink("is an issue URL without its owner or repository")
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
        except MalformedLink as error:
            raise ItemError(
                shown,
                doc.lines.get(name),
                f"`{name}` {error}: write the whole URL "
                "(https://github.com/<owner>/<repo>/issues/<N>) or remove the line",
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
        if path is not None and "/" not in path:  # a PRD by name: prds/<name>.md
            return f"prds/{path.removesuffix('.md')}.md"
        return None
    if kind is Kind.TASK:
        return scalar_text(fields.get("epic_id"))
    return None


_DEPENDENCY_FIELDS = ("dependencies", "depends_on", "depends")  # CCPM trees use all three


_PADDED = re.compile(r"(?<![\w.#-])0[0-9]{1,9}(?![\w.])")  # 001, as written (not #001, 1.0)


def _dependencies(doc: Document, shown: str, key: str, text: str) -> tuple[object, ...]:
    """The dependency field's entries; an issue number GitHub cannot hold fails the item.

    YAML reads ``[001]`` as the number 1: an entry written zero-padded is given back as written
    (``"001"``), since a zero-padded number is a local task number, never an issue.
    """
    name = next((n for n in _DEPENDENCY_FIELDS if n in doc.fields), None)
    if name is None:
        return ()
    entries = _listed(doc.fields[name])
    if any(isinstance(e, int) and not isinstance(e, bool) for e in entries):
        raw = _field_text(text, doc.lines.get(name))
        padded = {int(t): t for t in _PADDED.findall(raw)}
        entries = tuple(padded.get(e, e) if type(e) is int else e for e in entries)
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


def _field_text(text: str, line: int | None) -> str:
    """The lines of the frontmatter field starting at 1-based ``line`` (its indented rest too)."""
    if line is None:
        return ""
    lines = text.split("\n", line + 200)[line - 1 : line + 199]  # a field is never that long
    taken = lines[:1]
    taken += itertools.takewhile(lambda rest: rest[:1] in (" ", "\t", "-"), lines[1:])
    return "\n".join(taken)


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


@dataclass(frozen=True)
class _Context:
    """What resolving needs to know of the whole tree."""

    by_path: Mapping[str, str]  # relative path -> key, every parsed file
    numbers: Mapping[tuple[str, int], str]  # (epic folder, task number) -> key
    sync_map: Mapping[str, int]
    shown: _Shower
    wanted: frozenset[Kind]


def _resolve(
    parsed: list[_Parsed], context: _Context, errors: list[ItemError], notes: list[ItemError]
) -> list[WorkItem]:
    """Drop duplicate keys (every holder is an error); resolve parents, dependencies, links."""
    by_key: dict[str, list[_Parsed]] = {}
    for entry in parsed:
        by_key.setdefault(entry.key, []).append(entry)
    unique = [entries[0] for entries in by_key.values() if len(entries) == 1]
    for key, entries in by_key.items():
        if len(entries) > 1:
            errors.extend(_duplicate_errors(key, entries, context.shown, context.wanted))
    keys = {entry.key for entry in unique}
    return [
        _resolved(entry, context, keys, notes) for entry in unique if entry.kind in context.wanted
    ]


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
    entry: _Parsed, context: _Context, keys: set[str], notes: list[ItemError]
) -> WorkItem:
    """The item with its parent and dependencies as keys and its link from the sync map."""
    parent: str | None = None
    if entry.kind is Kind.EPIC:
        parent = _epic_parent(entry, context.by_path)
        if parent is None and entry.prd_named is not None:
            notes.append(_no_prd(entry, context.shown(entry.path)))
    elif entry.kind is Kind.TASK:
        parent = entry.parent_ref or context.by_path.get(f"{entry.epic_folder}/epic.md")
    link = entry.link
    source = LinkSource.FRONTMATTER if link is not None else None
    if link is None and entry.key in context.sync_map:
        link, source = context.sync_map[entry.key], LinkSource.SYNC_MAP
    return WorkItem(
        kind=entry.kind,
        key=entry.key,
        path=entry.path,
        parent_key=parent,
        dependencies=_dependency_keys(entry, context, keys, notes),
        link=link,
        link_source=source,
        **entry.values,
    )


_PARENT_FIELDS = {Kind.EPIC: ("prd_id", "prd"), Kind.TASK: ("epic_id",)}
_ISSUE_NUMBER_REF = re.compile(r"#[0-9]+")


def _unknown_parents(
    items: Sequence[WorkItem],
    live: Sequence[_Parsed],
    archived: Sequence[WorkItem],
    wanted: frozenset[Kind],
    shown: _Shower,
) -> Iterator[ItemError]:
    """A parent a file names (``prd_id``, ``epic_id``) that no item of the run holds: it is not
    in the tree, or its own file failed. A warning: the item is synced without a parent link."""
    once = {key for key, n in Counter(e.key for e in live).items() if n == 1}
    known = {i.key for i in (*items, *archived)}
    known |= {e.key for e in live if e.kind not in wanted and e.key in once}  # --type leaves it
    for item in items:
        parent = item.parent_key
        if parent is None or parent in known or _ISSUE_NUMBER_REF.fullmatch(parent):
            continue
        named = next((f for f in _PARENT_FIELDS.get(item.kind, ()) if f in item.lines), None)
        if named is None:  # the parent came from the folder, not from a name the file wrote
            continue
        yield ItemError(
            shown(item.path),
            item.lines[named],
            f"`{named}` names {parent!r}, which is no work item of this run (not in the tree, "
            "or its file has an error): synced without a parent link",
            key=item.key,
        )


def _no_prd(entry: _Parsed, shown: str) -> ItemError:
    named = "is empty"
    if entry.prd_named:
        named = f"names PRD {entry.prd_named!r}, which is not in the tree"
    line = entry.values["lines"].get("prd")
    return ItemError(shown, line, f"`prd` {named}: synced without a parent", key=entry.key)


def _dependency_keys(
    entry: _Parsed, context: _Context, keys: set[str], notes: list[ItemError]
) -> tuple[str, ...]:
    """The item's dependencies as keys (or ``#N``); a missing local task number stays text."""
    lines: Mapping[str, int] = entry.values["lines"]
    found: list[str] = []
    for text in (scalar_text(dep) for dep in entry.deps):
        if not text:
            continue
        dependency = _dependency(text, entry.epic_folder, context.numbers, keys)
        if dependency is None:
            where = context.shown(entry.epic_folder)
            line = next((lines[n] for n in _DEPENDENCY_FIELDS if n in lines), None)
            message = f"depends on task {text}, which is not in {where}: shown as text"
            notes.append(ItemError(context.shown(entry.path), line, message, key=entry.key))
            dependency = text
        found.append(dependency)
    return tuple(found)


def _epic_parent(entry: _Parsed, by_path: Mapping[str, str]) -> str | None:
    """An epic's PRD: ``prd_id``, ``prd:`` (a path or a name), else the PRD named as its folder."""
    ref = entry.parent_ref
    parent = by_path.get(ref) if ref is not None and ref.startswith("prds/") else ref
    if parent is None:
        # CCPM names the epic folder after its PRD: epics/<name>/ belongs to prds/<name>.md.
        parent = by_path.get(f"prds/{entry.epic_folder.rsplit('/', 1)[-1]}.md")
    return parent


def _dependency(
    text: str, epic: str, numbers: Mapping[tuple[str, int], str], keys: set[str]
) -> str | None:
    """A dependency as a key: an item's id, a CCPM task number in the same epic, else ``#N``.

    None for a zero-padded number (``001``) no task in the epic claims: a local task number
    (``001.md`` was renamed after a sync), never issue #1.
    """
    if text in keys:
        return text
    ref = _ISSUE_REF.fullmatch(text)
    if ref is None:
        return text
    number = bounded_number(ref.group(1))  # checked when the file was parsed
    if not text.startswith("#"):
        key = numbers.get((epic, number))
        if key is not None:
            return key
        if text.startswith("0") and len(text) > 1:
            return None
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
        except MalformedLink:
            bad.append(item_key)
            continue
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
