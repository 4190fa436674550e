"""A transferred issue: the emulator answers 301 as GitHub does, the adapter follows nowhere."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from batchsync.emulator import Emulator, ManualClock
from batchsync.errors import IssueMoved
from batchsync.github import GitHubClient
from batchsync.processor import Gate
from batchsync.ratelimit import Limits

TOKEN = "ghs_transfer"
REPO = "octo/demo"
OTHER = "octo/other"
ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"
FOLLOWED = "/repositories/{repo_id}/issues/{issue_number}"
EMULATOR = {"limits": "off", "clock": ManualClock(1_700_000_000.0)}  # time moves when slept on


def transferred(emu: Emulator) -> int:
    """Issues #1..#5 here, a person's #1 there; #5 moves there and becomes #2. Returns 2."""
    repo = emu.service.store.repo("octo", "demo")
    for n in range(1, 6):
        repo.add_issue(f"person's issue {n}", f"body {n}", author="alice")
    other = emu.add_repo(OTHER)
    other.add_issue("already there", author="bob")
    return emu.transfer(REPO, 5, OTHER)


def state(emu: Emulator, full_name: str, number: int) -> dict[str, Any]:
    found = next(i for i in emu.issues(full_name) if i["number"] == number)
    return {k: found[k] for k in ("title", "body", "state", "labels", "updated_at")}


def client(emu: Emulator) -> GitHubClient:
    gate = Gate(Limits(write_interval=0), sleep=lambda _: None)
    return GitHubClient(emu.url, TOKEN, REPO, gate, graphql=False)


def test_get_and_patch_of_a_transferred_issue_answer_301_to_its_new_place(emu, http):
    there = transferred(emu)
    other_id = emu.service.store.repo("octo", "other").id
    location = f"{emu.url}/repositories/{other_id}/issues/{there}"
    for verb in ("GET", "PATCH"):
        answer = http.request(
            verb, f"{emu.url}/repos/{REPO}/issues/5", json={"title": "x"}, allow_redirects=False
        )
        assert answer.status_code == 301
        assert answer.headers["location"] == location
        assert answer.json()["url"] == location
        assert answer.json()["message"] == "Moved Permanently"
    followed = http.get(location)
    assert (followed.json()["number"], followed.json()["title"]) == (2, "person's issue 5")
    assert followed.json()["html_url"].endswith(f"/{OTHER}/issues/2")
    assert [i["number"] for i in http.get(f"{emu.url}/repos/{REPO}/issues").json()] == [
        4,
        3,
        2,
        1,
    ]
    comments = http.get(f"{emu.url}/repos/{REPO}/issues/5/comments", allow_redirects=False)
    assert comments.status_code == 301


def test_transfer_over_the_admin_endpoint(emu, http):
    emu.service.store.repo("octo", "demo").add_issue("moves")
    emu.add_repo(OTHER)
    answer = requests.post(
        f"{emu.url}/_emulator/transfer",
        json={"repo": REPO, "number": 1, "to": OTHER},
        headers={"Authorization": f"token {emu.admin_token}"},
    )
    assert answer.json() == {"repo": OTHER, "number": 1}
    assert http.get(f"{emu.url}/repos/{REPO}/issues/1", allow_redirects=False).status_code == 301


def test_reading_a_transferred_issue_raises_issue_moved_and_reads_nothing_else(emu):
    transferred(emu)
    with pytest.raises(IssueMoved) as caught:
        client(emu).get_issue(5)
    assert (caught.value.number, caught.value.status) == (5, 301)
    assert caught.value.moved_to.startswith("issue #2 of the repository with id ")
    assert emu.stats.count("GET", FOLLOWED) == 0


def test_updating_a_transferred_issue_writes_to_no_issue_anywhere(emu):
    there = transferred(emu)
    before = {(REPO, there): state(emu, REPO, there), (OTHER, there): state(emu, OTHER, there)}
    emu.service.clock.sleep(5)  # a write now would show in updated_at
    with pytest.raises(IssueMoved, match=r"issue #5 was transferred or moved to issue #2 of"):
        client(emu).update_issue(5, title="[TASK] mine", body="overwritten", state="closed")
    assert {key: state(emu, *key) for key in before} == before  # the person's #2, and theirs
    assert emu.stats.count("PATCH") == emu.stats.count("PATCH", ISSUE, 301) == 1
    assert emu.stats.count(template=FOLLOWED) == 0
