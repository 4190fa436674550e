"""``python -m batchsync`` run exactly as the runner runs the Docker action, against the emulator.

Each test gets a fresh repository in one emulator process and a workspace holding the bundled
sample tree (both layouts, 13 work items).
"""

from __future__ import annotations

import re

import pytest
from action_step import READ_TOKEN, TOKEN, EmulatorProcess, StepRun, Workspace

SAMPLE_ITEMS = 13
MARKER = "<!-- batchsync"


def assert_token_nowhere(step: StepRun, token: str = TOKEN) -> None:
    """The token is in no output at all, except the one command that masks it."""
    log = [line for line in step.lines if line != f"::add-mask::{token}"]
    texts = {
        "stdout": "\n".join(log),
        "stderr": step.stderr,
        "summary": step.summary,
        "outputs": repr(step.outputs),
    }
    if "results-file" in step.outputs:
        texts["results"] = (step.workspace / step.outputs["results-file"]).read_text()
    assert [name for name, text in texts.items() if token in text] == []


def test_first_run_creates_one_issue_per_item(
    emulator: EmulatorProcess, checkout: Workspace
) -> None:
    repo = emulator.new_repo()
    step = checkout.run(emulator, repo)
    assert step.code == 0, step.stdout + step.stderr
    issues = emulator.issues(repo)
    assert len(issues) == SAMPLE_ITEMS
    assert all(MARKER in issue["body"] for issue in issues)
    assert step.outputs["total"] == str(SAMPLE_ITEMS)
    assert step.outputs["created"] == str(SAMPLE_ITEMS)
    assert step.outputs["failed"] == "0"
    assert step.outputs["results-file"] == "batchsync-results.json"
    records = step.results()["items"]
    assert {r["issue_number"] for r in records} == {i["number"] for i in issues}
    assert step.commands("error") == []


def test_summary_links_every_created_issue(emulator: EmulatorProcess, checkout: Workspace) -> None:
    repo = emulator.new_repo()
    step = checkout.run(emulator, repo)
    assert step.summary.startswith(f"## batchsync to {repo}")
    for issue in emulator.issues(repo):
        assert f"[#{issue['number']}]({issue['html_url']})" in step.summary
    assert "### Rate limit" in step.summary
    assert re.search(r"\d+ of \d+ requests left", step.summary)


def test_log_masks_first_and_groups_each_phase(
    emulator: EmulatorProcess, checkout: Workspace
) -> None:
    step = checkout.run(emulator, emulator.new_repo())
    assert step.lines[0] == f"::add-mask::{TOKEN}"
    groups = step.commands("group")
    assert groups[0] == "::group::Settings"
    assert "::group::Sync: prd items" in groups
    assert "::group::Sync: task items" in groups
    assert groups[-1] == "::group::Report"
    assert len(step.commands("endgroup")) == len(groups)


def test_second_run_writes_nothing(emulator: EmulatorProcess, checkout: Workspace) -> None:
    repo = emulator.new_repo()
    assert checkout.run(emulator, repo).code == 0
    before = emulator.writes()
    step = checkout.run(emulator, repo)
    assert step.code == 0
    assert emulator.writes() == before
    assert step.outputs["created"] == "0"
    assert step.outputs["updated"] == "0"
    assert step.outputs["unchanged"] == str(SAMPLE_ITEMS)
    assert len(emulator.issues(repo)) == SAMPLE_ITEMS


def test_unset_inputs_arrive_as_empty_strings(
    emulator: EmulatorProcess, checkout: Workspace
) -> None:
    repo = emulator.new_repo()
    step = checkout.run(
        emulator,
        repo,
        {"github-token": TOKEN, "repository": repo, "write-interval": "0"},
        defaults=False,
    )
    assert step.code == 0, step.stdout + step.stderr
    assert step.outputs["created"] == str(SAMPLE_ITEMS)


def test_token_appears_in_no_output(emulator: EmulatorProcess, checkout: Workspace) -> None:
    checkout.write(".claude/prds/broken.md", "---\nid: [unclosed\n---\nbody\n")
    step = checkout.run(emulator, emulator.new_repo())
    assert step.code == 1
    assert_token_nowhere(step)


