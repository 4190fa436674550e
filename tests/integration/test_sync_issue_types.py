"""``issue-types`` end to end against the emulator: PRDs, epics and tasks take the organisation's
issue types in their own create or update, a rerun writes nothing, a person's type is kept, a type
a person took off is never set again, and a repository without types is passed over with one
notice.

Every test runs against an organisation with GitHub's default types through GraphQL creates and
through REST ones, and against a server without issue types.
"""

from __future__ import annotations

from pathlib import Path

import requests

from batchsync.config import load_settings
from batchsync.emulator import Emulator, FaultConfig, FaultKind, ScheduledFault
from batchsync.emulator.issue_types import DEFAULT_ISSUE_TYPES
from batchsync.marker import parse_marker, with_typed
from batchsync.results import BatchResult, ItemAction
from batchsync.sync import run
from emulated import run_overrides, writes
from trees import cart_task, write_cart

TOKEN = "ghs_issue_types_sync"
REPO = "acme/shop"
USER_REPO = "someone/notes"
EMULATOR = {"limits": "off", "scale": 1000}
EMULATOR_VARIANTS = {
    "graphql": {"issue_types": DEFAULT_ISSUE_TYPES},
    "rest": {"issue_types": DEFAULT_ISSUE_TYPES, "graphql": None},
    "no-types": {"issue_types": None},
}
TYPES_ROUTE = "/repos/{owner}/{repo}/issue-types"
EXPECTED = {"Cart": "Feature", "Cart screens": "Feature", "Step 1": "Task", "Step 2": "Task"}


WORK_ITEMS = write_cart


def sync(emu: Emulator, workspace: Path, repo: str = REPO, **overrides: object) -> BatchResult:
    changes: dict[str, object] = {"issue_types": "true", **overrides}
    given = run_overrides(emu, workspace, token=TOKEN, repo=repo, **changes)
    return run(load_settings(given, env={}), clock=emu.clock.now, sleep=emu.clock.sleep)


def types_of(emu: Emulator, repo: str = REPO) -> dict[str, str | None]:
    """Each issue's type by its item title (None: no type, or a server without them)."""
    return {
        i["title"].partition("] ")[2]: (i.get("type") or {}).get("name") for i in emu.issues(repo)
    }


def served(emu: Emulator) -> bool:
    return emu.service.store.issue_types is not None


def number_of(emu: Emulator, title: str) -> int:
    return next(i["number"] for i in emu.issues(REPO) if i["title"].partition("] ")[2] == title)


def edit(emu: Emulator, number: int, **fields: object) -> None:
    """A person's edit on GitHub, made in the emulator's state (no request of batchsync's)."""
    repo = emu.service.store.repo(*REPO.split("/"))
    with repo.store.lock:
        issue = repo.issue(number)
        if "type_id" in fields:
            issue.type_id = fields.pop("type_id")  # type: ignore[assignment]
        if fields:
            repo.update_issue(issue.user, number, fields)


def typed_markers(emu: Emulator) -> dict[str, bool]:
    """Each issue's marker ``typed`` token, by its item title."""
    found = {i["title"].partition("] ")[2]: parse_marker(i["body"]) for i in emu.issues(REPO)}
    return {title: marker is not None and marker.typed for title, marker in found.items()}


def notices(result: BatchResult) -> list[str]:
    return [w for w in result.warnings if w.startswith("issue-types:")]


def test_each_kind_takes_its_type_in_its_own_write_and_a_rerun_writes_nothing(emu, workspace):
    result = sync(emu, workspace)
    assert result.failed == 0
    if not served(emu):  # ignored, and said once
        assert set(types_of(emu).values()) == {None}
        assert len(notices(result)) == 1
    else:
        assert types_of(emu) == EXPECTED
        assert notices(result) == []
    emu.stats.reset()
    again = sync(emu, workspace)
    assert writes(emu) == 0
    assert {o.action for o in again.outcomes} == {ItemAction.UNCHANGED}


