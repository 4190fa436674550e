"""Write-back: record each item's issue in its file and in ``sync-map.json``, atomically.

Opt-in (``write-back``). Local-mode files get ``github_issue: N`` and their entry in the flat
``<base>/sync-map.json``; CCPM files get ``github: <issue URL>``. A pull writes an issue's
open/closed state into the file's ``status`` (``set_status``; the words are ``status``'s). Only
the field's line changes: every other byte of the file stays as it was, and the result must read
back as the file before plus the change. Each write goes to a temporary file in the same folder,
is flushed to disk, and replaces the original in one rename, so a run killed at any moment leaves
either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from batchsync.errors import ItemError
from batchsync.frontmatter import decode, find_fences, parse_document, read_value, scalar_text
from batchsync.items import USED_FIELDS, Layout, LinkSource, WorkItem
from batchsync.status import UPDATED_FIELD
from batchsync.syncmap import SYNC_MAP_NAME, SyncMapFile, encode_sync_map, parse_sync_map

__all__ = ["SYNC_MAP_NAME", "WriteBack", "atomic_write", "set_field"]

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # the line breaks decode() knows
_STATUS_WORD = re.compile(r"[a-z]+(?:[_-][a-z]+)*")  # written unquoted: must read as itself
_STAMP = "%Y-%m-%dT%H:%M:%SZ"  # CCPM's ``updated:`` (date -u +"%Y-%m-%dT%H:%M:%SZ")


class _StatusChanged(Exception):
    """The file's ``status`` is no longer the one the scan read."""


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync, rename.

    The file keeps its mode, owner and group; a new file takes the owner and group of its
    folder (a container runs as root: a root-owned file in a checkout breaks the runner's next
    clean-up). Raises ``OSError`` when the owner cannot be kept, before anything is replaced.
    """
    try:
        old = path.stat()
        mode, owner, must_keep = old.st_mode & 0o7777, (old.st_uid, old.st_gid), True
    except FileNotFoundError:
        folder = path.parent.stat()
        mode, owner, must_keep = 0o644, (folder.st_uid, folder.st_gid), False
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _chown(tmp, owner, must_keep)  # before chmod: a chown clears set-id bits
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    # A run killed mid-write leaves its temporary file behind: the next write cleans it up.
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


def _chown(tmp: str, owner: tuple[int, int], must_keep: bool) -> None:
    """Give ``tmp`` the owner and group it must have; only a file that exists must keep them."""
    made = os.stat(tmp)
    if (made.st_uid, made.st_gid) == owner:
        return
    try:
        os.chown(tmp, *owner)
    except PermissionError:
        if must_keep:
            raise PermissionError(
                "cannot keep the file's owner and group (run as its owner or as root)"
            ) from None


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def set_field(text: str, name: str, value: str, *, add: bool = True) -> str:
    """``text`` with its frontmatter field ``name`` set to ``value``; nothing else changes.

    The frontmatter block is found by the scanner's own rule (``find_fences``). A missing field
    is added as the frontmatter's last line (a file without frontmatter gets one); with
    ``add=False`` a missing field stays missing. A value spread over indented lines below the
    field is replaced as a whole; a one-line value's ``# comment`` is kept. Line endings (LF,
    CRLF, CR) and a BOM are kept. Raises ``ItemError`` (path ``""``) for a block that is never
    closed.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = _LINE.findall(text[len(bom) :])
    newline = _ending(lines[0], "\n") if lines else "\n"
    normal = "".join(line.rstrip("\r\n") + "\n" for line in lines)
    fences = find_fences(normal, "")
    if fences is None:
        if not add:
            return text
        return f"{bom}---{newline}{name}: {value}{newline}---{newline}{text[len(bom) :]}"
    end = fences.closing_line
    field_re = re.compile(rf"^{re.escape(name)}[ \t]*:")
    spans = []
    for i in range(1, end):
        if field_re.match(lines[i]):
            spans.append((i, _value_end(lines, i + 1, end)))
    if not spans and add:
        lines.insert(end, f"{name}: {value}{newline}")
    # Every copy of a repeated field is set: YAML readers differ on which one counts.
    for i, stop in reversed(spans):
        comment = _comment(lines[i].rstrip("\r\n")) if stop == i + 1 else ""
        lines[i:stop] = [f"{name}: {value}{comment}{_ending(lines[stop - 1], newline)}"]
    return bom + "".join(lines)


# A one-line value (quoted, plain or none) and the comment after it: YAML starts a comment at a
# ``#`` after blanks; a plain value starts with anything but a quote or a flow/block sign.
_VALUE_AND_COMMENT = re.compile(
    r"[^:]*:(?:[ \t]*(?:"
    r"'(?:[^']|'')*'"  # single-quoted
    r'|"(?:[^"\\]|\\.)*"'  # double-quoted
    r"""|[^\s'"\[\]{}|>#&*!%@`]\S*(?:[ \t]+[^\s#]\S*)*"""  # plain
    r"))?(?P<comment>[ \t]+#.*)"
)


