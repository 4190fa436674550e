"""Markdown files with a YAML frontmatter block: decode, split and load them safely, with lines.

Pure: works on bytes and text already read. YAML is loaded with the safe loader only (no object
construction), and anchors/aliases are refused before construction so an alias bomb costs nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from batchsync.errors import ItemError

__all__ = [
    "MAX_INT_CHARS",
    "MAX_NODES",
    "Document",
    "Fences",
    "decode",
    "find_fences",
    "first_heading",
    "parse_document",
    "read_value",
    "scalar_text",
]

# More YAML nodes than any hand-written frontmatter has; bounds the work a hostile file can cause.
MAX_NODES = 5_000

# An int written with more characters than this stays text. No field batchsync reads needs more,
# and a longer one is hostile: int() refuses 4,300 decimal digits, str() of a 5,000-digit hex
# int raises, and sexagesimal ``1:2:3:...`` grows as 60**n.
MAX_INT_CHARS = 20
_INT_TAG = "tag:yaml.org,2002:int"
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _bounded_int(constructor: Any, node: yaml.ScalarNode) -> object:
    """PyYAML's int, or the scalar's text when it is longer than ``MAX_INT_CHARS``."""
    text = str(node.value)
    if len(text) > MAX_INT_CHARS:
        return text
    return yaml.constructor.SafeConstructor.construct_yaml_int(constructor, node)


def _lenient_timestamp(constructor: Any, node: yaml.ScalarNode) -> object:
    """PyYAML's date or datetime; the text itself for an impossible one (``2026-82-23``).

    Dates are never used by batchsync: a wrong one must not fail the file.
    """
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(constructor, node)
    except (ValueError, OverflowError):
        return str(node.value)


class _Loader(_SafeLoader):  # type: ignore[valid-type,misc]
    """The safe loader (C when available) with bounded ints."""


class _Constructor(yaml.constructor.SafeConstructor):
    """The safe constructor with bounded ints, for the fast path's rare forms."""


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
for _class in (_Loader, _Constructor):
    _class.add_constructor(_INT_TAG, _bounded_int)
    _class.add_constructor(_TIMESTAMP_TAG, _lenient_timestamp)
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
    notes: tuple[tuple[int, str], ...] = ()  # (line, text): what a lenient read forgave
    repeated: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # key -> its lines


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


@dataclass(frozen=True)
class Fences:
    """Where the frontmatter block is in LF text: the YAML between the fences, then the body."""

    yaml_start: int  # offset just after the opening line
    yaml_end: int  # offset of the closing line
    body_start: int  # offset just after the closing line
    closing_line: int  # 0-based line number of the closing line


def find_fences(text: str, path: str) -> Fences | None:
    """The frontmatter fences of ``text`` (LF line endings, no BOM), or None when it has none.

    The one rule, for reading and for write-back: the first line is ``---`` (trailing blanks
    allowed); the block ends at the first later line that is ``---`` or ``...``. A block that is
    never closed raises ``ItemError``.
    """
    if not text.startswith("---"):
        return None
    first_newline = text.find("\n")
    opening = text if first_newline < 0 else text[:first_newline]
    if opening.rstrip() != "---":
        return None
    end = None if first_newline < 0 else _FENCE_END.search(text, first_newline + 1)
    if end is None:
        raise ItemError(
            path, 1, "frontmatter opened with --- is never closed: add a --- line after it"
        )
    closing_line = text.count("\n", 0, end.start())
    return Fences(first_newline + 1, end.start(), end.end() + 1, closing_line)


