"""Splitting markdown into frontmatter and body, decoding, and safe YAML loading."""

import datetime as dt
import time
import tracemalloc

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from batchsync.errors import ItemError
from batchsync.frontmatter import (
    MAX_NODES,
    _load_mapping,
    _Loader,
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
        pytest.param("---\ntitle: A\nstatus: [open\n---\n", 3, "not valid YAML", id="bad-flow"),
        pytest.param("---\na: 1\n b: 2\n---\n", 3, "not valid YAML", id="bad-indent"),
        pytest.param("---\ntitle: 'x\n---\n", 2, "not valid YAML", id="open-quote"),
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


# Each YAML syntax error, the fields around it; line 3 of the file is the one at fault.
@pytest.mark.parametrize(
    ("at_fault", "fix"),
    [
        pytest.param("title: [bad", "end it with `]`", id="unclosed-flow-sequence"),
        pytest.param("title: [a, [b]", "end it with `]`", id="unclosed-nested-sequence"),
        pytest.param("title: {bad: 1", "end it with `}`", id="unclosed-flow-mapping"),
        pytest.param("labels: [a,\n  b", "end it with `]`", id="unclosed-across-lines"),
        pytest.param("labels: [", "end it with `]`", id="bracket-alone"),
        pytest.param("labels: {", "end it with `}`", id="brace-alone"),
        pytest.param('title: "bad', "end it with the same quote", id="unclosed-double-quote"),
        pytest.param("title: 'bad", "end it with the same quote", id="unclosed-single-quote"),
        pytest.param("just words", "add the `: `", id="line-without-colon"),
        pytest.param("  status: open", "indent the line like the fields", id="over-indented"),
        pytest.param("\tstatus: open", "indent with spaces, not tabs", id="tab-indent"),
        pytest.param("title: [a] b", "quote its value", id="text-after-a-list"),
        pytest.param('title: "a" b', "quote its value", id="text-after-a-quote"),
        pytest.param("title: [a]: b", "quote a value that holds `: `", id="colon-after-list"),
        pytest.param('title: "a \\q"', "write a backslash as", id="bad-escape"),
        pytest.param("title: |x", "write `|` or `>` alone", id="block-scalar-indicator"),
    ],
)
@pytest.mark.parametrize("used", [None, frozenset({"name", "title", "status", "labels"})])
def test_a_yaml_error_names_the_line_to_fix_and_the_fix(at_fault, fix, used):
    """Where PyYAML noticed (the end of the block, for an unclosed `[` or quote) is not where
    the person must look: the line named is the one where the bad construct begins."""
    text = f"---\nname: a\n{at_fault}\nstatus: open\nother: 1\n---\nbody\n"
    with pytest.raises(ItemError) as caught:
        parse_document(text, "prds/a.md", used=used)
    assert (caught.value.path, caught.value.line) == ("prds/a.md", 3)
    assert caught.value.message.startswith("frontmatter is not valid YAML (")
    assert fix in caught.value.message


def test_a_block_scalar_line_that_is_not_indented_is_the_line_named():
    text = "---\nname: a\nsummary: |\nnot indented\nstatus: open\n---\n"
    with pytest.raises(ItemError) as caught:
        parse_document(text, "prds/a.md")
    assert caught.value.line == 4
    assert "indent it under its field" in caught.value.message


def test_an_unused_field_left_out_is_noted_on_the_line_it_begins():
    text = "---\nname: a\nmeta: {a: 1,\n  b: 2\nstatus: open\n---\n"
    doc = parse_document(text, "prds/a.md", used=frozenset({"name", "status"}))
    assert doc.fields == {"name": "a", "status": "open"}
    ((line, note),) = doc.notes
    assert line == 3
    assert note.startswith("`meta` is not valid YAML (the `{` mapping begun on this line")


@pytest.mark.parametrize("title", ["A", "A *bold* & more"], ids=["by-field", "whole-block"])
def test_a_key_written_twice_is_seen_however_the_block_is_read(title):
    """A `*` or `&` anywhere sends the block to PyYAML whole: the repeat is still seen."""
    text = f"---\nid: a\ntitle: {title}\nstatus: open\nstatus: closed\n---\n"
    doc = parse_document(text, "prds/a.md", used=frozenset({"id", "title", "status"}))
    assert doc.fields["status"] == "closed"
    assert dict(doc.repeated) == {"status": (4, 5)}
    assert doc.lines["status"] == 5


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
    text = "---\nbig:\n" + "".join("  - 1\n" for _ in range(MAX_NODES + 1)) + "---\n"
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


# --- the fast path must agree with PyYAML's safe loader exactly --------------------------------

_KEYS = ["id", "title", "name", "status", "on", "Yes", "null", "_x", "a-b", "k9"]
_TRICKY = [
    "",
    "~",
    "null",
    "yes",
    "No",
    "oN",
    "001",
    "010",
    "0x1f",
    "1_000",
    "1:30",
    "1.5",
    ".5",
    "1e5",
    "1.0e+5",
    ".inf",
    "-.inf",
    ".nan",
    "+12",
    "-0",
    "2025-01-10",
    "2025-13-45",
    "2025-02-01T09:30:00Z",
    "2025-02-01 09:30:00",
    "2025-02-01T09:30:00+02:00",
    "33%",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "x:",
    "https://github.com/o/r/issues/1",
    "[Will be updated when synced to GitHub]",
    "[]",
    "[001, 002]",
    "[a, b, ]",
    "[a, [b]]",
    "[a: b]",
    "[a, 'b']",
    '"quoted: yes"',
    "'single'",
    "'it''s'",
    '"esc\\n"',
    "&anchor x",
    "*alias",
    "!!str 1",
    "|",
    ">",
    "-",
    "- a",
    "@at",
    "`tick",
    "%pct",
    "{a: 1}",
    "é",
    "日本",
    "a\u2028b",
    "=",
    "<<",
    "9" * 20,
    "9" * 21,
    "9" * 5000,
    "0x" + "f" * 30,
    "1:2:3:4:5:6:7:8:9:10:11",
    "[1, " + "9" * 30 + "]",
]


def _same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


def _check_against_pyyaml(text):
    """Our reading of ``text`` is the safe loader's: same fields and types, or an error with it."""
    try:
        loaded = yaml.load(text, Loader=_Loader)  # the safe loader, C or Python
    except (yaml.YAMLError, ValueError, TypeError):
        loaded = _ERROR
    try:
        mapping = _load_mapping(text, "x.md", 2)
        ours, lines = mapping.fields, mapping.lines
    except ItemError as error:
        refused = error.message
    else:
        refused = None
    if refused is not None:
        # Refused: PyYAML refused too, or the frontmatter is not a mapping or uses aliases.
        assert loaded is _ERROR or not isinstance(loaded, dict) or "aliases" in refused, text
        return
    assert isinstance(loaded, dict | type(None)), text
    loaded = {str(k): v for k, v in (loaded or {}).items()}
    assert list(ours) == list(loaded), text
    assert set(lines) == set(ours), text
    for key, value in loaded.items():
        assert _same(ours[key], value), (text, key, ours[key], value)


_ERROR = object()


@pytest.mark.parametrize("value", _TRICKY)
def test_fields_match_pyyaml_on_tricky_values(value):
    _check_against_pyyaml(f"title: {value}\nstatus: open\n")


_CONTINUATIONS = [
    "",
    "# a comment",
    "  - item",
    "- item",
    "  nested: value",
    "  more words",
    "\tindented with a tab",
    "  'quoted'",
    "  ]",
    "]",
    "b]",
    'rest"',
    "-x",
    "  &anchor y",
    "  *anchor",
    "  |",
]


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(
                st.sampled_from(_KEYS),
                st.one_of(
                    st.sampled_from([*_TRICKY, "|", ">-", "", "[a,", '"open', "{a: 1,"]),
                    st.text(
                        alphabet=st.sampled_from(list("aZ09 _-.:,#'\"[]{}!&*|>%@`~+=/é\t")),
                        max_size=12,
                    ),
                ),
                st.sampled_from(["", " ", "  "]),
            ).map(lambda t: f"{t[0]}:{t[2]}{t[1]}"),
            st.sampled_from(_CONTINUATIONS),
        ),
        max_size=8,
    )
)
def test_fields_match_pyyaml_on_generated_frontmatter(lines):
    _check_against_pyyaml("\n".join(lines))


