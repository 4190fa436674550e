"""Dependencies as GitHub's own "blocked by" relationships, end to end against the emulator."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import requests

import emulated
from batchsync.emulator import Emulator, FaultConfig
from batchsync.emulator.faults import FaultKind, ScheduledFault
from batchsync.errors import NotFoundError
from batchsync.github import GitHubClient
from batchsync.remote import Blocker, RemoteIssue
from batchsync.results import BatchResult, ItemAction
from emulated import LIST_FIELDS, sync_run, writes
from trees import cart_task, write_cart

TOKEN = "ghs_blockedtoken"
REPO = "octo/demo"
EMULATOR = {"limits": "off", "scale": 1000}
# GitHub does not promise ``issue_dependencies_summary`` in list answers: with "none" the
# emulator leaves it out, so no decision may rest on it.
EMULATOR_VARIANTS = {
    **{f"dependencies-{f}": {"dependencies": True, "list_fields": f} for f in LIST_FIELDS},
    "no-dependencies": {"dependencies": False},
}
BLOCKED_BY = "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by"
HEADERS = {"Authorization": f"token {TOKEN}"}
NO_API = "no issue dependencies API"  # the one warning of a run on a server without it


def cart(base: Path) -> None:
    """The cart tree (tests/trees.py): Step 2 waits for Step 1, Step 3 for both."""
    write_cart(base, tasks=0)
    cart_task(base, 1, dependencies=[])
    cart_task(base, 2, dependencies=["task-001"])
    cart_task(base, 3, dependencies=["task-001", "task-002"])


WORK_ITEMS = cart  # the workspace fixture (tests/conftest.py)

sync = functools.partial(sync_run, token=TOKEN, repo=REPO, blocked_by=True)


def numbers(emu: Emulator) -> dict[str, int]:
    return {i["title"].partition("] ")[2]: i["number"] for i in emu.issues(REPO)}


def blockers(emu: Emulator, title: str) -> set[int]:
    return {number for _, number in emu.blocked_by(REPO, numbers(emu)[title])}


def no_api_warnings(result: BatchResult) -> int:
    return sum(NO_API in w for w in result.warnings)


def test_dependencies_become_blocked_by_and_a_rerun_writes_nothing(emu, workspace):
    result = sync(emu, workspace)
    assert result.failed == 0
    if not emu.service.store.dependencies:  # a server without the API: one warning
        assert no_api_warnings(result) == 1
        # learned at the first add: no body, not even that item's, names a blocker not added
        assert not any("Blocked by" in i["body"] for i in emu.issues(REPO))
        emu.stats.reset()
        assert sync(emu, workspace).failed == 0
        assert writes(emu) == 0
        return
    n = numbers(emu)
    assert blockers(emu, "Step 2") == {n["Step 1"]}
    assert blockers(emu, "Step 3") == {n["Step 1"], n["Step 2"]}
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 0


def test_a_dependency_removed_from_the_file_is_removed_and_a_person_s_stays(emu, workspace):
    sync(emu, workspace)
    n = numbers(emu)
    other = None
    if emu.service.store.dependencies:
        repo = emu.service.store.repo("octo", "demo")
        with repo.store.lock:
            other = repo.issue(repo.add_issue("a person's blocker"))
        answer = requests.post(
            f"{emu.url}/repos/{REPO}/issues/{n['Step 3']}/dependencies/blocked_by",
            json={"issue_id": other.id},
            headers={"Authorization": f"token {TOKEN}"},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
    cart_task(workspace / ".claude", 3, dependencies=["task-002"])
    result = sync(emu, workspace)
    assert result.failed == 0
    if other is not None:
        assert blockers(emu, "Step 3") == {n["Step 2"], other.number}
        assert no_api_warnings(result) == 0
        return
    # a server without the API: one warning, and the body's Dependencies line says it (a
    # Blocked by line would claim a relationship that was never added)
    assert no_api_warnings(result) == 1
    body = emulated.issue_of(emu, "task-003", repo=REPO)["body"]
    assert f"- **Dependencies:** #{n['Step 2']}\n" in body
    assert "Blocked by" not in body
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 0


# The tests below speak of GitHub's relationships: they run on the servers that have them.
with_api = pytest.mark.variants(*(f"dependencies-{f}" for f in LIST_FIELDS))


def by_hand(emu: Emulator, method: str, blocked: str, blocker: str) -> None:
    """A person adds (POST) or removes (DELETE) a blocked-by relationship on GitHub."""
    issues = {i["title"].partition("] ")[2]: i for i in emu.issues(REPO)}
    url = f"{emu.url}/repos/{REPO}/issues/{issues[blocked]['number']}/dependencies/blocked_by"
    blocker_id = issues[blocker]["id"]
    if method == "POST":
        answer = requests.post(url, json={"issue_id": blocker_id}, headers=HEADERS, timeout=10)
    else:
        answer = requests.delete(f"{url}/{blocker_id}", headers=HEADERS, timeout=10)
    assert answer.status_code in (200, 201), answer.text


@with_api
def test_a_blocker_a_person_removes_is_never_added_again(emu, workspace):
    assert sync(emu, workspace).failed == 0
    by_hand(emu, "DELETE", "Step 2", "Step 1")
    emu.stats.reset()
    for _ in range(2):
        assert sync(emu, workspace).failed == 0
    assert blockers(emu, "Step 2") == set()
    assert writes(emu) == 0
    assert emu.stats.count("GET", BLOCKED_BY) == 0  # nothing changed in the file: nothing read


@with_api
def test_a_blocker_a_person_adds_between_two_items_stays(emu, workspace):
    assert sync(emu, workspace).failed == 0
    by_hand(emu, "POST", "Step 2", "Step 3")
    cart_task(workspace / ".claude", 2, dependencies=["task-001"], priority="high")
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    n = numbers(emu)
    assert blockers(emu, "Step 2") == {n["Step 1"], n["Step 3"]}
    assert emu.stats.count("DELETE") == 0


@with_api
def test_the_file_wins_when_it_changes_and_the_dry_run_says_so(emu, workspace):
    assert sync(emu, workspace).failed == 0
    n = numbers(emu)
    by_hand(emu, "DELETE", "Step 3", "Step 1")  # a person's word, until the file changes
    cart_task(workspace / ".claude", 3, dependencies=["task-002"])  # drops task-001
    cart_task(workspace / ".claude", 2, dependencies=["task-001", "task-003"])  # adds task-003
    dry = sync(emu, workspace, dry_run=True)
    planned = {o.key: o for o in dry.outcomes}
    assert planned["task-002"].action is ItemAction.PLANNED_UPDATE
    assert f"blocked by: adds #{n['Step 3']}" in (planned["task-002"].reason or "")
    assert "blocked by" not in (planned["task-003"].reason or "")  # already gone: nothing to do
    emu.stats.reset()
    result = sync(emu, workspace)
    done = {o.key: o for o in result.outcomes}
    assert done["task-002"].action is ItemAction.UPDATED
    assert f"blocked by: adds #{n['Step 3']}" in (done["task-002"].reason or "")
    assert blockers(emu, "Step 2") == {n["Step 1"], n["Step 3"]}
    assert blockers(emu, "Step 3") == {n["Step 2"]}
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 0


@with_api
def test_a_dependency_dropped_from_the_file_is_removed_with_no_summary_in_lists(emu, workspace):
    assert sync(emu, workspace).failed == 0
    cart_task(workspace / ".claude", 2, dependencies=[])
    result = sync(emu, workspace)
    assert result.failed == 0
    assert blockers(emu, "Step 2") == set()
    [step2] = [o for o in result.outcomes if o.key == "task-002"]
    assert step2.action is ItemAction.UPDATED
    assert "removes #" in (step2.reason or "")


@with_api
def test_turning_blocked_by_on_adds_the_relationships_of_a_synced_tree(emu, workspace):
    assert sync(emu, workspace, blocked_by=False).failed == 0
    assert blockers(emu, "Step 3") == set()
    assert sync(emu, workspace).failed == 0
    n = numbers(emu)
    assert blockers(emu, "Step 3") == {n["Step 1"], n["Step 2"]}


@with_api
def test_a_failed_add_writes_no_body_naming_it_and_the_next_run_finishes(emu, workspace):
    fail = tuple(ScheduledFault(FaultKind.ERROR, n, "POST", BLOCKED_BY) for n in range(1, 30))
    emu.set_faults(FaultConfig(schedule=fail))  # every add of the first run, retries too
    first = sync(emu, workspace)
    assert first.failed >= 1
    body = emulated.issue_of(emu, "task-002", repo=REPO)["body"]
    assert "- **Blocked by:** `task-001`" in body  # the number waits for its relationship
    emu.set_faults(FaultConfig())
    assert sync(emu, workspace).failed == 0
    n = numbers(emu)
    assert blockers(emu, "Step 2") == {n["Step 1"]}
    assert blockers(emu, "Step 3") == {n["Step 1"], n["Step 2"]}


@with_api
def test_a_cycle_and_a_closed_task_get_their_blockers_on_the_first_run(emu, workspace):
    cart_task(workspace / ".claude", 1, dependencies=["task-003"])  # 1 -> 3 -> {1, 2}: a cycle
    cart_task(workspace / ".claude", 2, dependencies=["task-001"], status="completed")
    assert sync(emu, workspace).failed == 0
    n = numbers(emu)
    assert blockers(emu, "Step 1") == {n["Step 3"]}
    assert blockers(emu, "Step 2") == {n["Step 1"]}
    assert blockers(emu, "Step 3") == {n["Step 1"], n["Step 2"]}
    assert emulated.issue_of(emu, "task-002", repo=REPO)["state"] == "closed"
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 0


@with_api
def test_an_unread_list_fails_the_item_with_nothing_written_and_the_next_run_finishes(
    emu, workspace
):
    assert sync(emu, workspace).failed == 0
    before = emulated.issue_of(emu, "task-002", repo=REPO)["body"]
    cart_task(workspace / ".claude", 2, dependencies=[])
    fail = tuple(ScheduledFault(FaultKind.ERROR, n, "GET", BLOCKED_BY) for n in range(1, 30))
    emu.set_faults(FaultConfig(schedule=fail))
    result = sync(emu, workspace)
    [step2] = [o for o in result.outcomes if o.key == "task-002"]
    assert step2.action is ItemAction.FAILED
    assert "blocked-by list could not be read" in (step2.failure.message if step2.failure else "")
    assert emulated.issue_of(emu, "task-002", repo=REPO)["body"] == before
    emu.set_faults(FaultConfig())
    assert sync(emu, workspace).failed == 0
    assert blockers(emu, "Step 2") == set()


@pytest.mark.parametrize("text", ["see #{n} later", "foo,#{n}", "x`, #{n}, `y"])
def test_a_dependency_that_is_text_holding_an_issue_number_never_blocks(emu, workspace, text):
    assert sync(emu, workspace).failed == 0
    step1 = numbers(emu)["Step 1"]
    cart_task(workspace / ".claude", 3, dependencies=[text.format(n=step1)])  # inert text
    assert sync(emu, workspace).failed == 0
    assert blockers(emu, "Step 3") == set()  # the old line's #1, #2 removed; the text adds none
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 0


def test_a_dependency_naming_an_issue_by_number_blocks_only_when_batchsync_owns_it(emu, workspace):
    assert sync(emu, workspace).failed == 0
    n = numbers(emu)
    stranger = requests.post(
        f"{emu.url}/repos/{REPO}/issues", json={"title": "A person's"}, headers=HEADERS, timeout=10
    ).json()["number"]
    deps = [f"#{n['Step 1']}", f"#{stranger}"]
    cart_task(workspace / ".claude", 3, dependencies=deps)
    assert sync(emu, workspace).failed == 0
    if emu.service.store.dependencies:
        assert blockers(emu, "Step 3") == {n["Step 1"]}


def _no_api(monkeypatch: pytest.MonkeyPatch, gone: set[int] | None = None) -> None:
    """The dependencies API answers 404: for every issue (None), or for the issues ``gone``
    (deleted since the listing: their own read answers 404 too)."""

    def missing(number: int) -> bool:
        return gone is None or number in gone

    def read(self: GitHubClient, number: int) -> list[Blocker]:
        if missing(number):
            raise NotFoundError(404, "Not Found", "GET", "/dependencies/blocked_by")
        return real_read(self, number)

    def add(self: GitHubClient, number: int, blocker_id: int) -> None:
        if missing(number):
            raise NotFoundError(404, "Not Found", "POST", "/dependencies/blocked_by")
        real_add(self, number, blocker_id)

    def get(self: GitHubClient, number: int) -> RemoteIssue | None:
        return None if gone is not None and number in gone else real_get(self, number)

    real_read, real_add, real_get = (
        GitHubClient.blocked_by,
        GitHubClient.add_blocked_by,
        GitHubClient.get_issue,
    )
    monkeypatch.setattr(GitHubClient, "blocked_by", read)
    monkeypatch.setattr(GitHubClient, "add_blocked_by", add)
    monkeypatch.setattr(GitHubClient, "get_issue", get)


@pytest.mark.variants("dependencies-both")
def test_bodies_written_without_the_api_name_no_blocker_so_the_api_later_adds_them(
    emu, workspace, monkeypatch
):
    _no_api(monkeypatch)
    first = sync(emu, workspace)
    assert first.failed == 0
    assert no_api_warnings(first) == 1
    assert not any("Blocked by" in i["body"] for i in emu.issues(REPO))
    assert blockers(emu, "Step 3") == set()
    cart_task(workspace / ".claude", 1, dependencies=[], body="Do step 1 first.")
    second = sync(emu, workspace)  # the plan reads a list, learns it, and says so in no body
    assert no_api_warnings(second) == 1
    assert not any("Blocked by" in i["body"] for i in emu.issues(REPO))
    monkeypatch.undo()  # the server answers now (upgraded; or the 404s were passing)
    third = sync(emu, workspace)
    assert third.failed == 0
    assert no_api_warnings(third) == 0
    n = numbers(emu)
    assert blockers(emu, "Step 2") == {n["Step 1"]}
    assert blockers(emu, "Step 3") == {n["Step 1"], n["Step 2"]}


@pytest.mark.variants("dependencies-both")
def test_one_issue_gone_since_the_listing_fails_its_step_only(emu, workspace, monkeypatch):
    sync(emu, workspace)
    n = numbers(emu)
    cart_task(workspace / ".claude", 2, dependencies=[])
    cart_task(workspace / ".claude", 3, dependencies=["task-001"])
    _no_api(monkeypatch, gone={n["Step 3"]})
    result = sync(emu, workspace)
    assert no_api_warnings(result) == 0
    assert blockers(emu, "Step 2") == set()  # the rest of the run still writes them
    failed = {o.key: o for o in result.outcomes if o.action is ItemAction.FAILED}
    assert set(failed) == {"task-003"}
    assert f"#{n['Step 3']}" in str(failed["task-003"].failure)


@with_api
def test_a_passing_404_on_a_blocked_by_list_is_asked_again_never_taken_for_no_api(emu, workspace):
    sync(emu, workspace)
    n = numbers(emu)
    cart_task(workspace / ".claude", 3, dependencies=["task-001"])  # the file drops Step 2
    once = ScheduledFault(FaultKind.ERROR, 1, "GET", BLOCKED_BY)
    emu.set_faults(FaultConfig(error_statuses=(404,), schedule=(once,)))
    result = sync(emu, workspace)
    emu.set_faults(FaultConfig())
    assert no_api_warnings(result) == 0
    assert result.failed == 0
    assert blockers(emu, "Step 3") == {n["Step 1"]}  # the removal the file asked for is made
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 0


def _twice(method: str) -> FaultConfig:
    """A 404 on the first two requests of ``method`` to a blocked-by list: asked again, the
    route answered 404 again, though the issue exists (what a missing API looks like too)."""
    twice = tuple(ScheduledFault(FaultKind.ERROR, k, method, BLOCKED_BY) for k in (1, 2))
    return FaultConfig(error_statuses=(404,), schedule=twice)


@with_api
def test_two_passing_404s_rewrite_untouched_items(emu, workspace):
    assert sync(emu, workspace).failed == 0
    step2 = emulated.issue_of(emu, "task-002", repo=REPO)["body"]
    cart_task(workspace / ".claude", 3, dependencies=["task-001"])  # only Step 3 changes
    emu.set_faults(_twice("GET"))
    result = sync(emu, workspace)
    emu.set_faults(FaultConfig())
    assert no_api_warnings(result) == 0  # batchsync added blockers here: the API answered
    assert emulated.issue_of(emu, "task-002", repo=REPO)["body"] == step2
    [step3] = [o for o in result.outcomes if o.key == "task-003"]
    assert step3.action is ItemAction.FAILED
    assert "the next run tries again" in (step3.failure.message if step3.failure else "")


@with_api
def test_two_passing_404s_lose_a_removal_for_good(emu, workspace):
    assert sync(emu, workspace).failed == 0
    n = numbers(emu)
    cart_task(workspace / ".claude", 3, dependencies=["task-001"])  # the file drops Step 2
    emu.set_faults(_twice("GET"))
    sync(emu, workspace)
    emu.set_faults(FaultConfig())
    assert sync(emu, workspace).failed == 0
    assert blockers(emu, "Step 3") == {n["Step 1"]}  # the removal the file asked for is made
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 0  # no body flips back and forth


@with_api
def test_two_passing_404s_learned_mid_run_turn_nothing_off(emu, workspace):
    assert sync(emu, workspace).failed == 0
    cart_task(workspace / ".claude", 4, dependencies=["task-001"])  # new: its add is unplanned
    fail = ScheduledFault(FaultKind.ERROR, 1, "POST", BLOCKED_BY)
    emu.set_faults(FaultConfig(error_statuses=(404,), schedule=(fail, *_twice("GET").schedule)))
    result = sync(emu, workspace)
    emu.set_faults(FaultConfig())
    assert no_api_warnings(result) == 0
    [failed] = [o for o in result.outcomes if o.action is ItemAction.FAILED]
    assert failed.key == "task-004"
    assert failed.failure is not None
    assert failed.failure.retryable  # a passing failure, not a gone issue
    assert "added blockers in this repository before" in failed.failure.message
    assert sync(emu, workspace).failed == 0
    n = numbers(emu)
    assert blockers(emu, "Step 4") == {n["Step 1"]}
    assert (
        f"- **Blocked by:** #{n['Step 1']}" in emulated.issue_of(emu, "task-004", repo=REPO)["body"]
    )


@with_api
def test_a_persons_label_on_blocked_issues_keeps_two_passing_404s_passing(emu, workspace):
    assert sync(emu, workspace).failed == 0
    repo = emu.service.store.repo(*REPO.split("/"))
    with repo.store.lock:  # a person triages the two blocked issues
        for key in ("task-002", "task-003"):
            repo.issues[
                emulated.issue_of(emu, key, repo=REPO)["number"]
            ].label_ids += repo.label_ids_for(["bug"])
        repo.store.changed()
    step2 = emulated.issue_of(emu, "task-002", repo=REPO)["body"]
    cart_task(workspace / ".claude", 3, dependencies=["task-001"])
    emu.set_faults(_twice("GET"))
    result = sync(emu, workspace)
    emu.set_faults(FaultConfig())
    assert no_api_warnings(result) == 0
    assert emulated.issue_of(emu, "task-002", repo=REPO)["body"] == step2