def _comment(line: str) -> str:
    """The ``# comment`` ending a one-line field (with the blanks before it), or ``""``."""
    found = _VALUE_AND_COMMENT.fullmatch(line)
    return "" if found is None else found.group("comment")


def _value_end(lines: list[str], start: int, end: int) -> int:
    """Where a field's value ends: after its indented continuation lines and list items, blank
    lines between them included (YAML folds ``old``, a blank line and ``  more`` into one)."""
    stop = last = start
    # A block list may sit at the key's own indentation (``github:`` then ``- a``): it is the
    # value's too.
    while stop < end and (lines[stop][:1] in (" ", "\t", "-") or not lines[stop].strip()):
        stop += 1
        if lines[stop - 1].strip():
            last = stop  # trailing blank lines stay where they are
    return last


def _check_reads_back(before: str, after: str, changes: Mapping[str, str]) -> None:
    """Raise ``ItemError`` unless the scanner reads ``after`` as ``before`` with ``changes``.

    ``changes`` maps each field set to the text written; it must read as that text reads on its
    own line. A safety net for frontmatter laid out in ways a line edit cannot follow (an
    indented block, say): the file is then left as it was rather than written in a shape that
    no longer parses, or that reads as something else.
    """
    try:
        old = parse_document(decode(before.encode(), ""), "", used=USED_FIELDS)
        new = parse_document(decode(after.encode(), ""), "", used=USED_FIELDS)
        wanted = {name: read_value(value) for name, value in changes.items()}
    except ItemError:
        same = False
    else:
        same = (
            all(name in new.fields and new.fields[name] == v for name, v in wanted.items())
            and new.body == old.body
            and _others(new.fields, wanted) == _others(old.fields, wanted)
        )
    if not same:
        raise ItemError("", None, "its frontmatter is laid out in a way write-back cannot edit")


def _others(fields: Mapping[str, object], changed: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in fields.items() if k not in changed}


