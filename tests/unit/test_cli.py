"""The command line: parsing, dispatch, `validate` end to end, exit codes."""

import argparse
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from batchsync import cli
from batchsync.cli import SYNC_FLAGS, escape_data, escape_property, main
from batchsync.config import SOURCES
from trees import write_file as write

SRC = Path(__file__).parents[2] / "src"
TOKEN = "ghp_" + "t0ken" * 7


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No runner variables from the machine the tests run on; the workspace is a temp folder."""
    for name in list(os.environ):
        if name.startswith(("INPUT_", "GITHUB_", "RUNNER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))


@pytest.fixture
def fake_module(monkeypatch):
    """Install a stand-in ``batchsync.<name>`` whose ``main`` records its argument."""

    def install(name, code=0):
        calls = []
        module = types.ModuleType(f"batchsync.{name}")

        def fake_main(arg, **streams):
            calls.append(arg)
            return code

        module.main = fake_main
        monkeypatch.setitem(sys.modules, f"batchsync.{name}", module)
        return calls

    return install


def test_no_arguments_outside_actions_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: batchsync" in capsys.readouterr().err


def test_no_arguments_in_actions_runs_the_action_from_inputs(monkeypatch):
    calls = []
    module = types.ModuleType("batchsync.action")
    module.run_action = lambda settings, **streams: calls.append(settings) or 1
    monkeypatch.setitem(sys.modules, "batchsync.action", module)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("INPUT_DRY-RUN", "true")
    monkeypatch.setenv("INPUT_GITHUB-TOKEN", TOKEN)
    assert main([]) == 1
    (settings,) = calls
    assert settings.dry_run is True
    assert settings.token_value() == TOKEN


def test_sync_flags_become_settings(fake_module, tmp_path):
    calls = fake_module("sync")
    argv = ["sync", "--path", "pm", "--repo", "acme/shop", "--type", "epic", "--dry-run"]
    argv += ["--max-concurrent", "4", "--retry-delay", "0.5", "--no-fail-on-error"]
    argv += ["--write-back", "--no-sub-issues", "--api-url", "http://127.0.0.1:9/"]
    assert main(argv) == 0
    (settings,) = calls
    assert (settings.path, settings.repository, settings.item_type.value) == (
        "pm",
        "acme/shop",
        "epic",
    )
    assert (settings.dry_run, settings.fail_on_error, settings.write_back) == (True, False, True)
    assert (settings.max_concurrent, settings.retry_delay, settings.sub_issues) == (4, 0.5, False)
    assert settings.api_url == "http://127.0.0.1:9"


def test_sync_flags_win_over_inputs(monkeypatch, fake_module):
    calls = fake_module("sync")
    monkeypatch.setenv("INPUT_MAX-RETRIES", "7")
    monkeypatch.setenv("INPUT_CLOSE-REMOVED", "true")
    main(["sync", "--max-retries", "1", "--no-close-removed"])
    assert (calls[0].max_retries, calls[0].close_removed) == (1, False)


def test_the_issue_types_flag_takes_a_map_and_wins_over_the_input(monkeypatch, fake_module):
    calls = fake_module("sync")
    monkeypatch.setenv("INPUT_ISSUE-TYPES", "true")
    main(["sync", "--issue-types", "prd=Feature,task=Task"])
    choice = calls[0].issue_type_choice()
    assert [(kind.value, names) for kind, names in choice.choices] == [
        ("prd", ("Feature",)),
        ("task", ("Task",)),
    ]


def test_unset_sync_flags_leave_inputs_alone(monkeypatch, fake_module):
    calls = fake_module("sync")
    monkeypatch.setenv("INPUT_MAX-RETRIES", "7")
    main(["sync"])
    assert calls[0].max_retries == 7


def test_every_action_input_has_a_sync_flag_except_the_token():
    inputs = {field for field, source in SOURCES.items() if source.name.islower()}
    flags = {field for _, field in SYNC_FLAGS}
    assert inputs - flags == {"github_token"}
    assert "github_token" not in flags


@pytest.mark.parametrize("flag", ["--github-token", "--token"])
def test_there_is_no_token_flag(flag, fake_module, capsys):
    fake_module("sync")
    with pytest.raises(SystemExit) as caught:
        main(["sync", flag, TOKEN])
    assert caught.value.code == 2


def test_bad_setting_exits_2_with_one_message_naming_the_input(fake_module, capsys):
    calls = fake_module("sync")
    assert main(["sync", "--max-concurrent", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "batchsync: invalid max-concurrent: '0'; a whole number from 1 to 100\n"
    assert calls == []


def test_bad_setting_in_actions_is_an_error_command(monkeypatch, fake_module, capsys):
    fake_module("sync")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("INPUT_TYPE", "bugs")
    assert main([]) == 2
    lines = capsys.readouterr().out.splitlines()
    # The token is masked before any input is read, so the runner hides it from any later line.
    assert lines[0] == f"::add-mask::{TOKEN}"
    # Titled like every error that stops a run, so the run's summary says what went wrong.
    assert lines[1].startswith("::error title=batchsync%3A invalid input::invalid type: 'bugs'")
    assert all(TOKEN not in line for line in lines[1:])


def test_bad_input_in_actions_still_writes_the_step_summary(monkeypatch, tmp_path, capsys):
    summary_file = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary_file))
    monkeypatch.setenv("INPUT_GITHUB-TOKEN", TOKEN)
    monkeypatch.setenv("INPUT_MAX-CONCURRENT", "0")
    assert main([]) == 2
    text = summary_file.read_text()
    assert "Nothing was synced" in text
    assert "max-concurrent" in text
    assert "a whole number from 1 to 100" in text
    assert TOKEN not in text
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"::add-mask::{TOKEN}"
    assert all(TOKEN not in line for line in lines[1:])


@pytest.mark.parametrize(("command", "rest"), [("demo", []), ("emulator", ["--port", "0", "-v"])])
def test_demo_and_emulator_get_the_remaining_arguments(command, rest, fake_module):
    calls = fake_module(command, code=3)
    assert main([command, *rest]) == 3
    assert calls == [rest]


def test_command_not_yet_built_exits_2_with_a_message(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "batchsync.emulator", None)
    assert main(["emulator"]) == 2
    assert "batchsync.emulator" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["sync", "validate", "demo", "emulator"])
def test_help_for_every_command(command, capsys):
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    assert f"usage: batchsync {command}" in capsys.readouterr().out


def _subcommands(parser):
    """Name -> parser of every subcommand."""
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


@pytest.mark.parametrize("command", list(_subcommands(cli.build_parser(full=True))))
def test_every_commands_help_lists_all_of_its_options(command, capsys):
    # The full parser holds demo's and emulator's own options; `--help` must show each of them,
    # not just -h (they used to hide behind a pass-through).
    sub = _subcommands(cli.build_parser(full=True))[command]
    options = [o for a in sub._actions for o in a.option_strings if o != "-h"]
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert options or command == "completion"
    for option in options:
        assert option in out, f"batchsync {command} --help does not list {option}"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--bogus", "sync"], "unrecognized arguments: --bogus"),
        (["sync", "--dry-rn"], "--dry-rn (did you mean --dry-run?)"),
        (["validate", "--sample", "extra"], "unrecognized arguments: extra"),
        (["demo", "--scal", "9"], "unrecognized arguments: --scal 9"),
        (["emulator", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_an_unknown_argument_is_named(argv, named, capsys):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert named in err
    assert "positional arguments" not in err  # the error, not the whole help


def test_python_dash_m_demo_help_lists_its_options():
    run = subprocess.run(
        [sys.executable, "-m", "batchsync.demo", "--help"],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0
    assert "--scale" in run.stdout
    assert "--workspace" in run.stdout


@pytest.mark.parametrize("shell", cli.SHELLS)
def test_completion_script_covers_every_command_and_option(shell, capsys):
    pytest.importorskip("shtab")  # the `completion` extra; the test extra installs it
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    for option in ("--dry-run", "--sample", "--scale", "--read-token", "--no-sub-issues"):
        assert option in script
    if shell == "bash":
        assert "_shtab_compgen_dirs" in script  # --path completes folders


def test_completion_without_shtab_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "shtab", None)
    assert main(["completion", "bash"]) == 2
    assert "pip install 'batchsync[completion]'" in capsys.readouterr().err


def test_sync_help_lists_every_flag_with_its_input(capsys):
    with pytest.raises(SystemExit):
        main(["sync", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for flag, field in SYNC_FLAGS:
        assert flag in out
        source = SOURCES[field]
        said = f"{'variable' if source.runner else 'input'} {source.name}"
        assert said in out.replace("- ", "-")
    assert "--no-dry-run" in out


def test_validate_sample_tree_is_clean(capsys):
    assert main(["validate", "--sample"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "0 problems" in captured.err


def test_validate_prints_path_line_message_and_exits_1(tmp_path, capsys):
    write(tmp_path, ".claude/prds/a.md", "---\ntitle: A\n---\n")
    write(tmp_path, ".claude/prds/b.md", "---\ntitle: B\nstatus: [open\n---\n")
    write(tmp_path, ".claude/prds/c.md", "---\nstatus: open\n---\n")
    assert main(["validate"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        ".claude/prds/b.md:3",
        ".claude/prds/c.md:1",
    ]
    assert "end it with `]`" in lines[0]
    assert "no title" in lines[1]


def test_validate_in_actions_prints_error_annotations(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    write(tmp_path, "pm, v2/prds/c.md", "---\nstatus: open\n---\n")
    assert main(["validate", "--path", "pm, v2"]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("::error file=pm%2C v2/prds/c.md,line=1::no title")


def test_validate_type_filter(tmp_path, capsys):
    write(tmp_path, ".claude/prds/a.md", "---\nstatus: open\n---\n")
    write(tmp_path, ".claude/epics/e/epic.md", "---\nname: e\n---\n")
    assert main(["validate", "--type", "epic"]) == 0


def test_validate_missing_folder_is_a_settings_error(capsys):
    assert main(["validate", "--path", "nowhere"]) == 2
    assert "invalid path: 'nowhere'" in capsys.readouterr().err


def test_validate_path_outside_the_workspace_exits_2(capsys):
    assert main(["validate", "--path", "/"]) == 2
    assert "inside the workspace" in capsys.readouterr().err


def test_unknown_argument_to_validate_exits_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["validate", "--bogus"])
    assert caught.value.code == 2
    assert "usage: batchsync validate" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\nb\r\nc", "a%0Ab%0D%0Ac", "a%0Ab%0D%0Ac"),
        ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
        ("%0A", "%250A", "%250A"),
    ],
)
def test_workflow_command_escaping(text, data, prop):
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_python_dash_m_validate_sample_in_a_subprocess(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(SRC)}
    run = subprocess.run(
        [sys.executable, "-m", "batchsync", "validate", "--sample"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "0 problems" in run.stderr


def test_sample_tree_ships_inside_the_package():
    assert cli.SAMPLE_TREE.parent == SRC / "batchsync"
    assert (cli.SAMPLE_TREE / "prds").is_dir()


def test_validate_reports_numbers_out_of_range_without_a_traceback(tmp_path, capsys):
    huge = "9" * 5000
    write(
        tmp_path,
        ".claude/prds/a.md",
        f"---\nname: A\ngithub: https://github.com/o/r/issues/{huge}\n---\n",
    )
    write(tmp_path, ".claude/prds/b.md", f"---\nname: 0x{'f' * 5000}\n---\n")
    write(tmp_path, ".claude/sync-map.json", '{"prd-001": ' + huge + "}")
    assert main(["validate"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        ".claude/prds/a.md:3",
        ".claude/prds/b.md:2",
        ".claude/sync-map.json:1",
    ]


def test_a_token_given_as_another_input_is_masked_first_and_never_echoed(
    monkeypatch, tmp_path, capsys
):
    # `repository: ${{ secrets.X }}`: the error about the input must not print the secret.
    secret = "ghp_" + "WrongInput0" * 4
    summary_file = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary_file))
    monkeypatch.setenv("INPUT_GITHUB-TOKEN", TOKEN)
    monkeypatch.setenv("INPUT_REPOSITORY", secret)
    assert main([]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [f"::add-mask::{TOKEN}", f"::add-mask::{secret}"]
    assert "invalid repository: '***'; owner/name" in lines[2]
    assert all(secret not in line and TOKEN not in line for line in lines[2:])
    assert secret not in summary_file.read_text()


def test_a_crash_is_printed_through_the_one_way_out(monkeypatch, capsys):
    def crash(argv=None):
        raise RuntimeError("from a file\n::add-mask::x \x1b]0;title\x07")

    monkeypatch.setattr(cli, "main", crash)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert cli.entry() == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "RuntimeError: from a file" in err
    assert "\x1b" not in err
    assert not any(line.lstrip().startswith("::") for line in err.splitlines())


def test_validate_reports_githubs_limits_with_file_and_line(tmp_path, capsys):
    write(tmp_path, ".claude/prds/a.md", "---\nname: A\npriority: " + "p" * 45 + "\n---\n")
    write(tmp_path, ".claude/prds/b.md", "---\nname: " + "t" * 251 + "\n---\n")
    write(tmp_path, ".claude/prds/c.md", '---\nname: C\nlabels: ["x\\0y"]\n---\n')
    write(tmp_path, ".claude/prds/d.md", "---\nname: D\n---\n" + "x" * 70_000)
    write(tmp_path, ".claude/prds/e.md", "---\nname: E\n---\nfine\n")
    assert main(["validate"]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        ".claude/prds/a.md:3",
        ".claude/prds/b.md:2",
        ".claude/prds/c.md:3",
        ".claude/prds/d.md:4",
    ]
    assert "shorten `priority`" in lines[0]
    assert "1 work items, 4 problems" in captured.err


def test_validate_counts_every_file_by_class_and_lists_the_rest_with_verbose(tmp_path, capsys):
    write(tmp_path, ".claude/prds/a.md", "---\nname: A\n---\n")
    write(tmp_path, ".claude/prds/b.md", "---\nname: [\n---\n")
    write(tmp_path, ".claude/epics/e/epic.md", "---\nname: e\n---\n")
    write(tmp_path, ".claude/epics/e/001-analysis.md", "notes\n")
    write(tmp_path, ".claude/epics/e/checkpoint.json", "{}")
    write(tmp_path, ".claude/epics/archived/old/epic.md", "---\nname: old\n---\n")
    assert main(["validate"]) == 1
    err = capsys.readouterr().err
    assert "2 work items, 1 with errors, 1 archived, 2 not work items" in err
    assert "001-analysis.md" not in err
    assert main(["validate", "--verbose"]) == 1
    err = capsys.readouterr().err
    assert "archived item: .claude/epics/archived/old/epic.md: archived, never synced" in err
    assert "not a work item: .claude/epics/e/001-analysis.md: a task's analysis notes" in err
    assert "not a work item: .claude/epics/e/checkpoint.json: not a markdown file" in err
    assert ".claude/prds/a.md" not in err


def test_validate_prints_warnings_without_failing(tmp_path, capsys):
    write(tmp_path, ".claude/epics/e/epic.md", "---\nname: e\nprd: missing\n---\n")
    assert main(["validate"]) == 0
    err = capsys.readouterr().err
    assert "warning: .claude/epics/e/epic.md:3: `prd` names PRD 'missing'" in err


def test_validate_warns_of_a_local_parent_that_is_not_in_the_tree(tmp_path, capsys):
    write(tmp_path, ".claude/prds/prd-001.md", "---\nid: prd-001\ntitle: A\n---\n")
    write(tmp_path, ".claude/epics/e/epic.md", "---\nid: epic-1\ntitle: E\nprd_id: prd-404\n---\n")
    assert main(["validate"]) == 0
    err = capsys.readouterr().err
    assert "warning: .claude/epics/e/epic.md:4: `prd_id` names 'prd-404', which is no work" in err


def test_validate_warns_of_a_path_without_prds_or_epics(tmp_path, capsys):
    write(tmp_path, "docs/readme.md", "# not work items\n")
    assert main(["validate", "--path", "docs"]) == 0
    err = capsys.readouterr().err
    assert "warning: docs: holds neither prds/ nor epics/, so there is no work item" in err
    assert "set `path` to the folder that holds them" in err


def test_ctrl_c_outside_a_sync_exits_130_without_a_traceback(monkeypatch, capsys):
    def interrupted(argv=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupted)
    assert cli.entry() == 130
    err = capsys.readouterr().err
    assert "batchsync: interrupted" in err
    assert "Traceback" not in err
