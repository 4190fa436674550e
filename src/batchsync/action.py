"""Action mode: one sync run as a GitHub Action step, reported the way the runner expects.

Order matters: the token is masked before anything else is printed; every phase runs in its own
log group; item errors become annotations pointing at their file and line (GitHub shows ten
errors per step, so the rest are aggregated into one); the outputs, the results file and the step
summary are written on success and on failure. The exit code is ``report.ending``'s (the one
table, ``report.ExitCode``; docs/action.md, "Exit codes").
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from batchsync import report, signals, summary, sync, workflow
from batchsync.config import SOURCES, Settings
from batchsync.errors import (
    NO_REPOSITORY,
    NO_TOKEN,
    PERMISSIONS_YAML,
    BatchsyncError,
    FailureKind,
    Fatal,
    SettingsError,
    fatal_of,
)
from batchsync.progress import ActionsProgress
from batchsync.report import ExitCode
from batchsync.results import BatchResult, Outcome
from batchsync.signals import Interrupt

__all__ = [
    "ANNOTATION_LIMIT",
    "EXIT_FAILED",
    "EXIT_FATAL",
    "EXIT_OK",
    "PERMISSIONS_YAML",
    "run_action",
]

EXIT_OK, EXIT_FAILED, EXIT_FATAL = ExitCode.OK, ExitCode.FAILED, ExitCode.FATAL
ANNOTATION_LIMIT = 10  # GitHub shows at most ten error (and ten warning) annotations per step
RESULTS_NAME = "batchsync-results.json"
_AGGREGATE_KEYS = 20  # keys named in the aggregated annotation before "..."

Runner = Callable[..., BatchResult]


class _Log:
    """The step's log: every line passes through one ``workflow.Out``, secrets redacted."""

    def __init__(self, out: workflow.Out) -> None:
        self.out = out
        self._group_open = False

    def scrub(self, text: str) -> str:
        """Text with every secret and token-like value as ``***``, for the files the step writes."""
        return self.out.redact(text)

    def line(self, text: str) -> None:
        """Print a command, or any text (each of its lines made safe), to the log."""
        self.out.say(text)

    def scrub_result(self, result: BatchResult) -> BatchResult:
        """The result with the secrets taken out of its texts, before rendering escapes them."""
        outcomes = tuple(
            replace(
                o,
                key=self.scrub(o.key),
                path=self.scrub(o.path),
                failure=replace(o.failure, message=self.scrub(o.failure.message))
                if o.failure
                else None,
                title=self.scrub(o.title) if o.title else o.title,
                reason=self.scrub(o.reason) if o.reason else o.reason,
            )
            for o in result.outcomes
        )
        warnings = tuple(self.scrub(w) for w in result.warnings)
        return replace(result, outcomes=outcomes, warnings=warnings)

    def group(self, title: str) -> None:
        """Open a log group, closing the previous one (groups do not nest)."""
        self.end_group()
        self.line(workflow.group(title))
        self._group_open = True

    def end_group(self) -> None:
        """Close the open log group, if any."""
        if self._group_open:
            self.line(workflow.endgroup())
            self._group_open = False


class _Progress:
    """Progress in the log: a group per kind of item as each kind starts, lines and waits from
    ``progress.ActionsProgress``. Called from the processor's lanes, hence the lock."""

    def __init__(self, log: _Log) -> None:
        self._log = log
        self._lines = ActionsProgress(log.out)
        self._lock = threading.Lock()
        self._kinds: set[str] = set()

    def __call__(self, done: int, total: int, item: object) -> None:
        kind = workflow.clean(getattr(item, "kind", "") or "other", limit=40)
        with self._lock:
            # A kind's group opens once: lanes may finish the last PRD after the first epic.
            if kind not in self._kinds:
                self._kinds.add(kind)
                self._log.group(f"Sync: {kind} items")
            self._lines(done, total, item)

    def on_wait(self, reason: str, seconds: float) -> None:
        """Say why the run pauses, so a quiet log is not mistaken for a hang."""
        with self._lock:
            self._lines.on_wait(reason, seconds)


