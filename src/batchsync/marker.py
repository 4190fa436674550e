"""The hidden marker at the end of an issue body: the issue's identity.

A leaf module (no batchsync import), so the GitHub adapter's values can read markers without
pulling in rendering, work items or YAML. The marker::

    <!-- batchsync key=<item key> ns=<namespace> hash=<16 hex> [removed|kept] -->

``key`` and ``ns`` are percent-encoded. ``ns`` names the tree (the ``namespace`` input) and is
absent from markers written before namespaces existed. The last word is a flag on an issue whose
item was removed: ``removed`` when batchsync closed it as not planned, ``kept`` once a person
reopened it (batchsync never closes it again). Markers without ``ns`` or a flag read as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

__all__ = [
    "KEPT",
    "MARKER_RE",
    "REMOVED",
    "Marker",
    "format_marker",
    "parse_marker",
    "remark",
    "strip_marker",
]

REMOVED = "removed"  # batchsync closed the issue because its item was removed
KEPT = "kept"  # a person reopened an issue batchsync closed as removed: left open for good
# Text a person appended on GitHub may follow the marker: any line matches, the last wins.
MARKER_RE = re.compile(
    r"^<!-- batchsync key=(\S+)(?: ns=(\S+))? hash=([0-9a-f]{16})(?: (removed|kept))? -->[ \t\r]*$",
    re.MULTILINE,
)
_MARKER_LINE_RE = re.compile(r"\n*^<!-- batchsync [^\n]*-->[ \t\r]*$\n?", re.MULTILINE)
_SAFE = "/._~:@"


@dataclass(frozen=True)
class Marker:
    """The identity an issue carries: item key, tree, hash of what was last written, flag."""

    key: str
    content_hash: str
    namespace: str = ""  # "" for a marker written before namespaces
    flag: str = ""  # "", REMOVED or KEPT


def format_marker(key: str, content_hash: str, namespace: str = "", flag: str = "") -> str:
    """The marker line for ``key`` (percent-encoded, so it can never end the comment early)."""
    ns = f" ns={quote(namespace, safe=_SAFE)}" if namespace else ""
    last = f" {flag}" if flag else ""
    return f"<!-- batchsync key={quote(key, safe=_SAFE)}{ns} hash={content_hash}{last} -->"


def _last(body: str | None) -> re.Match[str] | None:
    if not body:
        return None
    found = None
    for found in MARKER_RE.finditer(body):  # noqa: B007 - only the last match matters
        pass
    return found


def parse_marker(body: str | None) -> Marker | None:
    """The marker in an issue body (the last one when there are several), or None."""
    found = _last(body)
    if found is None:
        return None
    key, namespace, content_hash, flag = found.groups()
    return Marker(unquote(key), content_hash, unquote(namespace or ""), flag or "")


def remark(body: str, marker: Marker) -> str:
    """``body`` with its (last) marker line replaced by ``marker``; the rest byte for byte."""
    found = _last(body)
    line = format_marker(marker.key, marker.content_hash, marker.namespace, marker.flag)
    if found is None:
        return f"{body}\n\n{line}"
    return body[: found.start()] + line + body[found.end() :]


def strip_marker(body: str) -> str:
    """The body without any marker line."""
    return _MARKER_LINE_RE.sub("", body).rstrip()
