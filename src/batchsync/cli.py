"""Command line: ``batchsync sync|validate|demo|emulator``, and action mode under GitHub Actions."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from batchsync import __version__, summary, workflow
from batchsync.config import (
    SOURCES,
    Settings,
    in_actions,
    load_settings,
    secrets_to_mask,
    step_summary_file,
)
from batchsync.errors import ItemError, SettingsError
from batchsync.items import scan
from batchsync.workflow import escape_data, escape_property  # the one escaping helper

__all__ = ["SAMPLE_TREE", "build_parser", "escape_data", "escape_property", "main"]

SAMPLE_TREE = Path(__file__).with_name("sample_tree")

# Flag -> setting, for every action input except the token (a token on a command line leaks
# into shell history and process lists: it comes from GITHUB_TOKEN only).
SYNC_FLAGS: tuple[tuple[str, str], ...] = (
    ("--path", "path"),
    ("--repo", "repository"),
    ("--type", "item_type"),
    ("--dry-run", "dry_run"),
    ("--max-concurrent", "max_concurrent"),
    ("--max-retries", "max_retries"),
    ("--retry-delay", "retry_delay"),
    ("--rate-limit-threshold", "rate_limit_threshold"),
    ("--fail-on-error", "fail_on_error"),
    ("--write-interval", "write_interval"),
    ("--creates-per-minute", "creates_per_minute"),
    ("--creates-per-hour", "creates_per_hour"),
    ("--time-budget", "time_budget"),
    ("--write-back", "write_back"),
    ("--close-removed", "close_removed"),
    ("--max-close", "max_close"),
    ("--sub-issues", "sub_issues"),
    ("--results-file", "results_file"),
    ("--trusted-authors", "trusted_authors"),
    ("--api-url", "api_url"),
)

_EPILOG = (
    "The token is read from GITHUB_TOKEN (or INPUT_GITHUB-TOKEN), never from a flag. "
    "Every flag can also come from its action input variable (INPUT_<NAME>); flags win."
)


_METAVARS = {
    "path": "DIR",
    "repository": "OWNER/NAME",
    "item_type": "{all,prd,epic,task}",
    "retry_delay": "SECONDS",
    "write_interval": "SECONDS",
    "time_budget": "MINUTES",
    "results_file": "FILE",
    "trusted_authors": "LOGINS",
    "api_url": "URL",
}


def _flag_help(field: str) -> str:
    """Help text for a setting's flag: what it does, what it allows, its default and input."""
    info = Settings.model_fields[field]
    source = SOURCES[field]
    default = info.get_default(call_default_factory=False)
    notes = [] if info.annotation is bool else [source.allowed]
    if default is not None:
        shown = getattr(default, "value", default)
        notes.append(f"default {str(shown).lower() if isinstance(shown, bool) else shown}")
    notes.append(f"input {source.name}")
    return f"{info.description} [{'; '.join(notes)}]".replace("%", "%%")


def _add_settings_flags(parser: argparse.ArgumentParser, flags: Sequence[tuple[str, str]]) -> None:
    for flag, field in flags:
        if Settings.model_fields[field].annotation is bool:
            parser.add_argument(
                flag, dest=field, action=argparse.BooleanOptionalAction, help=_flag_help(field)
            )
        else:
            metavar = _METAVARS.get(field, "N")
            parser.add_argument(flag, dest=field, metavar=metavar, help=_flag_help(field))


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


