"""Hostile text through every way batchsync prints: nothing can issue a workflow command.

Every string below is pushed through each output path (progress, the terminal report, warnings,
annotations, validate, demo, the step summary, the step outputs, the log of the ``batchsync``
logger). The checks read each printed line as GitHub's runner does (actions/runner
``ActionCommand.TryParseV2``: ``::`` after the leading whitespace; ``TryParse``: ``##[`` anywhere)
and as a terminal does (control characters, escapes, bidi overrides).
"""

from __future__ import annotations

import ast
import io
import json
import logging
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchsync import action, cli, demo, progress, report, summary, sync, workflow
from batchsync.config import load_settings
from batchsync.ratelimit import RateLimitSnapshot
from batchsync.results import BatchResult, Failure, FailureKind, ItemAction, Outcome
from runner_env import parse_outputs

TOKEN = "ghs_" + "0utputP4thT0ken" * 3

HOSTILE = [
    "x\n::add-mask::leak",
    "x%0A::add-mask::leak",
    "::stop-commands::pwned",
    "  ::error::indented",
    "\u3000::warning::after an ideographic space",
    "\t::notice::after a tab",
    "a ##[error]legacy form",
    "##[set-output name=x]y",
    "\x1b]0;window title\x07",
    "\x1b[31mred\x1b[0m",
    "\x9b31m C1 CSI and \x9d OSC",
    "nul\x00byte",
    "rtl \u202eevil\u202c mark \u200f and isolate \u2066x\u2069",
    "line\rcarriage ::x",
    "crlf\r\n::error::y",
    "\u2028::notice::line separator",
    "\u0085::notice::next line",
    "\ufeff::warning::bom",
    "bad byte \udcff in a file name",
    "x" * 10_000,
    "::" + "y" * 10_000,
    TOKEN,
]
# What batchsync itself prints as commands; anything else starting with `::` is injected.
OWN_COMMANDS = {"error", "warning", "notice", "group", "endgroup", "add-mask"}
_UNSAFE = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def runner_lines(text: str) -> list[str]:
    """The lines the runner reads (.NET ReadLine ends a line at CR, LF or CRLF)."""
    return re.split(r"\r\n|\r|\n", text)


def command_name(line: str) -> str | None:
    """The command a line issues, read as the runner reads it, or None."""
    trimmed = line.lstrip()
    if trimmed.startswith("::"):
        end = trimmed.find("::", 2)
        if end >= 0:
            return trimmed[2:end].split(" ", 1)[0].lower()
    if "##[" in line:
        return "legacy ##["
    return None


def assert_safe(
    text: str,
    *,
    allowed: set[str] = frozenset(),
    actions: bool = True,
    terminal: bool = False,
    longest: int | None = workflow.LINE_LIMIT + 100,
) -> None:
    """No injected command (in Actions), no control or invisible character, no token, no
    endless line. ``terminal``: a live bar, redrawn after each CR."""
    lines = text.split("\r") if terminal else runner_lines(text)
    for raw in lines:
        line = raw.rstrip("\n") if terminal else raw
        name = command_name(line) if actions else None
        assert name is None or name in allowed, f"command {name!r} in {line[:200]!r}"
        if name == "add-mask":
            assert line == f"::add-mask::{TOKEN}", line[:200]
        else:
            assert TOKEN not in line, line[:200]
        bad = [
            ch for ch in line if unicodedata.category(ch) in _UNSAFE and ch not in "\u200c\u200d"
        ]
        assert not bad, f"{bad!r} in {line[:200]!r}"
        assert longest is None or len(line) <= longest


def hostile_result(text: str) -> BatchResult:
    """A result whose every text comes from outside: keys, paths, errors, reasons, URLs."""
    outcomes = tuple(
        Outcome(
            key=text,
            kind=text,
            path=text,
            action=act,
            issue_number=7,
            url=f"https://github.com/o/r/issues/7{text}",
            failure=Failure(FailureKind.ITEM, text) if act is ItemAction.FAILED else None,
            reason=text,
            line=3,
        )
        for act in ItemAction
    )
    snapshot = RateLimitSnapshot(limit=5000, remaining=4000, resource=text)
    return BatchResult(outcomes, 1.0, snapshot, warnings=(text, f"warning {text}"))


