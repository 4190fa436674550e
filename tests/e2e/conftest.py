"""Fixtures of the end-to-end tests: one emulator process per session, a fresh checkout each."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from action_step import (
    ADMIN_TOKEN,
    READ_TOKEN,
    SAMPLE_TREE,
    SRC,
    TOKEN,
    EmulatorProcess,
    Workspace,
)


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorProcess]:
    command = [
        sys.executable,
        "-m",
        "batchsync.emulator",
        "--port",
        "0",
        # Limits off: the tests share one emulator, and its per-token creation budget would make
        # later tests wait a minute. The rate-limit headers still come, from a huge budget.
        "--limits",
        "off",
        "--token",
        TOKEN,
        "--read-token",
        READ_TOKEN,
        "--admin-token",
        ADMIN_TOKEN,
    ]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    yield EmulatorProcess(proc, url)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)


@pytest.fixture
def checkout(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The workspace (tests/conftest.py) holding the sample tree, and a folder outside it for the
    step's runner files."""
    shutil.copytree(SAMPLE_TREE, workspace / ".claude")
    return Workspace(workspace, tmp_path_factory.mktemp("file_commands"))
