"""The end-to-end harness: the emulator as a separate process, the action as the runner runs it.

A module of its own (not conftest) so that test files import it by a name no other folder uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner_env import input_env, parse_outputs, runner_env

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
SAMPLE_TREE = SRC / "batchsync" / "sample_tree"
TOKEN = "ghs_e2eSECRETtoken0123456789abcdef"
READ_TOKEN = "ghs_e2eREADONLYtoken0123456789abcd"
ADMIN_TOKEN = "e2e-admin-token"  # the emulator's /_emulator/ endpoints need it


class EmulatorProcess:
    """``python -m batchsync.emulator`` in its own process, driven over HTTP."""

    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc = proc
        self.url = url
        self._repos = 0

    def admin(self, method: str, name: str, body: object | None = None) -> Any:
        """Call an ``/_emulator/`` admin endpoint."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/_emulator/{name}",
            data=data,
            method=method,
            headers={"Authorization": f"token {ADMIN_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def new_repo(self) -> str:
        """A fresh, empty repository for one test."""
        self._repos += 1
        name = f"octo/e2e-{self._repos}"
        self.admin("POST", "repos", {"full_name": name})
        return name

    def issues(self, repo: str) -> list[dict[str, Any]]:
        """Every issue of ``repo`` as the emulator holds it."""
        result: list[dict[str, Any]] = self.admin("GET", f"issues?repo={repo}")
        return result

    def writes(self) -> int:
        """POST/PATCH/PUT/DELETE requests the emulator has served so far (a GraphQL query,
        a POST that writes nothing, aside)."""
        writes: int = self.admin("GET", "stats")["writes"]
        return writes


@dataclass
class StepRun:
    """What one action step left behind: exit code, log, and the runner's files."""

    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]
    workspace: Path

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def commands(self, name: str) -> list[str]:
        """The workflow commands ``::name ...::`` printed, in order."""
        return [line for line in self.lines if line.startswith((f"::{name}::", f"::{name} "))]

    def results(self) -> dict[str, Any]:
        """The results file the outputs point at."""
        path = self.workspace / self.outputs["results-file"]
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded


@dataclass
class Workspace:
    """A checkout with the bundled sample tree under ``.claude/``, and the step's runner files."""

    root: Path
    files: Path
    runs: list[StepRun] = field(default_factory=list)

    def write(self, rel: str, text: str) -> None:
        """Add or replace a file under the workspace."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def run(
        self,
        emulator: EmulatorProcess,
        repo: str,
        inputs: Mapping[str, str] | None = None,
        *,
        token: str = TOKEN,
        defaults: bool = True,
    ) -> StepRun:
        """``python -m batchsync`` with the environment the runner gives a Docker action."""
        summary = self.files / "step_summary"
        output = self.files / "set_output"
        summary.write_text("", encoding="utf-8")
        output.write_text("", encoding="utf-8")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(SRC),
            **runner_env(
                workspace=str(self.root),
                files=str(self.files),
                api_url=emulator.url,
                repository=repo,
            ),
            # Quick pacing: these runs check the reporting, not GitHub's write rate.
            **input_env(
                {"write-interval": "0", **(inputs or {})},
                token=token,
                repository=repo,
                defaults=defaults,
            ),
        }
        proc = subprocess.run(
            [sys.executable, "-m", "batchsync"],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        step = StepRun(
            code=proc.returncode,
            stdout=proc.stdout,
            stderr=proc.stderr,
            summary=summary.read_text(encoding="utf-8"),
            outputs=parse_outputs(output.read_text(encoding="utf-8")),
            workspace=self.root,
        )
        self.runs.append(step)
        return step
