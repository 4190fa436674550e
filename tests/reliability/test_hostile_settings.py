"""Invalid settings of every input: one clear error naming the input, exit 2, no traceback.

Each bad value goes in the way a user gives it: as the runner's ``INPUT_<NAME>`` variable in
action mode, and as the flag of ``batchsync sync`` in a terminal. The ``path`` input is also
tried against the folder checks (``..``, absolute, symlinks out and in loops, a file).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from batchsync import cli
from batchsync.cli import SYNC_FLAGS
from batchsync.config import SOURCES

TOKEN = "ghs_" + "S3cr3tTok3n" * 3
INJECTED = "x\n::warning::injected"

# input (kebab-case, as in action.yml; runner variables by name) -> values it must refuse
BAD: dict[str, tuple[str, ...]] = {
    "repository": ("not a repo", "a/b/c", "-x/y", "o/", "o/r?x=1", INJECTED),
    "type": ("bug", "prd,epic", "*", INJECTED),
    "dry-run": ("maybe", "2", INJECTED),
    "max-concurrent": ("0", "101", "-1", "ten", "1.5", "9" * 5_000),
    "max-retries": ("-1", "21", "x"),
    "retry-delay": ("-1", "601", "inf", "nan", "x"),
    "rate-limit-threshold": ("-1", "x"),
    "fail-on-error": ("maybe",),
    "write-interval": ("-1", "61", "nan"),
    "creates-per-minute": ("-1", "x"),
    "creates-per-hour": ("-1", "1e3"),
    "time-budget": ("0", "-5", "inf", "x"),
    "write-back": ("maybe",),
    "close-removed": ("maybe",),
    "pull": ("maybe",),
    "blocked-by": ("sometimes",),
    "issue-types": ("sometimes", "story=Task", "task=", "prd=A|B", "task=T,task=U", INJECTED),
    "max-close": ("-1", "x"),
    "sub-issues": ("maybe",),
    "trusted-authors": ("not a login!", "-dash", "a/b", "x" * 60, INJECTED),
    "namespace": ("x" * 201, "ns-->", "tab\there", "zero\u200bwidth", INJECTED),
    "GITHUB_API_URL": ("ftp://api.example", "not a url", "http://", INJECTED),
    "GITHUB_SERVER_URL": ("file:///etc", "x"),
}
FIELD = {source.name: field for field, source in SOURCES.items()}
FLAG = {field: flag for flag, field in SYNC_FLAGS}
CASES = [(name, value) for name, values in BAD.items() for value in values]


def case_id(case: tuple[str, str]) -> str:
    """A shell-safe test id (the report prints a command to rerun each case)."""
    name, value = case
    return f"{name}=" + re.sub(r"[^A-Za-z0-9.:/=-]", "_", value[:12])


def no_items(base: Path) -> None:
    """The workspace's items (tests/conftest.py): an empty ``prds`` folder."""
    (base / "prds").mkdir()


WORK_ITEMS = no_items
# Every case runs in the workspace, where a person or the runner starts batchsync.
pytestmark = pytest.mark.usefixtures("in_workspace")


def actions_env(monkeypatch: pytest.MonkeyPatch, workspace: Path, **inputs: str) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    monkeypatch.setenv("INPUT_GITHUB-TOKEN", TOKEN)
    monkeypatch.setenv("INPUT_REPOSITORY", "octo/repo")
    for name, value in inputs.items():
        variable = name if name.startswith("GITHUB_") else f"INPUT_{name.upper()}"
        monkeypatch.setenv(variable, value)


def one_error(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("::error")]


MASK = f"::add-mask::{TOKEN}"


