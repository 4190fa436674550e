"""Splitting markdown into frontmatter and body, decoding, and safe YAML loading."""

import datetime as dt
import time
import tracemalloc

import pytest

from batchsync.errors import ItemError
from batchsync.frontmatter import (
    MAX_NODES,
    decode,
    first_heading,
    parse_document,
    scalar_text,
)


@pytest.mark.parametrize(
    ("text", "fields", "body", "body_line"),
    [
        pytest.param("---\ntitle: A\n---\nbody\n", {"title": "A"}, "body\n", 4, id="plain"),
        pytest.param(
            "---\ntitle: A\n---\none\n---\ntwo: x\n---\n",
            {"title": "A"},
            "one\n---\ntwo: x\n---\n",
            4,
            id="dashes-inside-body",
        ),
        pytest.param("# Only a heading\n", {}, "# Only a heading\n", 1, id="no-frontmatter"),
        pytest.param("---\n---\nbody", {}, "body", 3, id="empty-frontmatter"),
        pytest.param("---\ntitle: A\n...\nbody", {"title": "A"}, "body", 4, id="dots-close"),
        pytest.param("--- \ntitle: A\n---  \nbody", {"title": "A"}, "body", 4, id="fence-spaces"),
        pytest.param("---\ntitle: A\n---", {"title": "A"}, "", 4, id="no-body"),
        pytest.param("----\ntitle: A\n", {}, "----\ntitle: A\n", 1, id="four-dashes-not-fence"),
        pytest.param(
            "---\ncreated: 2025-01-10\nhours: 4\nratio: 0.5\nflag: yes\n---\n",
            {"created": dt.date(2025, 1, 10), "hours": 4, "ratio": 0.5, "flag": True},
            "",
            7,
            id="dates-and-numbers",
        ),
    ],
)
def test_parse_document_splits_fields_and_body(text, fields, body, body_line):
    doc = parse_document(text, "x.md")
    assert dict(doc.fields) == fields
    assert doc.body == body
    assert doc.body_line == body_line


def test_parse_document_records_the_line_of_each_field():
    doc = parse_document("---\nid: a\n\n# comment\ntitle: T\nnested:\n  k: v\nlast: 1\n---\n", "x")
    assert dict(doc.lines) == {"id": 2, "title": 5, "nested": 6, "last": 8}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        pytest.param("---\ntitle: A\nbody", 1, "never closed", id="unclosed"),
        pytest.param("---\n- a\n- b\n---\n", 2, "is a list", id="yaml-list"),
        pytest.param("---\njust words\n---\n", 2, "single value", id="yaml-scalar"),
        pytest.param("---\ntitle: A\nstatus: [open\n---\n", 4, "not valid YAML", id="bad-flow"),
        pytest.param("---\na: 1\n b: 2\n---\n", 3, "not valid YAML", id="bad-indent"),
        pytest.param("---\ntitle: 'x\n---\n", 3, "not valid YAML", id="open-quote"),
        pytest.param(
            "---\na: !!python/object/apply:os.system ['true']\n---\n",
            2,
            "not valid YAML",
            id="object-construction",
        ),
        pytest.param("---\nbase: &b 1\ncopy: *b\n---\n", 2, "aliases", id="alias-at-anchor"),
    ],
)
def test_parse_document_reports_bad_frontmatter_with_its_line(text, line, words):
    with pytest.raises(ItemError) as caught:
        parse_document(text, "prds/a.md")
    assert caught.value.path == "prds/a.md"
    assert caught.value.line == line
    assert words in caught.value.message


def test_alias_bomb_fails_fast_and_small():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    text = "---\n" + "\n".join(levels) + "\n---\n"
    tracemalloc.start()
    started = time.process_time()
    with pytest.raises(ItemError, match="aliases"):
        parse_document(text, "bomb.md")
    cpu = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # 10**12 values if expanded; refused before construction, so a few milliseconds and kilobytes.
    assert cpu < 1.0
    assert peak < 5_000_000


def test_too_many_values_are_refused():
    text = "---\nbig: [" + ", ".join("1" for _ in range(MAX_NODES + 1)) + "]\n---\n"
    with pytest.raises(ItemError, match=f"more than {MAX_NODES}"):
        parse_document(text, "big.md")


@pytest.mark.parametrize(
    ("data", "text"),
    [
        pytest.param(b"\xef\xbb\xbf---\ntitle: A\n---\n", "---\ntitle: A\n---\n", id="bom"),
        pytest.param(b"---\r\ntitle: A\r\n---\r\nb\r\n", "---\ntitle: A\n---\nb\n", id="crlf"),
        pytest.param(b"a\rb", "a\nb", id="cr"),
        pytest.param("titre: été\n".encode(), "titre: été\n", id="utf8"),
    ],
)
def test_decode_normalises_text(data, text):
    assert decode(data, "x.md") == text


def test_decode_refuses_non_utf8_with_the_line():
    with pytest.raises(ItemError) as caught:
        decode(b"---\ntitle: ok\nname: caf\xe9\n---\n", "prds/a.md")
    assert caught.value.line == 3
    assert "not UTF-8" in caught.value.message
    assert "0xe9" in caught.value.message


def test_decode_refuses_binary_content():
    with pytest.raises(ItemError, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00", "prds/a.md")


def test_bom_and_crlf_keep_field_lines():
    doc = parse_document(decode(b"\xef\xbb\xbf---\r\nid: a\r\ntitle: T\r\n---\r\nb", "x"), "x")
    assert dict(doc.lines) == {"id": 2, "title": 3}
    assert doc.body == "b"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("# Title\ntext", ("Title", 0)),
        ("intro\n\n#  Spaced title  \n", ("Spaced title", 2)),
        ("## Second level\n# First level ##\n", ("First level", 1)),
        ("# C# in depth\n", ("C# in depth", 0)),
        ("#hashtag\n", None),
        ("no heading", None),
    ],
)
def test_first_heading(body, expected):
    assert first_heading(body) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("", None),
        ("  two\n words ", "two words"),
        (42, "42"),
        (1.5, "1.5"),
        (True, "true"),
        (dt.date(2025, 1, 2), "2025-01-02"),
        (dt.datetime(2025, 1, 2, 3, 4, 5), "2025-01-02T03:04:05"),
        (["a"], None),
        ({"a": 1}, None),
    ],
)
def test_scalar_text(value, text):
    assert scalar_text(value) == text
