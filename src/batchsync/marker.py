"""The hidden marker at the end of an issue body: the issue's identity.

A leaf module (no batchsync import), so the GitHub adapter's values can read markers without
pulling in rendering, work items or YAML. The marker::

    <!-- batchsync key=<item key> ns=<namespace> hash=<16 hex> [typed] [removed|kept] -->

``key`` and ``ns`` are percent-encoded. ``ns`` names the tree (the ``namespace`` input) and is
absent from markers written before namespaces existed. The optional ``typed`` token records that
the issue has had an issue type while batchsync wrote it (``plan.type_to_set``): an issue that
lost it since was untyped by a person. The last word is a flag on an issue whose item was
removed: ``removed`` when batchsync closed it as not planned, ``kept`` once a person reopened it
(batchsync never closes it again). The hash never covers the tokens, so a token alone changes
no content. Markers without ``ns``, ``typed`` or a flag read as before.

A body whose marker lines name different identities (key and namespace) holds a marker a
person pasted in (copying an issue's body copies its marker): it has no marker
(``parse_marker``) and is named by ``ambiguous_markers``, so it is never taken for either.
Several lines naming one identity (a person's edit appended a copy) are fine: the last wins.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote

__all__ = [
    "KEPT",
    "MARKER_RE",
    "NAMESPACE_MAX",
    "REMOVED",
    "Marker",
    "ambiguous_markers",
    "format_marker",
    "parse_marker",
    "remark",
    "strip_marker",
    "valid_namespace",
    "with_typed",
]

REMOVED = "removed"  # batchsync closed the issue because its item was removed
KEPT = "kept"  # a person reopened an issue batchsync closed as removed: left open for good
# Text a person appended on GitHub may follow the marker: any line matches, the last wins.
MARKER_RE = re.compile(
    r"^<!-- batchsync key=(\S+)(?: ns=(?P<ns>\S+))? hash=([0-9a-f]{16})(?P<typed> typed)?"
    r"(?: (?P<flag>removed|kept))? -->[ \t\r]*$",
    re.MULTILINE,
)
_MARKER_LINE_RE = re.compile(r"\n*^<!-- batchsync [^\n]*-->[ \t\r]*$\n?", re.MULTILINE)
_SAFE = "/._~:@"
NAMESPACE_MAX = 200  # characters of a namespace (the ``namespace`` setting says it to users)


def valid_namespace(value: str) -> bool:
    """Whether ``value`` can name a tree: the one rule for the ``namespace`` setting and for
    its default (the work-item folder), and for a namespace a marker names before a message
    advises setting it. The marker percent-encodes it, so only what no input, marker or
    message should hold is refused: empty (a marker naming no tree), more than
    ``NAMESPACE_MAX`` characters, a control, format or line-separator character, ``-->``."""
    return (
        0 < len(value) <= NAMESPACE_MAX
        and "-->" not in value
        and not any(unicodedata.category(c)[0] in "CZ" and c != " " for c in value)
    )


@dataclass(frozen=True)
class Marker:
    """The identity an issue carries: item key, tree, hash of what was last written, tokens."""

    key: str
    content_hash: str
    typed: bool = False  # the issue had a type when batchsync wrote it (markers before: False)
    namespace: str = ""  # "" for a marker written before namespaces
    flag: str = ""  # "", REMOVED or KEPT

    def in_tree(self, namespace: str) -> bool:
        """Whether the marker is the tree ``namespace``'s: it names it, or no tree (written
        before namespaces: ``plan.index_issues`` decides whose such a marker is)."""
        return self.namespace in ("", namespace)


def format_marker(
    key: str, content_hash: str, *, typed: bool = False, namespace: str = "", flag: str = ""
) -> str:
    """The marker line for ``key`` (percent-encoded, so it can never end the comment early)."""
    ns = f" ns={quote(namespace, safe=_SAFE)}" if namespace else ""
    tokens = (" typed" if typed else "") + (f" {flag}" if flag else "")
    return f"<!-- batchsync key={quote(key, safe=_SAFE)}{ns} hash={content_hash}{tokens} -->"


def parse_marker(body: str | None) -> Marker | None:
    """The marker in an issue body (the last one when several name its identity), or None,
    also when its marker lines name different identities (``ambiguous_markers``)."""
    found = _markers(body)
    if not found or len({(m.key, m.namespace) for m in found}) > 1:
        return None
    return found[-1]


def ambiguous_markers(body: str | None) -> tuple[Marker, ...]:
    """The markers of a body whose marker lines name different identities (key, namespace),
    one per identity, in order; () for a body with one identity or none."""
    seen: dict[tuple[str, str], Marker] = {}
    for marker in _markers(body):
        seen.setdefault((marker.key, marker.namespace), marker)
    return tuple(seen.values()) if len(seen) > 1 else ()


def _markers(body: str | None) -> list[Marker]:
    """Every marker line of ``body``, parsed, in order."""
    return [_parsed(found) for found in MARKER_RE.finditer(body or "")]


def _parsed(found: re.Match[str]) -> Marker:
    """One marker line, parsed."""
    return Marker(
        key=unquote(found.group(1)),
        content_hash=found.group(3),
        typed=found.group("typed") is not None,
        namespace=unquote(found.group("ns") or ""),
        flag=found.group("flag") or "",
    )


def _line(marker: Marker) -> str:
    return format_marker(
        marker.key,
        marker.content_hash,
        typed=marker.typed,
        namespace=marker.namespace,
        flag=marker.flag,
    )


def remark(body: str, marker: Marker) -> str:
    """``body`` with its (last) marker line replaced by ``marker``; every other byte stays,
    but for the identity of the earlier lines naming the same one (copies a person's edit
    kept): they name ``marker``'s too, so a new namespace never leaves a second identity
    behind (``ambiguous_markers`` would take the body for a paste).

    Text a person appended after the marker stays too, and a CRLF body keeps its CR. A body
    without a marker gets one at its end.
    """
    found = list(MARKER_RE.finditer(body))
    if not found:
        return f"{body}\n\n{_line(marker)}"
    mine = _parsed(found[-1])
    parts: list[str] = []
    at = 0
    for line in found:
        copy = _parsed(line)
        if (copy.key, copy.namespace) != (mine.key, mine.namespace):
            continue
        renamed = dataclasses.replace(copy, key=marker.key, namespace=marker.namespace)
        if line is not found[-1] and renamed == copy:
            continue  # a copy whose identity stays: its bytes stay
        end = line.start() + len(line.group(0).rstrip(" \t\r"))
        parts += [body[at : line.start()], _line(marker if line is found[-1] else renamed)]
        at = end
    return "".join(parts) + body[at:]


def with_typed(body: str, typed: bool = True) -> str:
    """``body`` with its marker (the last one) saying, or not, that the issue has had a type.

    Every other byte stays, text a person appended after the marker too: the one write that
    types an issue whose content is unchanged sends this body, so it overwrites no edit. A
    body without a marker is returned as it is.
    """
    marker = parse_marker(body)
    if marker is None or marker.typed is typed:
        return body
    return remark(body, dataclasses.replace(marker, typed=typed))


def strip_marker(body: str) -> str:
    """The body without any marker line."""
    return _MARKER_LINE_RE.sub("", body).rstrip()