@pytest.mark.parametrize(
    "text",
    [
        "title: A\nreview:\n  owner: ana\n  needed: [x, y]\nstatus: open\n",
        "title: A\ntags:\n- a\n- b\n# note\nstatus: open\n",
        "body: |\n  line one\n\n  line two\nnext: 1\n",
        "title: A\nbad: [1,\n2]\n",
        'title: "multi\nline"\n',
        "a: &x 1\nb: *x\n",
        "title: A\ntitle: B\n",
    ],
)
def test_fields_match_pyyaml_on_mixed_frontmatter(text):
    _check_against_pyyaml(text)


def test_line_of_each_field_with_nested_values():
    text = "title: A\nreview:\n  owner: ana\n\nstatus: open\nlist:\n- a\n"
    assert _load_mapping(text, "x.md", 2).lines == {"title": 2, "review": 3, "status": 6, "list": 7}


def test_long_ints_stay_text_so_no_later_str_or_int_can_raise():
    huge = "9" * 5000
    text = f"---\na: {huge}\nb: 0x{'f' * 5000}\nc: [1, {huge}]\nd: |\n  x\ne: {'9' * 20}\n---\n"
    fields = parse_document(text, "x.md").fields
    assert fields["a"] == huge
    assert fields["b"] == "0x" + "f" * 5000
    assert fields["c"] == [1, huge]
    assert fields["e"] == int("9" * 20)