@pytest.fixture(params=HOSTILE, ids=lambda s: repr(s[:24]))
def hostile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize("actions", [True, False])
def test_progress_lines(hostile: str, actions: bool) -> None:
    stream = io.StringIO()
    out = workflow.Out(stream, actions=actions)
    lines = progress.ActionsProgress(out, clock=lambda: 0.0)
    lines(1, 2, Outcome(hostile, "prd", hostile, ItemAction.CREATED))
    lines.on_wait(hostile, 3.0)
    assert stream.getvalue().count("\n") == 2
    assert_safe(stream.getvalue(), actions=actions)


def test_terminal_bar(hostile: str) -> None:
    stream = io.StringIO()
    bar = progress.TerminalProgress(workflow.Out(stream), clock=lambda: 0.0)
    bar(1, 3, Outcome(hostile, "prd", hostile, ItemAction.CREATED))
    bar.on_wait(hostile, 5.0)
    bar(3, 3, None)
    assert_safe(stream.getvalue(), actions=False, terminal=True)


@pytest.mark.parametrize("as_json", [False, True])
def test_terminal_report_and_json(hostile: str, as_json: bool) -> None:
    out_stream, err_stream = io.StringIO(), io.StringIO()
    out = workflow.Out(out_stream, actions=True, secrets=[TOKEN])
    err = workflow.Out(err_stream, actions=True, secrets=[TOKEN])
    info = summary.RunInfo(repository="o/r", results_file="r.json")
    end = report.Ending(report.ExitCode.FAILED)
    sync._report(hostile_result(hostile), info, None, out, err, as_json=as_json, end=end)
    assert_safe(out_stream.getvalue(), longest=None if as_json else workflow.LINE_LIMIT + 100)
    assert_safe(err_stream.getvalue())
    if as_json:
        document = json.loads(out_stream.getvalue())
        assert len(document["items"]) == len(ItemAction)


def _action_run(tmp_path: Path, result: BatchResult) -> tuple[str, str, str, str]:
    (tmp_path / ".claude").mkdir(exist_ok=True)
    env = {
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "outputs"),
        "GITHUB_ACTIONS": "true",
        "INPUT_GITHUB-TOKEN": TOKEN,
        "INPUT_REPOSITORY": "o/r",
    }
    settings = load_settings(env=env)
    stdout, stderr = io.StringIO(), io.StringIO()
    action.run_action(settings, run=lambda *a, **k: result, stdout=stdout, stderr=stderr)
    files = (tmp_path / "summary.md").read_text(), (tmp_path / "outputs").read_text()
    return stdout.getvalue(), stderr.getvalue(), *files


def test_action_log_annotations_warnings_summary_and_outputs(hostile: str, tmp_path: Path) -> None:
    log, errors, markdown, outputs = _action_run(tmp_path, hostile_result(hostile))
    assert_safe(log, allowed=OWN_COMMANDS)
    assert_safe(errors)
    # Annotations: one per failed item plus the warnings, none of them split or injected.
    names = [command_name(line) for line in runner_lines(log)]
    assert names.count("error") == 1
    assert names.count("warning") == 3  # two warnings and the items not reached
    assert names.count("add-mask") == 1
    # The summary and outputs are files, not log lines: no control characters, no token, and
    # no hostile text starts a Markdown line of its own.
    assert TOKEN not in markdown + outputs
    for line in markdown.split("\n"):
        assert not any(unicodedata.category(ch) in _UNSAFE for ch in line), line[:200]
        assert not line.lstrip().startswith(("::", "x\n", "##[")), line[:200]
    assert len(markdown.encode()) < summary.SUMMARY_LIMIT
    assert set(parse_outputs(outputs)) >= {"total", "failed", "results-file"}


def test_action_crash_traceback_on_stderr(hostile: str, tmp_path: Path) -> None:
    def boom(*args: object, **kwargs: object) -> BatchResult:
        raise RuntimeError(hostile)

    (tmp_path / ".claude").mkdir()
    settings = load_settings(
        env={"GITHUB_WORKSPACE": str(tmp_path), "INPUT_REPOSITORY": "o/r", "GITHUB_TOKEN": TOKEN}
    )
    stdout, stderr = io.StringIO(), io.StringIO()
    assert action.run_action(settings, run=boom, stdout=stdout, stderr=stderr) == 2
    assert_safe(stdout.getvalue(), allowed=OWN_COMMANDS)
    assert_safe(stderr.getvalue())