def parse_document(text: str, path: str, *, used: frozenset[str] | None = None) -> Document:
    """Split ``text`` into frontmatter and body; raise ``ItemError`` with the line of a problem.

    With ``used`` (the fields the caller reads), the frontmatter is read leniently: a field not
    in ``used`` that YAML cannot read is left out with a note instead of failing the file, and a
    one-line text field with an unquoted ``: `` is read as the text it plainly is (with a note).
    """
    fences = find_fences(text, path)
    if fences is None:
        return Document(body=text)
    yaml_text = text[fences.yaml_start : fences.yaml_end]
    loaded = _load_mapping(yaml_text, path, first_line=2, used=used)
    body_line = fences.closing_line + 2
    return Document(
        loaded.fields,
        loaded.lines,
        text[fences.body_start :],
        body_line,
        has_frontmatter=True,
        notes=tuple(loaded.notes),
        repeated={k: tuple(v) for k, v in loaded.repeated.items()},
    )


def read_value(text: str) -> object:
    """What a frontmatter field written as ``name: <text>`` holds when the scanner reads it.

    Raises ``ItemError`` (path ``""``) when such a line is not valid YAML.
    """
    return _load_yaml(f"value: {text}\n", "", 1)[0].get("value")


@dataclass
class _Loaded:
    """Fields as read, the line of each, every line of a key written twice, and notes."""

    fields: dict[str, object] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    repeated: dict[str, list[int]] = field(default_factory=dict)  # key -> every line it is on
    notes: list[tuple[int, str]] = field(default_factory=list)

    def one(self, key: str, value: object, line: int) -> None:
        """Add one field (the last copy of a repeated key wins, as in PyYAML)."""
        if key in self.lines:
            self.repeated.setdefault(key, [self.lines[key]]).append(line)
        self.fields[key] = value
        self.lines[key] = line

    def add(self, more_fields: Mapping[str, object], keys: Sequence[tuple[str, int]]) -> None:
        """Add fields read together, ``keys`` each key's line in order (repeats included)."""
        for key, line in keys:
            if key in more_fields:
                self.one(key, more_fields[key], line)
        for key, value in more_fields.items():
            if key not in self.lines:  # a key that is no scalar: it has no line of its own
                self.one(key, value, 0)


def _load_mapping(
    yaml_text: str, path: str, first_line: int, used: frozenset[str] | None = None
) -> _Loaded:
    """Load the frontmatter YAML as a mapping of fields and the line of each.

    Each top-level field is read on its own: one-line ones by the fast path, the others by
    PyYAML. Should any field fail alone, the whole block goes to PyYAML, so that what is accepted,
    and every error, is exactly PyYAML's; unless ``used`` is given and the field is not in it
    (then it is left out with a note), or it is a one-line text with an unquoted colon.
    """
    # Anchors and aliases reach across fields: such a block is read (and refused) as a whole.
    entries = None if "&" in yaml_text or "*" in yaml_text else _split_fields(yaml_text)
    if entries is None:
        return _whole(yaml_text, path, first_line)
    loaded = _Loaded()
    try:
        for offset, head, chunk in entries:
            line = first_line + offset
            pair = _simple_line(head) if chunk is None else None
            if pair is not None:
                loaded.one(pair[0], pair[1], line)
                continue
            try:
                loaded.add(*_load_yaml(chunk or head, path, line))
            except ItemError as error:
                if used is None or not _forgive(
                    loaded, head=head, chunk=chunk, line=line, used=used, error=error
                ):
                    raise
    except ItemError:
        return _whole(yaml_text, path, first_line)
    return loaded


def _whole(yaml_text: str, path: str, first_line: int) -> _Loaded:
    loaded = _Loaded()
    loaded.add(*_load_yaml(yaml_text, path, first_line))
    return loaded


def _forgive(
    loaded: _Loaded,
    *,
    head: str,
    chunk: str | None,
    line: int,
    used: frozenset[str],
    error: ItemError,
) -> bool:
    """Keep reading past a field YAML refused, when nothing depends on it; True when forgiven."""
    key, _, rest = head.partition(":")
    value = rest.strip()
    if key in used:
        if chunk is not None or ": " not in value or value[:1] in "[{\"'|>&*!%@`#":
            return False
        loaded.one(key, value, line)
        loaded.notes.append((line, f"`{key}` has an unquoted `: `; read as text: quote the value"))
        return True
    problem = error.message.removeprefix("frontmatter is not valid YAML ").rpartition("): ")[0]
    problem = f"{problem})" if problem else "(unreadable)"
    loaded.notes.append((line, f"`{key}` is not valid YAML {problem}; left out (not used)"))
    return True


