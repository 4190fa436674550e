"""Workflow commands and GITHUB_OUTPUT entries: GitHub's escaping rules, as a table."""

from __future__ import annotations

import io
import json

import pytest

from batchsync import workflow
from runner_env import parse_outputs


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("", "", ""),
        ("100%", "100%25", "100%25"),
        ("%0A literally", "%250A literally", "%250A literally"),
        ("two\nlines", "two%0Alines", "two%0Alines"),
        ("crlf\r\nend", "crlf%0D%0Aend", "crlf%0D%0Aend"),
        ("a:b", "a:b", "a%3Ab"),
        ("a,b", "a,b", "a%2Cb"),
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
        ("k=v", "k=v", "k=v"),
        ("50%,\n:", "50%25,%0A:", "50%25%2C%0A%3A"),
        ("é ü 中", "é ü 中", "é ü 中"),
    ],
)
def test_escape_data_and_property_table(raw: str, data: str, prop: str) -> None:
    assert workflow.escape_data(raw) == data
    assert workflow.escape_property(raw) == prop


def test_error_carries_file_line_and_title_escaped() -> None:
    line = workflow.error("bad\nyaml: 100%", file="docs/a,b.md", line=7, title="batchsync: prd:1")
    assert (
        line == "::error file=docs/a%2Cb.md,line=7,title=batchsync%3A prd%3A1::bad%0Ayaml: 100%25"
    )


def test_error_without_file_drops_line() -> None:
    assert workflow.error("x", line=3) == "::error::x"


def test_warning_and_notice_use_their_command_names() -> None:
    assert workflow.warning("w", title="t") == "::warning title=t::w"
    assert workflow.notice("n", file="f.md") == "::notice file=f.md::n"


def test_group_and_endgroup() -> None:
    assert workflow.group("Sync: prd\nitems") == "::group::Sync: prd items"
    assert workflow.endgroup() == "::endgroup::"


def test_add_mask_masks_whole_secret_and_each_line() -> None:
    assert workflow.add_mask("ghs_abc") == ["::add-mask::ghs_abc"]
    assert workflow.add_mask("one\ntwo") == [
        "::add-mask::one%0Atwo",
        "::add-mask::one",
        "::add-mask::two",
    ]


def test_add_mask_of_empty_secret_prints_nothing() -> None:
    assert workflow.add_mask("") == []
    assert workflow.add_mask("  ") == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("prd-001", "prd-001"),
        ("two\nlines", "two lines"),
        ("::add-mask::x", "| ::add-mask::x"),
        ("  ::error::x", "|   ::error::x"),
        ("##[error]x", "##\\[error]x"),
        ("a ##[add-mask]x", "a ##\\[add-mask]x"),
        ("\u3000::error::x", "| \u3000::error::x"),
        ("a ::b", "a ::b"),
    ],
)
def test_a_line_in_actions_cannot_issue_a_command(text: str, shown: str) -> None:
    assert workflow.Out(io.StringIO(), actions=True).render(text) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain é 中", "plain é 中"),
        ("a\nb\r\nc\td", "a b  c d"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("\x9b1m", "\\x9b1m"),
        ("nul\x00", "nul\\x00"),
        ("rtl\u202eevil\u200f", "rtl\\u202eevil\\u200f"),
        ("zwj 👩\u200d💻 kept", "zwj 👩\u200d💻 kept"),
        ("byte \udcff", "byte \\xff"),
        ("tag \U000e0041", "tag \\U000e0041"),
        ("line\u2028sep", "line sep"),
    ],
)
def test_clean_shows_control_and_invisible_characters(raw: str, shown: str) -> None:
    assert workflow.clean(raw) == shown


def test_clean_keeps_line_breaks_for_a_commands_message_and_cuts_long_text() -> None:
    assert workflow.clean("a\nb\x00", keep_breaks=True) == "a\nb\\x00"
    assert workflow.clean("x" * 50, limit=10) == "x" * 9 + "… (41 more characters)"


def test_redact_takes_out_secrets_and_every_token_shape() -> None:
    text = "s3cret and ghp_abc, x/github_pat_11AB_cd, 7ghs_zz and gho_1 ghu_2 ghr_3"
    assert workflow.redact(text, ["s3cret"]) == "*** and ***, x/***, 7*** and *** *** ***"
    assert workflow.looks_like_token("repository: ghs_x")
    assert not workflow.looks_like_token("ghost_writer")


def test_outside_actions_only_the_commands_rule_is_off() -> None:
    out = workflow.Out(io.StringIO(), actions=False, secrets=["tok"])
    assert out.render("::error::x tok \x1b") == "::error::x *** \\x1b"


def test_json_text_is_ascii_and_holds_no_legacy_command() -> None:
    text = workflow.json_text({"k": "##[error]x \u202e é"})
    assert text.isascii()
    assert "##[" not in text
    assert json.loads(text) == {"k": "##[error]x \u202e é"}


def test_say_prints_each_line_of_a_text_and_a_command_as_is() -> None:
    stream = io.StringIO()
    out = workflow.Out(stream, actions=True)
    out.say("one\n::two")
    out.say(workflow.error("x\ny", title="t"))
    out.mask("sec")
    out.mask("sec")  # once
    assert stream.getvalue().splitlines() == [
        "one",
        "| ::two",
        "::error title=t::x%0Ay",
        "::add-mask::sec",
    ]


def test_output_entry_uses_heredoc_form() -> None:
    entry = workflow.output_entry("total", "3", delimiter=lambda: "EOF_1")
    assert entry == "total<<EOF_1\n3\nEOF_1\n"


def test_output_entry_keeps_multiline_value() -> None:
    entry = workflow.output_entry("list", "a\nb\n", delimiter=lambda: "D")
    assert entry == "list<<D\na\nb\n\nD\n"


def test_output_entry_redraws_delimiter_found_in_value() -> None:
    marks = iter(["EOF", "EOF", "SAFE"])
    entry = workflow.output_entry("x", "line\nEOF\nname=evil", delimiter=lambda: next(marks))
    assert entry == "x<<SAFE\nline\nEOF\nname=evil\nSAFE\n"


def test_output_entry_gives_up_when_every_delimiter_collides() -> None:
    with pytest.raises(ValueError, match="no delimiter"):
        workflow.output_entry("x", "EOF", delimiter=lambda: "EOF")


@pytest.mark.parametrize("name", ["", "a\nb", "a<<b", "a\rb"])
def test_output_entry_refuses_bad_names(name: str) -> None:
    with pytest.raises(ValueError, match="invalid output name"):
        workflow.output_entry(name, "v")


def test_default_delimiters_are_random() -> None:
    entries = [workflow.output_entry("x", "v") for _ in range(5)]
    marks = {e.split("<<", 1)[1].split("\n", 1)[0] for e in entries}
    assert len(marks) == 5
    assert all(m.startswith("ghadelimiter_") for m in marks)


def test_output_entries_parse_back_like_the_runner() -> None:
    values = {"a": "1", "b": "x\ny", "c": "", "d": "b<<EOF\nEOF"}
    text = "".join(workflow.output_entry(k, v) for k, v in values.items())
    assert parse_outputs(text) == values
