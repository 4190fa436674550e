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


# ---- one retry layer: ``batchsync.retry`` ------------------------------------------------------

# Errors a request may be retried or resent on: catching one inside a loop is a retry loop.
RETRIED = {"ApiError", "RateLimitError", "ServerError", "TransportError", "UncertainWriteError"}


def _caught(node: ast.expr | None) -> set[str]:
    """The exception names an ``except`` clause catches (a bare one catches everything)."""
    if node is None:
        return {"BaseException"}
    if isinstance(node, ast.Tuple):
        return set().union(*(_caught(e) for e in node.elts))
    if isinstance(node, ast.Name):
        return {node.id}
    return {node.attr} if isinstance(node, ast.Attribute) else set()


def retry_loops(code: str, where: str) -> list[str]:
    """``where:line`` of every loop that catches a request's error, or that sleeps, inside."""
    found: list[str] = []
    for loop in ast.walk(ast.parse(code)):
        if not isinstance(loop, ast.For | ast.While):
            continue
        for node in ast.walk(loop):
            catches = isinstance(node, ast.ExceptHandler) and _caught(node.type) & (
                RETRIED | {"Exception", "BaseException"}
            )
            call = node.func if isinstance(node, ast.Call) else None
            sleeps = isinstance(call, ast.Name | ast.Attribute) and (
                (call.id if isinstance(call, ast.Name) else call.attr) in {"sleep", "_sleep"}
            )
            if catches or sleeps:
                found.append(f"{where}:{loop.lineno}")
                break
    return found


def _product_modules() -> list[tuple[str, str]]:
    """(module path, source) for every product module but the emulator."""
    return [
        (p.relative_to(PACKAGE.parent).as_posix(), p.read_text(encoding="utf-8"))
        for p in sorted(PACKAGE.rglob("*.py"))
        if "emulator" not in p.relative_to(PACKAGE).parts
    ]


# The retry policy, and the gate that sleeps for it and paces every request.
RETRY_LAYER = {"batchsync/retry.py", "batchsync/processor.py"}


def test_no_module_but_the_retry_layer_loops_on_a_failed_request() -> None:
    found = [
        hit
        for where, code in _product_modules()
        if where not in RETRY_LAYER
        for hit in retry_loops(code, where)
    ]
    assert found == [], "move these loops onto retry.RetryPolicy (call or resend):\n" + "\n".join(
        found
    )


def test_only_the_retry_policy_imports_tenacity() -> None:
    modules = [where.removesuffix(".py").replace("/", ".") for where, _ in _product_modules()]
    assert {m for m in modules if "tenacity" in direct_imports(m)} == {"batchsync.retry"}


def _loop(head: str, caught: str) -> str:
    return f"{head}:\n    try:\n        f()\n    except {caught}:\n        pass\n"


@pytest.mark.parametrize(
    ("code", "hits"),
    [
        (_loop("for i in range(3)", "UncertainWriteError"), 1),
        (_loop("while True", "(ValueError, errors.ServerError)"), 1),
        ("while x:\n    time.sleep(1)\n", 1),
        (_loop("for i in range(3)", "ItemError"), 0),  # a bad item, not a failed request
        ("try:\n    f()\nexcept ServerError:\n    pass\n", 0),  # no loop
    ],
)
def test_the_rule_finds_a_hand_written_retry_loop(code: str, hits: int) -> None:
    assert len(retry_loops(code, "x.py")) == hits


# ---- one declaration of each interface ----------------------------------------------------------


def protocol_methods(code: str, where: str) -> dict[str, str]:
    """``method name -> where:Class`` for the methods of every ``Protocol`` class of ``code``."""
    found: dict[str, str] = {}
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ClassDef) and any(
            (b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")) == "Protocol"
            for b in node.bases
        ):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[item.name] = f"{where}:{node.name}"
    return found


def test_no_method_is_declared_by_two_protocols() -> None:
    seen: dict[str, str] = {}
    twice: list[str] = []
    for where, code in _product_modules():
        for name, owner in protocol_methods(code, where).items():
            if name in seen and name != "__call__":
                twice.append(f"{name}: {seen[name]} and {owner}")
            seen.setdefault(name, owner)
    assert twice == [], "declare each once and import it:\n" + "\n".join(twice)


def test_the_client_interface_is_the_adapter_s() -> None:
    methods = protocol_methods((PACKAGE / "github.py").read_text(encoding="utf-8"), "github")
    assert {"create_issue", "update_issue", "get_parent", "add_blocked_by"} <= set(methods)
