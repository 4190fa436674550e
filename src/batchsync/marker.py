"""The hidden marker at the end of an issue body: the issue's identity (item key and content hash).

A leaf module (no batchsync import), so the GitHub adapter's values can read markers without
pulling in rendering, work items or YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

__all__ = ["MARKER_RE", "Marker", "format_marker", "parse_marker", "strip_marker"]

# Text a person appended on GitHub may follow the marker: any line matches, the last wins.
MARKER_RE = re.compile(r"^<!-- batchsync key=(\S+) hash=([0-9a-f]{16}) -->[ \t\r]*$", re.MULTILINE)
_MARKER_LINE_RE = re.compile(r"\n*^<!-- batchsync [^\n]*-->[ \t\r]*$\n?", re.MULTILINE)


@dataclass(frozen=True)
class Marker:
    """The identity an issue carries: the item key and the hash of what was last written."""

    key: str
    content_hash: str


def format_marker(key: str, content_hash: str) -> str:
    """The marker line for ``key`` (percent-encoded, so it can never end the comment early)."""
    return f"<!-- batchsync key={quote(key, safe='/._~:@')} hash={content_hash} -->"


def parse_marker(body: str | None) -> Marker | None:
    """The marker in an issue body (the last one when there are several), or None."""
    if not body:
        return None
    found = None
    for found in MARKER_RE.finditer(body):  # noqa: B007 - only the last match matters
        pass
    if found is None:
        return None
    return Marker(key=unquote(found.group(1)), content_hash=found.group(2))


def strip_marker(body: str) -> str:
    """The body without any marker line."""
    return _MARKER_LINE_RE.sub("", body).rstrip()