def commands(text: str) -> list[str]:
    """The workflow commands in a log but the token's mask: lines that start with ``::``."""
    return [line for line in text.splitlines() if line.startswith("::") and line != MASK]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_in_action_mode_is_one_error_naming_it(
    case: tuple[str, str], workspace: Path, monkeypatch, capsys, record
) -> None:
    name, value = case
    actions_env(monkeypatch, workspace, **{name: value})
    crashes, code = 0, None
    try:
        code = cli.main([])
    except Exception:  # counted, then the assert below fails the test
        crashes = 1
    out = capsys.readouterr()
    errors = one_error(out.out)
    # The token is masked first, before any input is read: the one line that must name it.
    assert out.out.startswith(MASK + "\n")
    leaks = int(TOKEN in out.out.replace(MASK, "") + out.err)
    record(
        "settings", f"action input {name}: {value[:20]!r}", items=0, crashes=crashes, leaks=leaks
    )
    assert crashes == 0
    assert code == 2
    assert len(errors) == 1, out.out
    assert f"invalid {name}" in errors[0]
    assert commands(out.out) == errors
    assert leaks == 0


@pytest.mark.parametrize(
    "case", [c for c in CASES if FIELD[c[0]] in FLAG and "\n" not in c[1]], ids=case_id
)
def test_bad_flag_in_a_terminal_is_one_message_naming_it(
    case: tuple[str, str], workspace: Path, monkeypatch, capsys, record
) -> None:
    name, value = case
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    crashes, code = 0, None
    try:
        code = cli.main(["sync", "--repo", "octo/repo", f"{FLAG[FIELD[name]]}={value}"])
    except SystemExit as exit_:  # argparse refusing a boolean flag's value
        code = int(exit_.code or 0)
    except Exception:  # counted, then the assert below fails the test
        crashes = 1
    out = capsys.readouterr()
    leaks = int(TOKEN in out.out + out.err)
    record(
        "settings", f"sync flag for {name}: {value[:20]!r}", items=0, crashes=crashes, leaks=leaks
    )
    assert crashes == 0
    assert code == 2
    assert out.err.count("\n") == 1 or "usage:" in out.err, out.err
    assert name in out.err
    assert leaks == 0


def test_every_input_has_bad_values_tried() -> None:
    tried = {FIELD[name] for name in BAD}
    untried = set(SOURCES) - tried
    # Free text or paths with no invalid form as settings; path is tried below, the token in
    # test_secrets, the runner's own file variables by the action tests.
    assert untried == {
        "github_token",
        "path",
        "results_file",
        "workspace",
        "step_summary",
        "output_file",
        "in_actions",
        "runner_temp",
    }


PATHS = {
    "parent": "..",
    "parent inside": "a/../../b",
    "absolute": "/etc",
    "missing": "nope",
    "a file": ".claude/prds/file.md",
    "symlink out": "out",
    "symlink loop": "loop",
    "newline and command": "x\n::warning::injected",
}


def hostile_paths(workspace: Path, outside: Path) -> None:
    outside.mkdir()
    (workspace / ".claude" / "prds" / "file.md").write_text("---\ntitle: t\n---\n")
    os.symlink(outside, workspace / "out")
    os.symlink("loop", workspace / "loop")


MODES = ("validate in a terminal", "validate in an Actions step", "the action")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", list(PATHS), ids=str)
def test_bad_path_is_one_error_naming_the_path_input(
    case: str, mode: str, workspace: Path, tmp_path: Path, monkeypatch, capsys, record
) -> None:
    hostile_paths(workspace, tmp_path.parent / f"{tmp_path.name}-outside")
    actions_env(monkeypatch, workspace, path=PATHS[case])
    actions = mode != MODES[0]
    monkeypatch.setenv("GITHUB_ACTIONS", "true" if actions else "false")
    crashes, code = 0, None
    try:
        code = cli.main([] if mode == MODES[2] else ["validate", "--path", PATHS[case]])
    except Exception:  # counted, then the assert below fails the test
        crashes = 1
    out = capsys.readouterr()
    leaks = int(TOKEN in out.out.replace(f"::add-mask::{TOKEN}", "") + out.err)
    record("settings", f"path input: {case} ({mode})", items=0, crashes=crashes, leaks=leaks)
    assert crashes == 0
    assert code == 2
    assert leaks == 0
    if actions:
        [error] = one_error(out.out)
        assert "invalid path" in error
        assert [c for c in commands(out.out) if c.startswith(("::error", "::warning"))] == [error]
    else:
        # Outside a runner (GITHUB_ACTIONS is not true) a line starting "::" is plain text.
        assert out.err.startswith("batchsync: invalid path")
