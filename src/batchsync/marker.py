"""The hidden marker at the end of an issue body: the issue's identity (item key and content hash).

An optional ``typed`` token records that the issue has had an issue type while batchsync wrote
it (``plan.type_to_set``): an issue that lost it since was untyped by a person. The hash never
covers the tokens, so a token alone changes no content.

A leaf module (no batchsync import), so the GitHub adapter's values can read markers without
pulling in rendering, work items or YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

__all__ = ["MARKER_RE", "Marker", "format_marker", "parse_marker", "strip_marker", "with_typed"]

# Text a person appended on GitHub may follow the marker: any line matches, the last wins.
MARKER_RE = re.compile(
    r"^<!-- batchsync key=(\S+) hash=([0-9a-f]{16})(?P<typed> typed)? -->[ \t\r]*$", re.MULTILINE
)
_MARKER_LINE_RE = re.compile(r"\n*^<!-- batchsync [^\n]*-->[ \t\r]*$\n?", re.MULTILINE)


@dataclass(frozen=True)
class Marker:
    """The identity an issue carries: the item key and the hash of what was last written."""

    key: str
    content_hash: str
    typed: bool = False  # the issue had a type when batchsync wrote it (markers before: False)


def format_marker(key: str, content_hash: str, *, typed: bool = False) -> str:
    """The marker line for ``key`` (percent-encoded, so it can never end the comment early)."""
    flag = " typed" if typed else ""
    return f"<!-- batchsync key={quote(key, safe='/._~:@')} hash={content_hash}{flag} -->"


def parse_marker(body: str | None) -> Marker | None:
    """The marker in an issue body (the last one when there are several), or None."""
    found = _last(body)
    if found is None:
        return None
    typed = found.group("typed") is not None
    return Marker(key=unquote(found.group(1)), content_hash=found.group(2), typed=typed)


def with_typed(body: str, typed: bool = True) -> str:
    """``body`` with its marker (the last one) saying, or not, that the issue has had a type.

    Every other byte stays, text a person appended after the marker too: the one write that
    types an issue whose content is unchanged sends this body, so it overwrites no edit. A
    body without a marker is returned as it is.
    """
    found = _last(body)
    marker = parse_marker(body)
    if found is None or marker is None or marker.typed is typed:
        return body
    line = format_marker(marker.key, marker.content_hash, typed=typed)
    end = found.start() + len(found.group(0).rstrip(" \t\r"))  # a CRLF body keeps its CR
    return f"{body[: found.start()]}{line}{body[end:]}"


def _last(body: str | None) -> re.Match[str] | None:
    """The last marker line in ``body``: text a person appended may follow it."""
    found = None
    for found in MARKER_RE.finditer(body or ""):  # noqa: B007 - only the last match matters
        pass
    return found


def strip_marker(body: str) -> str:
    """The body without any marker line."""
    return _MARKER_LINE_RE.sub("", body).rstrip()
