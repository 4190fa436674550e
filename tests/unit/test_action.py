"""Action mode against an injected run: masking, groups, annotations, files and exit codes."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from batchsync import action, summary
from batchsync.config import SOURCES, Settings, load_settings
from batchsync.errors import (
    AuthError,
    FailureKind,
    ForbiddenError,
    NotFoundError,
    RunStop,
    SettingsError,
    TransportError,
    error_from_response,
    failure_of,
)
from batchsync.items import Kind
from batchsync.ratelimit import RateLimitSnapshot
from batchsync.results import BatchResult, Failure, ItemAction, Outcome
from batchsync.retry import gave_up
from runner_env import ACTION_YML, parse_outputs

TOKEN = "ghs_unit0secret0token"


@dataclass
class Env:
    """The variables the runner sets for the step; ``settings()`` loads them as action mode does."""

    values: dict[str, str]

    def settings(self, **changes: str) -> Settings:
        return load_settings(env={**self.values, **changes})


@dataclass(frozen=True)
class Item:
    kind: Kind
    key: str
    path: str


@dataclass
class Step:
    """One run_action call's inputs and everything it produced."""

    settings: Settings
    code: int = -1
    stdout: str = ""
    stderr: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    @property
    def summary(self) -> str:
        assert self.settings.step_summary is not None
        return self.settings.step_summary.read_text(encoding="utf-8")

    @property
    def outputs(self) -> dict[str, str]:
        assert self.settings.output_file is not None
        return parse_outputs(self.settings.output_file.read_text(encoding="utf-8"))

    def errors(self) -> list[str]:
        return [line for line in self.lines if line.startswith("::error")]

    def warnings(self) -> list[str]:
        return [line for line in self.lines if line.startswith("::warning")]


def make_workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    for rel in ("prds/prd-001.md", "epics/e1/epic.md", "epics/e1/001.md"):
        target = workspace / ".claude" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("---\nname: x\n---\n", encoding="utf-8")
    (tmp_path / "files").mkdir()
    return workspace


@pytest.fixture
def env(tmp_path: Path) -> Env:
    workspace = make_workspace(tmp_path)
    return Env(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "files" / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "files" / "output"),
            "INPUT_GITHUB-TOKEN": TOKEN,
        }
    )


@pytest.fixture
def settings(env: Env) -> Settings:
    return env.settings()


