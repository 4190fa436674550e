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
import json
import os
import re
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from batchsync.errors import ItemError
from batchsync.items import Layout, LinkSource, WorkItem

__all__ = ["SYNC_MAP_NAME", "WriteBack", "atomic_write", "set_link_field"]

SYNC_MAP_NAME = "sync-map.json"
_DELIMITER = re.compile(r"^---[ \t]*\r?$")


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync, rename."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
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

    A missing field is added as the frontmatter's last line; a file without frontmatter gets
    one. A value spread over indented lines below the field is replaced as a whole.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = text[len(bom) :].splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if not lines or not _DELIMITER.match(lines[0]):
        return f"{bom}---{newline}{name}: {value}{newline}---{newline}{text[len(bom) :]}"
    end = next((i for i in range(1, len(lines)) if _DELIMITER.match(lines[i])), None)
    if end is None:
        raise ValueError("the frontmatter has no closing '---' line")
    field_re = re.compile(rf"^{re.escape(name)}[ \t]*:")
    for i in range(1, end):
        if field_re.match(lines[i]):
            stop = i + 1
            while stop < end and lines[stop][:1] in (" ", "\t"):
                stop += 1  # an indented continuation of the old value
            ending = _ending(lines[i], newline)
            lines[i:stop] = [f"{name}: {value}{ending}"]
            return bom + "".join(lines)
    lines.insert(end, f"{name}: {value}{newline}")
    return bom + "".join(lines)


def _ending(line: str, default: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    return "\n" if line.endswith("\n") else default


class WriteBack:
    """Records each item's issue locally, right after it exists; safe across worker threads."""

    def __init__(
        self, base: Path, sync_map: Mapping[str, int], *, workspace: Path | None = None
    ) -> None:
        self.base = base
        self._map_path = base / SYNC_MAP_NAME
        self._sync_map: dict[str, object] = dict(sync_map)
        self._workspace = workspace
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

    def _write_field(self, item: WorkItem, number: int, url: str) -> bool:
        name = item.link_field
        value = str(number) if item.layout is Layout.LOCAL else url
        path = self.base / item.path
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
            updated = set_link_field(text, name, value)
            if updated == text:
                return False
            atomic_write(path, updated.encode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ItemError(
                self._shown(path),
                item.line_of(name),
                f"could not record issue #{number} in the file ({exc}); "
                "the issue exists, the next run finds it by its marker",
                key=item.key,
            ) from None
        return True

    def _write_map(self, item: WorkItem, number: int) -> bool:
        with self._lock:
            current = self._read_map()
            if current.get(item.key) == number:
                self._sync_map = current
                return False
            current[item.key] = number
            try:
                data = json.dumps(current, indent=2, ensure_ascii=False) + "\n"
                atomic_write(self._map_path, data.encode("utf-8"))
            except OSError as exc:
                raise ItemError(
                    self._shown(self._map_path),
                    None,
                    f"could not record '{item.key}' -> #{number} ({exc})",
                    key=item.key,
                ) from None
            self._sync_map = current
            return True

    def _read_map(self) -> dict[str, object]:
        # Re-read so entries written by someone else since the scan are kept.
        path = self._map_path
        if path.is_symlink() or (path.exists() and not path.is_file()):
            # Never read through it: a link to /dev/zero (or a FIFO) would never end.
            raise ItemError(
                self._shown(path),
                None,
                "is a symlink or not a regular file; write-back leaves it alone: "
                "make it a plain JSON file",
            )
        if not path.exists():
            return {}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise ItemError(
                self._shown(self._map_path),
                None,
                f"is not a readable JSON object ({exc}); fix or delete it, then run again",
            ) from None
        if not isinstance(loaded, dict):
            raise ItemError(self._shown(self._map_path), None, "is not a JSON object; fix it")
        return loaded
