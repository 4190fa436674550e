"""The emulator's repository state follows GitHub's rules."""

from __future__ import annotations

import itertools

import pytest
from fakes import ME, new_repo

from batchsync.emulator import ManualClock
from batchsync.emulator.protocol import ApiFailure
from batchsync.emulator.shapes import issue_json
from batchsync.emulator.state import (
    MAX_ISSUE_LABELS,
    MAX_LABEL,
    MAX_TITLE,
    TITLE_READINGS,
    Repo,
    Store,
)


@pytest.fixture
def repo() -> Repo:
    return new_repo()


def names(repo: Repo, number: int) -> list[str]:
    issue = issue_json(repo, repo.issue(number), "http://x", "http://x")
    return [label["name"] for label in issue["labels"]]


def errors(caught: pytest.ExceptionInfo[ApiFailure]) -> list[dict]:
    return caught.value.errors or []


def test_unknown_labels_are_created_grey_and_matched_case_insensitively(repo):
    repo.add_label("PRD", "0e8a16")
    number = repo.add_issue("t", labels=["prd", "new"])
    assert names(repo, number) == ["PRD", "new"]
    assert repo.label("new").color == "ededed"
    assert len(repo.labels) == 2


def test_renamed_label_shows_on_its_issues(repo):
    number = repo.add_issue("t", labels=["old"])
    repo.update_label("old", {"new_name": "renamed"})
    assert names(repo, number) == ["renamed"]


def test_deleted_label_leaves_its_issues(repo):
    number = repo.add_issue("t", labels=["gone", "kept"])
    repo.delete_label("gone")
    assert names(repo, number) == ["kept"]


def test_issues_and_pull_requests_share_numbers_and_ids_differ_from_numbers(repo):
    first = repo.add_issue("issue")
    second = repo.add_issue("pull", pull_request=True)
    assert (first, second) == (1, 2)
    assert repo.issue(1).id not in (1, 2)
    assert repo.issue(1).id != repo.issue(2).id


def test_ids_are_unique_across_repositories(repo):
    other = repo.store.add_repo("o/other", owner_id=1)
    assert other.issue(other.add_issue("x")).id != repo.issue(repo.add_issue("y")).id


@pytest.mark.parametrize("limit", TITLE_READINGS)
def test_title_over_the_limit_is_refused_under_either_reading(repo, limit):
    repo.store.title_limit = limit
    number = repo.create_issue(ME, {"title": "x" * limit}).number
    with pytest.raises(ApiFailure) as caught:
        repo.create_issue(ME, {"title": "x" * (limit + 1)})
    assert caught.value.status == 422
    assert errors(caught)[0]["field"] == "title"
    assert f"maximum is {limit} characters" in errors(caught)[0]["message"]
    with pytest.raises(ApiFailure):
        repo.update_issue(ME, number, {"title": "y" * (limit + 1)})


def test_title_limit_is_256_by_default(repo):
    assert repo.store.title_limit == MAX_TITLE == 256


def test_label_name_over_50_characters_is_refused(repo):
    repo.create_label("l" * MAX_LABEL, None, None)
    with pytest.raises(ApiFailure) as caught:
        repo.create_label("m" * (MAX_LABEL + 1), None, None)
    assert errors(caught)[0]["message"] == "name is too long (maximum is 50 characters)"


def test_more_than_100_labels_on_an_issue_are_refused(repo):
    labels = [f"l{n}" for n in range(MAX_ISSUE_LABELS)]
    number = repo.create_issue(ME, {"title": "t", "labels": labels}).number
    with pytest.raises(ApiFailure, match="cannot have more than 100 labels"):
        repo.update_issue(ME, number, {"labels": [*labels, "one-more"]})
    assert len(names(repo, number)) == MAX_ISSUE_LABELS


def test_unknown_milestone_is_refused(repo):
    number = repo.add_issue("t")
    with pytest.raises(ApiFailure) as caught:
        repo.update_issue(ME, number, {"milestone": 7})
    assert errors(caught)[0]["field"] == "milestone"
    milestone = repo.add_milestone("v1")
    assert repo.update_issue(ME, number, {"milestone": milestone}).milestone == milestone


