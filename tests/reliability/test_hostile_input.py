"""Hostile work-item trees: each bad file is one clear error, nothing crashes, no other item moves.

Every case puts one hostile file (or link) beside two good items and scans the tree. The good
items must come out exactly as they do alone; the hostile file must be either a usable item or
exactly one error naming its file; the scan must not raise. The same tree, all cases at once, then
goes through ``batchsync validate`` in a child process, plain and as an Actions step.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from relkit import batchsync_cli, item_text, write

from batchsync.frontmatter import MAX_NODES
from batchsync.items import ScanResult, scan

GOOD = {
    "prds/prd-001-good.md": item_text(
        {"id": "prd-001", "title": "Good PRD", "status": "draft"}, "Stays as it is."
    ),
    "epics/epic-001-good/epic.md": item_text(
        {"id": "epic-001", "title": "Good epic", "prd_id": "prd-001"}, "Also unchanged."
    ),
}
MB = 1_000_000


@dataclass(frozen=True)
class Case:
    """One hostile file: where it goes, how it is made, and what the scan must say about it."""

    name: str
    rel: str  # the hostile path relative to the base folder
    make: Callable[[Path, str, Path], None]  # (base folder, rel, a folder outside the workspace)
    error: str | None  # words the one error must contain; None: the file is a usable item
    line: int | None = None  # the line the error must name, when it has one

    def __str__(self) -> str:
        return self.name


def content(text: str | bytes) -> Callable[[Path, str, Path], None]:
    def make(base: Path, rel: str, _outside: Path) -> None:
        write(base, rel, text)

    return make


def link(target: Callable[[str, Path], str]) -> Callable[[Path, str, Path], None]:
    def make(base: Path, rel: str, outside: Path) -> None:
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target(rel, outside), path)

    return make


def alias_bomb() -> str:
    levels = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "---\nid: prd-bomb\ntitle: Bomb\n" + "\n".join(levels) + "\n---\nbody\n"


def fm(fields: str, body: str = "body\n") -> str:
    return f"---\n{fields}\n---\n{body}"


def outside_file(rel: str, outside: Path) -> str:
    return str(write(outside, "secret.md", fm("title: outside")))


def outside_folder(rel: str, outside: Path) -> str:
    return str(write(outside, "epic/epic.md", fm("title: outside")).parent)


P = "prds/prd-900-hostile.md"
E = "epics/epic-900-hostile"
MAP = "sync-map.json"
CASES = [
    Case("alias bomb", P, content(alias_bomb()), "aliases", 4),
    Case("one alias", P, content(fm("id: x\ntitle: &t A\nname: *t")), "aliases", 3),
    Case("deep list nesting", P, content(fm("title: " + "[" * 10_000 + "]" * 10_000)), "YAML"),
    Case(
        "deep mapping nesting (a field not used: left out)",
        P,
        content(fm("title: t\nx: " + "{a: " * 10_000 + "1" + "}" * 10_000)),
        None,
    ),
    Case(
        "deep mapping nesting (a used field)",
        P,
        content(fm("title: t\nlabels: " + "{a: " * 10_000 + "1" + "}" * 10_000)),
        "YAML",
    ),
    Case(
        "100,000 values (a field not used: left out)",
        P,
        content(fm("title: t\nx: [" + ", ".join(["1"] * (MAX_NODES * 20)) + "]")),
        None,
    ),
    Case(
        "100,000 values (a used field)",
        P,
        content(fm("title: t\nlabels: [" + ", ".join(["1"] * (MAX_NODES * 20)) + "]")),
        "values",
    ),
    Case("5 MB title", P, content(fm("title: " + "x" * 5 * MB)), "title would be", 2),
    Case(
        "10 MB file (body)",
        P,
        content(fm("title: Big", ("y" * 99 + "\n") * (MB // 10))),
        "body would be",
        4,
    ),
    Case(
        "10 MB frontmatter value", P, content(fm("title: Big field\nnotes: " + "z" * 10 * MB)), None
    ),
    Case("5,000-digit number", P, content(fm("title: t\nid: " + "9" * 5_000)), "`id` is", 3),
    Case(
        "5,000-digit issue number",
        P,
        content(fm("title: t\ngithub: https://github.com/o/r/issues/" + "9" * 5_000)),
        "out of range",
        3,
    ),
    Case("long hex number as a title", P, content(fm("title: 0x" + "f" * 200)), None),
    Case("float overflow", P, content(fm("title: t\nestimated_hours: 1e999")), None),
    Case("C0 control character in YAML", P, content(fm("title: a\x01b")), "YAML", 2),
    Case(
        "escape sequences and bidi in text",
        P,
        content(fm('title: "a\\e[31m\u202eb"', "\x1b[2J\x07\u202e body\n")),
        None,
    ),
    Case("NUL byte", P, content(fm("title: t", "a\0b")), "binary"),
    Case("UTF-16 file", P, content(fm("title: t").encode("utf-16")), "binary"),
    Case("invalid UTF-8", P, content(b"---\ntitle: t\n---\n\xff\xfe body\n"), "UTF-8", 4),
    Case(
        "Python object tag",
        P,
        content(fm("title: !!python/object/apply:os.system [id]")),
        "YAML",
        2,
    ),
    Case("unhashable key", P, content(fm("title: t\n? [a, b]\n: c")), "YAML", 3),
    Case(
        "impossible date (not used: lenient)", P, content(fm("title: t\ncreated: 2025-02-30")), None
    ),
    Case("unclosed frontmatter", P, content("---\ntitle: t\nbody\n"), "never closed", 1),
    Case("frontmatter is a list", P, content(fm("- a\n- b")), "not a mapping", 2),
    Case("empty file", P, content(""), "empty", 1),
    Case("title is a mapping", P, content(fm("title: {a: b}")), "mapping", 2),
    Case("no title", P, content(fm("status: open", "no heading\n")), "no title"),
    Case(
        "HTML and Markdown in title and body",
        P,
        content(
            fm(
                'title: "<script>alert(1)</script> | **x** ](javascript:1) ::error::y"',
                "<img src=x onerror=alert(1)>\n| a | b |\n::warning::z\n",
            )
        ),
        None,
    ),
    Case(
        "markup, a pipe and a command in an id (syncs)",
        P,
        content(fm('id: "<img src=x onerror=alert(1)>|`x`::error::y"\ntitle: Fine')),
        None,
    ),
    Case(
        "markup, a pipe and a command in an id (fails)",
        P,
        content(fm('id: "<script>x</script>|**y**\\n::warning::z"\ntitle: {a: b}')),
        "mapping",
        3,
    ),
    Case(
        "spaces and non-ASCII in names",
        "epics/épique un/001.md",
        content(fm("name: Tâche ü 日本")),
        None,
    ),
    Case(
        "spaces and non-ASCII in a PRD name",
        "prds/spëcial name 日本.md",
        content(fm("name: ü")),
        None,
    ),
    Case("newline and pipe in a file name", "prds/a|b\nc.md", content(fm("name: odd")), None),
    Case("symlink to itself", P, link(lambda rel, o: Path(rel).name), "symlink"),
    Case("symlink loop (folder)", E, link(lambda rel, o: Path(rel).name), "symlink"),
    Case("symlink to /dev/zero", P, link(lambda rel, o: "/dev/zero"), "symlink"),
    Case("symlink to a file outside", P, link(outside_file), "symlink"),
    Case("symlinked epic folder outside", E, link(outside_folder), "symlink"),
    Case("sync map: deep JSON", MAP, content("[" * 100_000), "sync map"),
    Case(
        "sync map: 5,000-digit number", MAP, content('{"prd-001": ' + "1" * 5_000 + "}"), "sync map"
    ),
    Case("sync map: symlink to /dev/zero", MAP, link(lambda rel, o: "/dev/zero"), "sync map"),
    Case("sync map: not JSON", MAP, content("{'prd-001': 1,,}\n"), "sync map", 1),
]


def good_tree(workspace: Path) -> Path:
    base = workspace / ".claude"
    for rel, text in GOOD.items():
        write(base, rel, text)
    return base


@pytest.fixture
def baseline(tmp_path: Path) -> ScanResult:
    """The good items scanned alone: what every hostile tree must leave untouched."""
    workspace = tmp_path / "alone"
    return scan(good_tree(workspace), workspace=workspace)


def is_named(rel: str, path: str) -> bool:
    return path == f".claude/{rel}"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_file_is_one_error_and_the_rest_is_untouched(
    case: Case, tmp_path: Path, baseline: ScanResult, record
) -> None:
    workspace = tmp_path / "ws"
    base = good_tree(workspace)
    case.make(base, case.rel, tmp_path / "outside")
    crashes, result = 0, ScanResult()
    try:
        result = scan(base, workspace=workspace)
    except Exception:  # the figure counts it; the assert below fails the test
        crashes = 1
    good = [i for i in result.items if i.key in {"prd-001", "epic-001"}]
    lost = len(baseline.items) - sum(1 for item in good if item in baseline.items)
    mine = [e for e in result.errors if is_named(case.rel, e.path)]
    accepted = [i for i in result.items if i.path == case.rel]
    if case.error is None:
        lost += 0 if len(accepted) == 1 and not mine else 1
    else:
        lost += 0 if len(mine) == 1 and not accepted else 1
    record("hostile input", case.name, items=3, lost=lost, crashes=crashes)
    assert crashes == 0
    assert good == list(baseline.items)
    assert len(result.errors) == len(mine), [str(e) for e in result.errors]
    if case.error is None:
        assert len(accepted) == 1
        return
    assert len(mine) == 1, [str(e) for e in result.errors]
    assert case.error in mine[0].message, mine[0].message
    if case.line is not None:
        assert mine[0].line == case.line


def test_hostile_text_is_kept_as_data(tmp_path: Path) -> None:
    base = good_tree(tmp_path)
    title = "<script>alert(1)</script> | **x** ](javascript:1) ::error::y"
    write(base, P, fm(f'title: "{title}"', "<img src=x onerror=alert(1)>\n::warning::z\n"))
    [item] = [i for i in scan(base, workspace=tmp_path).items if i.path == P]
    assert item.title == title
    assert item.body == "<img src=x onerror=alert(1)>\n::warning::z\n"


def hostile_tree(
    workspace: Path, outside: Path, *, sync_map: bool = True
) -> tuple[int, list[Case]]:
    """Every case at once (one sync map), each under its own name: usable count, failing cases."""
    base = good_tree(workspace)
    usable, failing = 2, []
    cases = [c for c in CASES if c.rel != MAP]
    if sync_map:
        cases.append(next(c for c in CASES if c.rel == MAP))
    for n, case in enumerate(cases):
        rel = case.rel.replace("900", str(900 + n))
        case.make(base, rel, outside / str(n))
        if case.error is None:
            usable += 1
        else:
            failing.append(Case(case.name, rel, case.make, case.error, case.line))
    return usable, failing


@pytest.mark.timeout(60)
@pytest.mark.parametrize("actions", [False, True], ids=["terminal", "actions"])
def test_validate_over_every_hostile_file_at_once(tmp_path: Path, actions: bool, record) -> None:
    workspace = tmp_path / "ws"
    usable, failing = hostile_tree(workspace, tmp_path / "outside")
    env = {"GITHUB_WORKSPACE": str(workspace), "GITHUB_ACTIONS": "true" if actions else "false"}
    done = batchsync_cli(["validate", "--path", ".claude"], env, cwd=tmp_path)
    problems = done.stdout.splitlines()
    named = {c.rel for c in failing if any(c.rel.split("\n")[0] in p for p in problems)}
    lost = len(failing) - len(named)
    lost += 0 if f"{usable} work items, {len(failing)} problems" in done.stderr else 1
    record(
        "hostile input",
        f"validate, all files at once ({'Actions step' if actions else 'terminal'})",
        items=usable + len(failing),
        lost=lost,
        crashes=int(done.crashed),
    )
    assert not done.crashed, done.stderr
    assert done.code == 1
    assert f"{usable} work items, {len(failing)} problems" in done.stderr
    assert named == {c.rel for c in failing}
    if actions:
        assert len(problems) == len(failing)
        assert all(p.startswith("::error file=.claude/") for p in problems), problems
