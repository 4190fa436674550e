"""Properties (hypothesis): the parser fails only with our error; plans and renderings are stable.

The frontmatter parser is fed arbitrary text, arbitrary bytes and YAML assembled from the
tokens that break parsers (anchors, tags, flow brackets, quotes, huge numbers, odd dates, merge
keys, directives); whatever comes in, the only exception allowed out is ``ItemError``. Planning
is idempotent: generated trees are synced into the emulator, then planned again, and every item
is unchanged. Rendering is deterministic: the same items render to the same bodies in processes
with different hash seeds.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from relkit import child_env, item_text, write
from relsync import overrides

from batchsync.config import load_settings
from batchsync.emulator import Emulator
from batchsync.errors import ItemError
from batchsync.frontmatter import Document, decode, parse_document, scalar_text
from batchsync.items import Kind, Layout, WorkItem, scan
from batchsync.render import render
from batchsync.results import ItemAction
from batchsync.sync import run

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
@example("title: !!timestamp foo", "")  # PyYAML's constructors raise AttributeError ...
@example("title: !!bool foo", "")  # ... and KeyError on these
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


# --- planning and rendering (the engine) -------------------------------------------------------

# Characters a YAML file may hold (no surrogates, controls or non-characters).
text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=30)
titles = text.filter(lambda title: bool(title.split()))  # a blank title is an error, rightly
words = st.text("abcdefghijklmnopqrstuvwxyz -", min_size=1, max_size=12).map(str.strip).filter(bool)
# Anything but NUL (a file with one is refused as binary) and lone surrogates (not UTF-8).
bodies = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=200
)
statuses = st.sampled_from(["open", "in-progress", "done", "closed", "Completed", "backlog", None])
tasks = st.lists(
    st.fixed_dictionaries(
        {
            "title": titles,
            "body": bodies,
            "status": statuses,
            "priority": st.sampled_from(["high", "Low", "P1", None]),
            "labels": st.lists(words, max_size=3),
            "hours": st.none() | st.floats(0, 100, allow_nan=False),
        }
    ),
    min_size=1,
    max_size=6,
)


def quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escaping is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def write_items(base: Path, prd_title: str, specs: list[dict[str, Any]]) -> None:
    """A PRD, one epic under it and the generated tasks under that."""
    write(base, "prds/prd-001-x.md", item_text({"id": "prd-001", "title": quoted(prd_title)}))
    folder = "epics/epic-001-x"
    write(
        base, f"{folder}/epic.md", item_text({"id": "epic-001", "title": "E", "prd_id": "prd-001"})
    )
    for n, spec in enumerate(specs, 1):
        fields: dict[str, object] = {"id": f"task-{n:03}", "title": quoted(spec["title"])}
        fields["epic_id"] = "epic-001"
        for name in ("status", "priority"):
            if spec[name] is not None:
                fields[name] = quoted(spec[name])
        fields["labels"] = json.dumps(spec["labels"])
        if spec["hours"] is not None:
            fields["estimated_hours"] = spec["hours"]
        if n > 1:
            fields["dependencies"] = f"[task-{n - 1:03}]"
        write(base, f"{folder}/task-{n:03}.md", item_text(fields, spec["body"]))


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(limits="off") as started:
        yield started


REPOS = itertools.count(1)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(titles, tasks)
def test_planning_again_after_a_sync_finds_everything_unchanged(
    emulator: Emulator, prd_title: str, specs: list[dict[str, Any]]
) -> None:
    repo = f"octo/plan-{next(REPOS)}"
    emulator.add_repo(repo)
    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        write_items(workspace / ".claude", prd_title, specs)
        given_settings = overrides(emulator, workspace, repository=repo)
        first = run(load_settings(given_settings, env={}))
        assert first.failed == 0, first.errors
        before = emulator.stats.total
        again = run(load_settings({**given_settings, "dry_run": True}, env={}))
    assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}, again.outcomes
    # one listing, nothing else (every issue is trusted, so the token is not asked its login)
    assert emulator.stats.total - before == 1


RENDER_CHILD = (
    "import json, sys\n"
    "from batchsync.items import Kind, Layout, WorkItem\n"
    "from batchsync.render import render\n"
    "for spec in json.loads(sys.stdin.read()):\n"
    "    item = WorkItem(kind=Kind(spec.pop('kind')), layout=Layout.LOCAL, **spec)\n"
    "    print(json.dumps(render(item, {'prd-001': 7, 'task-000': 9}).body))\n"
)
items = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from([k.value for k in Kind]),
            "key": words,
            "title": text,
            "path": words,
            "body": st.text(max_size=100),
            "status": statuses,
            "priority": st.sampled_from(["high", None]),
            "parent_key": st.sampled_from(["prd-001", "unknown", None]),
            "labels": st.lists(words, max_size=4),
            "dependencies": st.lists(st.sampled_from(["task-000", "#12", "other"]), max_size=3),
            "estimated_hours": st.none() | st.floats(0, 1e6, allow_nan=False),
        }
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=5, deadline=None)
@given(items)
def test_rendering_is_the_same_in_every_process(specs: list[dict[str, Any]]) -> None:
    data = json.dumps(specs)
    bodies = []
    for seed in ("1", "2"):  # set and dict orders differ between hash seeds
        done = subprocess.run(
            [sys.executable, "-c", RENDER_CHILD],
            input=data,
            env={**child_env(), "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        bodies.append(done.stdout)
    assert bodies[0] == bodies[1]
    for spec, line in zip(specs, bodies[0].splitlines(), strict=True):
        item = WorkItem(
            kind=Kind(spec["kind"]),
            layout=Layout.LOCAL,
            **{k: tuple(v) if isinstance(v, list) else v for k, v in spec.items() if k != "kind"},
        )
        assert json.loads(line) == render(item, {"prd-001": 7, "task-000": 9}).body
