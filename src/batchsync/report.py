"""How a run ends, in every mode: the one exit-code table, the one rule from a result to its
code, and the one writer of the results file.

The terminal (``sync.main``) and the action (``action.run_action``) both ask this module, so a
run ends with the same code and the same results file wherever it ran. docs/action.md lists the
table; tests/unit/test_report.py checks that list against ``ExitCode``.
"""

from __future__ import annotations

import enum
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchsync import summary
from batchsync.errors import Fatal, refused_fatal
from batchsync.results import BatchResult
from batchsync.signals import STOPPED_AT_ONCE

__all__ = [
    "STOPPED",
    "Ending",
    "ExitCode",
    "document",
    "ending",
    "fatal_ending",
    "stopped_at_once",
    "write_results",
]


class ExitCode(enum.IntEnum):
    """Every exit code batchsync ends with; ``meaning`` is the text of the docs' table."""

    OK = 0
    FAILED = 1
    FATAL = 2
    INTERRUPTED = 128 + signal.SIGINT  # 130, the shells' code for a Ctrl-C
    TERMINATED = 128 + signal.SIGTERM  # 143, the shells' code for a SIGTERM

    @property
    def meaning(self) -> str:
        """What the code says about the run, as docs/action.md's table states it."""
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: (
        "every item is in step, or items failed with `fail-on-error: false`, or items were "
        "not reached within `time-budget` (a warning; the next run picks them up)"
    ),
    ExitCode.FAILED: (
        "some items failed (each is annotated and in the summary); a conflict between a file "
        "and its issue is such a failure"
    ),
    ExitCode.FATAL: (
        "nothing could run, or the run stopped: bad input, no token, bad credentials, unknown "
        "repository, a token without `issues: write`, GitHub failing to list the issues; one "
        "error says what to fix"
    ),
    ExitCode.INTERRUPTED: (
        "stopped by Ctrl-C (SIGINT; a cancelled workflow sends it first): writes in flight "
        "finished, the rest is `not-done`; run again to finish"
    ),
    ExitCode.TERMINATED: "stopped by SIGTERM: as for 130",
}

_BY_SIGNAL = {int(signal.SIGINT): ExitCode.INTERRUPTED, int(signal.SIGTERM): ExitCode.TERMINATED}


@dataclass(frozen=True)
class Ending:
    """How one run ends: its exit code and, when nothing could run, the one error."""

    code: ExitCode
    fatal: Fatal | None = None


def ending(result: BatchResult, *, fail_on_error: bool, repository: str | None) -> Ending:
    """The code, and the error when GitHub refused the token itself (nothing else can succeed
    until that is fixed, so the run counts as one that could not run)."""
    repo = repository or "the repository"
    refusals = (refused_fatal(o.failure, repo) for o in result.errors if o.failure)
    denied = next((f for f in refusals if f is not None), None)
    if result.interrupted is not None:
        return Ending(_BY_SIGNAL.get(result.interrupted, ExitCode.INTERRUPTED), denied)
    if denied is not None:
        return Ending(ExitCode.FATAL, denied)
    if result.failed and fail_on_error:
        return Ending(ExitCode.FAILED)
    return Ending(ExitCode.OK)


def fatal_ending(fatal: Fatal) -> Ending:
    """The ending of a run that could not start or was stopped (exit 2)."""
    return Ending(ExitCode.FATAL, fatal)


# A second signal cut the run: which writes landed is unknown, so no item is reported.
STOPPED = Fatal("stopped at once", STOPPED_AT_ONCE)


def stopped_at_once(signum: int) -> tuple[BatchResult, Ending]:
    """What a run a second signal stopped reports: no item (the writes in flight were cut), the
    signal, its own code (130, 143) and the error saying the next run finishes."""
    result = BatchResult(interrupted=signum)
    return result, Ending(ending(result, fail_on_error=False, repository=None).code, STOPPED)


def document(result: BatchResult, info: summary.RunInfo, end: Ending) -> dict[str, Any]:
    """The results document (the file and ``--json``): the run's, its exit code and its error."""
    fatal = end.fatal
    stopped = {"title": fatal.title, "message": fatal.message} if fatal is not None else None
    return {**summary.results_document(result, info), "exit_code": int(end.code), "fatal": stopped}


def write_results(
    path: Path,
    result: BatchResult,
    info: summary.RunInfo,
    end: Ending,
    *,
    scrub: Callable[[str], str],
) -> str | None:
    """Write the results file (secrets ``scrub``bed out); the problem when it could not be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            scrub(json.dumps(document(result, info, end), indent=2, ensure_ascii=False) + "\n"),
            encoding="utf-8",
            errors="backslashreplace",  # a file name's undecodable byte stays visible
        )
    except OSError as exc:
        return f"could not write the results file: {exc}"
    return None