def test_broken_item_fails_with_an_annotation_on_its_line(
    emulator: EmulatorProcess, checkout: Workspace
) -> None:
    checkout.write(".claude/prds/broken.md", "---\ntitle: ok\nid: [unclosed\n---\nbody\n")
    repo = emulator.new_repo()
    step = checkout.run(emulator, repo)
    assert step.code == 1
    (error,) = step.commands("error")
    assert error.startswith("::error file=.claude/prds/broken.md,line=")
    assert step.outputs["failed"] == "1"
    assert step.outputs["created"] == str(SAMPLE_ITEMS)
    assert len(emulator.issues(repo)) == SAMPLE_ITEMS
    assert step.summary.index("\n| failed | ") < step.summary.index("\n| created | ")


def test_fail_on_error_false_exits_zero(emulator: EmulatorProcess, checkout: Workspace) -> None:
    checkout.write(".claude/prds/broken.md", "---\nid: [unclosed\n---\nbody\n")
    step = checkout.run(emulator, emulator.new_repo(), {"fail-on-error": "false"})
    assert step.code == 0
    assert len(step.commands("error")) == 1


def test_errors_beyond_ten_are_aggregated(emulator: EmulatorProcess, checkout: Workspace) -> None:
    for n in range(12):
        checkout.write(f".claude/prds/broken-{n:02d}.md", "---\nid: [unclosed\n---\nbody\n")
    step = checkout.run(emulator, emulator.new_repo())
    assert step.code == 1
    errors = step.commands("error")
    assert len(errors) == 10
    assert "3 more items failed" in errors[-1]
    assert step.outputs["failed"] == "12"


def test_dry_run_writes_nothing_and_reports_the_plan(
    emulator: EmulatorProcess, checkout: Workspace
) -> None:
    repo = emulator.new_repo()
    before = emulator.writes()
    step = checkout.run(emulator, repo, {"dry-run": "true"})
    assert step.code == 0
    assert emulator.writes() == before
    assert emulator.issues(repo) == []
    assert step.outputs["planned"] == str(SAMPLE_ITEMS)
    assert "### Dry-run plan" in step.summary


def test_read_only_token_says_which_yaml_to_add(
    emulator: EmulatorProcess, checkout: Workspace
) -> None:
    repo = emulator.new_repo()
    step = checkout.run(emulator, repo, token=READ_TOKEN)
    assert step.code == 2
    (error,) = step.commands("error")
    assert "permissions:%0A  issues: write" in error
    assert "```yaml\npermissions:\n  issues: write\n```" in step.summary
    assert emulator.issues(repo) == []
    assert_token_nowhere(step, READ_TOKEN)


def test_bad_token_exits_two(emulator: EmulatorProcess, checkout: Workspace) -> None:
    step = checkout.run(emulator, emulator.new_repo(), token="ghs_not_a_known_token")
    assert step.code == 2
    (error,) = step.commands("error")
    assert "bad credentials" in error
    assert "**Nothing was synced.**" in step.summary


def test_unknown_repository_exits_two(emulator: EmulatorProcess, checkout: Workspace) -> None:
    step = checkout.run(emulator, "octo/does-not-exist")
    assert step.code == 2
    (error,) = step.commands("error")
    assert "repository not found" in error
    assert "**Nothing was synced.**" in step.summary


@pytest.mark.parametrize(
    ("inputs", "named"),
    [({"type": "bugs"}, "type"), ({"max-concurrent": "0"}, "max-concurrent")],
)
def test_bad_input_exits_two_naming_it(
    emulator: EmulatorProcess, checkout: Workspace, inputs: dict[str, str], named: str
) -> None:
    step = checkout.run(emulator, emulator.new_repo(), inputs)
    assert step.code == 2
    (error,) = step.commands("error")
    assert f"invalid {named}" in error
    assert_token_nowhere(step)


def test_path_outside_workspace_exits_two(emulator: EmulatorProcess, checkout: Workspace) -> None:
    step = checkout.run(emulator, emulator.new_repo(), {"path": "../outside"})
    assert step.code == 2
    (error,) = step.commands("error")
    assert "invalid path" in error
    assert "**Nothing was synced.**" in step.summary