def _append(path: Path | None, text: str) -> None:
    if path is None:
        return
    with path.open("a", encoding="utf-8", errors="backslashreplace") as handle:
        handle.write(text)


def _annotation_text(outcome: Outcome) -> str:
    failure = outcome.failure
    if failure is None:
        return "failed"
    if failure.kind is FailureKind.ITEM:
        return failure.message  # an item's message already says how to fix the file
    return f"{failure.message}. Fix: {failure.fix}"


def _error_annotations(
    failures: Sequence[Outcome], limit: int = ANNOTATION_LIMIT
) -> list[workflow.Command]:
    shown = failures if len(failures) <= limit else failures[: limit - 1]
    lines = [
        workflow.error(
            _annotation_text(o),
            file=o.path or None,  # the engine reports paths relative to the workspace
            line=o.line,
            title=f"batchsync: {o.key}",
        )
        for o in shown
    ]
    rest = failures[len(shown) :]
    if rest:
        keys = ", ".join(o.key for o in rest[:_AGGREGATE_KEYS])
        more = ", ..." if len(rest) > _AGGREGATE_KEYS else ""
        lines.append(
            workflow.error(
                f"{len(rest)} more items failed: {keys}{more}. Each is listed in the step "
                "summary and the results file.",
                title=f"batchsync: {len(rest)} more failed items",
            )
        )
    return lines


def _warning_annotations(result: BatchResult) -> list[workflow.Command]:
    texts = list(result.warnings)
    left = summary.left_over(result)
    if left is not None:
        texts.append(f"{left}.")
    if len(texts) > ANNOTATION_LIMIT:
        rest = len(texts) - (ANNOTATION_LIMIT - 1)
        texts = [*texts[: ANNOTATION_LIMIT - 1], f"{rest} more warnings: see the step summary."]
    return [workflow.warning(t, title="batchsync") for t in texts]


class _Step:
    """One action run: the log, the files it writes, the exit code it ends with."""

    def __init__(self, settings: Settings, log: _Log, results_path: Path | None) -> None:
        self.settings = settings
        self.log = log
        self.results_path = results_path
        shown = settings.shown_path(results_path) if results_path else None
        self.info = summary.RunInfo(
            repository=settings.repository, dry_run=settings.dry_run, results_file=shown
        )

    def fatal(self, fatal: Fatal) -> int:
        """Report a run that could not start or was stopped: one error, a summary, the outputs
        and the results file (no items, the error), exit 2."""
        line = workflow.error(fatal.message, title=f"batchsync: {fatal.title}")
        return self._cut(BatchResult(), report.fatal_ending(fatal), fatal, line)

    def stopped(self, signum: int) -> int:
        """Report a run a second signal stopped at once: a warning, and the same files as a
        fatal run (no stale results file), with the signal's code."""
        result, end = report.stopped_at_once(signum)
        line = workflow.warning(report.STOPPED.message, title="batchsync")
        return self._cut(result, end, report.STOPPED, line)

    def _cut(
        self, result: BatchResult, end: report.Ending, fatal: Fatal, line: workflow.Command
    ) -> int:
        self.log.end_group()
        self.log.line(line)
        self._write_results(result, end)
        self._write_outputs(result)
        self._write_summary(summary.render_fatal(fatal.message, fatal.fix, self.info))
        return end.code

    def finish(self, result: BatchResult) -> int:
        """Report a finished run: results file, outputs, summary, annotations; the exit code."""
        end = report.ending(
            result, fail_on_error=self.settings.fail_on_error, repository=self.settings.repository
        )
        other = [o for o in result.errors if not (o.failure and o.failure.kind.refused)]
        markdown = summary.render_summary(result, self.info)
        lines = _error_annotations(other)
        if end.fatal is not None:
            # GitHub refused the token itself: one error with the fix, first.
            fatal = end.fatal
            markdown = summary.render_fatal(fatal.message, fatal.fix, self.info) + markdown
            lines = [
                workflow.error(fatal.message, title=f"batchsync: {fatal.title}"),
                *_error_annotations(other, ANNOTATION_LIMIT - 1),
            ]
        self.log.group("Report")
        self._write_results(result, end)
        self._write_outputs(result)
        self._write_summary(markdown)
        self.log.end_group()
        for line in [*lines, *_warning_annotations(result)]:
            self.log.line(line)
        self.log.line(self._counts_line(result))
        return end.code

    @staticmethod
    def _counts_line(result: BatchResult) -> str:
        counts = summary.outputs(result, "")
        del counts["results-file"]
        return "batchsync: " + ", ".join(f"{k} {v}" for k, v in counts.items())

    def _write_results(self, result: BatchResult, end: report.Ending) -> None:
        if self.results_path is None:  # a dry run writes nothing into the workspace
            return
        problem = report.write_results(
            self.results_path, result, self.info, end, scrub=self.log.scrub
        )
        if problem is None:
            self.log.line(f"results file: {self.info.results_file}")
        else:
            self.log.line(workflow.warning(problem))

    def _write_outputs(self, result: BatchResult) -> None:
        written = self.results_path is not None and self.results_path.is_file()
        entries = summary.outputs(result, (self.info.results_file or "") if written else "")
        text = "".join(workflow.output_entry(k, workflow.clean(v)) for k, v in entries.items())
        try:
            _append(self.settings.output_file, self.log.scrub(text))
        except OSError as exc:
            self.log.line(workflow.warning(f"could not write the step outputs: {exc}"))

    def _write_summary(self, markdown: str) -> None:
        try:
            _append(self.settings.step_summary, self.log.scrub(markdown))
        except OSError as exc:
            self.log.line(workflow.warning(f"could not write the step summary: {exc}"))


