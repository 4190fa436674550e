"""Properties (hypothesis): the parser fails only with our error; plans and renderings are stable.

The frontmatter parser is fed arbitrary text, arbitrary bytes and YAML assembled from the
tokens that break parsers (anchors, tags, flow brackets, quotes, huge numbers, odd dates, merge
keys, directives); whatever comes in, the only exception allowed out is ``ItemError``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from batchsync.errors import ItemError
from batchsync.frontmatter import Document, decode, parse_document, scalar_text
from batchsync.items import scan

FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TOKENS = [
    "id",
    "title",
    "name",
    "status",
    "github_issue",
    "github",
    "labels",
    "dependencies",
    "prd_id",
    "epic_id",
    "estimated_hours",
    ": ",
    ":",
    " ",
    "  ",
    "\t",
    "\n",
    "\n  ",
    "\n- ",
    "- ",
    "? ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "!!python/object/apply:os.system ",
    "!!binary ",
    "!!set ",
    "!!omap ",
    "!!timestamp ",
    "!!int ",
    "!!float ",
    "!local ",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "[",
    "]",
    "{",
    "}",
    ",",
    '"',
    "'",
    "\\x",
    "\\u",
    "\\U0010ffff",
    "|",
    ">-",
    "#",
    "...",
    "---",
    "null",
    "~",
    "true",
    "yes",
    "0x1f",
    "0o17",
    "1e999",
    "-.inf",
    ".nan",
    "9" * 5_000,
    "2025-13-45",
    "2025-02-30",
    "2025-01-01T25:61:00Z",
    "1:20:30",
    "\u202e",
    "\x85",
    "\ufeff",
    "\x1b[31m",
    "\x01",
    '"\\ud800"',
    "日本",
    "https://github.com/o/r/issues/12",
    "#12",
]

yamlish = st.lists(st.sampled_from(TOKENS) | st.text(max_size=6), max_size=40).map("".join)


def document(frontmatter: str, body: str = "body\n") -> str:
    return f"---\n{frontmatter}\n---\n{body}"


def parsed(text: str) -> Document | ItemError:
    """The document, or the ``ItemError`` it was refused with; anything else propagates."""
    try:
        return parse_document(text, "prds/x.md")
    except ItemError as error:
        return error


@FAST
@given(st.text())
def test_parser_raises_only_item_error_on_any_text(text: str) -> None:
    assert isinstance(parsed(text), Document | ItemError)


@FAST
@given(yamlish, st.text(max_size=50))
@example("id: " + "9" * 5_000, "")  # one plain value too long for int(): a ValueError once
@example("a: &x [*x]", "")
def test_parser_raises_only_item_error_on_hostile_yaml(frontmatter: str, body: str) -> None:
    doc = parsed(document(frontmatter, body))
    if isinstance(doc, ItemError):
        assert doc.path == "prds/x.md"
        assert doc.line is None or doc.line >= 1
        return
    for value in doc.fields.values():
        scalar_text(value)  # every value the parser lets through can be read as text


@FAST
@given(st.binary(max_size=300))
def test_decode_and_parse_raise_only_item_error_on_any_bytes(data: bytes) -> None:
    try:
        text = decode(b"---\n" + data, "prds/x.md")
    except ItemError:
        return
    assert isinstance(parsed(text), Document | ItemError)


# Words YAML reads as booleans or null are left out: as keys they stop being text.
YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
keys = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda k: not k.startswith("_") and k not in YAML_WORDS
)
values = st.text("ABCxyz019 .-", min_size=1, max_size=20).map(lambda v: "v" + v.strip())


@FAST
@given(st.dictionaries(keys, values, min_size=1, max_size=8), st.integers(0, 3))
def test_each_field_line_points_at_its_key(fields: dict[str, str], blank: int) -> None:
    lines = [f"{key}: {value}" for key, value in fields.items()]
    text = "---\n" + "\n" * blank + "\n".join(lines) + "\n---\nbody\n"
    doc = parse_document(text, "prds/x.md")
    rows = text.split("\n")
    for key in fields:
        assert rows[doc.lines[key] - 1].startswith(f"{key}:")


@SLOW
@given(yamlish, st.sampled_from(["prds/prd-001-x.md", "epics/e/epic.md", "epics/e/001.md"]))
def test_scanner_turns_any_file_into_an_item_or_one_error(frontmatter: str, rel: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / ".claude"
        path = base / rel
        path.parent.mkdir(parents=True)
        path.write_text(document(frontmatter), encoding="utf-8")
        result = scan(base, workspace=Path(folder))
    assert len(result.items) + len(result.errors) == 1
