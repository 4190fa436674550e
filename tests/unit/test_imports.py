"""Imports flow one way: what each module may reach, read from the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "batchsync"


def direct_imports(module: str) -> set[str]:
    """The modules (batchsync's as ``batchsync.x``, others by top name) ``module`` imports."""
    path = PACKAGE / (module.removeprefix("batchsync.").replace(".", "/") + ".py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "batchsync":
                found |= {f"batchsync.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
    return {n if n.startswith("batchsync.") else n.split(".")[0] for n in found}


def reach(module: str) -> set[str]:
    """Every module ``module`` imports, directly or through batchsync's own modules."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        for name in direct_imports(todo.pop()):
            if name not in seen:
                seen.add(name)
                if name.startswith("batchsync.") and name != "batchsync.emulator":
                    todo.append(name)
    return seen


@pytest.mark.parametrize(
    ("module", "never"),
    [
        # The adapter returns plain values; it knows no work items, rendering or YAML.
        ("github", {"batchsync.plan", "batchsync.items", "batchsync.render", "yaml"}),
        # Results and the summary are pure: no rate-limit or retry machinery.
        ("results", {"batchsync.ratelimit", "batchsync.retry", "tenacity"}),
        ("summary", {"batchsync.ratelimit", "batchsync.retry", "batchsync.processor", "tenacity"}),
        # Settings know no work items.
        ("config", {"batchsync.items", "batchsync.frontmatter", "yaml"}),
        # How a run ends is pure: the table and the writer know no engine, gate or adapter.
        ("report", {"batchsync.processor", "batchsync.engine", "batchsync.github", "tenacity"}),
        # The stop button is a leaf the gate reads: no engine, adapter or settings.
        ("signals", {"batchsync.processor", "batchsync.engine", "batchsync.config", "pydantic"}),
        # The rate-limit arithmetic is pure: no tenacity, no threads.
        ("ratelimit", {"tenacity", "threading", "time"}),
    ],
)
def test_a_module_never_reaches(module: str, never: set[str]) -> None:
    assert reach(f"batchsync.{module}") & never == set()


def test_the_rule_sees_an_import_through_another_module() -> None:
    assert "batchsync.remote" in reach("batchsync.plan")  # plan -> remote, directly
    assert "yaml" in reach("batchsync.plan")  # plan -> items -> frontmatter -> yaml


def test_the_settings_table_reaches_only_the_defaults() -> None:
    # The CLI reads it for --help before anything else loads.
    assert {n for n in reach("batchsync.settings_table") if n.startswith("batchsync.")} == {
        "batchsync.defaults"
    }


@pytest.mark.parametrize("leaf", ["defaults", "marker"])
def test_a_leaf_imports_no_module_of_batchsync(leaf: str) -> None:
    assert not any(name.startswith("batchsync.") for name in reach(f"batchsync.{leaf}"))