def test_invalid_state_reason_is_refused(repo):
    number = repo.add_issue("t")
    with pytest.raises(ApiFailure) as caught:
        repo.update_issue(ME, number, {"state": "closed", "state_reason": "bored"})
    assert errors(caught)[0]["field"] == "state_reason"


def test_closing_records_who_and_when(repo):
    number = repo.add_issue("t")
    repo.store.clock.sleep(5)
    issue = repo.update_issue(ME, number, {"state": "closed"})
    assert issue.closed_by == ME
    assert issue.closed_at == issue.updated_at
    assert issue.state_reason == "completed"


def test_closed_sub_issues_count_in_the_parent_summary(repo):
    parent = repo.add_issue("p")
    for title in ("a", "b"):
        repo.add_sub_issue(parent, repo.issue(repo.add_issue(title)).id, replace_parent=False)
    repo.update_issue(ME, repo.issue(parent).children[0], {"state": "closed"})
    summary = issue_json(repo, repo.issue(parent), "http://x", "http://x")["sub_issues_summary"]
    assert summary == {"total": 2, "completed": 1, "percent_completed": 50}


def chain(repo: Repo, length: int) -> list[int]:
    numbers = [repo.add_issue(f"level {n}") for n in range(length)]
    for parent, child in itertools.pairwise(numbers):
        repo.add_sub_issue(parent, repo.issue(child).id, replace_parent=False)
    return numbers


def test_nesting_stops_at_eight_levels(repo):
    numbers = chain(repo, 8)
    extra = repo.add_issue("ninth")
    with pytest.raises(ApiFailure) as caught:
        repo.add_sub_issue(numbers[-1], repo.issue(extra).id, replace_parent=False)
    assert "8 levels" in errors(caught)[0]["message"]


def test_an_issue_cannot_go_under_its_own_descendant(repo):
    top, middle, bottom = chain(repo, 3)
    with pytest.raises(ApiFailure):
        repo.add_sub_issue(bottom, repo.issue(top).id, replace_parent=True)
    assert repo.issue(middle).parent == top


def test_an_issue_cannot_be_its_own_sub_issue(repo):
    number = repo.add_issue("self")
    with pytest.raises(ApiFailure):
        repo.add_sub_issue(number, repo.issue(number).id, replace_parent=False)


def test_every_change_moves_the_generation(repo):
    before = repo.store.generation
    repo.add_issue("t")
    after_create = repo.store.generation
    repo.update_issue(ME, 1, {"body": "b"})
    assert before < after_create < repo.store.generation


def test_bad_repository_names_are_refused():
    with pytest.raises(ValueError, match="owner/name"):
        Store(ManualClock()).add_repo("just-a-name", owner_id=1)


def test_comments_are_kept_oldest_first_and_counted_on_the_issue(repo):
    number = repo.add_issue("t")
    repo.add_comment(number, "first")
    repo.create_comment(ME, number, {"body": "second"})
    issue = repo.issue(number)
    assert [(c.body, c.user.login) for c in issue.comments] == [("first", "o"), ("second", "me")]
    assert issue_json(repo, issue, "http://x", "http://x")["comments"] == 2


def test_a_comment_moves_the_issue_and_the_generation(repo):
    number = repo.add_issue("t")
    clock = repo.store.clock
    assert isinstance(clock, ManualClock)
    clock.sleep(30)
    before = repo.store.generation
    repo.add_comment(number, "later")
    assert repo.issue(number).updated_at == repo.issue(number).comments[0].created_at
    assert repo.issue(number).updated_at > repo.issue(number).created_at
    assert repo.store.generation > before


def test_a_comment_on_a_missing_issue_is_404(repo):
    with pytest.raises(ApiFailure) as caught:
        repo.add_comment(7, "nobody home")
    assert caught.value.status == 404


@pytest.mark.parametrize(("length", "stored"), [(65_536, True), (65_537, False)])
def test_comment_body_limit_is_65536_characters(repo, length, stored):
    number = repo.add_issue("t")
    if stored:
        repo.add_comment(number, "x" * length)
    else:
        with pytest.raises(ApiFailure) as caught:
            repo.add_comment(number, "x" * length)
        assert errors(caught)[0]["resource"] == "IssueComment"
    assert len(repo.issue(number).comments) == int(stored)
