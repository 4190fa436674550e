"""``batchsync emulator`` / ``python -m batchsync.emulator``: run the emulator as a process."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Protocol, TextIO

from batchsync.emulator.graphql import GraphQLConfig
from batchsync.emulator.issue_types import DEFAULT_ISSUE_TYPES
from batchsync.emulator.limits import LimitConfig
from batchsync.emulator.server import Emulator
from batchsync.emulator.shapes import LIST_FIELDS

__all__ = ["build_parser", "main"]


class Say(Protocol):
    """Where a line goes: ``batchsync emulator`` passes batchsync's one way out."""

    def say(self, text: str) -> None:
        """Print one line."""
        ...


class _Plain:
    """A stream as a ``Say`` (``python -m batchsync.emulator``: stdlib only)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def say(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def build_parser() -> argparse.ArgumentParser:
    """The emulator's command-line options."""
    parser = argparse.ArgumentParser(
        prog="batchsync emulator",
        description="Run the GitHub REST emulator on loopback; prints its URL on the first line.",
        allow_abbrev=False,  # as every batchsync command: a shortened option is an error
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    parser.add_argument(
        "--limits",
        choices=("github", "off"),
        default="github",
        help="github: GitHub's primary and secondary limits (default); off: none",
    )
    parser.add_argument("--primary-limit", type=int, help="requests per token and hour")
    parser.add_argument("--scale", type=float, default=1.0, help="emulated seconds per second")
    parser.add_argument("--seed", type=int, default=0, help="seed for limits answers and faults")
    parser.add_argument("--prefix", default="", help='path prefix, e.g. "/api/v3" as on GHES')
    parser.add_argument(
        "--token", action="append", default=[], help="accepted token (repeatable); none: any"
    )
    parser.add_argument(
        "--read-token", action="append", default=[], help="a token that may only read"
    )
    parser.add_argument(
        "--admin-token",
        help="token the /_emulator/ admin endpoints require once any --token or --read-token "
        "is set (default: a random one, printed on stderr)",
    )
    parser.add_argument("--repo", action="append", default=[], help="owner/name to create")
    parser.add_argument("--no-sub-issues", action="store_true", help="serve no sub-issues API")
    parser.add_argument(
        "--no-graphql", action="store_true", help="serve no GraphQL endpoint (/graphql): 404"
    )
    parser.add_argument(
        "--graphql-without-parent",
        action="store_true",
        help="an older GraphQL schema: CreateIssueInput has no parentIssueId",
    )
    parser.add_argument(
        "--user-repo",
        action="append",
        default=[],
        help="owner/name to create, owned by a user account (no issue types; repeatable)",
    )
    parser.add_argument(
        "--no-dependencies",
        action="store_true",
        help="serve no issue dependencies API (blocked_by, blocking): 404, as an older GHES",
    )
    parser.add_argument(
        "--issue-types",
        default=",".join(DEFAULT_ISSUE_TYPES),
        help="the issue types of every organisation, comma-separated "
        f"(default {','.join(DEFAULT_ISSUE_TYPES)}; empty: none)",
    )
    parser.add_argument(
        "--no-issue-types",
        action="store_true",
        help="serve no issue types: no issue-types endpoints (404), a `type` field is ignored",
    )
    parser.add_argument(
        "--graphql-without-removal-events",
        action="store_true",
        help="timelineItems lists no ParentIssueRemovedEvent (a server whose timeline has none)",
    )
    parser.add_argument(
        "--graphql-viewer-error",
        action="store_true",
        help="answer viewer { login } with null and a FORBIDDEN error (the rest answers)",
    )
    parser.add_argument("--search-lag", type=float, default=10.0, help="search index delay (s)")
    parser.add_argument(
        "--list-fields",
        choices=LIST_FIELDS,
        default="both",
        help="what list answers carry of the optional parent_issue_url and sub_issues_summary "
        "(default both; single-issue answers always carry them)",
    )
    return parser


def _emulator(args: argparse.Namespace) -> Emulator:
    limits = LimitConfig.named(args.limits)
    if args.primary_limit is not None:
        limits = (
            LimitConfig.github(primary_limit=args.primary_limit)
            if args.limits == "github"
            else limits
        )
    emulator = Emulator(
        limits=limits,
        scale=args.scale,
        seed=args.seed,
        port=args.port,
        prefix=args.prefix,
        sub_issues=not args.no_sub_issues,
        search_lag=args.search_lag,
        host=args.host,
        graphql=None
        if args.no_graphql
        else GraphQLConfig(
            parent_issue_id=not args.graphql_without_parent,
            viewer_error=args.graphql_viewer_error,
            parent_removed_events=not args.graphql_without_removal_events,
        ),
        list_fields=args.list_fields,
        admin_token=args.admin_token,
        dependencies=not args.no_dependencies,
        issue_types=None
        if args.no_issue_types
        else tuple(t.strip() for t in args.issue_types.split(",") if t.strip()),
    )
    for token in args.token:
        emulator.add_token(token)
    for token in args.read_token:
        emulator.add_token(token, permission="read")
    for name in args.repo:
        emulator.add_repo(name)
    for name in args.user_repo:
        emulator.add_repo(name, user_owned=True)
    return emulator


def _warnings(emulator: Emulator, args: argparse.Namespace) -> list[str]:
    lines = []
    if emulator.exposed:
        open_note = "; with no --token it accepts any token" if emulator.open_to_all else ""
        lines.append(
            f"batchsync emulator: warning: listening on {args.host}, not loopback: anyone who "
            f"can reach this port can use it (plain HTTP, a test tool){open_note}"
        )
    if not emulator.open_to_all and args.admin_token is None:
        lines.append(
            "batchsync emulator: the /_emulator/ endpoints need "
            f"'Authorization: token {emulator.admin_token}' (set it with --admin-token)"
        )
    return lines


def main(
    argv: Sequence[str] | None = None, *, out: Say | None = None, err: Say | None = None
) -> int:
    """Serve until SIGTERM or SIGINT; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = out or _Plain(sys.stdout)
    err = err or _Plain(sys.stderr)
    try:
        emulator = _emulator(args)
        emulator.start()
    except (ValueError, OSError) as error:
        err.say(f"batchsync emulator: {error}")
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
    out.say(emulator.url)  # the first line: callers read the URL from it
    for line in _warnings(emulator, args):
        err.say(line)
    try:
        stop.wait()
    finally:
        emulator.stop()
    return 0
