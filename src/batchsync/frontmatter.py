"""Markdown files with a YAML frontmatter block: decode, split and load them safely, with lines.

Pure: works on bytes and text already read. YAML is loaded with the safe loader only (no object
construction), and anchors/aliases are refused before construction so an alias bomb costs nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from batchsync.errors import ItemError

__all__ = ["MAX_NODES", "Document", "decode", "first_heading", "parse_document", "scalar_text"]

# More YAML nodes than any hand-written frontmatter has; bounds the work a hostile file can cause.
MAX_NODES = 5_000

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FENCE_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_HEADING = re.compile(r"^#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Document:
    """A markdown file split into its frontmatter fields and body."""

    fields: Mapping[str, object] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)  # field -> 1-based line in the file
    body: str = ""
    body_line: int = 1  # 1-based line where the body starts
    has_frontmatter: bool = False


def decode(data: bytes, path: str) -> str:
    """UTF-8 text (a leading BOM dropped, CRLF and CR as LF); binary or other encodings refused."""
    if b"\0" in data:
        raise ItemError(path, None, "binary file (it contains NUL bytes), not markdown: remove it")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise ItemError(
            path, line, f"not UTF-8 text (byte 0x{byte:02x}): save the file as UTF-8"
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def parse_document(text: str, path: str) -> Document:
    """Split ``text`` into frontmatter and body; raise ``ItemError`` with the line of a problem."""
    if not text.startswith("---"):
        return Document(body=text)
    first_newline = text.find("\n")
    opening = text if first_newline < 0 else text[:first_newline]
    if opening.rstrip() != "---":
        return Document(body=text)
    end = None if first_newline < 0 else _FENCE_END.search(text, first_newline + 1)
    if end is None:
        raise ItemError(
            path, 1, "frontmatter opened with --- is never closed: add a --- line after it"
        )
    yaml_text = text[first_newline + 1 : end.start()]
    fields, lines = _load_mapping(yaml_text, path, first_line=2)
    body_start = end.end() + 1
    body_line = text.count("\n", 0, end.start()) + 2
    return Document(fields, lines, text[body_start:], body_line, has_frontmatter=True)


def _load_mapping(
    yaml_text: str, path: str, first_line: int
) -> tuple[dict[str, object], dict[str, int]]:
    """Load the frontmatter YAML as a mapping of fields and the line of each."""
    loader = _Loader(yaml_text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        _check_nodes(node, path, first_line)
        if not isinstance(node, yaml.MappingNode):
            what = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            raise ItemError(
                path,
                first_line + node.start_mark.line,
                f"frontmatter is {what}, not a mapping of fields: write one `name: value` a line",
            )
        lines = {
            str(key.value): first_line + key.start_mark.line
            for key, _ in node.value
            if isinstance(key, yaml.ScalarNode)
        }
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + mark.line if mark is not None else first_line
        problem = error.problem or error.context or "unreadable"
        raise ItemError(
            path, line, f"frontmatter is not valid YAML ({problem}): fix its syntax"
        ) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as error:
        raise ItemError(
            path, first_line, f"frontmatter is not valid YAML ({error}): fix its syntax"
        ) from None
    finally:
        loader.dispose()
    return {str(k): v for k, v in data.items()}, lines


def _check_nodes(root: yaml.Node, path: str, first_line: int) -> None:
    """Refuse anchors/aliases (a node reached twice) and oversized documents, before building."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise ItemError(
                path,
                first_line + node.start_mark.line,
                "YAML anchors and aliases (&name, *name) are not supported in frontmatter: "
                "write the values out",
            )
        seen.add(id(node))
        if len(seen) > MAX_NODES:
            raise ItemError(path, first_line, f"frontmatter has more than {MAX_NODES} values")
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)


def first_heading(body: str) -> tuple[str, int] | None:
    """The text of the first ``# `` heading and its 0-based line within ``body``."""
    match = _HEADING.search(body)
    if match is None:
        return None
    return match.group(1).strip(), body.count("\n", 0, match.start())


def scalar_text(value: object) -> str | None:
    """A YAML scalar as text (dates in ISO form); None for null, empty text or a list/mapping."""
    if value is None or isinstance(value, list | dict):
        return None
    if isinstance(value, dt.date):  # datetime is a date too
        text = value.isoformat()
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text or None
