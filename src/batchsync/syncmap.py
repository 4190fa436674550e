"""``sync-map.json``: one reader and one writer, so a scan and a write-back agree on every byte.

Pure: works on bytes already read. The file is UTF-8 JSON, with or without a BOM and with LF,
CRLF or CR line endings; a rewrite keeps the BOM and the line ending it found. Numbers are
bounded before ``int()`` reads them (``int()`` of 5,000 digits raises).

The flat form ``{"prd-001": 100}`` is the contract; ClaudeAutoPM's grouped form
(``{"prd-to-issue": {...}, "metadata": {...}}``) is read too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from batchsync.errors import ItemError
from batchsync.frontmatter import decode

__all__ = [
    "SYNC_MAP_NAME",
    "SyncMapFile",
    "encode_sync_map",
    "map_pairs",
    "parse_sync_map",
]

SYNC_MAP_NAME = "sync-map.json"
_BOM = b"\xef\xbb\xbf"
_LONGEST_INT = 20  # digits; a longer number stays text and is reported, never read by int()


@dataclass(frozen=True)
class SyncMapFile:
    """The sync map as read: its JSON object, and the encoding details a rewrite keeps."""

    entries: dict[str, object] = field(default_factory=dict)
    bom: bool = False
    newline: str = "\n"
    text: str = field(default="", repr=False)  # decoded, LF line endings

    def line_of(self, key: str) -> int | None:
        """The 1-based line where ``key`` is first written (as a JSON string), if found."""
        at = self.text.find(json.dumps(key, ensure_ascii=False))
        if at < 0:
            at = self.text.find(json.dumps(key))
        return None if at < 0 else self.text.count("\n", 0, at) + 1


def _bounded_int(digits: str) -> object:
    """JSON's integers: a longer one than any issue number stays text (reported by the caller)."""
    return digits if len(digits.lstrip("-")) > _LONGEST_INT else int(digits)


def parse_sync_map(data: bytes, shown: str) -> SyncMapFile:
    """The sync map's JSON object; ``ItemError`` (with the line) when it is not usable."""
    text = decode(data, shown)  # BOM, CRLF/CR, UTF-8: the rules of every file batchsync reads
    try:
        raw = json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as error:
        raise ItemError(shown, error.lineno, f"sync map is not valid JSON: {error.msg}") from None
    except (ValueError, RecursionError):  # nested too deep
        raise ItemError(
            shown, None, 'sync map is not usable JSON: write a flat object like {"prd-001": 100}'
        ) from None
    if not isinstance(raw, dict):
        raise ItemError(shown, 1, 'sync map must be an object like {"prd-001": 100}')
    newline = "\r\n" if b"\r\n" in data else "\r" if b"\r" in data else "\n"
    return SyncMapFile(raw, bom=data.startswith(_BOM), newline=newline, text=text)


def encode_sync_map(entries: Mapping[str, object], like: SyncMapFile | None = None) -> bytes:
    """The bytes of a sync map holding ``entries``, in the BOM and line ending of ``like``."""
    like = like or SyncMapFile()
    text = json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    if like.newline != "\n":
        text = text.replace("\n", like.newline)
    return (_BOM if like.bom else b"") + text.encode("utf-8")


def map_pairs(raw: Mapping[str, object]) -> Iterator[tuple[str, object]]:
    """(key, issue) pairs of the flat form, and of the ``*-to-issue`` groups."""
    for key, value in raw.items():
        if isinstance(value, dict) and key.endswith("-to-issue"):
            yield from ((str(k), v) for k, v in value.items())
        elif not (key == "metadata" and isinstance(value, dict)):
            yield key, value
