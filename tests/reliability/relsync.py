"""Helpers for the engine's reliability cases: settings, a child run, and the exactly-once check."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relkit import REPO, TOKEN, Finished, child_env

from batchsync.config import Settings, load_settings
from batchsync.emulator import Emulator
from batchsync.items import scan
from batchsync.render import parse_marker, render
from emulated import run_overrides

# A process that imports batchsync and the engine once, then forks one child per run: a run
# starts in milliseconds instead of the second or two the imports take. Each child gets its own
# environment, working folder, stdout and stderr files, as `python -m batchsync ARGS` would.
ZYGOTE = """
import json, logging, os, sys, traceback
import batchsync.sync
from batchsync.cli import main
for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        for fd, name in ((1, "stdout"), (2, "stderr")):
            os.dup2(os.open(job[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        os.environ.clear()
        os.environ.update(job["env"])
        os.chdir(job["cwd"])
        if job["debug"]:
            logging.basicConfig(level=logging.DEBUG)
        try:
            code = main(job["argv"])
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    print(pid, flush=True)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


@dataclass(frozen=True)
class Job:
    """One ``batchsync`` command line with its environment; where its output goes."""

    argv: list[str]
    env: Mapping[str, str]
    cwd: Path
    debug: bool = False  # log everything (DEBUG) to stderr, as a user debugging a run might

    @property
    def stdout(self) -> Path:
        return self.cwd / "stdout.txt"

    @property
    def stderr(self) -> Path:
        return self.cwd / "stderr.txt"


class Zygote:
    """Runs ``batchsync`` command lines in forked children of one process; each can be killed."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE],
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def start(self, job: Job) -> int:
        """Start one command; its process id."""
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        request = {
            "argv": job.argv,
            "env": dict(job.env),
            "cwd": str(job.cwd),
            "debug": job.debug,
            "stdout": str(job.stdout),
            "stderr": str(job.stderr),
        }
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return int(self._process.stdout.readline())

    def wait(self) -> int:
        """The exit code of the command started last (-9 when it was killed)."""
        assert self._process.stdout is not None
        return int(self._process.stdout.readline())

    def run(self, job: Job) -> Finished:
        """Run one command to its end."""
        self.start(job)
        code = self.wait()
        return Finished(code, job.stdout.read_text(), job.stderr.read_text())

    def close(self) -> None:
        """Stop the process."""
        self._process.communicate(timeout=30)


def sync_job(emu: Emulator, workspace: Path, *flags: str, debug: bool = False) -> Job:
    """``batchsync sync`` from a terminal against ``emu``, without pacing (the token in env)."""
    argv = [
        "sync",
        f"--repo={REPO}",
        f"--api-url={emu.url}",
        "--path=.claude",
        "--write-interval=0",
        "--creates-per-minute=0",
        "--creates-per-hour=0",
        "--retry-delay=0",
        "--max-concurrent=4",
        *flags,
    ]
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_WORKSPACE": str(workspace), "PATH": "/usr/bin:/bin"}
    return Job(argv, env, workspace, debug)


def overrides(emu: Emulator, workspace: Path, **changes: object) -> dict[str, object]:
    """Settings for a run against ``emu``: no pacing unless a case asks for it."""
    return run_overrides(emu, workspace, token=TOKEN, repo=REPO, **{"max_concurrent": 4, **changes})


def settings_for(emu: Emulator, workspace: Path, **changes: object) -> Settings:
    """Loaded settings for a run against ``emu`` (no environment read)."""
    return load_settings(overrides(emu, workspace, **changes), env={})


@dataclass(frozen=True)
class Check:
    """What GitHub holds against what the tree says: each problem named."""

    items: int
    duplicates: int
    missing: list[str] = field(default_factory=list)  # no issue at all
    stale: list[str] = field(default_factory=list)  # issue, but not the latest content
    unlinked: list[str] = field(default_factory=list)  # not under its parent
    unrecorded: list[str] = field(default_factory=list)  # write-back did not record the link
    broken: list[str] = field(default_factory=list)  # files that no longer parse

    @property
    def lost(self) -> int:
        """Items not on GitHub as they are now (missing, stale, unlinked, unrecorded, broken)."""
        return len({*self.missing, *self.stale, *self.unlinked, *self.unrecorded, *self.broken})


def issues_by_key(emu: Emulator) -> dict[str, list[dict[str, Any]]]:
    """Every issue carrying a batchsync marker, by the key it names."""
    found: dict[str, list[dict[str, Any]]] = {}
    for issue in emu.issues(REPO):
        marker = parse_marker(str(issue.get("body") or ""))
        if marker is not None:
            found.setdefault(marker.key, []).append(issue)
    return found


def check(emu: Emulator, workspace: Path, *, write_back: bool = False) -> Check:
    """Every item has exactly one issue with its latest content, under its parent.

    ``items`` counts what the tree holds now; a file write-back broke shows in ``broken``.
    """
    scanned = scan(workspace / ".claude", workspace=workspace)
    issues = issues_by_key(emu)
    duplicates = sum(len(found) - 1 for found in issues.values())
    numbers = {key: int(found[0]["number"]) for key, found in issues.items()}
    result = Check(len(scanned.items), duplicates, broken=[e.path for e in scanned.errors])
    for item in scanned.items:
        if item.key not in issues:
            result.missing.append(item.key)
            continue
        # the run's markers name its tree: `path` .claude, relative to the workspace
        mine = dataclasses.replace(item, namespace=".claude")
        issue, rendered = issues[item.key][0], render(mine, numbers)
        labels = {str(label["name"]) for label in issue.get("labels", [])}
        if (
            issue["title"] != rendered.title
            or issue["body"] != rendered.body
            or issue["state"] != rendered.state
            or not set(rendered.labels) <= labels
        ):
            result.stale.append(item.key)
        parent = numbers.get(item.parent_key or "")
        if parent is not None and numbers[item.key] not in emu.sub_issues(REPO, parent):
            result.unlinked.append(item.key)
        if write_back and item.link != numbers[item.key]:
            result.unrecorded.append(item.key)
    return result


def figures(found: Check) -> Mapping[str, int]:
    """The report's figures from a check."""
    return {"items": found.items, "lost": found.lost, "duplicates": found.duplicates}


def action_job(
    emu_url: str, workspace: Path, token: str, *, debug: bool = False, **inputs: str
) -> Job:
    """The action's entry point as the runner starts it: no arguments, INPUT_* and GITHUB_*."""
    files = workspace / "_runner"
    files.mkdir(exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": emu_url,
        "GITHUB_SERVER_URL": emu_url,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(files / "step_summary"),
        "GITHUB_OUTPUT": str(files / "output"),
        "RUNNER_TEMP": str(files / "temp"),
        "INPUT_GITHUB-TOKEN": token,
        "INPUT_REPOSITORY": REPO,
        "INPUT_PATH": ".claude",
        "INPUT_WRITE-INTERVAL": "0",
        "INPUT_CREATES-PER-MINUTE": "0",
        "INPUT_CREATES-PER-HOUR": "0",
        "INPUT_RETRY-DELAY": "0",
    }
    env.update({f"INPUT_{name.upper().replace('_', '-')}": value for name, value in inputs.items()})
    return Job([], env, workspace, debug)
