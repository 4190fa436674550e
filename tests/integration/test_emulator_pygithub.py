"""PyGithub, configured as batchsync configures it, driven through every emulated endpoint."""

from __future__ import annotations

import pytest
import requests
from github import (
    BadCredentialsException,
    Github,
    GithubException,
    UnknownObjectException,
)

from batchsync.emulator import Emulator, FaultConfig, LimitConfig, ManualClock
from emulated import pygithub

# The emu fixture (tests/conftest.py), served as github.com and as a GHES does.
TOKEN = "ghs_write"
REPO = "octo/demo"
EMULATOR = {"limits": "off", "tokens": {"ghp_user": {"kind": "user"}}}
EMULATOR_VARIANTS = {"github.com": {"prefix": ""}, "ghes": {"prefix": "/api/v3"}}


def client(emu: Emulator, token: str = TOKEN) -> Github:
    return pygithub(emu, token)


def test_issue_lifecycle(emu):
    repo = client(emu).get_repo("octo/demo")
    issue = repo.create_issue(title="[PRD] one", body="body", labels=["prd"])
    issue.edit(title="[PRD] one!", body="new", labels=["prd", "p1"], state="closed")
    again = repo.get_issue(issue.number)
    assert again.title == "[PRD] one!"
    assert again.body == "new"
    assert again.state == "closed"
    assert sorted(label.name for label in again.labels) == ["p1", "prd"]


def test_paginated_listing_follows_link_headers(emu):
    seed = emu.add_repo("octo/demo")
    for n in range(250):
        seed.add_issue(f"t{n}")
    seed.add_issue("a pull request", pull_request=True)
    repo = client(emu).get_repo("octo/demo")
    issues = list(repo.get_issues(state="all", sort="created", direction="asc"))
    assert len(issues) == 251
    assert [i.number for i in issues] == list(range(1, 252))
    assert sum(1 for i in issues if i.pull_request is not None) == 1
    assert emu.stats.count("GET", "/repositories/{repo_id}/issues") == 2


def test_sub_issues_add_list_remove(emu):
    repo = client(emu).get_repo("octo/demo")
    epic = repo.create_issue(title="[EPIC] e")
    task = repo.create_issue(title="[TASK] t")
    epic.add_sub_issue(task.id)
    assert [s.number for s in epic.get_sub_issues()] == [task.number]
    epic.remove_sub_issue(task.id)
    assert emu.sub_issues("octo/demo", epic.number) == []


def test_labels_of_repository_and_issue(emu):
    repo = client(emu).get_repo("octo/demo")
    label = repo.create_label("prd", "0e8a16", "a PRD")
    label.edit("prd", "123456", "PRDs")
    assert repo.get_label("prd").color == "123456"
    issue = repo.create_issue(title="t")
    issue.add_to_labels("prd", "kept")
    issue.remove_from_labels("kept")
    issue.set_labels("prd", "p2")
    assert sorted(lbl.name for lbl in repo.get_issue(issue.number).get_labels()) == ["p2", "prd"]
    issue.delete_labels()
    assert list(repo.get_issue(issue.number).get_labels()) == []
    assert {lbl.name for lbl in repo.get_labels()} >= {"prd", "kept", "p2"}
    repo.get_label("kept").delete()
    with pytest.raises(UnknownObjectException):
        repo.get_label("kept")


def test_rate_limit_and_user(emu):
    gh = client(emu, "ghp_user")
    assert gh.get_rate_limit().resources.core.limit == 1_000_000_000
    assert gh.get_user().login.startswith("emulator-user")


def test_installation_token_cannot_read_user(emu):
    with pytest.raises(GithubException) as caught:
        _ = client(emu).get_user().login
    assert caught.value.status == 403


def test_bad_token_raises_bad_credentials(emu):
    with pytest.raises(BadCredentialsException):
        client(emu, "wrong").get_repo("octo/demo")


def test_search_issues_after_the_index_caught_up():
    with Emulator(limits="github", clock=ManualClock(), prefix="/api/v3") as emu:
        emu.add_repo("octo/demo")
        gh = client(emu)
        gh.get_repo("octo/demo").create_issue(title="needle in a haystack")
        assert list(gh.search_issues("needle repo:octo/demo")) == []
        emu.clock.sleep(10)
        found = list(gh.search_issues("needle repo:octo/demo"))
        assert [i.title for i in found] == ["needle in a haystack"]


def test_secondary_limit_reaches_pygithub_with_status_message_and_retry_after():
    config = LimitConfig.github(creates_per_minute=1, retry_after_rate=1.0)
    with Emulator(limits=config, clock=ManualClock()) as emu:
        emu.add_repo("octo/demo")
        repo = client(emu).get_repo("octo/demo")
        repo.create_issue(title="one")
        # PyGithub raises RateLimitExceededException for a 403 and a bare GithubException for 429
        with pytest.raises(GithubException) as caught:
            repo.create_issue(title="two")
        assert caught.value.status in (403, 429)
        assert "secondary rate limit" in caught.value.data["message"]
        assert int(caught.value.headers["retry-after"]) >= 1


def test_lost_answer_reaches_pygithub_as_a_connection_error():
    with Emulator(limits="off") as emu:
        emu.add_repo("octo/demo")
        repo = client(emu).get_repo("octo/demo")
        emu.set_faults(FaultConfig(drop_rate=1.0))
        with pytest.raises(requests.ConnectionError):
            repo.create_issue(title="lost")
        assert [i["title"] for i in emu.issues("octo/demo")] == ["lost"]
