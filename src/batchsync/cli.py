"""Command line: ``batchsync sync|validate|demo|emulator``, and action mode under GitHub Actions."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from batchsync import __version__, summary, workflow
from batchsync.config import (
    Settings,
    in_actions,
    load_settings,
    secrets_to_mask,
    step_summary_file,
)
from batchsync.errors import ItemError, SettingsError
from batchsync.items import FileClass, ScanResult, kinds_named, scan
from batchsync.report import ExitCode
from batchsync.settings_table import TABLE, Unit, named
from batchsync.workflow import escape_data, escape_property  # the one escaping helper

__all__ = [
    "SAMPLE_TREE",
    "build_parser",
    "entry",
    "escape_data",
    "escape_property",
    "flag_help",
    "main",
]

SAMPLE_TREE = Path(__file__).with_name("sample_tree")

# Flag -> setting, for every setting with a flag (``settings_table``): every action input but
# the token (a token on a command line leaks into shell history and process lists: it comes
# from GITHUB_TOKEN only), and the API root.
SYNC_FLAGS: tuple[tuple[str, str], ...] = tuple(
    (setting.flag, setting.field) for setting in TABLE if setting.flag is not None
)

_EPILOG = (
    "The token is read from GITHUB_TOKEN (or INPUT_GITHUB-TOKEN), never from a flag. "
    "Every flag can also come from its action input variable (INPUT_<NAME>); flags win."
)


def flag_help(field: str) -> str:
    """Help text for a setting's flag: what it does, what it allows, its default and input."""
    setting = named(field)
    notes = [] if setting.unit is Unit.FLAG else [setting.allowed]
    if setting.default is not None:
        notes.append(f"default {setting.shown_default}")
    notes.append(f"{'variable' if setting.runner else 'input'} {setting.name}")
    return f"{setting.description} [{'; '.join(notes)}]"


def _add_settings_flags(parser: argparse.ArgumentParser, flags: Sequence[tuple[str, str]]) -> None:
    for flag, field in flags:
        text = flag_help(field).replace("%", "%%")  # argparse formats help with %
        setting = named(field)
        if setting.unit is Unit.FLAG:
            parser.add_argument(flag, dest=field, action=argparse.BooleanOptionalAction, help=text)
        else:
            parser.add_argument(flag, dest=field, metavar=setting.metavar, help=text)


@dataclass(frozen=True)
class _Io:
    """The CLI's two ways out, stdout and stderr, each through ``workflow.Out``."""

    out: workflow.Out
    err: workflow.Out

    @classmethod
    def for_run(cls, actions: bool, secrets: Sequence[str]) -> _Io:
        """Both streams, with the runner's rule in Actions and the secrets redacted."""
        return cls(
            workflow.Out(sys.stdout, actions=actions, secrets=secrets),
            workflow.Out(sys.stderr, actions=actions, secrets=secrets),
        )


_RUNNING: list[_Io] = []  # the streams of the command running now (main sets them)


def _io() -> _Io:
    return _RUNNING[-1] if _RUNNING else _Io.for_run(in_actions(), ())


@contextlib.contextmanager
def _running(io: _Io) -> Iterator[_Io]:
    _RUNNING.append(io)
    try:
        yield io
    finally:
        _RUNNING.pop()


def _say(text: str, stream: TextIO | None = None) -> None:
    """Print through the one way out: stdout, or stderr when ``stream`` is ``sys.stderr``."""
    io = _io()
    (io.err if stream is sys.stderr else io.out).say(text)


# Commands run by their own module's parser; the module is imported only when the command runs.
FORWARDED = {
    "demo": "sync the bundled example tree into a local GitHub emulator, no token needed",
    "emulator": "run the GitHub REST emulator on loopback, for your own tests",
}
_FORWARDED_PARSERS = {"demo": "batchsync.demo", "emulator": "batchsync.emulator.cli"}
SHELLS = ("bash", "zsh")  # shtab's tcsh script completes no options
# Options whose values are folders or files, for the completion script.
_PATH_OPTIONS = {"path": "DIRECTORY", "workspace": "DIRECTORY", "results_file": "FILE"}