def _ending(line: str, default: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            return ending
    return default


class WriteBack:
    """Records each item's issue locally, right after it exists; safe across worker threads."""

    def __init__(
        self,
        base: Path,
        sync_map: Mapping[str, int],
        *,
        workspace: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base = base
        self._clock = clock  # epoch seconds, for CCPM's ``updated:`` stamp
        self._map_path = base / SYNC_MAP_NAME
        self._sync_map: dict[str, object] = dict(sync_map)
        self._workspace = workspace
        self._boundary = (workspace or base).resolve()
        self._lock = threading.Lock()  # the sync map's read-modify-write
        # A file's read-modify-write: two items may be symlinks to one file.
        self._files_lock = threading.Lock()

    def _shown(self, path: Path) -> str:
        """``path`` as annotations show it: relative to the workspace when inside it."""
        if self._workspace is not None:
            with contextlib.suppress(ValueError):
                return path.relative_to(self._workspace).as_posix()
        return path.as_posix()

    def record(self, item: WorkItem, number: int, url: str) -> bool:
        """Write the link for ``item`` where it is missing or stale; True when a file changed.

        Raises ``ItemError`` (with the file's path) when a file cannot be written.
        """
        changed = False
        # A link known only from the sync map still belongs in the file's frontmatter.
        in_file = item.link == number and item.link_source is LinkSource.FRONTMATTER
        if not in_file:
            changed |= self._write_field(item, number, url)
        if item.layout is Layout.LOCAL and self._sync_map.get(item.key) != number:
            changed |= self._write_map(item, number)
        return changed

    def _target(self, path: Path) -> Path:
        """The file a write to ``path`` must replace: through symlinks, inside the workspace.

        Raises ``OSError`` for a target outside the workspace, a symlink loop or a target that
        is not a regular file (a link to /dev/zero or a FIFO would never end).
        """
        try:
            target = path.resolve()
        except RuntimeError:  # a symlink loop (Python 3.11 raises this, not OSError)
            raise OSError("it is a symlink loop") from None
        if not target.is_relative_to(self._boundary):
            raise OSError("it is a symlink to a file outside the workspace")
        if target.exists() and not target.is_file():
            raise OSError("it is not a regular file")
        return target

    def _write_field(self, item: WorkItem, number: int, url: str) -> bool:
        name = item.link_field
        # A link field that held an issue URL keeps holding one, whichever its spelling.
        as_url = item.layout is Layout.CCPM or item.link_url is not None
        value = url if as_url else str(number)
        return self._edit(
            item,
            lambda text: (set_field(text, name, value), {name: value}),
            lambda shown, reason: ItemError(
                shown,
                item.line_of(name),
                f"could not record issue #{number} in the file ({reason}); "
                "the issue exists, the next run finds it by its marker",
                key=item.key,
            ),
        )

    def _edit(
        self,
        item: WorkItem,
        edit: Callable[[str], tuple[str, Mapping[str, str]]],
        failed: Callable[[str, str], ItemError],
    ) -> bool:
        """``_rewrite`` ``item``'s file with ``edit``; a file that cannot be written raises
        ``failed(shown path, reason)``."""
        path = self.base / item.path
        try:
            return self._rewrite(path, edit)
        except ItemError as exc:  # never closed, or a layout a line edit cannot follow
            reason = exc.message
        except (OSError, UnicodeDecodeError) as exc:
            reason = str(exc)
        raise failed(self._shown(path), reason)

    def set_status(self, item: WorkItem, value: str) -> bool:
        """Write ``status: <value>`` into ``item``'s file; True when the file changed.

        The pull's write: one line changes (a missing ``status`` is added as the frontmatter's
        last line), plus ``updated:`` where the layout stamps it and the file has one. The file
        must still hold the status the scan read: one changed since is a person's, and is left
        alone. Raises ``ItemError`` (with the file's path and the line of ``status``) when the
        file cannot be written, and ``ValueError`` for a value that is not a status word.
        """
        if _STATUS_WORD.fullmatch(value) is None:
            raise ValueError(f"a status is a lower-case word, not {value!r}")
        try:
            return self._edit(
                item,
                lambda text: self._with_status(item, text, value),
                lambda shown, reason: ItemError(
                    shown,
                    item.line_of("status"),
                    f"could not write `status: {value}` into the file ({reason}); "
                    "the issue keeps its state: fix the file and run again",
                    key=item.key,
                ),
            )
        except _StatusChanged:
            raise ItemError(
                self._shown(self.base / item.path),
                item.line_of("status"),
                "its `status` changed since the scan; pull leaves the file alone, "
                "the next run decides again",
                key=item.key,
            ) from None

    def _with_status(self, item: WorkItem, text: str, value: str) -> tuple[str, dict[str, str]]:
        """``text`` with ``status: value`` (and the layout's ``updated:`` stamp), and the changes.

        Raises ``_StatusChanged`` when the file no longer holds the status the scan read.
        """
        now = parse_document(decode(text.encode(), ""), "", used=USED_FIELDS)
        if scalar_text(now.fields.get("status")) != item.status:
            raise _StatusChanged
        updated = set_field(text, "status", value)
        changes = {"status": value}
        stamp_field = UPDATED_FIELD[item.layout]
        if updated != text and stamp_field is not None:
            stamp = dt.datetime.fromtimestamp(self._clock(), dt.UTC).strftime(_STAMP)
            stamped = set_field(updated, stamp_field, stamp, add=False)
            if stamped != updated:
                updated, changes[stamp_field] = stamped, stamp
        return updated, changes

    def _rewrite(self, path: Path, edit: Callable[[str], tuple[str, Mapping[str, str]]]) -> bool:
        """Edit the file at ``path`` and write it atomically; True when it changed.

        ``edit`` returns the new text and the fields it set (name -> text written); the new
        text must read back as the old one plus those fields (``_check_reads_back``). Raises
        ``ItemError`` (path ``""``), ``OSError`` or ``UnicodeDecodeError``, nothing written.
        """
        with self._files_lock:
            target = self._target(path)
            text = target.read_bytes().decode("utf-8")
            updated, changes = edit(text)
            if updated == text:
                return False
            _check_reads_back(text, updated, changes)
            atomic_write(target, updated.encode("utf-8"))
            return True

    def _write_map(self, item: WorkItem, number: int) -> bool:
        with self._lock:
            current = self._read_map()
            if current.entries.get(item.key) == number:
                self._sync_map = current.entries
                return False
            entries = {**current.entries, item.key: number}
            try:
                atomic_write(self._target(self._map_path), encode_sync_map(entries, current))
            except OSError as exc:
                raise ItemError(
                    self._shown(self._map_path),
                    None,
                    f"could not record '{item.key}' -> #{number} ({exc})",
                    key=item.key,
                ) from None
            self._sync_map = entries
            return True

    def _read_map(self) -> SyncMapFile:
        # Re-read so entries written by someone else since the scan are kept; by the scan's
        # own rules (BOM, line endings, bounded numbers), so what it read can be written.
        shown = self._shown(self._map_path)
        try:
            return parse_sync_map(self._target(self._map_path).read_bytes(), shown)
        except FileNotFoundError:
            return SyncMapFile()
        except OSError as exc:
            raise ItemError(
                shown, None, f"cannot be read ({exc}); write-back leaves it alone: fix it"
            ) from None