def test_logger_warnings(hostile: str) -> None:
    stream = io.StringIO()
    with workflow.logging_to(workflow.Out(stream, actions=True)):
        logging.getLogger("batchsync").warning("%s: %s", hostile, hostile)
    assert stream.getvalue().startswith("batchsync: ")
    assert_safe(stream.getvalue())


HOSTILE_NAMES = [
    "x\n::add-mask::leak.md",
    "\x1b]0;t\x07.md",
    "::stop-commands::p.md",
    "rtl\u202egpj.md",
    "a ##[error]b.md",
]


@pytest.mark.parametrize("actions", [True, False])
def test_validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, actions: bool) -> None:
    prds = tmp_path / ".claude" / "prds"
    prds.mkdir(parents=True)
    for name in HOSTILE_NAMES:
        (prds / name).write_text("---\ntitle: [unclosed\n---\n")
    (prds / "prd-1.md").write_text("---\nid: 'k\\n::error::x'\ntitle: '\\e]0;t\\a'\n---\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.setenv("GITHUB_ACTIONS", "true" if actions else "false")
    assert cli.main(["validate", "--path", ".claude"]) == 1
    printed = capsys.readouterr()
    assert_safe(printed.out, allowed={"error"}, actions=actions)
    assert_safe(printed.err, actions=actions)
    if actions:
        assert [command_name(x) for x in runner_lines(printed.out)].count("error") >= 5


def test_demo_report(hostile: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo.sync, "run", lambda *a, **k: hostile_result(hostile))
    stream, err = io.StringIO(), io.StringIO()
    out = workflow.Out(stream, actions=True)
    demo.main(["--scale", "1000"], out=out, err=workflow.Out(err, actions=True))
    assert_safe(stream.getvalue())
    assert_safe(err.getvalue())


def test_settings_error_in_actions(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("INPUT_REPOSITORY", "x\n::add-mask::leak\x1b]0;t\x07")
    assert cli.main([]) == 2
    assert_safe(capsys.readouterr().out, allowed={"error", "add-mask"})


# ---- the property ------------------------------------------------------------------------------

any_text = st.text(
    st.characters(codec=None, exclude_categories=()), max_size=200
) | st.sampled_from(HOSTILE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text)
def test_no_line_starts_a_command_unless_batchsync_wrote_it(text: str) -> None:
    stream = io.StringIO()
    out = workflow.Out(stream, actions=True)
    out.say(text)
    out.say(summary.text(hostile_result(text), repository="o/r"))
    out.say(progress.format_status(1, 2, 1.0, Outcome(text, "", text, ItemAction.CREATED)))
    written = [workflow.error(text, file=text, line=1, title=text), workflow.group(text)]
    for command in written:
        out.say(command)
    lines = [line for line in runner_lines(stream.getvalue()) if command_name(line)]
    assert lines == [out.render(c) for c in written]
    assert_safe(stream.getvalue(), allowed={"error", "group"})


# ---- no other way out ---------------------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "batchsync"


def _direct_prints(path: Path) -> list[str]:
    """Calls that print around ``workflow.Out``: ``print``, ``sys.stdout/stderr.write``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "print":
            found.append(f"{path.name}:{node.lineno}")
        elif isinstance(func, ast.Attribute) and func.attr in ("write", "writelines"):
            owner = ast.unparse(func.value)
            if owner.endswith(("stdout", "stderr", "err", "out")):
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_nothing_prints_around_the_one_way_out() -> None:
    # The stand-alone emulator uses only the standard library (its own plain writer, for its
    # URL and operator messages); everything else prints through workflow.Out.
    modules = [p for p in PACKAGE.rglob("*.py") if "emulator" not in p.parts]
    modules.remove(PACKAGE / "workflow.py")
    assert [hit for path in modules for hit in _direct_prints(path)] == []


def test_the_rule_finds_a_direct_print(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import sys\nprint('x')\nsys.stderr.write('y')\nerr.write('z')\n")
    assert _direct_prints(module) == ["m.py:2", "m.py:3", "m.py:4"]
