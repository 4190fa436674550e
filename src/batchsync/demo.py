"""``batchsync demo``: the whole job in seconds, with no token and no network.

Starts the bundled GitHub emulator on loopback, copies the bundled example tree (both layouts,
side by side) into a temporary workspace and syncs it twice: the first run creates every issue,
the second finds them all by their markers and writes nothing. The emulator's clock runs faster
than real time and the run is given that clock, so GitHub's pacing (a second between writes)
is kept in emulated time and costs almost no real time.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from batchsync import summary, sync, workflow
from batchsync.config import Settings, load_settings
from batchsync.emulator import Emulator
from batchsync.progress import progress_for
from batchsync.report import ExitCode
from batchsync.results import BatchResult

__all__ = ["DEMO_REPOSITORY", "SAMPLE_TREE", "main"]

SAMPLE_TREE = Path(__file__).with_name("sample_tree")
DEMO_REPOSITORY = "demo/batchsync"


@dataclass(frozen=True)
class Requests:
    """Requests the emulator answered during one run."""

    total: int
    writes: int


def _counted(emulator: Emulator) -> Requests:
    return Requests(total=emulator.stats.total, writes=emulator.stats.writes())


def build_parser() -> argparse.ArgumentParser:
    """The demo's options."""
    parser = argparse.ArgumentParser(
        prog="batchsync demo",
        description="Sync the bundled example tree into a local GitHub emulator, twice.",
        allow_abbrev=False,  # as every batchsync command: a shortened option is an error
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=200.0,
        help="emulated seconds per real second (default 200: a 1 s write pacing takes 5 ms)",
    )
    parser.add_argument(
        "--workspace",
        type=Path,
        help="keep the example tree here (a new or empty folder) instead of a temporary one",
    )
    return parser


def _settings(workspace: Path, emulator: Emulator, token: str) -> Settings:
    # env={}: the demo reads nothing from the environment, so a real GITHUB_TOKEN never leaks in.
    return load_settings(
        {
            "github_token": token,
            "repository": DEMO_REPOSITORY,
            "workspace": workspace,
            "path": ".claude",
            "api_url": emulator.url,
        },
        env={},
    )


def _sync_once(
    label: str, settings: Settings, emulator: Emulator, out: workflow.Out, err: workflow.Out
) -> tuple[BatchResult, Requests]:
    out.say(f"\n{label}")
    before = _counted(emulator)
    progress = progress_for(err, actions=settings.in_actions, clock=emulator.clock.now)
    with workflow.logging_to(err):
        result = sync.run(
            settings,
            clock=emulator.clock.now,
            sleep=emulator.clock.sleep,
            on_progress=progress,
            on_wait=progress.on_wait,
        )
    after = _counted(emulator)
    used = Requests(after.total - before.total, after.writes - before.writes)
    out.say(summary.text(result, repository=DEMO_REPOSITORY))
    out.say(f"requests to the emulator: {used.total}, of which writes: {used.writes}")
    return result, used


def _demo(workspace: Path, scale: float, out: workflow.Out, err: workflow.Out) -> int:
    shutil.copytree(SAMPLE_TREE, workspace / ".claude", dirs_exist_ok=True)
    token = "ghs_" + secrets.token_hex(16)  # an installation token, like GITHUB_TOKEN
    with Emulator(limits="github", scale=scale) as emulator:
        emulator.add_token(token)
        emulator.add_repo(DEMO_REPOSITORY)
        settings = _settings(workspace, emulator, token)
        out.say(
            f"batchsync demo: GitHub emulator at {emulator.url} with GitHub's limits; its clock "
            f"runs {scale:g}x real time, so the times below are emulated.\n"
            f"Work items (both layouts): {workspace / '.claude'}"
        )
        first, _ = _sync_once("First run: every item is new.", settings, emulator, out, err)
        second, again = _sync_once(
            "Second run: nothing changed, so nothing is written.", settings, emulator, out, err
        )
    ok = not first.failed and not second.failed and again.writes == 0
    out.say("\n" + ("demo done." if ok else "demo FAILED: see above."))
    return ExitCode.OK if ok else ExitCode.FAILED


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    out: workflow.Out | None = None,
    err: workflow.Out | None = None,
) -> int:
    """Run the demo; 0 when the first run synced everything and the second wrote nothing."""
    args = build_parser().parse_args(argv)
    out = out or workflow.Out(stdout or sys.stdout)
    err = err or workflow.Out(sys.stderr)
    if args.scale <= 0:
        err.say("batchsync demo: --scale must be more than 0")
        return ExitCode.FATAL
    if args.workspace is not None:
        if args.workspace.exists() and any(args.workspace.iterdir()):
            err.say(f"batchsync demo: {args.workspace} is not empty")
            return ExitCode.FATAL
        args.workspace.mkdir(parents=True, exist_ok=True)
        return _demo(args.workspace.resolve(), args.scale, out, err)
    with tempfile.TemporaryDirectory(prefix="batchsync-demo-") as folder:
        return _demo(Path(folder), args.scale, out, err)


if __name__ == "__main__":  # python -m batchsync.demo
    sys.exit(main())