def build_parser(*, full: bool = False) -> argparse.ArgumentParser:
    """The argument parser for every subcommand (``full``: with demo's and emulator's options)."""
    parser = argparse.ArgumentParser(
        prog="batchsync",
        description="Keep markdown work items (PRDs, epics, tasks) in step with GitHub issues.",
        epilog="With no command inside GitHub Actions (GITHUB_ACTIONS=true), runs as the action.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"batchsync {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sync = commands.add_parser(
        "sync",
        help="sync the work items to GitHub issues",
        description="Sync the work items under --path to issues in --repo.",
        epilog=_EPILOG,
        allow_abbrev=False,
    )
    _add_settings_flags(sync, SYNC_FLAGS)
    sync.add_argument(
        "--json",
        action="store_true",
        help="print the results document (JSON, as in --results-file) on stdout and the "
        "report on stderr",
    )
    sync.set_defaults(handler=_sync, parser=sync)

    validate = commands.add_parser(
        "validate",
        help="check the work items; no token, no network",
        description="Parse every work item and print each problem as path:line: message "
        "(as ::error annotations inside GitHub Actions). Exit 1 when there is any, 0 when none.",
        allow_abbrev=False,
    )
    _add_settings_flags(validate, (("--path", "path"), ("--type", "item_type")))
    validate.add_argument(
        "--sample", action="store_true", help="check the example tree bundled with batchsync"
    )
    validate.add_argument(
        "--verbose",
        action="store_true",
        help="also list each archived file and each file that is not a work item, with the rule",
    )
    validate.set_defaults(handler=_validate, parser=validate)

    for name, text in FORWARDED.items():
        # The command's own parser (imported only when it runs) reads every argument, -h and
        # --help included, so its help lists all of its options and names an unknown one.
        sub = commands.add_parser(
            name,
            help=text,
            description=text[0].upper() + text[1:] + ".",
            add_help=False,
            allow_abbrev=False,
            parents=[_forwarded_parser(name)] if full else [],
        )
        sub.set_defaults(handler=_forward(name), parser=sub)

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script (needs shtab: pip install 'batchsync[completion]')",
        description="Print the completion script for a shell, e.g. "
        "`batchsync completion bash > ~/.local/share/bash-completion/completions/batchsync`.",
        allow_abbrev=False,
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    completion.set_defaults(handler=_completion, parser=completion)
    return parser


def _forwarded_parser(name: str) -> argparse.ArgumentParser:
    module = importlib.import_module(_FORWARDED_PARSERS[name])
    parser: argparse.ArgumentParser = module.build_parser()
    return parser


def _overrides(args: argparse.Namespace, flags: Sequence[tuple[str, str]]) -> dict[str, object]:
    return {field: getattr(args, field) for _, field in flags}


def _sync(args: argparse.Namespace, rest: list[str]) -> int:
    settings = load_settings(_overrides(args, SYNC_FLAGS))
    return _run_sync(settings, as_json=args.json)


def _run_sync(settings: Settings, *, as_json: bool = False) -> int:
    # Imported here: the engine (and PyGithub) load only when a sync is asked for.
    engine = importlib.import_module("batchsync.sync")
    io = _io()
    result: int = engine.main(settings, out=io.out, err=io.err, as_json=as_json)
    return result


def _forward(name: str) -> Callable[[argparse.Namespace, list[str]], int]:
    def run(args: argparse.Namespace, rest: list[str]) -> int:
        module = importlib.import_module(f"batchsync.{name}")
        io = _io()
        result: int = module.main(rest, out=io.out, err=io.err)
        return result

    return run


def _completion(args: argparse.Namespace, rest: list[str]) -> int:
    # shtab is optional: a completion script is a one-off, not worth a dependency of the image.
    shtab = importlib.import_module("shtab")
    parser = build_parser(full=True)
    for action in _all_actions(parser):
        kind = _PATH_OPTIONS.get(action.dest)
        if kind is not None:
            action.complete = getattr(shtab, kind)  # type: ignore[attr-defined]
    _say(shtab.complete(parser, shell=args.shell).rstrip("\n"))
    return ExitCode.OK


def _all_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every action of a parser and of its subcommands' parsers."""
    found = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _all_actions(sub)
    return found


def _reject_unknown(parser: argparse.ArgumentParser, rest: Sequence[str]) -> None:
    """Exit 2 naming each unknown argument, with the nearest option when one is close."""
    known = [o for action in parser._actions for o in action.option_strings]
    named = []
    for arg in rest:
        close = difflib.get_close_matches(arg.split("=", 1)[0], known, n=1)
        named.append(f"{arg} (did you mean {close[0]}?)" if arg.startswith("-") and close else arg)
    parser.error(f"unrecognized arguments: {' '.join(named)}")


def _validate(args: argparse.Namespace, rest: list[str]) -> int:
    overrides: dict[str, object] = {"path": args.path, "item_type": args.item_type}
    if args.sample:
        overrides.update(path=SAMPLE_TREE.name, workspace=SAMPLE_TREE.parent)
    settings = load_settings(overrides)
    base = settings.base_dir()
    if not base.is_dir():
        raise SettingsError("path", settings.path, f"an existing folder ({base} is not one)")
    result = scan(base, workspace=settings.workspace, kinds=kinds_named(settings.item_type))
    for error in result.errors:
        _say(_problem(error, settings.in_actions))
    for note in result.warnings:
        _say(_warning(note, settings.in_actions), sys.stderr)
    counts = f"{len(result.items)} work items, {len(result.errors)} problems"
    _say(f"{counts} in {base}", sys.stderr)
    _say(file_classes(result), sys.stderr)
    if args.verbose:
        for line in file_listing(result):
            _say(line, sys.stderr)
    return ExitCode.FAILED if result.errors else ExitCode.OK


_PLURAL = {
    FileClass.ITEM: "work items",
    FileClass.ERROR: "with errors",
    FileClass.ARCHIVED: "archived",
    FileClass.OTHER: "not work items",
}


def file_classes(result: ScanResult) -> str:
    """The count of each class of file under prds/ and epics/ (every file is in exactly one)."""
    counts = ", ".join(f"{result.count(cls)} {_PLURAL[cls]}" for cls in FileClass)
    return f"files under prds/ and epics/: {counts}"


def file_listing(result: ScanResult) -> list[str]:
    """The archived files and those that are not work items, each with why (``--verbose``)."""
    shown = (FileClass.ARCHIVED, FileClass.OTHER)
    return [f"  {f.cls.value}: {f.path}: {f.why}" for f in result.files if f.cls in shown]


def _warning(note: ItemError, actions: bool) -> str:
    """One warning: ``warning: path:line: message``, or a warning annotation in Actions."""
    if actions:
        return workflow.warning(note.message, file=note.path, line=note.line)
    return workflow.clean(f"warning: {note}", limit=workflow.MESSAGE_LIMIT)


def _problem(error: ItemError, actions: bool) -> str:
    """One problem: ``path:line: message``, or an annotation on the file inside Actions."""
    if actions:
        return workflow.error(error.message, file=error.path, line=error.line)
    return workflow.clean(str(error), limit=workflow.MESSAGE_LIMIT)


def _action_mode() -> int:
    # The Docker action's entry point: `sync` from INPUT_* variables, reported for the runner.
    try:
        settings = load_settings()  # a bad input is reported before the engine is even imported
    except SettingsError as error:
        _fatal_summary(error)
        raise
    action = importlib.import_module("batchsync.action")
    io = _io()
    code: int = action.run_action(settings, out=io.out, stderr=io.err.stream)
    return code


def _fatal_summary(error: SettingsError) -> None:
    """The step summary of a run whose inputs could not be read: written on failure too."""
    path = step_summary_file()
    if path is None:
        return
    fix = f"with:\n  {error.name}: ...  # {error.allowed}" if error.name.islower() else None
    text = _io().out.redact(summary.render_fatal(str(error), fix))
    with (
        contextlib.suppress(OSError),
        path.open("a", encoding="utf-8", errors="backslashreplace") as handle,
    ):
        handle.write(text)


def entry() -> int:
    """The process's entry point (``batchsync``, ``python -m batchsync``): ``main``, with the
    traceback of a crash printed through the one way out too (it may quote a file's text)."""
    try:
        return main()
    except KeyboardInterrupt:  # Ctrl-C outside a sync's own handling (validate, a start-up)
        _Io.for_run(in_actions(), ()).err.say("batchsync: interrupted")
        return ExitCode.INTERRUPTED
    except Exception:
        _Io.for_run(in_actions(), secrets_to_mask()).err.say(traceback.format_exc())
        return ExitCode.FATAL


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (2 for bad settings, with one message)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    actions = in_actions()
    secrets = secrets_to_mask()
    with _running(_Io.for_run(actions, secrets)) as io:
        for secret in secrets:
            io.out.mask(secret)  # in Actions, before any input is read or any line printed
        return _main(args_list, actions)


def _main(args_list: list[str], actions: bool) -> int:
    parser = build_parser()
    try:
        if not args_list:
            if actions:
                return _action_mode()
            parser.print_help(sys.stderr)
            return ExitCode.FATAL
        args, rest = parser.parse_known_args(args_list)
        if args.command is None:
            if rest:
                _reject_unknown(parser, rest)
            parser.print_help(sys.stderr)
            return ExitCode.FATAL
        if rest and args.command not in FORWARDED:
            _reject_unknown(args.parser, rest)
        code: int = args.handler(args, rest)
    except SettingsError as error:
        return _cannot_start("invalid input", str(error), actions)
    except ModuleNotFoundError as error:
        return _missing_module(error, actions)
    return code


def _missing_module(error: ModuleNotFoundError, actions: bool) -> int:
    """Exit 2 for a part of batchsync (or the optional shtab) that is not installed."""
    if error.name == "shtab":
        message = "shell completion needs shtab: pip install 'batchsync[completion]'"
    elif (error.name or "").startswith("batchsync."):
        message = f"{error.name} is not part of this build yet"
    else:
        raise error
    return _cannot_start("incomplete install", message, actions)


def _cannot_start(title: str, message: str, actions: bool) -> int:
    """Report a run that could not start: one titled ``::error`` in Actions, else one line."""
    if actions:
        _say(workflow.error(message, title=f"batchsync: {title}"))
    else:
        _say(f"batchsync: {message}", sys.stderr)
    return ExitCode.FATAL