def fake_run(
    result: BatchResult | None = None,
    *,
    raises: BaseException | None = None,
    items: tuple[Item, ...] = (),
    waits: tuple[tuple[str, float], ...] = (),
) -> tuple[Callable[..., BatchResult], list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def run(settings: object, **kwargs: Any) -> BatchResult:
        calls.append({"settings": settings, **kwargs})
        for reason, seconds in waits:
            kwargs["on_wait"](reason, seconds)
        for done, item in enumerate(items, 1):
            kwargs["on_progress"](done, len(items), item)
        if raises is not None:
            raise raises
        assert result is not None
        return result

    return run, calls


def go(settings: Settings, run: Callable[..., BatchResult]) -> Step:
    out, err = io.StringIO(), io.StringIO()
    step = Step(settings)
    step.code = action.run_action(settings, run=run, stdout=out, stderr=err)
    step.stdout, step.stderr = out.getvalue(), err.getvalue()
    return step


def done(key: str, action_: ItemAction = ItemAction.CREATED, **extra: Any) -> Outcome:
    fields: dict[str, Any] = {
        "key": key,
        "kind": "task",
        "path": f".claude/epics/e1/{key}.md",  # as the engine reports it: workspace-relative
        "action": action_,
    }
    if action_ is ItemAction.CREATED:
        fields.update(issue_number=7, url="https://github.com/o/r/issues/7")
    fields.update(extra)
    return Outcome(**fields)


def failed(
    key: str,
    error: str = "PATCH /repos/o/r/issues/3 -> 422: too long",
    kind: FailureKind = FailureKind.REJECTED,
    **extra: Any,
) -> Outcome:
    return done(key, ItemAction.FAILED, failure=Failure(kind, error), **extra)


OK = BatchResult(
    outcomes=(done("001"), done("002", ItemAction.UNCHANGED)),
    duration=2.0,
    rate_limit=RateLimitSnapshot(limit=1000, remaining=990, reset=1_800_000_000),
)


def test_mask_is_the_first_line(settings: Settings) -> None:
    step = go(settings, fake_run(OK)[0])
    assert step.lines[0] == f"::add-mask::{TOKEN}"


def test_success_exits_zero_and_writes_everything(settings: Settings) -> None:
    run, calls = fake_run(OK)
    step = go(settings, run)
    assert step.code == action.EXIT_OK
    assert calls[0]["settings"] is settings
    assert step.outputs["created"] == "1"
    assert step.outputs["unchanged"] == "1"
    assert step.outputs["results-file"] == "batchsync-results.json"
    doc = json.loads((settings.workspace / "batchsync-results.json").read_text())
    assert [r["key"] for r in doc["items"]] == ["001", "002"]
    assert "All 2 items are in step." in step.summary
    assert step.errors() == []


def test_results_file_defaults_to_workspace_even_with_runner_temp(env: Env, tmp_path: Path) -> None:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    step = go(env.settings(RUNNER_TEMP=str(temp)), fake_run(OK)[0])
    assert list(temp.iterdir()) == []
    assert (step.settings.workspace / "batchsync-results.json").is_file()
    assert step.outputs["results-file"] == "batchsync-results.json"


def test_results_file_input_is_honoured(env: Env) -> None:
    changed = env.settings(**{"INPUT_RESULTS-FILE": "out/r.json"})
    step = go(changed, fake_run(OK)[0])
    assert (step.settings.workspace / "out" / "r.json").is_file()
    assert step.outputs["results-file"] == "out/r.json"


def test_dry_run_writes_no_results_file_into_the_workspace(env: Env) -> None:
    step = go(env.settings(**{"INPUT_DRY-RUN": "true"}), fake_run(OK)[0])
    assert not (step.settings.workspace / "batchsync-results.json").exists()
    assert step.outputs["results-file"] == ""
    assert "results file" not in step.summary


def test_dry_run_writes_the_results_file_when_asked(env: Env) -> None:
    asked = env.settings(**{"INPUT_DRY-RUN": "true", "INPUT_RESULTS-FILE": "plan.json"})
    step = go(asked, fake_run(OK)[0])
    assert (step.settings.workspace / "plan.json").is_file()
    assert step.outputs["results-file"] == "plan.json"


@pytest.mark.parametrize("target", [".claude/prds/x.md", "../outside.json"])
def test_results_file_over_the_work_items_or_outside_stops_before_the_run(
    env: Env, target: str
) -> None:
    run, calls = fake_run(OK)
    step = go(env.settings(**{"INPUT_RESULTS-FILE": target}), run)
    assert step.code == action.EXIT_FATAL
    assert calls == []
    assert "invalid results-file" in step.errors()[0]
    assert "Nothing was synced" in step.summary


def test_failure_exits_one(settings: Settings) -> None:
    result = BatchResult(outcomes=(done("001"), failed("002")))
    assert go(settings, fake_run(result)[0]).code == action.EXIT_FAILED


def test_failure_with_fail_on_error_false_exits_zero(env: Env) -> None:
    result = BatchResult(outcomes=(done("001"), failed("002")))
    lenient = env.settings(**{"INPUT_FAIL-ON-ERROR": "false"})
    step = go(lenient, fake_run(result)[0])
    assert step.code == action.EXIT_OK
    assert len(step.errors()) == 1


def test_item_error_annotation_points_at_repo_file_and_line(settings: Settings) -> None:
    result = BatchResult(outcomes=(failed("001", line=3),))
    (error,) = go(settings, fake_run(result)[0]).errors()
    assert error == (
        "::error file=.claude/epics/e1/001.md,line=3,title=batchsync%3A 001::"
        "PATCH /repos/o/r/issues/3 -> 422: too long. Fix: GitHub refused the request: change "
        "what its message names"
    )


def test_an_item_error_annotation_is_its_message_alone(settings: Settings) -> None:
    result = BatchResult(outcomes=(failed("001", "no title: add `title:`", FailureKind.ITEM),))
    (error,) = go(settings, fake_run(result)[0]).errors()
    assert error.endswith("::no title: add `title:`")


def test_scan_error_path_relative_to_workspace_is_kept(settings: Settings) -> None:
    scan_error = failed(
        "bad", "invalid YAML", FailureKind.ITEM, path=".claude/prds/prd-001.md", line=2
    )
    (error,) = go(settings, fake_run(BatchResult(outcomes=(scan_error,)))[0]).errors()
    assert error.startswith("::error file=.claude/prds/prd-001.md,line=2,")


def test_ten_failures_give_ten_annotations(settings: Settings) -> None:
    result = BatchResult(outcomes=tuple(failed(f"k{i}") for i in range(10)))
    errors = go(settings, fake_run(result)[0]).errors()
    assert len(errors) == 10
    assert not any("more items failed" in e for e in errors)


def test_more_than_ten_failures_are_aggregated(settings: Settings) -> None:
    result = BatchResult(outcomes=tuple(failed(f"k{i:02d}") for i in range(15)))
    errors = go(settings, fake_run(result)[0]).errors()
    assert len(errors) == action.ANNOTATION_LIMIT
    assert all(f"batchsync%3A k{i:02d}::" in errors[i] for i in range(9))
    assert "6 more items failed: k09, k10, k11, k12, k13, k14." in errors[9]


def test_groups_per_phase_are_balanced(settings: Settings) -> None:
    items = (
        Item(Kind.PRD, "prd-001", "prds/prd-001.md"),
        Item(Kind.EPIC, "e1", "epics/e1/epic.md"),
        Item(Kind.TASK, "001", "epics/e1/001.md"),
        Item(Kind.TASK, "002", "epics/e1/002.md"),
    )
    step = go(settings, fake_run(OK, items=items)[0])
    groups = [line for line in step.lines if line.startswith(("::group::", "::endgroup::"))]
    assert groups == [
        "::group::Settings",
        "::endgroup::",
        "::group::Sync: prd items",
        "::endgroup::",
        "::group::Sync: epic items",
        "::endgroup::",
        "::group::Sync: task items",
        "::endgroup::",
        "::group::Report",
        "::endgroup::",
    ]
    assert any(
        line.startswith("batchsync: 4/4 (100%)") and line.endswith("last 002")
        for line in step.lines
    )


def test_progress_text_cannot_issue_a_command(settings: Settings) -> None:
    items = (Item(Kind.PRD, "x\n::add-mask::y", "p.md"),)
    step = go(settings, fake_run(OK, items=items)[0])
    assert not any(line.startswith("::add-mask::y") for line in step.lines)
    assert any(line.endswith("last x ::add-mask::y") for line in step.lines)


def test_waits_are_logged(settings: Settings) -> None:
    step = go(settings, fake_run(OK, waits=(("secondary rate limit", 60.0),))[0])
    assert "batchsync: waiting 1m00s: secondary rate limit" in step.lines


def test_token_never_printed_or_written(settings: Settings) -> None:
    leaky = failed("001", f"GET /x -> 500: echoed {TOKEN}", FailureKind.SERVER)
    step = go(settings, fake_run(BatchResult(outcomes=(leaky,)), raises=None)[0])
    written = [
        step.stdout.replace(f"::add-mask::{TOKEN}", ""),
        step.stderr,
        step.summary,
        settings.output_file.read_text() if settings.output_file else "",
        (settings.workspace / "batchsync-results.json").read_text(),
    ]
    assert all(TOKEN not in text for text in written)
    doc = json.loads(written[-1])
    assert doc["items"][0]["error"] == "GET /x -> 500: echoed ***"


def test_token_scrubbed_from_unexpected_error(settings: Settings) -> None:
    step = go(settings, fake_run(raises=RuntimeError(f"boom {TOKEN}"))[0])
    assert step.code == action.EXIT_FATAL
    assert TOKEN not in step.stderr
    assert "RuntimeError: boom ***" in step.stderr
    assert TOKEN not in step.stdout.replace(f"::add-mask::{TOKEN}", "")
    assert "internal error" in step.errors()[0]


@pytest.mark.parametrize(
    ("exc", "title", "fix"),
    [
        (AuthError(401, "Bad credentials"), "bad credentials", "github-token:"),
        (
            RunStop.refused(AuthError(401, "Bad credentials")),
            "bad credentials",
            "github-token:",
        ),
        (
            RunStop.refused(ForbiddenError(403, "Resource not accessible by integration")),
            "missing permission",
            "permissions:\n  issues: write",
        ),
        (
            ForbiddenError(403, "Resource not accessible by integration"),
            "missing permission",
            "permissions:\n  issues: write",
        ),
        (NotFoundError(404, "Not Found"), "repository not found", "repository: owner/name"),
        (SettingsError("type", "bug", "all, prd, epic or task"), "invalid input", None),
        (TransportError("GET", "/repos/o/r/issues", "refused"), "GitHub unreachable", None),
    ],
)
def test_errors_that_stop_the_run_exit_two_with_one_error(
    settings: Settings, exc: Exception, title: str, fix: str | None
) -> None:
    step = go(settings, fake_run(raises=exc)[0])
    assert step.code == action.EXIT_FATAL
    (error,) = step.errors()
    assert f"title=batchsync%3A {title}::" in error
    assert "**Nothing was synced.**" in step.summary
    if fix is not None:
        assert fix in step.summary.split("```yaml\n", 1)[1]


def test_forbidden_says_exactly_which_yaml_to_add(settings: Settings) -> None:
    step = go(settings, fake_run(raises=ForbiddenError(403, "Resource not accessible"))[0])
    (error,) = step.errors()
    assert "permissions:%0A  issues: write" in error
    assert "fork" in error


def test_permission_failures_on_items_give_one_error_and_exit_two(settings: Settings) -> None:
    denied = "POST /repos/o/r/issues -> 403: Resource not accessible by integration"
    result = BatchResult(
        outcomes=tuple(failed(f"k{i}", denied, FailureKind.PERMISSION) for i in range(12))
    )
    step = go(settings, fake_run(result)[0])
    assert step.code == action.EXIT_FATAL
    (error,) = step.errors()
    assert "permissions:%0A  issues: write" in error
    assert "```yaml\npermissions:\n  issues: write\n```" in step.summary


def test_a_bad_credentials_failure_on_an_item_gives_the_token_fix_and_exits_two(
    settings: Settings,
) -> None:
    refused = failed("k", "POST /x -> 401: Bad credentials", FailureKind.BAD_CREDENTIALS)
    step = go(settings, fake_run(BatchResult(outcomes=(refused, failed("j"))))[0])
    assert step.code == action.EXIT_FATAL
    errors = step.errors()
    assert "title=batchsync%3A bad credentials::" in errors[0]
    assert "permissions" not in errors[0]
    assert "github-token:" in step.summary
    assert len(errors) == 2  # the refusal, then the other item's own error


def test_permission_error_leaves_room_for_the_aggregate(env: Env) -> None:
    denied = failed("d", "POST /repos/o/r/issues -> 403: no access", FailureKind.PERMISSION)
    others = tuple(failed(f"k{i:02d}") for i in range(12))
    errors = go(env.settings(), fake_run(BatchResult(outcomes=(denied, *others)))[0]).errors()
    assert len(errors) == action.ANNOTATION_LIMIT
    assert "missing permission" in errors[0]
    assert "4 more items failed" in errors[-1]


@pytest.mark.parametrize(
    "message",
    [
        "API rate limit exceeded for installation ID 1.",
        "You have exceeded a secondary rate limit. Please wait a few minutes.",
        # GitHub's older wording of a secondary limit: no "rate limit" in it at all.
        "You have triggered an abuse detection mechanism. Please wait a few minutes.",
    ],
)
def test_a_rate_limit_403_that_ran_out_of_retries_is_not_a_permission_problem(
    settings: Settings, message: str
) -> None:
    answer = error_from_response(403, message, method="POST", path="/repos/o/r/issues")
    given_up = gave_up(answer, 3)
    outcome = failed("k", str(given_up), failure_of(given_up).kind)
    step = go(settings, fake_run(BatchResult(outcomes=(outcome,)))[0])
    assert step.code == action.EXIT_FAILED
    (error,) = step.errors()
    assert "permissions" not in error
    assert "missing permission" not in step.summary
    assert "rate limit outlasted the retries" in error


def test_no_token_stops_before_running(env: Env) -> None:
    run, calls = fake_run(OK)
    step = go(env.settings(**{"INPUT_GITHUB-TOKEN": ""}), run)
    assert step.code == action.EXIT_FATAL
    assert calls == []
    assert not any(line.startswith("::add-mask::") for line in step.lines)
    assert "github-token input is empty" in step.errors()[0]


def test_no_repository_stops_before_running(env: Env) -> None:
    run, calls = fake_run(OK)
    step = go(env.settings(GITHUB_REPOSITORY=""), run)
    assert step.code == action.EXIT_FATAL
    assert calls == []
    assert "repository input" in step.errors()[0]


def test_path_outside_workspace_exits_two(env: Env) -> None:
    run, calls = fake_run(OK)
    step = go(env.settings(INPUT_PATH="../elsewhere"), run)
    assert step.code == action.EXIT_FATAL
    assert calls == []
    assert "invalid path" in step.errors()[0]
    assert "Nothing was synced" in step.summary


def test_not_done_items_warn_and_exit_zero(settings: Settings) -> None:
    result = BatchResult(outcomes=(done("001"), done("002", ItemAction.NOT_DONE)))
    step = go(settings, fake_run(result)[0])
    assert step.code == action.EXIT_OK
    (warning,) = step.warnings()
    assert "1 items were not reached" in warning
    assert step.outputs["not-done"] == "1"


def test_warnings_are_capped_at_ten(settings: Settings) -> None:
    result = BatchResult(outcomes=(), warnings=tuple(f"w{i}" for i in range(14)))
    warnings = go(settings, fake_run(result)[0]).warnings()
    assert len(warnings) == 10
    assert warnings[-1].endswith("::5 more warnings: see the step summary.")


def test_dry_run_summary_shows_the_plan(env: Env) -> None:
    plan = BatchResult(outcomes=(done("001", ItemAction.PLANNED_CREATE, reason="new item"),))
    step = go(env.settings(**{"INPUT_DRY-RUN": "true"}), fake_run(plan)[0])
    assert step.code == action.EXIT_OK
    assert "### Dry-run plan" in step.summary
    assert step.outputs["planned"] == "1"


def test_unwritable_summary_is_a_warning_not_a_crash(env: Env, tmp_path: Path) -> None:
    blocked = env.settings(GITHUB_STEP_SUMMARY=str(tmp_path / "no" / "dir.md"))
    step = go(blocked, fake_run(OK)[0])
    assert step.code == action.EXIT_OK
    assert any("could not write the step summary" in w for w in step.warnings())


def test_counts_line_closes_the_log(settings: Settings) -> None:
    step = go(settings, fake_run(OK)[0])
    assert step.lines[-1].startswith("batchsync: total 2, created 1, updated 0, unchanged 1")


def test_settings_group_names_inputs_without_the_token(env: Env) -> None:
    step = go(env.settings(**{"INPUT_MAX-RETRIES": "1", "INPUT_MAX-CLOSE": "0"}), fake_run(OK)[0])
    settings_block = step.lines[
        step.lines.index("::group::Settings") : step.lines.index("::endgroup::")
    ]
    assert "repository: o/r" in settings_block
    assert "dry-run: false" in settings_block
    assert "max-concurrent: 10" in settings_block
    assert "max-retries: 1" in settings_block
    assert "max-close: 0" in settings_block
    assert not any(line.startswith("github-token") for line in settings_block)


def test_action_yml_declares_every_input_config_reads() -> None:
    spec = yaml.safe_load(ACTION_YML.read_text(encoding="utf-8"))
    read = {s.name for s in SOURCES.values() if s.env[0].startswith("INPUT_")}
    assert set(spec["inputs"]) == read
    assert all(body.get("description") and "default" in body for body in spec["inputs"].values())


def test_action_yml_declares_every_output_written() -> None:
    spec = yaml.safe_load(ACTION_YML.read_text(encoding="utf-8"))
    assert set(spec["outputs"]) == set(summary.outputs(BatchResult(), ""))
