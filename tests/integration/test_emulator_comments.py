"""Issue comments over HTTP: create, list, the issue's count, limits, faults and PyGithub."""

from __future__ import annotations

import pytest
import requests

from batchsync.emulator import (
    Emulator,
    FaultConfig,
    FaultKind,
    LimitConfig,
    ManualClock,
    Repo,
    ScheduledFault,
)
from emulated import pygithub

TOKEN = "ghs_write"
AUTH = {"Authorization": f"token {TOKEN}"}
COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
READ_TOKEN = "ghs_read"
REPO = "o/r"
EMULATOR = {"limits": "off", "clock": ManualClock}


def an_issue(repo: Repo) -> None:
    """Issue 1 of o/r, to comment on."""
    repo.add_issue("an issue")


REPO_CONTENT = an_issue  # the emu fixture's (tests/conftest.py)


def comment(emu: Emulator, body: object, number: int = 1, **headers: str) -> requests.Response:
    return requests.post(
        f"{emu.url}/repos/o/r/issues/{number}/comments",
        json={"body": body},
        headers={**AUTH, **headers},
        timeout=10,
    )


def listing(emu: Emulator, number: int = 1, **params: object) -> requests.Response:
    return requests.get(
        f"{emu.url}/repos/o/r/issues/{number}/comments", params=params, headers=AUTH, timeout=10
    )


def test_create_answers_201_with_the_comment_and_its_location(emu):
    answer = comment(emu, "closed as not planned")
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert data["body"] == "closed as not planned"
    assert data["url"] == f"{emu.url}/repos/o/r/issues/comments/{data['id']}"
    assert answer.headers["location"] == data["url"]
    assert data["issue_url"] == f"{emu.url}/repos/o/r/issues/1"
    assert data["html_url"].endswith(f"/o/r/issues/1#issuecomment-{data['id']}")
    assert data["user"]["login"] == "github-actions[bot]"
    assert data["created_at"] == data["updated_at"]


def test_comment_ids_are_unique_and_not_issue_ids(emu):
    first, second = comment(emu, "a").json(), comment(emu, "b").json()
    issue_id = emu.issues("o/r")[0]["id"]
    assert len({first["id"], second["id"], issue_id}) == 3


def test_issue_counts_its_comments_and_moves_updated_at(emu):
    before = emu.issues("o/r")[0]
    emu.clock.sleep(60)
    comment(emu, "a")
    comment(emu, "b")
    after = requests.get(f"{emu.url}/repos/o/r/issues/1", headers=AUTH, timeout=10).json()
    assert (before["comments"], after["comments"]) == (0, 2)
    assert after["updated_at"] > before["updated_at"]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({}, '"body" wasn\'t supplied'),
        ({"body": ""}, "Body cannot be blank"),
        ({"body": 5}, "is not a string"),
        ({"body": "x" * 65_537}, "Body is too long (maximum is 65536 characters)"),
    ],
)
def test_bad_body_is_422_and_stores_nothing(emu, payload, needle):
    answer = requests.post(
        f"{emu.url}/repos/o/r/issues/1/comments", json=payload, headers=AUTH, timeout=10
    )
    assert answer.status_code == 422
    assert needle in answer.json()["message"] + str(answer.json().get("errors"))
    assert emu.comments("o/r", 1) == []


def test_body_of_exactly_65536_characters_is_accepted(emu):
    assert comment(emu, "x" * 65_536).status_code == 201


def test_unknown_issue_is_404_for_create_and_list(emu):
    assert comment(emu, "hello", number=99).status_code == 404
    assert listing(emu, number=99).status_code == 404


def test_read_only_token_cannot_comment(emu):
    answer = comment(emu, "no", Authorization="token ghs_read")
    assert answer.status_code == 403
    assert emu.comments("o/r", 1) == []


