"""The emulator's issue dependencies follow GitHub's rules (``emulator/dependencies.py``)."""

from __future__ import annotations

import pytest
from fakes import ME, new_repo

from batchsync.emulator import ManualClock
from batchsync.emulator.dependencies import (
    add_blocked_by,
    blocked,
    blockers,
    remove_blocked_by,
    summary,
)
from batchsync.emulator.protocol import ApiFailure
from batchsync.emulator.shapes import issue_json
from batchsync.emulator.state import Repo


@pytest.fixture
def repo() -> Repo:
    return new_repo()


def block(repo: Repo, number: int, blocker: int) -> None:
    add_blocked_by(repo, number, {"issue_id": repo.issue(blocker).id})


def refusal(caught: pytest.ExceptionInfo[ApiFailure]) -> str:
    assert caught.value.status == 422
    return str((caught.value.errors or [{}])[0].get("message", caught.value.message))


def test_a_dependency_is_kept_on_both_issues(repo):
    a, b = repo.add_issue("a"), repo.add_issue("b")
    block(repo, a, b)
    assert [i.number for _, i in blockers(repo.store, repo.issue(a))] == [b]
    assert [i.number for _, i in blocked(repo.store, repo.issue(b))] == [a]


def test_the_summary_counts_open_blockers_and_all_of_them(repo):
    a, b, c = repo.add_issue("a"), repo.add_issue("b"), repo.add_issue("c")
    block(repo, a, b)
    block(repo, a, c)
    repo.update_issue(ME, c, {"state": "closed"})
    assert summary(repo.store, repo.issue(a)) == {
        "blocked_by": 1,
        "blocking": 0,
        "total_blocked_by": 2,
        "total_blocking": 0,
    }
    assert summary(repo.store, repo.issue(b))["total_blocking"] == 1


def test_a_blocker_may_live_in_another_repository(repo):
    other = repo.store.add_repo("o/elsewhere", owner_id=1)
    far = other.issue(other.add_issue("far away"))
    here = repo.add_issue("here")
    add_blocked_by(repo, here, {"issue_id": far.id})
    assert [(r.full_name, i.number) for r, i in blockers(repo.store, repo.issue(here))] == [
        ("o/elsewhere", 1)
    ]


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({}, '"issue_id" wasn\'t supplied'),
        ({"issue_id": "7"}, '"7" is not an integer'),
        ({"issue_id": True}, "true is not an integer"),
        ({"issue_id": 123_456}, "does not exist"),
    ],
)
def test_a_body_without_a_known_issue_id_is_refused(repo, body, text):
    number = repo.add_issue("a")
    with pytest.raises(ApiFailure) as caught:
        add_blocked_by(repo, number, body)
    assert text in refusal(caught)
    assert repo.issue(number).blocked_by == []


def test_an_issue_cannot_block_itself(repo):
    number = repo.add_issue("a")
    with pytest.raises(ApiFailure) as caught:
        block(repo, number, number)
    assert "itself" in refusal(caught)


def test_the_same_blocker_twice_is_refused(repo):
    a, b = repo.add_issue("a"), repo.add_issue("b")
    block(repo, a, b)
    with pytest.raises(ApiFailure) as caught:
        block(repo, a, b)
    assert "already" in refusal(caught)
    assert repo.issue(b).blocking == [repo.issue(a).id]


def test_a_pull_request_is_no_blocker_and_has_no_dependencies(repo):
    issue, pull = repo.add_issue("a"), repo.add_issue("pr", pull_request=True)
    with pytest.raises(ApiFailure) as caught:
        block(repo, issue, pull)
    assert "does not exist" in refusal(caught)
    with pytest.raises(ApiFailure) as missing:
        block(repo, pull, issue)
    assert missing.value.status == 404


def test_an_unknown_issue_is_404(repo):
    other = repo.add_issue("a")
    with pytest.raises(ApiFailure) as caught:
        block(repo, 99, other)
    assert caught.value.status == 404


def test_blockers_beyond_the_limit_are_refused(repo):
    repo.store.blocked_by_limit = 2
    number = repo.add_issue("a")
    for title in ("b", "c"):
        block(repo, number, repo.add_issue(title))
    with pytest.raises(ApiFailure) as caught:
        block(repo, number, repo.add_issue("d"))
    assert "more than 2" in refusal(caught)


def test_removing_takes_it_off_both_issues(repo):
    a, b = repo.add_issue("a"), repo.add_issue("b")
    block(repo, a, b)
    removed = remove_blocked_by(repo, a, str(repo.issue(b).id))
    assert removed.number == a
    assert (repo.issue(a).blocked_by, repo.issue(b).blocking) == ([], [])


@pytest.mark.parametrize("raw", ["999", "x", "٣"])
def test_removing_what_is_not_a_blocker_is_404(repo, raw):
    number = repo.add_issue("a")
    with pytest.raises(ApiFailure) as caught:
        remove_blocked_by(repo, number, raw)
    assert caught.value.status == 404


def test_a_dependency_moves_both_issues_and_the_generation(repo):
    a, b = repo.add_issue("a"), repo.add_issue("b")
    clock = repo.store.clock
    assert isinstance(clock, ManualClock)
    clock.sleep(60)
    before = repo.store.generation
    block(repo, a, b)
    assert repo.issue(a).updated_at == repo.issue(b).updated_at == clock.now()
    assert repo.store.generation > before


def test_issue_answers_carry_the_summary_unless_the_server_has_no_dependencies(repo):
    number = repo.add_issue("a")
    assert "issue_dependencies_summary" in issue_json(repo, repo.issue(number), "h", "h")
    listed = issue_json(repo, repo.issue(number), "h", "h", list_fields="none")
    assert "issue_dependencies_summary" not in listed
    repo.store.dependencies = False
    assert "issue_dependencies_summary" not in issue_json(repo, repo.issue(number), "h", "h")