Handler = Callable[[argparse.Namespace, list[str], _Io], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
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
    validate.set_defaults(handler=_validate, parser=validate)

    for name, text in (
        ("demo", "sync the bundled example tree into a local GitHub emulator, no token needed"),
        ("emulator", "run the GitHub REST emulator on loopback, for your own tests"),
    ):
        sub = commands.add_parser(
            name,
            help=text,
            description=text[0].upper() + text[1:] + ".",
            epilog=f"Further options are passed to `batchsync.{name}`.",
            allow_abbrev=False,
        )
        sub.set_defaults(handler=_forward(name), parser=sub)
    return parser


def _overrides(args: argparse.Namespace, flags: Sequence[tuple[str, str]]) -> dict[str, object]:
    return {field: getattr(args, field) for _, field in flags}


def _sync(args: argparse.Namespace, rest: list[str], io: _Io) -> int:
    settings = load_settings(_overrides(args, SYNC_FLAGS))
    return _run_sync(settings, io, as_json=bool(getattr(args, "json", False)))


def _run_sync(settings: Settings, io: _Io, *, as_json: bool = False) -> int:
    # Imported here: the engine (and PyGithub) load only when a sync is asked for.
    engine = importlib.import_module("batchsync.sync")
    result: int = engine.main(settings, out=io.out, err=io.err, as_json=as_json)
    return result


def _forward(name: str) -> Handler:
    def run(args: argparse.Namespace, rest: list[str], io: _Io) -> int:
        module = importlib.import_module(f"batchsync.{name}")
        result: int = module.main(rest, out=io.out, err=io.err)
        return result

    return run


def _validate(args: argparse.Namespace, rest: list[str], io: _Io) -> int:
    overrides: dict[str, object] = {"path": args.path, "item_type": args.item_type}
    if args.sample:
        overrides.update(path=SAMPLE_TREE.name, workspace=SAMPLE_TREE.parent)
    settings = load_settings(overrides)
    base = settings.base_dir()
    if not base.is_dir():
        raise SettingsError("path", settings.path, f"an existing folder ({base} is not one)")
    result = scan(base, workspace=settings.workspace, kinds=settings.kinds())
    for error in result.errors:
        io.out.say(_problem(error, settings.in_actions))
    counts = f"{len(result.items)} work items, {len(result.errors)} problems"
    io.err.say(f"{counts} in {base}")
    return 1 if result.errors else 0


def _problem(error: ItemError, actions: bool) -> str:
    """One problem: ``path:line: message``, or an annotation on the file inside Actions."""
    if actions:
        return workflow.error(error.message, file=error.path, line=error.line)
    return workflow.clean(str(error), limit=workflow.MESSAGE_LIMIT)


def _action_mode(io: _Io) -> int:
    # The Docker action's entry point: `sync` from INPUT_* variables, reported for the runner.
    try:
        settings = load_settings()  # a bad input is reported before the engine is even imported
    except SettingsError as error:
        _fatal_summary(error, io)
        raise
    action = importlib.import_module("batchsync.action")
    code: int = action.run_action(settings, out=io.out, stderr=io.err.stream)
    return code


def _fatal_summary(error: SettingsError, io: _Io) -> None:
    """The step summary of a run whose inputs could not be read: written on failure too."""
    path = step_summary_file()
    if path is None:
        return
    fix = f"with:\n  {error.name}: ...  # {error.allowed}" if error.name.islower() else None
    text = io.out.redact(summary.render_fatal(str(error), fix))
    with contextlib.suppress(OSError), path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (2 for bad settings, with one message)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    actions = in_actions()
    secrets = secrets_to_mask()
    io = _Io.for_run(actions, secrets)
    for secret in secrets:
        io.out.mask(secret)  # in Actions, before any input is read or any line printed
    parser = build_parser()
    try:
        if not args_list:
            if actions:
                return _action_mode(io)
            parser.print_help(sys.stderr)
            return 2
        args, rest = parser.parse_known_args(args_list)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        if rest and args.command not in ("demo", "emulator"):
            args.parser.error(f"unrecognized arguments: {' '.join(rest)}")
        code: int = args.handler(args, rest, io)
    except SettingsError as error:
        return _cannot_start("invalid input", str(error), io)
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("batchsync."):
            raise
        return _cannot_start(
            "incomplete install", f"{error.name} is not part of this build yet", io
        )
    return code


def _cannot_start(title: str, message: str, io: _Io) -> int:
    """Report a run that could not start: one titled ``::error`` in Actions, else one line."""
    if io.out.actions:
        io.out.say(workflow.error(message, title=f"batchsync: {title}"))
    else:
        io.err.say(f"batchsync: {message}")
    return 2