def test_list_is_oldest_first_and_paginated_through_the_repository_id(emu):
    for n in range(5):
        comment(emu, f"c{n}")
    first = listing(emu, per_page=2)
    assert [c["body"] for c in first.json()] == ["c0", "c1"]
    repo_id = requests.get(f"{emu.url}/repos/o/r", headers=AUTH, timeout=10).json()["id"]
    nxt = first.links["next"]["url"]
    assert nxt.startswith(f"{emu.url}/repositories/{repo_id}/issues/1/comments?")
    second = requests.get(nxt, headers=AUTH, timeout=10)
    assert [c["body"] for c in second.json()] == ["c2", "c3"]
    assert "page=3" in first.links["last"]["url"]


def test_list_since_keeps_comments_updated_at_or_after(emu):
    comment(emu, "old")
    emu.clock.sleep(3_600)
    stamp = comment(emu, "new").json()["created_at"]
    assert [c["body"] for c in listing(emu, since=stamp).json()] == ["new"]
    assert listing(emu, since="yesterday").status_code == 422


def test_in_process_accessor_matches_the_api(emu):
    posted = comment(emu, "same").json()
    assert emu.comments("o/r", 1) == [posted]


def test_sort_by_comments_orders_issues_by_their_count(emu):
    repo = emu.service.store.repo("o", "r")
    busy = repo.add_issue("busy")
    for n in range(3):
        repo.add_comment(busy, f"c{n}")
    answer = requests.get(
        f"{emu.url}/repos/o/r/issues", params={"sort": "comments"}, headers=AUTH, timeout=10
    )
    assert [i["number"] for i in answer.json()] == [busy, 1]


def test_comment_counts_as_content_creation():
    limits = LimitConfig.github(creates_per_minute=2, points_per_minute=None)
    with Emulator(limits=limits, clock=ManualClock(), seed=1) as emu:
        emu.add_token(TOKEN)
        emu.add_repo("o/r").add_issue("an issue")
        statuses = [comment(emu, f"c{n}").status_code for n in range(3)]
        assert statuses[:2] == [201, 201]
        assert statuses[2] in (403, 429)
        assert len(emu.comments("o/r", 1)) == 2
        assert emu.stats.secondary_limits == 1


def test_dropped_answer_still_stores_the_comment(emu):
    emu.set_faults(FaultConfig(schedule=(ScheduledFault(FaultKind.DROP, 1, "POST", COMMENTS),)))
    with pytest.raises(requests.ConnectionError):
        comment(emu, "lost answer")
    assert [c["body"] for c in emu.comments("o/r", 1)] == ["lost answer"]
    assert emu.stats.count("POST", COMMENTS, 0) == 1


def test_stats_count_comment_requests_by_template(emu):
    comment(emu, "a")
    comment(emu, "", number=1)
    listing(emu)
    assert emu.stats.count("POST", COMMENTS, 201) == 1
    assert emu.stats.count("POST", COMMENTS, 422) == 1
    assert emu.stats.count("GET", COMMENTS, 200) == 1


@pytest.mark.parametrize("prefix", ["", "/api/v3"], ids=["github.com", "ghes"])
def test_pygithub_creates_and_pages_through_comments(prefix):
    with Emulator(limits="off", prefix=prefix) as emu:
        emu.add_repo("octo/demo").add_issue("an issue")
        gh = pygithub(emu, TOKEN, per_page=2)
        issue = gh.get_repo("octo/demo").get_issue(1)
        made = [issue.create_comment(f"c{n}") for n in range(5)]
        assert made[0].body == "c0"
        assert [c.body for c in issue.get_comments()] == [f"c{n}" for n in range(5)]
        assert gh.get_repo("octo/demo").get_issue(1).comments == 5


def test_admin_endpoint_lists_comments_for_a_separate_process(emu):
    comment(emu, "seen from outside")
    url = f"{emu.url}/_emulator/comments"
    admin = {"Authorization": f"token {emu.admin_token}"}

    def get(**params: str) -> requests.Response:
        return requests.get(url, params=params, headers=admin, timeout=10)

    assert [c["body"] for c in get(repo="o/r", number="1").json()] == ["seen from outside"]
    assert get(repo="o/r", number="9").status_code == 404
    assert get(repo="o/r").status_code == 400