def _split_fields(text: str) -> list[tuple[int, str, str | None]] | None:
    """The top-level fields: (0-based line, first line, its exact text when more than one line).

    None when a line at the left margin neither starts a ``key:`` nor continues one.
    """
    entries: list[tuple[int, str, str | None]] = []
    head: str | None = None  # the current field's first line
    start = begin = 0  # its line number and character offset
    multi = False  # it has more than blank lines and comments after its first line
    position = 0
    for offset, line in enumerate(text.split("\n")):
        here, position = position, position + len(line) + 1
        if line[:1] in ("", " ", "\t", "-", "#") or line.isspace():
            if line.strip() and not line.startswith("#"):
                if head is None:
                    return None  # a list or an indented block before any field
                multi = True
            continue
        key, colon, _ = line.partition(":")
        if not colon or not _KEY.fullmatch(key):
            return None
        if head is not None:
            entries.append((start, head, text[begin:here] if multi else None))
        head, start, begin, multi = line, offset, here, False
    if head is not None:
        entries.append((start, head, text[begin:] if multi else None))
    return entries


def _load_yaml(
    yaml_text: str, path: str, first_line: int
) -> tuple[dict[str, object], list[tuple[str, int]]]:
    """Load YAML text that must be a mapping: its fields, and each key's line in order."""
    loader = _Loader(yaml_text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, []
        _check_nodes(node, path, first_line)
        if not isinstance(node, yaml.MappingNode):
            what = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            raise ItemError(
                path,
                first_line + node.start_mark.line,
                f"frontmatter is {what}, not a mapping of fields: write one `name: value` a line",
            )
        keys = [
            (str(_scalar_key(key)), first_line + key.start_mark.line)
            for key, _ in node.value
            if isinstance(key, yaml.ScalarNode)
        ]
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        offset, problem, fix = _yaml_problem(error, yaml_text)
        raise ItemError(
            path, first_line + offset, f"frontmatter is not valid YAML ({problem}): {fix}"
        ) from None
    except (
        yaml.YAMLError,
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
        AttributeError,  # PyYAML's constructor on `!!timestamp foo`
        LookupError,  # ... and on `!!bool foo`
    ) as error:
        raise ItemError(
            path, first_line, f"frontmatter is not valid YAML ({error}): fix its syntax"
        ) from None
    finally:
        loader.dispose()
    return {str(k): v for k, v in data.items()}, keys


# A construct that opens on one line and must close later: PyYAML notices the missing end
# where the text runs out (lines further on), but the person must look where it began.
_FLOW_OPENERS: dict[type[yaml.Token], tuple[str, str]] = {
    yaml.FlowSequenceStartToken: (
        "the `[` list begun on this line is not closed",
        "end it with `]`, or quote the whole value",
    ),
    yaml.FlowMappingStartToken: (
        "the `{` mapping begun on this line is not closed",
        "end it with `}`, or quote the whole value",
    ),
}
# Words of PyYAML's context (C and pure-Python loaders), whose mark is where the construct began.
_OPENERS: tuple[tuple[str, str, str], ...] = (
    (
        "quoted scalar",
        "the quoted text begun on this line is not closed",
        "end it with the same quote (in single quotes, write a quote inside as two)",
    ),
    (
        "simple key",
        "this line is not `name: value` and not indented under a field",
        "add the `: `, indent it under its field, or remove it",
    ),
)
# Words of PyYAML's context or problem -> the fix, for the errors it names on the line at fault.
_FIXES: tuple[tuple[str, str], ...] = (
    ("block scalar", "write `|` or `>` alone at the end of the line, the text indented below it"),
    (
        "mapping values are not allowed",
        "quote a value that holds `: `, or indent the line like the fields around it",
    ),
    ("escape", "write a backslash as `\\\\` in double quotes, or use single quotes"),
    ("expected key", "indent the line like the fields around it, or quote its value"),
    ("block end", "indent the line like the fields around it, or quote its value"),
)


def _yaml_problem(error: yaml.MarkedYAMLError, yaml_text: str) -> tuple[int, str, str]:
    """(0-based line to look at, what is wrong, the fix) for a PyYAML syntax error."""
    context, problem = error.context or "", error.problem or error.context or "unreadable"
    noticed = error.problem_mark or error.context_mark
    line = noticed.line if noticed is not None else 0
    unclosed = _unclosed(error, yaml_text, line)
    if unclosed is not None:
        return unclosed
    lines = yaml_text.split("\n")
    if "\t" in (lines[line] if line < len(lines) else ""):
        # libyaml does not always say a tab is the cause ("cannot start any token").
        return line, problem, "indent with spaces, not tabs"
    said = f"{context} {problem}"
    return line, problem, next((f for words, f in _FIXES if words in said), "fix its syntax")


def _unclosed(
    error: yaml.MarkedYAMLError, yaml_text: str, noticed: int
) -> tuple[int, str, str] | None:
    """(line, what, fix) of a construct begun before line ``noticed`` and never closed."""
    context = error.context or ""
    opener = _unclosed_flow(yaml_text) if "flow" in context else None
    if opener is not None and opener.start_mark.line < noticed:
        wrong, fix = _FLOW_OPENERS[type(opener)]
        return opener.start_mark.line, wrong, fix
    began = error.context_mark
    if began is None or began.line >= noticed:
        return None
    return next(
        ((began.line, wrong, fix) for words, wrong, fix in _OPENERS if words in context), None
    )


def _unclosed_flow(yaml_text: str) -> yaml.Token | None:
    """The innermost ``[`` or ``{`` still open where the scanner stops (PyYAML does not say
    where the collection began when the text ends inside it)."""
    open_tokens: list[yaml.Token] = []
    try:
        for token in yaml.scan(yaml_text, Loader=_Loader):
            if type(token) in _FLOW_OPENERS:
                open_tokens.append(token)
            elif open_tokens and isinstance(
                token, yaml.FlowSequenceEndToken | yaml.FlowMappingEndToken
            ):
                open_tokens.pop()
    except yaml.YAMLError:
        pass  # the error being explained: the collections open so far are the answer
    return open_tokens[-1] if open_tokens else None


# --- the fast path ------------------------------------------------------------------------------
# Most fields are one `key: value` line with a plain, quoted or [flow, list] value. Those are read
# here with exactly PyYAML's safe-loader results (property-tested against it) at a fraction of
# its cost; anything else (nesting, block scalars, tags, anchors) goes to PyYAML.

_MISS = object()
_SPECIAL: dict[str, object] = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
}
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_WORD = re.compile(r"[^\W\d_][\w .,/()!?%+=@'\"-]*")  # starts with a letter: YAML keeps it text
_INT = re.compile(r"0|[1-9][0-9]*")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_UTC = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
# Plain scalars PyYAML resolves by its regexes alone; flow-list items may not hold ":" or quotes.
_SAFE = re.compile(r"(?:\w|[-+.][0-9])[\w .,/()!?%+=@:'\"-]*")
_FLOW_ITEM = re.compile(r"(?:\w|[-+.][0-9])[\w ./()!?%+=@-]*")
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = _Constructor()


