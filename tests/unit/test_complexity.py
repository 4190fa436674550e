"""No product function is more complex than 15 (cyclomatic, as radon counts it; emulator apart).

The same measure as ``radon cc -s -n C src/batchsync --exclude 'src/batchsync/emulator/*'``:
a function past the limit is doing two things and is split before it lands.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Function

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "batchsync"
LIMIT = 15


def _functions(blocks: list[Function]) -> Iterator[Function]:
    for block in blocks:
        yield block
        yield from _functions(list(block.closures))


def too_complex(code: str, where: str) -> list[str]:
    """``where:line name (complexity)`` for every function and method of ``code`` over LIMIT."""
    blocks = [b for b in cc_visit(code) if isinstance(b, Function)]  # methods come as functions
    return [
        f"{where}:{f.lineno} {f.fullname} ({f.complexity})"
        for f in _functions(blocks)
        if f.complexity > LIMIT
    ]


def test_no_product_function_is_more_complex_than_the_limit() -> None:
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if "/emulator/" not in rel:
            found += too_complex(path.read_text(encoding="utf-8"), rel)
    assert found == [], "split these functions:\n" + "\n".join(found)


def branchy(kind: str, branches: int) -> str:
    """A method (``kind`` "method") or a closure with ``branches`` ifs: complexity branches + 1."""
    body = "".join(f"        if x == {n}:\n            return {n}\n" for n in range(branches))
    if kind == "method":
        return "class A:\n    def m(self, x):\n" + body + "        return 0\n"
    return "def outer():\n    def inner(x):\n" + body + "        return 0\n    return inner\n"


def test_the_rule_finds_a_branchy_method_and_a_branchy_closure() -> None:
    code = branchy("method", LIMIT) + branchy("closure", LIMIT)
    assert sorted(line.split(" ")[1] for line in too_complex(code, "x.py")) == ["A.m", "inner"]
    at_the_limit = branchy("method", LIMIT - 1) + branchy("closure", LIMIT - 1)
    assert too_complex(at_the_limit, "x.py") == []
