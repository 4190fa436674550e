"""One table per setting (``batchsync.settings_table``): the settings model, ``--help``,
action.yml and docs/configuration.md all say what it says, and ``scripts/settings_docs.py``
regenerates the files from it."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from batchsync import cli
from batchsync.config import Settings, load_settings
from batchsync.errors import SettingsError
from batchsync.settings_table import TABLE, Setting, Unit

ROOT = Path(__file__).resolve().parents[2]
INPUTS = [s for s in TABLE if not s.runner]
RANGED = [s for s in TABLE if s.bounds]


@pytest.fixture(scope="module")
def script() -> ModuleType:
    """scripts/settings_docs.py, imported."""
    spec = importlib.util.spec_from_file_location(
        "settings_docs", ROOT / "scripts/settings_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["settings_docs"] = module
    spec.loader.exec_module(module)
    return module


def test_the_generated_files_are_up_to_date(script: ModuleType) -> None:
    # Fails after a setting changed in the table without `scripts/settings_docs.py --write`.
    assert script.stale() == []
    assert script.main(["--check"]) == 0


def test_the_check_sees_a_hand_edit(script: ModuleType) -> None:
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    edited = text.replace("Allowed: a whole number from 1 to 100.", "Allowed: 1..100.")
    assert edited != text
    assert script._action(edited) == text  # --write puts the table's words back


def test_every_field_of_the_settings_model_has_one_entry() -> None:
    assert [s.field for s in TABLE] == list(Settings.model_fields)


@pytest.mark.parametrize("setting", TABLE, ids=lambda s: s.name)
def test_the_model_takes_default_and_description_from_the_table(setting: Setting) -> None:
    info = Settings.model_fields[setting.field]
    assert info.description == setting.description
    if setting.field != "workspace":  # the current directory, when the run starts
        assert info.default == setting.default


@pytest.mark.parametrize("setting", RANGED, ids=lambda s: s.name)
def test_the_range_enforced_is_the_range_stated(setting: Setting) -> None:
    """The edge values the allowed text names are accepted; one step past them is refused with
    that text."""
    step = 1 if setting.unit is Unit.WHOLE else 0.5
    edges = [setting.low + (step if setting.above else 0)] if setting.low is not None else []
    edges += [setting.high] if setting.high is not None else []
    past = [setting.low - (0 if setting.above else step)] if setting.low is not None else []
    past += [setting.high + step] if setting.high is not None else []
    for value in edges:
        assert getattr(load_settings({setting.field: value}, env={}), setting.field) == value
    for value in past:
        with pytest.raises(SettingsError) as caught:
            load_settings({setting.field: value}, env={})
        assert setting.allowed in str(caught.value)


def _sync_help() -> dict[str, str]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sync = sub.choices["sync"]
    return {a.dest: (a.help or "") for a in sync._actions}


@pytest.mark.parametrize("setting", [s for s in TABLE if s.flag], ids=lambda s: s.name)
def test_help_says_what_the_table_says(setting: Setting) -> None:
    shown = _sync_help()[setting.field].replace("%%", "%")
    assert shown.startswith(setting.description)
    if setting.unit is not Unit.FLAG:
        assert setting.allowed in shown
    if setting.default is not None:
        assert f"default {setting.shown_default}" in shown


@pytest.mark.parametrize("setting", INPUTS, ids=lambda s: s.name)
def test_action_yml_says_what_the_table_says(setting: Setting) -> None:
    data = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    spec = data["inputs"][setting.name]
    assert str(spec["default"]) == setting.shown_default
    flat = " ".join(spec["description"].split())
    assert flat.lower().startswith(" ".join(setting.description.split()).lower())
    if setting.unit is not Unit.FLAG:
        assert flat.endswith(f"Allowed: {setting.allowed}.")


def test_action_yml_has_no_input_the_table_lacks() -> None:
    data = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert list(data["inputs"]) == [s.name for s in INPUTS]
