"""Sub-issue links against the emulator: a person's removal is kept, a cut-off link is made,
and the plan (dry run included) says every link a run writes. Each test runs with and without
``parent_issue_url`` in list answers."""

from __future__ import annotations

import functools
from typing import Any

import pytest
import requests

from batchsync.emulator import Emulator, FaultConfig, GraphQLConfig
from batchsync.emulator.faults import FaultKind, ScheduledFault
from batchsync.github import GitHubClient, NoHistory
from batchsync.github_graphql import PARENT_REMOVED, GraphQLCreator
from batchsync.processor import Gate
from batchsync.ratelimit import Limits
from emulated import LIST_FIELD_VARIANTS, sync_run, writes
from trees import cart_task, write_cart

TOKEN = "ghs_subissue_links"
REPO = "octo/links"
EMULATOR = {"limits": "off", "scale": 1000}
EMULATOR_VARIANTS = LIST_FIELD_VARIANTS
WORK_ITEMS = functools.partial(write_cart, tasks=2)
HEADERS = {"Authorization": f"token {TOKEN}"}
SUB_ISSUES = "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues"

sync = functools.partial(sync_run, token=TOKEN, repo=REPO)


def by_title(emu: Emulator) -> dict[str, dict[str, Any]]:
    return {i["title"].partition("] ")[2]: i for i in emu.issues(REPO)}


def parent_of(emu: Emulator, title: str) -> int | None:
    return emu.service.store.repo("octo", "links").issue(by_title(emu)[title]["number"]).parent


def take_out(emu: Emulator, parent: dict[str, Any], child: dict[str, Any]) -> None:
    """What a person does on GitHub: ``DELETE .../sub_issue``."""
    url = f"{emu.url}/repos/{REPO}/issues/{parent['number']}/sub_issue"
    answer = requests.delete(url, json={"sub_issue_id": child["id"]}, headers=HEADERS, timeout=10)
    assert answer.status_code == 200, answer.text


def reason_of(result: Any, key: str) -> str:
    return next(o.reason or "" for o in result.outcomes if o.key == key)


def test_a_sub_issue_a_person_took_out_is_not_linked_again(emu: Emulator, workspace) -> None:
    assert sync(emu, workspace).failed == 0
    n = by_title(emu)
    take_out(emu, n["Cart screens"], n["Step 1"])
    for _ in range(2):
        emu.stats.reset()
        result = sync(emu, workspace)
        assert writes(emu) == 0, "linked again a sub-issue a person took out"
        assert parent_of(emu, "Step 1") is None
        assert (
            f"#{n['Step 1']['number']} was taken out of #{n['Cart screens']['number']} on GitHub; "
            "kept; change the file's parent to link it again"
        ) in reason_of(result, "task-001")


def test_removed_through_graphql_is_kept_too(emu: Emulator, workspace) -> None:
    assert sync(emu, workspace).failed == 0
    n = by_title(emu)
    mutation = (
        "mutation($i: RemoveSubIssueInput!) { removeSubIssue(input: $i) { subIssue { number } } }"
    )
    ids = {"issueId": n["Cart screens"]["node_id"], "subIssueId": n["Step 1"]["node_id"]}
    answer = requests.post(
        f"{emu.url}/graphql",
        json={"query": mutation, "variables": {"i": ids}},
        headers=HEADERS,
        timeout=10,
    ).json()
    assert answer["data"]["removeSubIssue"]["subIssue"]["number"] == n["Step 1"]["number"]
    emu.stats.reset()
    sync(emu, workspace)
    assert writes(emu) == 0
    assert parent_of(emu, "Step 1") is None


def test_the_file_changing_links_it_again(emu: Emulator, workspace) -> None:
    assert sync(emu, workspace).failed == 0
    n = by_title(emu)
    take_out(emu, n["Cart screens"], n["Step 1"])
    cart_task(workspace / ".claude", 1, priority="high")
    result = sync(emu, workspace)
    assert parent_of(emu, "Step 1") == n["Cart screens"]["number"]
    assert reason_of(result, "task-001").endswith(f"linked under #{n['Cart screens']['number']}")


def test_a_link_a_cut_off_run_left_is_made_and_reported(emu: Emulator, workspace) -> None:
    assert sync(emu, workspace).failed == 0
    n = by_title(emu)
    repo = emu.service.store.repo("octo", "links")
    repo.remove_sub_issue(n["Cart screens"]["number"], n["Step 1"]["id"])  # no one's removal
    dry = sync(emu, workspace, dry_run=True)
    planned = next(o for o in dry.outcomes if o.key == "task-001")
    assert planned.action.value == "would-update"
    emu.stats.reset()
    real = sync(emu, workspace)
    done = next(o for o in real.outcomes if o.key == "task-001")
    assert writes(emu) == 1
    assert (done.action.value, done.reason) == ("updated", planned.reason)
    assert parent_of(emu, "Step 1") == n["Cart screens"]["number"]


@pytest.mark.variants("none")  # lists without parent_issue_url: each parent's list is read
def test_a_passing_404_on_a_sub_issue_list_is_asked_again_never_taken_for_no_api(
    emu: Emulator, workspace
) -> None:
    assert sync(emu, workspace).failed == 0
    n = by_title(emu)
    repo = emu.service.store.repo("octo", "links")
    repo.remove_sub_issue(n["Cart screens"]["number"], n["Step 1"]["id"])  # no one's removal
    once = ScheduledFault(FaultKind.ERROR, 1, "GET", SUB_ISSUES)
    emu.set_faults(FaultConfig(error_statuses=(404,), schedule=(once,)))
    result = sync(emu, workspace)
    emu.set_faults(FaultConfig())
    assert not [w for w in result.warnings if "sub-issues" in w and "API" in w], result.warnings
    assert parent_of(emu, "Step 1") == n["Cart screens"]["number"]  # linked in this run


