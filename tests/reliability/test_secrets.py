"""The token never leaks: not to stdout, stderr, the summary, the outputs, the results, logs.

Each case runs ``batchsync`` as a process would (the action's entry point with the runner's
variables, and ``batchsync sync`` from a terminal), lets GitHub misbehave in one way, then
searches every byte the run wrote (its stdout and stderr, every file under the workspace and
the runner's folders) for the token. The action prints the token once, in the ``::add-mask::``
command that tells the runner to hide it; that one line is the only place it may appear. The
engine is also run in this process, and every exception it raises is searched.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from relkit import (
    REPO,  # noqa: F401 - the emu fixture (tests/conftest.py) reads it
    TOKEN,
    TRACEBACK,
    write_tree,
)
from relsync import Job, Zygote, action_job, settings_for, sync_job

from batchsync.emulator import Emulator, FaultConfig
from batchsync.emulator.service import Answer, Handle
from batchsync.sync import run

WRONG = "ghs_" + "Wr0ngT0ken" * 3


@dataclass(frozen=True)
class Trouble:
    """What goes wrong, and with which token the run is made."""

    name: str
    token: str = TOKEN
    faults: FaultConfig | None = None
    echo: bool = False  # the server repeats the request's Authorization header in its errors
    unreachable: bool = False
    debug: bool = False  # the run logs everything at DEBUG to stderr

    def __str__(self) -> str:
        return self.name


TROUBLES = [
    Trouble("clean sync"),
    Trouble("5xx, timeouts and lost answers", faults=FaultConfig(error_rate=0.3, drop_rate=0.3)),
    Trouble("wrong token (401)", token=WRONG),
    Trouble("server echoes the token in errors and headers", echo=True),
    Trouble("GitHub unreachable", unreachable=True),
    Trouble(
        "GitHub answers 503 to everything",
        faults=FaultConfig(error_rate=1.0, error_statuses=(503,)),
    ),
    Trouble(
        "DEBUG logging while requests fail",
        faults=FaultConfig(error_rate=0.3, drop_rate=0.3),
        debug=True,
    ),
]


def echoing(emu: Emulator) -> None:
    """Every write is refused with a 422 that repeats the Authorization header, twice."""

    def around(handle: Handle) -> Handle:
        def answer(method: str, target: str, headers: Any, *rest: Any) -> Any:
            if method == "GET":
                return handle(method, target, headers, *rest)
            auth = headers.get("authorization", "")
            body = f'{{"message": "Validation Failed for {auth}", "errors": ["{auth}"]}}'
            return Answer(422, {"content-type": "application/json", "x-echo": auth}, body.encode())

        return answer

    emu.wrap(around)


def prepared(emu: Emulator, trouble: Trouble) -> str:
    """Set the emulator up for the trouble; the API URL the run is given."""
    if trouble.faults is not None:
        emu.set_faults(trouble.faults)
    if trouble.echo:
        echoing(emu)
    return "http://127.0.0.1:9" if trouble.unreachable else emu.url


def everything_written(root: Path, finished_out: str) -> dict[str, str]:
    """Every file under ``root`` (the workspace and runner folders) by name."""
    texts = {"stdout": finished_out}
    for path in root.rglob("*"):
        if path.is_file() and path.name != "stdout.txt":
            texts[path.relative_to(root).as_posix()] = path.read_text(errors="replace")
    return texts


def leaked(texts: dict[str, str], token: str) -> list[str]:
    """Where the token shows, once its one ``::add-mask::`` line is set aside."""
    mask = f"::add-mask::{token}\n"
    return sorted(name for name, text in texts.items() if token in text.replace(mask, "", 1))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["action", "terminal"])
@pytest.mark.parametrize("trouble", TROUBLES, ids=str)
def test_the_token_appears_nowhere_the_run_writes(
    trouble: Trouble, mode: str, emu: Emulator, zygote: Zygote, tmp_path: Path, record
) -> None:
    write_tree(tmp_path / ".claude")
    url = prepared(emu, trouble)
    if mode == "action":
        job = action_job(url, tmp_path, trouble.token, debug=trouble.debug)
    else:
        job = sync_job(emu, tmp_path, f"--api-url={url}", debug=trouble.debug)
        job = Job(job.argv, {**job.env, "GITHUB_TOKEN": trouble.token}, job.cwd, job.debug)
    finished = zygote.run(job)
    texts = everything_written(tmp_path, finished.stdout)
    where = leaked(texts, trouble.token)
    crashes = int(TRACEBACK in finished.stderr)
    record("secrets", f"{trouble.name} ({mode})", items=13, crashes=crashes, leaks=len(where))
    assert where == []
    assert crashes == 0, finished.stderr
    if mode == "action":
        assert finished.stdout.startswith(f"::add-mask::{trouble.token}\n")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("trouble", TROUBLES, ids=str)
def test_no_exception_or_outcome_of_the_engine_carries_the_token(
    trouble: Trouble, emu: Emulator, tmp_path: Path, record
) -> None:
    write_tree(tmp_path / ".claude")
    url = prepared(emu, trouble)
    settings = settings_for(emu, tmp_path, github_token=trouble.token, api_url=url)
    texts: list[str] = []
    try:
        result = run(settings)
    except Exception as exc:  # the run may stop (401, unreachable): its text is what we check
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
        texts += [repr(vars(exc))]
    else:
        texts += [repr(outcome) for outcome in result.outcomes] + list(result.warnings)
    where = [text[:200] for text in texts if trouble.token in text]
    record(
        "secrets", f"{trouble.name} (engine exceptions and outcomes)", items=13, leaks=len(where)
    )
    assert where == []
