"""Running a sync: settings -> scan -> the engine -> ``BatchResult``; the terminal command and the
original BatchProcessor's integration API (``batch_sync_prds/epics/tasks/all``).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Required, TextIO, TypedDict, Unpack

from batchsync import report, signals, summary, workflow
from batchsync.config import ItemType, Settings, load_settings
from batchsync.engine import Engine, EngineOptions, IssueClient, ProgressFn
from batchsync.errors import BatchsyncError, SettingsError, fatal_of
from batchsync.github import GitHubClient
from batchsync.items import FileClass, ScanResult, kinds_named, scan
from batchsync.processor import BatchProcessor, Gate
from batchsync.progress import progress_for
from batchsync.ratelimit import Limits
from batchsync.results import BatchResult, SkippedFile
from batchsync.signals import Interrupt
from batchsync.writeback import WriteBack

__all__ = [
    "SyncOptions",
    "batch_sync_all",
    "batch_sync_epics",
    "batch_sync_prds",
    "batch_sync_tasks",
    "limits_from",
    "main",
    "run",
]


def limits_from(settings: Settings) -> Limits:
    """The processor's client-side limits, from the action inputs."""
    return Limits(
        threshold=settings.rate_limit_threshold,
        max_retries=settings.max_retries,
        retry_delay=settings.retry_delay,
        write_interval=settings.write_interval,
        creates_per_minute=settings.creates_per_minute,
        creates_per_hour=settings.creates_per_hour,
    )


def _path_prefix(base: Path, workspace: Path) -> str:
    try:
        rel = base.relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else f"{rel}/"


def _engine_options(settings: Settings, base: Path, repository: str) -> EngineOptions:
    return EngineOptions(
        repo=repository,
        dry_run=settings.dry_run,
        sub_issues=settings.sub_issues,
        close_removed=settings.close_removed,
        max_close=settings.max_close,
        all_kinds=settings.item_type is ItemType.ALL,
        path_prefix=_path_prefix(base, settings.workspace),
        trusted_authors=settings.trusted_logins(),
        pull=settings.pull,
        blocked_by=settings.blocked_by,
        namespace=settings.tree_namespace(),
        tree_gone=None if settings.namespace else settings.tree_gone,
        issue_types=settings.issue_type_choice(),
    )


def _token(settings: Settings) -> str:
    token = settings.token_value()
    if not token:
        raise SettingsError(
            "github-token",
            None,
            "set GITHUB_TOKEN (or the github-token input) to a token that may write issues",
        )
    return token


def run(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    on_progress: ProgressFn | None = None,
    on_wait: Callable[[str, float], None] | None = None,
    client: IssueClient | None = None,
    processor: BatchProcessor | None = None,
    interrupt: Interrupt | None = None,
) -> BatchResult:
    """One sync: scan, list, plan, execute. Per-item problems are outcomes, not exceptions.

    The only place a run is assembled. ``client`` and ``processor`` replace the GitHub adapter
    and the processor built from ``settings`` (a given processor brings its own limits, clock
    and deadline). Raises ``SettingsError`` (no token or repository, bad path), ``RunStop``
    when GitHub refused the token (401, or a 403 that is no rate limit), and ``NotFoundError``
    when the repository cannot be seen. Once ``interrupt`` is pressed (a signal), no new
    request starts and the items not reached are ``not-done``; the result names the signal.
    """
    token = _token(settings) if client is None else None
    if not settings.repository:
        raise SettingsError("repository", None, "owner/name, e.g. --repo octo/demo")
    if processor is not None:
        clock = processor.gate.clock
    start = clock()
    base = settings.base_dir()
    scanned = scan(base, workspace=settings.workspace, kinds=kinds_named(settings.item_type))
    if processor is None:
        deadline = start + settings.time_budget * 60
        gate = Gate(
            limits_from(settings),
            clock=clock,
            sleep=sleep,
            deadline=deadline,
            on_wait=on_wait,
            interrupt=interrupt,
        )
        processor = BatchProcessor(settings.max_concurrent, gate=gate)
    if client is None:
        assert token is not None
        client = GitHubClient(
            settings.api_url,
            token,
            settings.repository,
            processor.gate,
            pool_size=processor.max_concurrent,
        )
    files = None
    if (settings.write_back or settings.pull) and not settings.dry_run:
        files = WriteBack(base, scanned.sync_map, workspace=settings.workspace.resolve())
    options = _engine_options(settings, base, settings.repository)
    engine = Engine(
        client,
        processor,
        options,
        write_back=files if settings.write_back else None,
        puller=files if settings.pull else None,
    )
    result = engine.execute(scanned, on_progress)
    return dataclasses.replace(
        result,
        duration=clock() - start,
        rate_limit=processor.gate.snapshot,
        warnings=(*(str(note) for note in scanned.warnings), *result.warnings),
        not_synced=not_synced(scanned),
        interrupted=interrupt.signum if interrupt is not None else None,
    )


def not_synced(scanned: ScanResult) -> tuple[SkippedFile, ...]:
    """The files the scan found that are not synced by design: archived, or not work items."""
    kept = (FileClass.ARCHIVED, FileClass.OTHER)
    return tuple(SkippedFile(f.path, f.cls.value, f.why) for f in scanned.files if f.cls in kept)