# Lines such as `status: open` or `github_issue: null` repeat across a tree: remember the answer
# (lists as tuples, so a caller changing its list cannot change the remembered one).
_LINE_MEMO: dict[str, tuple[str, object]] = {}
_LINE_MEMO_SIZE = 4_096


def _simple_line(line: str) -> tuple[str, object] | None:
    """(key, value) of one ``key: value`` line, or None when it needs the full parser."""
    known = _LINE_MEMO.get(line)
    if known is not None:
        key, value = known
        return key, list(value) if isinstance(value, tuple) else value
    key, colon, rest = line.partition(":")
    if not colon or rest[:1] not in ("", " ") or key in _SPECIAL or not _KEY.fullmatch(key):
        return None
    value = _simple_value(rest.strip(" "))
    if value is _MISS:
        return None
    if len(_LINE_MEMO) >= _LINE_MEMO_SIZE:
        _LINE_MEMO.clear()
    _LINE_MEMO[line] = (key, tuple(value) if isinstance(value, list) else value)
    return key, value


def _simple_value(text: str) -> object:
    """A one-line value as PyYAML reads it, or ``_MISS`` when that needs the full parser."""
    if text.startswith("["):
        return _flow_list(text)
    if text[:1] == '"':
        inner = text[1:-1]
        ok = len(text) > 1 and text.endswith('"') and '"' not in inner and "\\" not in inner
        return inner if ok and inner.isprintable() else _MISS
    if text[:1] == "'":
        inner = text[1:-1]
        ok = len(text) > 1 and text.endswith("'") and "'" not in inner
        return inner if ok and inner.isprintable() else _MISS
    return _plain(text, _SAFE)