def test_the_types_cost_one_read_a_run_and_no_write_of_their_own(emu, workspace, make_emulator):
    sync(emu, workspace)
    plain = make_emulator(**_variant(emu))
    sync(plain, workspace, issue_types="false")
    # the same first sync without types: the same writes, but for a child created under its
    # parent through GraphQL, whose public createIssue takes no type: one PATCH after it
    typed_after = emu.stats.operations("createIssue") if served(emu) else 0
    assert writes(emu) == writes(plain) + typed_after
    emu.stats.reset()
    plain.stats.reset()
    sync(emu, workspace)
    sync(plain, workspace, issue_types="false")
    listing = 1 if served(emu) else 2  # without them: the repository's route, then the org's
    assert emu.stats.total == plain.stats.total + listing
    assert writes(emu) == writes(plain) == 0


def _variant(emu: Emulator) -> dict[str, object]:
    """The options of the variant ``emu`` was made with."""
    graphql = {} if emu.service.graphql_path is not None else {"graphql": None}
    return {"issue_types": emu.service.store.issue_types, **graphql}


def test_turned_on_for_a_synced_tree_each_issue_is_typed_once(emu, workspace):
    sync(emu, workspace, issue_types="false")
    emu.stats.reset()
    result = sync(emu, workspace)
    if not served(emu):
        assert writes(emu) == 0
        return
    assert types_of(emu) == EXPECTED
    assert writes(emu) == 4  # one PATCH each, carrying the type and the marker saying so
    assert {o.action for o in result.outcomes} == {ItemAction.UPDATED}
    assert all("has no issue type" in (o.reason or "") for o in result.outcomes)
    emu.stats.reset()
    sync(emu, workspace)
    assert writes(emu) == 0