def main(
    settings: Settings,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    out: workflow.Out | None = None,
    err: workflow.Out | None = None,
    as_json: bool = False,
    interrupt: Interrupt | None = None,
) -> int:
    """``batchsync sync`` in a terminal: run, report, write the results file; the exit code.

    The report goes to stdout, or with ``as_json`` to stderr while stdout gets the results
    document. The code is ``report.ending``'s (the one table, ``report.ExitCode``). Ctrl-C or
    SIGTERM stops the run cleanly (``signals``): the report and the results file still come.
    """
    token = settings.token_value() or ""
    out = out or workflow.Out(stdout or sys.stdout, actions=settings.in_actions)
    err = err or workflow.Out(stderr or sys.stderr, actions=settings.in_actions)
    out.add_secret(token)
    err.add_secret(token)
    progress = progress_for(err, actions=settings.in_actions)
    interrupt = interrupt or Interrupt()
    results_path: Path | None = None
    info = summary.RunInfo(repository=settings.repository, dry_run=settings.dry_run)
    try:
        results_path = settings.results_path()
        if results_path is not None:
            info = dataclasses.replace(info, results_file=settings.shown_path(results_path))
        with workflow.logging_to(err), signals.handling(interrupt, err.say):
            result = run(
                settings, on_progress=progress, on_wait=progress.on_wait, interrupt=interrupt
            )
    except BatchsyncError as exc:  # nothing could run: the same message as in action mode
        end = report.fatal_ending(fatal_of(exc, settings.repository))
        return _cut(BatchResult(), end, info, results_path, (out, err), as_json=as_json)
    except KeyboardInterrupt as stop:  # a second signal: stop now; the markers guide the next run
        result, end = report.stopped_at_once(signals.signal_of(stop))
        return _cut(result, end, info, results_path, (out, err), as_json=as_json)
    end = report.ending(
        result, fail_on_error=settings.fail_on_error, repository=settings.repository
    )
    if end.fatal is not None:
        err.say(f"batchsync: {end.fatal.message}")
    _report(result, info, results_path, out, err, as_json=as_json, end=end)
    return end.code


def _cut(
    result: BatchResult,
    end: report.Ending,
    info: summary.RunInfo,
    path: Path | None,
    io: tuple[workflow.Out, workflow.Out],
    *,
    as_json: bool,
) -> int:
    """End a run that could not run or was stopped at once: its error, the results file and
    the ``--json`` document (a script reading stdout gets it here too); the code."""
    out, err = io
    if end.fatal is not None:
        err.say(f"batchsync: {end.fatal.message}")
    _write(path, result, info, end, io)
    if as_json:
        out.document(workflow.json_text(report.document(result, info, end)))
    return end.code


def _write(
    path: Path | None,
    result: BatchResult,
    info: summary.RunInfo,
    end: report.Ending,
    io: tuple[workflow.Out, workflow.Out],
) -> bool:
    """The results file through the one writer; False (and a line saying why) when it failed."""
    if path is None:
        return False
    out, err = io
    problem = report.write_results(path, result, info, end, scrub=out.redact)
    if problem is not None:
        err.say(f"batchsync: {problem}")
    return problem is None


def _report(
    result: BatchResult,
    info: summary.RunInfo,
    path: Path | None,
    out: workflow.Out,
    err: workflow.Out,
    *,
    as_json: bool,
    end: report.Ending,
) -> None:
    """The terminal's report, the results file and the ``--json`` document."""
    written = _write(path, result, info, end, (out, err))
    text = summary.text(result, repository=info.repository or "", dry_run=info.dry_run)
    if written:
        text += f"\n  results file: {info.results_file}"
    if as_json:
        out.document(workflow.json_text(report.document(result, info, end)))
        err.say(text)
    else:
        out.say(text)


class SyncOptions(TypedDict, total=False):
    """Keyword arguments of the ``batch_sync_*`` functions (the original integration layer)."""

    repo: Required[str]
    base_path: str | Path
    client: IssueClient | None
    token: str | None
    processor: BatchProcessor | None
    dry_run: bool
    on_progress: ProgressFn | None
    api_url: str | None
    write_back: bool


def _batch_sync(
    item_type: ItemType,
    *,
    repo: str,
    base_path: str | Path = ".claude",
    client: IssueClient | None = None,
    token: str | None = None,
    processor: BatchProcessor | None = None,
    dry_run: bool = False,
    on_progress: ProgressFn | None = None,
    api_url: str | None = None,
    write_back: bool = False,
) -> BatchResult:
    """A shim over ``run``: the original API's arguments become settings (defaults from them).

    ``base_path`` is the workspace itself, so outcome paths stay relative to it, as before.
    """
    base = Path(base_path).resolve()
    given: dict[str, object] = {
        "repository": repo,
        "github_token": token,
        "api_url": api_url,
        "workspace": base,
        "path": ".",
        "item_type": item_type,
        "dry_run": dry_run,
        "write_back": write_back,
    }
    settings = load_settings(given, env={})
    return run(settings, on_progress=on_progress, client=client, processor=processor)


def batch_sync_prds(**options: Unpack[SyncOptions]) -> BatchResult:
    """Sync the PRDs under ``base_path`` (the original ``batchSyncPRDs``)."""
    return _batch_sync(ItemType.PRD, **options)


def batch_sync_epics(**options: Unpack[SyncOptions]) -> BatchResult:
    """Sync the epics under ``base_path`` (the original ``batchSyncEpics``)."""
    return _batch_sync(ItemType.EPIC, **options)


def batch_sync_tasks(**options: Unpack[SyncOptions]) -> BatchResult:
    """Sync the tasks under ``base_path`` (the original ``batchSyncTasks``)."""
    return _batch_sync(ItemType.TASK, **options)


def batch_sync_all(**options: Unpack[SyncOptions]) -> BatchResult:
    """Sync PRDs, epics and tasks, in that order, through one processor (``batchSyncAll``)."""
    return _batch_sync(ItemType.ALL, **options)