def _flow_list(text: str) -> object:
    """A one-line ``[a, b]`` list as PyYAML reads it, or ``_MISS``."""
    if not text.endswith("]"):
        return _MISS
    inner = text[1:-1].strip()
    if not inner:
        return []
    parts = [item.strip() for item in inner.split(",")]
    if len(parts) > MAX_NODES:  # PyYAML's path refuses it; so must this one
        return _MISS
    items = [_plain(part, _FLOW_ITEM) if part else _MISS for part in parts]
    return _MISS if any(item is _MISS for item in items) else items


def _plain(text: str, allowed: re.Pattern[str]) -> object:
    """A plain scalar resolved the YAML 1.1 way (as PyYAML's resolver does), or ``_MISS``."""
    if text in _SPECIAL:
        return _SPECIAL[text]
    if _WORD.fullmatch(text) and allowed.fullmatch(text):
        return text
    if _INT.fullmatch(text):
        return int(text) if len(text) <= MAX_INT_CHARS else text  # as ``_bounded_int``
    if _DATE.fullmatch(text) or _UTC.fullmatch(text):
        return _timestamp(text)
    if not allowed.fullmatch(text) or ": " in text or text.endswith((":", " ")):
        return _MISS
    return _by_pyyaml(text)


def _timestamp(text: str) -> object:
    """``2025-01-10`` as a date, ``2025-01-10T09:30:00Z`` as an aware datetime (as PyYAML)."""
    try:
        if len(text) == 10:
            return dt.date(int(text[:4]), int(text[5:7]), int(text[8:10]))
        parts = [int(text[a:b]) for a, b in ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))]
        year, month, day, hour, minute, second = parts
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except ValueError:
        return _MISS


_resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = _RESOLVER.resolve


def _by_pyyaml(text: str) -> object:
    """One plain scalar through PyYAML's own resolver and constructor (the rare forms)."""
    node = yaml.ScalarNode(_resolve(yaml.ScalarNode, text, (True, False)), text)
    try:
        return _CONSTRUCTOR.yaml_constructors[node.tag](_CONSTRUCTOR, node)
    except (KeyError, ValueError, yaml.YAMLError):
        return _MISS


def _scalar_key(node: yaml.ScalarNode) -> object:
    """A mapping key as the safe loader builds it (``on`` is True), so lines match fields."""
    build = _CONSTRUCTOR.yaml_constructors.get(node.tag)
    try:
        return build(_CONSTRUCTOR, node) if build is not None else node.value
    except (ValueError, yaml.YAMLError):
        return node.value


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
