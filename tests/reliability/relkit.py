"""Helpers shared by the reliability tests: trees on disk, the CLI in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import batchsync

SRC = Path(batchsync.__file__).resolve().parents[1]
TRACEBACK = "Traceback (most recent call last)"


def write(root: Path, rel: str, content: str | bytes) -> Path:
    """Write one file under ``root``, making its folders."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def item_text(fields: Mapping[str, object], body: str = "") -> str:
    """A work-item file: ``key: value`` frontmatter lines, then the body."""
    lines = ["---", *(f"{k}: {v}" for k, v in fields.items()), "---", "", body]
    return "\n".join(lines)


@dataclass(frozen=True)
class Finished:
    """A child process that ran to its end."""

    code: int
    stdout: str
    stderr: str

    @property
    def crashed(self) -> bool:
        """True when Python printed a traceback (an unhandled exception)."""
        return TRACEBACK in self.stdout or TRACEBACK in self.stderr


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child run: no runner variables from this machine, our sources."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_", "PYTHON"))
    }
    env["PYTHONPATH"] = str(SRC)
    env.update(extra or {})
    return env


def batchsync_cli(
    args: list[str], env: Mapping[str, str], *, cwd: Path, timeout: float = 60
) -> Finished:
    """``python -m batchsync ARGS`` in a child process, as a user or the runner starts it."""
    done = subprocess.run(
        [sys.executable, "-m", "batchsync", *args],
        env=child_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Finished(done.returncode, done.stdout, done.stderr)