def test_a_type_a_person_set_is_kept_when_the_file_changes(emu, workspace):
    sync(emu, workspace)
    if not served(emu):
        return
    number = next(i["number"] for i in emu.issues(REPO) if i["title"].endswith("Step 2"))
    answer = requests.patch(
        f"{emu.url}/repos/{REPO}/issues/{number}",
        json={"type": "Bug"},
        headers={"Authorization": f"token {TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    cart_task(workspace / ".claude", 2, body="Do step 2, carefully.")
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 1  # the changed body
    assert types_of(emu)["Step 2"] == "Bug"
    emu.stats.reset()
    sync(emu, workspace)
    assert writes(emu) == 0


def test_typing_an_issue_leaves_a_child_a_person_moved_where_they_put_it(emu, workspace):
    sync(emu, workspace, issue_types="false")
    number = {i["title"].partition("] ")[2]: i["number"] for i in emu.issues(REPO)}
    other = requests.post(
        f"{emu.url}/repos/{REPO}/issues",
        json={"title": "A person's epic"},
        headers={"Authorization": f"token {TOKEN}"},
        timeout=10,
    ).json()
    step_1 = next(i for i in emu.issues(REPO) if i["number"] == number["Step 1"])
    moved = requests.post(  # a person moves the task under their own epic
        f"{emu.url}/repos/{REPO}/issues/{other['number']}/sub_issues",
        json={"sub_issue_id": step_1["id"], "replace_parent": True},
        headers={"Authorization": f"token {TOKEN}"},
        timeout=10,
    )
    assert moved.status_code == 201, moved.text
    emu.stats.reset()
    assert sync(emu, workspace).failed == 0
    assert emu.sub_issues(REPO, other["number"]) == [number["Step 1"]]
    assert emu.sub_issues(REPO, number["Cart screens"]) == [number["Step 2"]]
    assert writes(emu) == (4 if served(emu) else 0)  # the types alone, no link moved back


def test_a_pull_carries_the_type_in_the_same_update(emu, workspace):
    sync(emu, workspace, issue_types="false")
    number = next(i["number"] for i in emu.issues(REPO) if i["title"].endswith("Step 1"))
    repo = emu.service.store.repo("acme", "shop")
    with repo.store.lock:  # a person closes the task on GitHub
        repo.update_issue(repo.issue(number).user, number, {"state": "closed"})
    emu.stats.reset()
    result = sync(emu, workspace, pull=True)
    pulled = next(o for o in result.outcomes if o.title == "Step 1")
    assert pulled.action is ItemAction.PULLED
    if served(emu):
        assert types_of(emu) == EXPECTED
        assert writes(emu) == 4  # the pulled status line with the type, three types alone
    else:
        assert writes(emu) == 1
    emu.stats.reset()
    sync(emu, workspace, pull=True)
    assert writes(emu) == 0


def test_a_user_accounts_repository_is_synced_without_types_and_one_notice(emu, workspace):
    emu.add_repo(USER_REPO, user_owned=True)
    result = sync(emu, workspace, repo=USER_REPO)
    assert result.failed == 0
    assert set(types_of(emu, USER_REPO).values()) == {None}
    assert len(notices(result)) == 1
    emu.stats.reset()
    assert len(notices(sync(emu, workspace, repo=USER_REPO))) == 1
    assert writes(emu) == 0


def test_a_types_listing_that_keeps_failing_leaves_the_sync_untyped_and_whole(emu, workspace):
    if not served(emu):
        return  # the route is not there to fail
    failing = tuple(ScheduledFault(FaultKind.ERROR, n, "GET", TYPES_ROUTE) for n in range(1, 5))
    emu.set_faults(FaultConfig(schedule=failing))  # the first try and its three retries
    result = sync(emu, workspace)
    emu.set_faults(FaultConfig())
    assert result.failed == 0
    assert result.count(ItemAction.CREATED) == 4
    assert set(types_of(emu).values()) == {None}
    assert [n for n in notices(result) if "could not be read" in n] == notices(result)
    assert len(notices(result)) == 1
    emu.stats.reset()
    sync(emu, workspace)  # the next run types them, once
    assert types_of(emu) == EXPECTED
    assert writes(emu) == 4


def test_the_dry_run_shows_the_type_and_writes_nothing(emu, workspace):
    result = sync(emu, workspace, dry_run=True)
    assert writes(emu) == 0
    shown = {o.title: o.reason or "" for o in result.outcomes}
    if served(emu):
        assert all(f"type {EXPECTED[title]!r}" in why for title, why in shown.items())
    else:
        assert not any("type '" in why for why in shown.values())
        assert len(notices(result)) == 1


def test_a_type_a_person_took_off_is_never_set_again(emu, workspace):
    sync(emu, workspace)
    if not served(emu):
        return
    assert set(typed_markers(emu).values()) == {True}  # each create remembers its type
    step_1 = number_of(emu, "Step 1")
    edit(emu, step_1, type_id=None)  # a person takes the type off on GitHub
    emu.stats.reset()
    result = sync(emu, workspace)
    assert writes(emu) == 0
    assert types_of(emu) == {**EXPECTED, "Step 1": None}
    said = next(o for o in result.outcomes if o.title == "Step 1")
    assert said.action is ItemAction.UNCHANGED
    assert "a person took it off, so 'Task' is not set again" in (said.reason or "")
    sync(emu, workspace, issue_types="false")  # the setting turned off, then on again
    sync(emu, workspace)
    assert writes(emu) == 0
    assert types_of(emu)["Step 1"] is None
    cart_task(workspace / ".claude", 1, body="Do step 1, carefully.")  # the file changes
    assert sync(emu, workspace).failed == 0
    assert writes(emu) == 1  # the content, and no type
    assert types_of(emu)["Step 1"] is None
    assert typed_markers(emu)["Step 1"]  # still remembered for the runs after
    emu.stats.reset()
    sync(emu, workspace)
    assert writes(emu) == 0


def test_typing_a_synced_issue_writes_its_marker_in_the_same_patch_and_keeps_a_persons_text(
    emu, workspace
):
    sync(emu, workspace, issue_types="false")
    if not served(emu):
        return
    assert set(typed_markers(emu).values()) == {False}
    step_1 = number_of(emu, "Step 1")
    body = next(i["body"] for i in emu.issues(REPO) if i["number"] == step_1)
    kept = f"A person's note.\n\n{body}\n\nAppended on GitHub."
    edit(emu, step_1, body=kept)
    emu.stats.reset()
    sync(emu, workspace)
    assert writes(emu) == 4  # one PATCH each: the type and the marker saying so
    assert types_of(emu) == EXPECTED
    assert set(typed_markers(emu).values()) == {True}
    assert next(i["body"] for i in emu.issues(REPO) if i["number"] == step_1) == with_typed(kept)
    edit(emu, step_1, type_id=None)  # then a person takes the type off
    sync(emu, workspace, issue_types="false")  # and the setting is turned off and on again
    emu.stats.reset()
    sync(emu, workspace)
    assert writes(emu) == 0
    assert types_of(emu)["Step 1"] is None