@pytest.mark.variants("none")  # lists without parent_issue_url: each parent's list is read
def test_a_parent_list_that_keeps_failing_refuses_its_children_only(
    emu: Emulator, workspace
) -> None:
    assert sync(emu, workspace).failed == 0
    always = tuple(ScheduledFault(FaultKind.ERROR, n, "GET", SUB_ISSUES) for n in range(1, 40))
    emu.set_faults(FaultConfig(schedule=always))
    emu.stats.reset()
    result = sync(emu, workspace)
    emu.set_faults(FaultConfig())
    failed = {o.key: o.error or "" for o in result.outcomes if o.action.value == "failed"}
    assert set(failed) == {"epic-001", "task-001", "task-002"}  # the PRD's and the epic's
    assert all("could not be read" in why and "run again" in why for why in failed.values())
    assert writes(emu) == 0
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 0


def test_a_server_without_the_event_links_it_as_a_cut_off_run(make_emulator, workspace) -> None:
    emu = make_emulator(graphql=GraphQLConfig(parent_removed_events=False))
    assert sync(emu, workspace).failed == 0
    n = by_title(emu)
    take_out(emu, n["Cart screens"], n["Step 1"])
    sync(emu, workspace)
    assert parent_of(emu, "Step 1") == n["Cart screens"]["number"]


def test_without_graphql_nothing_is_linked_and_the_reason_says_why(make_emulator, workspace):
    emu = make_emulator(graphql=None)
    assert sync(emu, workspace).failed == 0
    n = by_title(emu)
    take_out(emu, n["Cart screens"], n["Step 1"])
    emu.stats.reset()
    result = sync(emu, workspace)
    assert writes(emu) == 0
    assert "keeps no history batchsync can read (no GraphQL)" in reason_of(result, "task-001")


def test_a_fully_linked_rerun_reads_no_history(emu: Emulator, workspace) -> None:
    assert sync(emu, workspace).failed == 0
    emu.stats.reset()
    sync(emu, workspace)
    assert writes(emu) == 0
    assert emu.stats.count("POST") == 0  # no GraphQL query beyond the run's first


def client(emu: Emulator, *, graphql: bool = True) -> GitHubClient:
    gate = Gate(Limits(write_interval=0, retry_delay=0), clock=emu.clock.now, sleep=lambda _: None)
    return GitHubClient(emu.url, TOKEN, REPO, gate, graphql=graphql)


def test_the_client_reads_the_last_removal_from_the_timeline(emu: Emulator, workspace) -> None:
    assert sync(emu, workspace).failed == 0
    n = by_title(emu)
    step, epic = n["Step 1"]["number"], n["Cart screens"]["number"]
    assert client(emu).parent_removed(step) is None
    take_out(emu, n["Cart screens"], n["Step 1"])
    assert client(emu).parent_removed(step) == epic
    with pytest.raises(NoHistory):
        client(emu, graphql=False).parent_removed(step)


def test_the_timeline_serves_only_the_removal_events(emu: Emulator) -> None:
    number = emu.service.store.repo("octo", "links").add_issue("x")
    query = (
        f'query {{ repository(owner: "octo", name: "links") {{ issue(number: {number}) {{ '
        "timelineItems(itemTypes: [CLOSED_EVENT], first: 5) { totalCount } } } }"
    )
    answer = requests.post(
        f"{emu.url}/graphql", json={"query": query}, headers=HEADERS, timeout=10
    ).json()
    assert "PARENT_ISSUE_REMOVED_EVENT" in answer["errors"][0]["message"]


def test_a_timeline_answer_about_another_issue_never_keeps_a_child_out(
    emu: Emulator, workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sync(emu, workspace).failed == 0
    n = by_title(emu)
    take_out(emu, n["Cart screens"], n["Step 1"])  # a person's: Step 1 has a removal event
    repo = emu.service.store.repo("octo", "links")
    repo.remove_sub_issue(n["Cart screens"]["number"], n["Step 2"]["id"])  # a cut-off run's
    real = GraphQLCreator.__init__

    def answering_for_step_1(self: GraphQLCreator, *args: Any, **kwargs: Any) -> None:
        """A cache between answers Step 1's timeline whatever issue is asked."""
        real(self, *args, **kwargs)
        send = self._send

        def swapped(method: str, url: str, body: Any = None, **more: Any) -> Any:
            if isinstance(body, dict) and body.get("query") == PARENT_REMOVED:
                variables = {**body["variables"], "number": n["Step 1"]["number"]}
                body = {**body, "variables": variables}
            return send(method, url, body=body, **more)

        self._send = swapped  # type: ignore[method-assign]

    monkeypatch.setattr(GraphQLCreator, "__init__", answering_for_step_1)
    result = sync(emu, workspace)
    step_2 = next(o for o in result.outcomes if o.key == "task-002")
    assert "taken out" not in (step_2.reason or "")  # never Step 1's removal as its own
    assert "history gave no answer" in (step_2.error or ""), step_2
    monkeypatch.undo()
    assert sync(emu, workspace).failed == 0
    assert parent_of(emu, "Step 2") == n["Cart screens"]["number"]  # the cut-off link is made
    assert parent_of(emu, "Step 1") is None  # the person's removal stays