def _preflight(settings: Settings, token: str | None) -> Fatal | None:
    if not token:
        return NO_TOKEN
    if not settings.repository:
        return NO_REPOSITORY
    return None


def _input_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _settings_lines(settings: Settings) -> list[str]:
    """Every setting by its input or variable name, as a workflow would write it; no token."""
    values = settings.model_dump(mode="json")
    return [
        f"{source.name}: {_input_text(values[field])}"
        for field, source in SOURCES.items()
        if field != "github_token"
    ]


def _results_target(settings: Settings) -> tuple[Path | None, Fatal | None]:
    try:
        return settings.results_path(default=True), None
    except SettingsError as exc:
        return None, fatal_of(exc, settings.repository)


def run_action(
    settings: Settings,
    *,
    run: Runner = sync.run,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    out: workflow.Out | None = None,
    interrupt: Interrupt | None = None,
) -> int:
    """Run one sync as an Action step: mask, group, annotate, write outputs and summary.

    ``out`` is the step's log when the caller has one (it may have masked the token already).
    A cancelled workflow's SIGINT or SIGTERM stops the run cleanly (``signals``): the report,
    outputs and results file still come, and the code is 130 or 143.
    """
    token = settings.token_value()
    log = _Log(out or workflow.Out(stdout or sys.stdout, actions=True))
    log.out.mask(token)  # before anything else is printed
    results_path, problem = _results_target(settings)
    step = _Step(settings, log, results_path)
    log.group("Settings")
    for line in _settings_lines(settings):
        log.line(line)
    log.end_group()
    problem = problem or _preflight(settings, token)
    if problem is not None:
        return step.fatal(problem)
    progress = _Progress(log)
    interrupt = interrupt or Interrupt()
    try:
        settings.base_dir()
        with workflow.logging_to(log.out), signals.handling(interrupt, log.line):
            result = run(
                settings, on_progress=progress, on_wait=progress.on_wait, interrupt=interrupt
            )
    except KeyboardInterrupt as stop:  # a second signal: stop now; the markers guide the next run
        return step.stopped(signals.signal_of(stop))
    except Exception as exc:  # every failure must still reach the summary and the log
        if not isinstance(exc, BatchsyncError):
            err = workflow.Out(stderr or sys.stderr, actions=True, secrets=[token or ""])
            err.say(traceback.format_exc())
        return step.fatal(fatal_of(exc, settings.repository))
    log.end_group()
    return step.finish(log.scrub_result(result))
