"""Answers that are not what was asked: the emulator's switches, and what the adapter makes of them.

Listings that are not listings (HTML, an object, non-objects, a ``next`` link without end),
GraphQL's "Something went wrong" (applied or not) and an error on ``viewer`` alone.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from batchsync.config import load_settings
from batchsync.emulator import (
    Emulator,
    FaultConfig,
    FaultKind,
    GraphQLConfig,
    ListingFault,
    ManualClock,
    ScheduledFault,
)
from batchsync.errors import UncertainWriteError, UnusableAnswer
from batchsync.github import GitHubClient
from batchsync.marker import parse_marker
from batchsync.processor import Gate
from batchsync.ratelimit import Limits
from batchsync.sync import run
from emulated import run_overrides
from trees import Tree

TOKEN = "ghs_answer_faults"
REPO = "octo/faults"
EMULATOR = {"limits": "off", "clock": ManualClock(1_700_000_000.0)}  # time moves when slept on
ISSUES = "/repos/{owner}/{repo}/issues"
SUB_ISSUES = "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues"


def client(emu: Emulator, *, graphql: bool = False) -> GitHubClient:
    gate = Gate(Limits(write_interval=0, retry_delay=0), clock=emu.clock.now, sleep=lambda _: None)
    return GitHubClient(emu.url, TOKEN, REPO, gate, graphql=graphql)


def seeded(emu: Emulator, count: int = 3) -> None:
    repo = emu.service.store.repo("octo", "faults")
    for n in range(count):
        repo.add_issue(f"t{n}")


# ---- listings that are not listings -----------------------------------------------------------


def test_each_listing_fault_over_http(emu, http):
    seeded(emu)
    url = f"{emu.url}/repos/{REPO}/issues?per_page=2"
    emu.set_faults(FaultConfig(listing=ListingFault.HTML))
    html = http.get(url)
    assert (html.status_code, html.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert html.text.startswith("<!DOCTYPE html>")
    emu.set_faults(FaultConfig(listing=ListingFault.OBJECT))
    assert [i["number"] for i in http.get(url).json()["items"]] == [3, 2]
    emu.set_faults(FaultConfig(listing=ListingFault.SCALARS))
    assert http.get(url).json() == [3, 2]
    emu.set_faults(FaultConfig(listing=ListingFault.SAME_PAGE))
    second = f"{emu.url}/repos/{REPO}/issues?per_page=2&page=2"
    assert http.get(second).links["next"]["url"] == second
    emu.set_faults(FaultConfig(listing=ListingFault.ENDLESS))
    far = http.get(f"{emu.url}/repos/{REPO}/issues?per_page=2&page=9")
    assert [i["number"] for i in far.json()] == [3, 2]  # past the last page: the first again
    assert far.links["next"]["url"].endswith("page=10")
    # a listing fault leaves every other answer alone
    assert http.get(f"{emu.url}/repos/{REPO}/issues/1").json()["number"] == 1


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        (ListingFault.HTML, "answered with an HTML page instead of JSON"),
        (ListingFault.OBJECT, "answered with a JSON object, not a list"),
        (ListingFault.SCALARS, "answered with a list holding a JSON number or boolean"),
        (ListingFault.SAME_PAGE, "its next link points back at a page already read"),
        (ListingFault.ENDLESS, "its next link went on past 4 pages"),
    ],
)
def test_the_issue_listing_fails_clearly_on_each_fault(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, fault: ListingFault, problem: str
) -> None:
    monkeypatch.setattr("batchsync.github.MAX_ISSUE_PAGES", 4)
    seeded(emu)
    emu.set_faults(FaultConfig(listing=fault))
    with pytest.raises(UnusableAnswer) as caught:
        client(emu).list_issues()
    assert str(caught.value).startswith(f"GET /repos/{REPO}/issues -> 200: {problem}")
    assert TOKEN not in str(caught.value)
    assert emu.stats.count("GET") <= 4 * (Limits().max_retries + 1)


def test_find_created_meets_the_same_checks(emu: Emulator) -> None:
    seeded(emu)
    emu.set_faults(FaultConfig(listing=ListingFault.SAME_PAGE))
    with pytest.raises(UnusableAnswer, match="points back at a page already read"):
        client(emu).find_created(lambda i: False, above=0)


@pytest.mark.parametrize("fault", [ListingFault.OBJECT, ListingFault.ENDLESS])
def test_the_sub_issue_listing_fails_clearly_too(emu: Emulator, fault: ListingFault) -> None:
    repo = emu.service.store.repo("octo", "faults")
    parent = repo.add_issue("parent")
    for n in range(2):
        repo.add_sub_issue(parent, repo.issue(repo.add_issue(f"child {n}")).id, False)
    emu.set_faults(FaultConfig(listing=fault, listing_template=SUB_ISSUES))
    with pytest.raises(UnusableAnswer, match=f"GET {ISSUES.format(owner='octo', repo='faults')}/1"):
        client(emu).sub_issue_numbers(parent)
    assert [i.number for i in client(emu).list_issues()] == [3, 2, 1]  # only that route


def test_a_sub_issue_listing_of_another_parent_is_refused(emu: Emulator) -> None:
    repo = emu.service.store.repo("octo", "faults")
    asked, other = repo.add_issue("asked"), repo.add_issue("other")
    repo.add_sub_issue(other, repo.issue(repo.add_issue("not asked's child")).id, False)
    fault = FaultConfig(listing=ListingFault.OTHER_ISSUE, listing_template=SUB_ISSUES)
    emu.set_faults(dataclasses.replace(fault, listing_other=other))
    with pytest.raises(UnusableAnswer, match=f"answered with #3, whose parent is not #{asked}"):
        client(emu).sub_issue_numbers(asked)
    emu.set_faults(FaultConfig())
    assert client(emu).sub_issue_numbers(other) == [3]


# ---- GraphQL's "Something went wrong" -----------------------------------------------------------


@pytest.mark.parametrize("acts", [True, False], ids=["applied", "not-applied"])
def test_something_went_wrong_answers_200_with_no_data(http, emu: Emulator, acts: bool) -> None:
    repo_id = http.post(
        f"{emu.url}/graphql",
        json={"query": 'query { repository(owner: "octo", name: "faults") { id } }'},
    ).json()["data"]["repository"]["id"]
    schedule = (ScheduledFault(FaultKind.GRAPHQL_TIMEOUT, 1, "POST", "/graphql", acts=acts),)
    emu.set_faults(FaultConfig(schedule=schedule))
    mutation = "mutation($i: CreateIssueInput!) { createIssue(input: $i) { issue { number } } }"
    before = emu.clock.now()
    answer = http.post(
        f"{emu.url}/graphql",
        json={"query": mutation, "variables": {"i": {"repositoryId": repo_id, "title": "t"}}},
    )
    assert answer.status_code == 200
    assert answer.json()["data"] is None
    assert answer.json()["errors"][0]["message"].startswith(
        "Something went wrong while executing your query. This may be the result of a timeout"
    )
    assert emu.clock.now() - before == pytest.approx(10.0)
    assert len(emu.issues(REPO)) == (1 if acts else 0)


@pytest.mark.parametrize("acts", [True, False], ids=["applied", "not-applied"])
def test_a_create_answered_something_went_wrong_is_uncertain(emu: Emulator, acts: bool) -> None:
    # the 1st POST /graphql is the repository query, the 2nd the create
    schedule = (ScheduledFault(FaultKind.GRAPHQL_TIMEOUT, 2, "POST", "/graphql", acts=acts),)
    emu.set_faults(FaultConfig(schedule=schedule))
    with pytest.raises(UncertainWriteError, match="Something went wrong"):
        client(emu, graphql=True).create_issue("T", "B", ())
    assert len(emu.issues(REPO)) == (1 if acts else 0)
    assert emu.stats.operations("createIssue") == 1  # never blindly sent again


@pytest.mark.parametrize("acts", [True, False], ids=["applied", "not-applied"])
def test_a_sync_through_something_went_wrong_creates_each_item_once(
    emu: Emulator, tree: Tree, acts: bool
) -> None:
    workspace = tree.prds(4)
    schedule = (ScheduledFault(FaultKind.GRAPHQL_TIMEOUT, 2, "POST", "/graphql", acts=acts),)
    emu.set_faults(FaultConfig(schedule=schedule))
    given = run_overrides(emu, workspace, token=TOKEN, repo=REPO)
    result = run(load_settings(given, env={}), clock=emu.clock.now, sleep=emu.clock.sleep)
    hit = [r for r in emu.stats.requests() if r.fault == FaultKind.GRAPHQL_TIMEOUT.value]
    assert [r.operation for r in hit] == ["createIssue"]
    assert result.failed == 0
    keys = sorted(m.key for i in emu.issues(REPO) if (m := parse_marker(i["body"])))
    assert keys == ["prd-001", "prd-002", "prd-003", "prd-004"]  # each exactly once
    found = [o for o in result.outcomes if "found by its marker" in (o.reason or "")]
    assert len(found) == (1 if acts else 0)


# ---- an error on viewer alone -----------------------------------------------------------------


def test_a_viewer_error_does_not_stop_the_run(tmp_path: Path, tree: Tree) -> None:
    with Emulator(
        limits="off", clock=ManualClock(1_700_000_000.0), graphql=GraphQLConfig(viewer_error=True)
    ) as emu:
        emu.add_token(TOKEN)
        emu.add_repo(REPO)
        workspace = tree.prds(3)
        given = run_overrides(emu, workspace, token=TOKEN, repo=REPO)
        first = run(load_settings(given, env={}), clock=emu.clock.now, sleep=emu.clock.sleep)
        assert (first.failed, len(emu.issues(REPO))) == (0, 3)
        assert emu.stats.operations("createIssue") == 2  # the repository query's data in use
        emu.stats.reset()
        again = run(load_settings(given, env={}), clock=emu.clock.now, sleep=emu.clock.sleep)
        assert again.failed == 0
        assert emu.stats.writes() == 0
