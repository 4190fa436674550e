"""The inputs table of docs/configuration.md and README's outputs table against action.yml.

README.md links to docs/configuration.md for the inputs instead of repeating them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from batchsync.cli import SYNC_FLAGS
from batchsync.config import SOURCES

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"

Row = dict[str, str]


def tables(text: str) -> list[list[Row]]:
    """Every Markdown table in ``text`` as rows keyed by the header cells (code ticks kept)."""
    found: list[list[Row]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines) - 1:
        if lines[i].startswith("|") and set(lines[i + 1].replace("|", "").strip()) <= {"-", ":"}:
            header = _cells(lines[i])
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(dict(zip(header, _cells(lines[i]), strict=False)))
                i += 1
            found.append(rows)
        else:
            i += 1
    return found


def _cells(line: str) -> list[str]:
    # A `\|` inside a cell is an escaped pipe, not a column border.
    parts = line.strip().strip("|").replace("\\|", "\x00").split("|")
    return [part.strip().replace("\x00", "|") for part in parts]


def table_starting(path: Path, first: str, *columns: str) -> list[Row]:
    """The one table of ``path`` whose first header cell is ``first`` and has ``columns``."""
    matching = [
        t
        for t in tables(path.read_text(encoding="utf-8"))
        if t and next(iter(t[0])) == first and all(c in t[0] for c in columns)
    ]
    assert len(matching) == 1, f"{path.name}: expected one `{first}` table with {columns}"
    return matching[0]


def unticked(cell: str) -> str:
    """A cell's text without the code ticks around it; an empty string is written ``""``."""
    text = cell.strip()
    if text.startswith("`") and text.endswith("`") and text.count("`") == 2:
        text = text[1:-1]
    return "" if text == '""' else text


@pytest.fixture(scope="module")
def action() -> Mapping[str, object]:
    """action.yml, parsed."""
    data = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _inputs(action: Mapping[str, object]) -> dict[str, str]:
    inputs = action["inputs"]
    assert isinstance(inputs, dict)
    return {name: str(spec.get("default", "")) for name, spec in inputs.items()}


def _flag_of(input_name: str) -> str | None:
    field = next(f for f, source in SOURCES.items() if source.name == input_name)
    return dict((f, flag) for flag, f in SYNC_FLAGS).get(field)


def test_readme_links_to_the_one_inputs_table_instead_of_repeating_it() -> None:
    assert not [t for t in tables(README.read_text(encoding="utf-8")) if "input" in t[0]]
    assert "(docs/configuration.md#inputs-and-flags)" in README.read_text(encoding="utf-8")


@pytest.mark.parametrize("doc", [CONFIGURATION], ids=lambda p: p.name)
def test_inputs_table_lists_every_input_of_action_yml_once(
    doc: Path, action: Mapping[str, object]
) -> None:
    names = [unticked(row["input"]) for row in table_starting(doc, "input", "default", "flag")]
    assert sorted(names) == sorted(_inputs(action))
    assert len(names) == len(set(names))


@pytest.mark.parametrize("doc", [CONFIGURATION], ids=lambda p: p.name)
def test_inputs_table_defaults_match_action_yml(doc: Path, action: Mapping[str, object]) -> None:
    defaults = _inputs(action)
    shown = {
        unticked(row["input"]): unticked(row["default"])
        for row in table_starting(doc, "input", "default", "flag")
    }
    assert {k: v for k, v in shown.items() if k in defaults} == defaults


@pytest.mark.parametrize("doc", [CONFIGURATION], ids=lambda p: p.name)
def test_inputs_table_flags_match_the_cli(doc: Path) -> None:
    for row in table_starting(doc, "input", "default", "flag"):
        name = unticked(row["input"])
        flag = _flag_of(name)
        if flag is None:
            assert row["flag"].startswith("(none"), f"{doc.name}: {name} has no flag"
        else:
            assert unticked(row["flag"]) == flag, f"{doc.name}: {name}"


def test_configuration_ranges_are_the_ones_the_settings_enforce() -> None:
    allowed = {source.name: source.allowed for source in SOURCES.values()}
    for row in table_starting(CONFIGURATION, "input", "allowed"):
        name = unticked(row["input"])
        assert row["allowed"] == allowed[name], f"configuration.md: {name}"


def test_configuration_lists_every_runner_variable_the_settings_read() -> None:
    read = {v for source in SOURCES.values() for v in source.env if not v.startswith("INPUT_")}
    shown = {unticked(row["variable"]) for row in table_starting(CONFIGURATION, "variable")}
    assert read <= shown


def test_configuration_runner_variable_flags_match_the_cli() -> None:
    flags = {field: flag for flag, field in SYNC_FLAGS}
    for row in table_starting(CONFIGURATION, "variable", "flag"):
        variable = unticked(row["variable"])
        field = next((f for f, s in SOURCES.items() if s.name == variable), None)
        flag = flags.get(field) if field is not None else None
        if flag is not None:
            assert unticked(row["flag"]) == flag, variable


def test_outputs_table_lists_every_output_of_action_yml(action: Mapping[str, object]) -> None:
    outputs = action["outputs"]
    assert isinstance(outputs, dict)
    names = [unticked(row["output"]) for row in table_starting(README, "output")]
    assert sorted(names) == sorted(outputs)


def test_table_reader_splits_cells_and_keeps_escaped_pipes() -> None:
    text = "| a | b |\n|---|---|\n| `x` | y \\| z |\n\nnot a table\n"
    assert tables(text) == [[{"a": "`x`", "b": "y | z"}]]
