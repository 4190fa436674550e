"""Write-back: record each item's issue in its file and in ``sync-map.json``, atomically.

Opt-in (``write-back``). Local-mode files get ``github_issue: N`` and their entry in the flat
``<base>/sync-map.json``; CCPM files get ``github: <issue URL>``. Only the link line changes:
every other byte of the file stays as it was. Each write goes to a temporary file in the same
folder, is flushed to disk, and replaces the original in one rename, so a run killed at any
moment leaves either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from batchsync.errors import ItemError
from batchsync.frontmatter import decode, find_fences, parse_document, scalar_text
from batchsync.items import USED_FIELDS, Layout, LinkSource, WorkItem
from batchsync.syncmap import SYNC_MAP_NAME, SyncMapFile, encode_sync_map, parse_sync_map

__all__ = ["SYNC_MAP_NAME", "WriteBack", "atomic_write", "set_link_field"]

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # the line breaks decode() knows


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


def set_link_field(text: str, name: str, value: str) -> str:
    """``text`` with its frontmatter field ``name`` set to ``value``; nothing else changes.

    The frontmatter block is found by the scanner's own rule (``find_fences``). A missing field
    is added as the frontmatter's last line; a file without frontmatter gets one. A value spread
    over indented lines below the field is replaced as a whole. Line endings (LF, CRLF, CR) and
    a BOM are kept. Raises ``ItemError`` (path ``""``) for a block that is never closed.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = _LINE.findall(text[len(bom) :])
    newline = _ending(lines[0], "\n") if lines else "\n"
    normal = "".join(line.rstrip("\r\n") + "\n" for line in lines)
    fences = find_fences(normal, "")
    if fences is None:
        return f"{bom}---{newline}{name}: {value}{newline}---{newline}{text[len(bom) :]}"
    end = fences.closing_line
    field_re = re.compile(rf"^{re.escape(name)}[ \t]*:")
    spans = []
    for i in range(1, end):
        if field_re.match(lines[i]):
            spans.append((i, _value_end(lines, i + 1, end)))
    if not spans:
        lines.insert(end, f"{name}: {value}{newline}")
    # Every copy of a repeated field is set: YAML readers differ on which one counts.
    for i, stop in reversed(spans):
        lines[i:stop] = [f"{name}: {value}{_ending(lines[stop - 1], newline)}"]
    return bom + "".join(lines)


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


def _check_reads_back(before: str, after: str, name: str, value: str) -> None:
    """Raise ``ItemError`` unless the scanner reads ``after`` as ``before`` with the new link.

    A safety net for frontmatter laid out in ways a line edit cannot follow (an indented block,
    say): the file is then left as it was rather than written in a shape that no longer parses.
    """
    try:
        old = parse_document(decode(before.encode(), ""), "", used=USED_FIELDS)
        new = parse_document(decode(after.encode(), ""), "", used=USED_FIELDS)
    except ItemError:
        same = False
    else:
        others = {k: v for k, v in new.fields.items() if k != name}
        same = (
            scalar_text(new.fields.get(name)) == value
            and new.body == old.body
            and others == {k: v for k, v in old.fields.items() if k != name}
        )
    if not same:
        raise ItemError("", None, "its frontmatter is laid out in a way write-back cannot edit")


def _ending(line: str, default: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            return ending
    return default


class WriteBack:
    """Records each item's issue locally, right after it exists; safe across worker threads."""

    def __init__(
        self, base: Path, sync_map: Mapping[str, int], *, workspace: Path | None = None
    ) -> None:
        self.base = base
        self._map_path = base / SYNC_MAP_NAME
        self._sync_map: dict[str, object] = dict(sync_map)
        self._workspace = workspace
        self._boundary = (workspace or base).resolve()
        self._lock = threading.Lock()

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
        path = self.base / item.path
        try:
            target = self._target(path)
            text = target.read_bytes().decode("utf-8")
            updated = set_link_field(text, name, value)
            if updated == text:
                return False
            _check_reads_back(text, updated, name, value)
            atomic_write(target, updated.encode("utf-8"))
        except ItemError as exc:  # the frontmatter block is never closed
            reason = exc.message
        except (OSError, UnicodeDecodeError) as exc:
            reason = str(exc)
        else:
            return True
        raise ItemError(
            self._shown(path),
            item.line_of(name),
            f"could not record issue #{number} in the file ({reason}); "
            "the issue exists, the next run finds it by its marker",
            key=item.key,
        )

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
