"""The adapter's issue types and dependencies ("blocked by"), against scripted answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from fakes import PassGate
from responses import matchers
from test_github import API, LIMIT_HEADERS, REPO, TOKEN, issue_json
from test_github_graphql import GRAPHQL, HEADERS, created, repository_answer

from batchsync.errors import (
    NotFoundError,
    RunStop,
    ServerError,
    UncertainWriteError,
    ValidationFailed,
)
from batchsync.github import NO_TYPE, Blocker, GitHubClient, issue_from_json
from batchsync.marker import format_marker
from batchsync.processor import Gate
from batchsync.ratelimit import Limits, Op

BLOCKED_BY = f"{REPO}/issues/7/dependencies/blocked_by"
ELSEWHERE = "https://api.github.com/repos/octo/other"
BUG = {"id": 411, "node_id": "IT_b", "name": "Bug", "description": None}


def rest_client(gate: Any) -> GitHubClient:
    return GitHubClient("https://api.github.com", TOKEN, "octo/demo", gate, graphql=False)


def blocker_json(number: int, *, repo: str = "https://api.github.com/repos/octo/demo") -> Any:
    return issue_json(number, repository_url=repo, node_id=f"I_far{number}")


def sent(index: int) -> Any:
    body = responses.calls[index].request.body
    return json.loads(body) if body else None


# ---- the issue answer ----------------------------------------------------------------------


def test_issue_from_json_reads_the_type_and_the_dependency_summary() -> None:
    issue = issue_from_json(
        issue_json(4, type=BUG, issue_dependencies_summary={"total_blocked_by": 2, "blocked_by": 1})
    )
    assert issue is not None
    assert (issue.issue_type, issue.type_known, issue.blocked_by_total) == ("Bug", True, 2)


@pytest.mark.parametrize(
    ("extra", "known"),
    [({}, False), ({"type": None}, True), ({"type": {"name": ""}}, True), ({"type": 3}, True)],
)
def test_issue_from_json_without_a_type_name_has_none(extra: dict[str, Any], known: bool) -> None:
    # ``type`` is sent only where the repository has types: its absence is no fact
    issue = issue_from_json(issue_json(4, **extra))
    assert issue is not None
    assert (issue.issue_type, issue.type_known, issue.blocked_by_total) == (None, known, None)


# ---- types on create and update ------------------------------------------------------------


@responses.activate
def test_a_rest_create_sends_the_type_by_name_in_the_same_request() -> None:
    responses.post(
        f"{REPO}/issues",
        match=[
            matchers.json_params_matcher(
                {"title": "T", "body": "B", "labels": ["task"], "type": "Bug"}
            )
        ],
        json=issue_json(9, type=BUG),
        status=201,
    )
    gate = PassGate()
    issue = rest_client(gate).create_issue("T", "B", ("task",), issue_type="Bug")
    assert (issue.number, issue.issue_type) == (9, "Bug")
    assert [op for op, _ in gate.calls] == [Op.CREATE]


@responses.activate
def test_a_create_without_a_type_sends_no_type_field() -> None:
    responses.post(f"{REPO}/issues", json=issue_json(9), status=201)
    rest_client(PassGate()).create_issue("T", "B", ())
    assert "type" not in sent(0)


@pytest.mark.parametrize(
    ("given", "field"), [("Bug", {"type": "Bug"}), (NO_TYPE, {"type": None}), (None, {})]
)
@responses.activate
def test_update_sets_or_takes_off_the_type(given: str | None, field: dict[str, Any]) -> None:
    responses.patch(f"{REPO}/issues/9", json=issue_json(9))
    rest_client(PassGate()).update_issue(9, title="T", issue_type=given)
    assert sent(0) == {"title": "T", **field}


def graphql_client(gate: Any) -> GitHubClient:
    responses.post(GRAPHQL, json=repository_answer(), headers=HEADERS)
    return GitHubClient("https://api.github.com", TOKEN, "octo/demo", gate)


@responses.activate
def test_a_graphql_child_gets_its_type_by_one_patch_and_keeps_its_parent_link() -> None:
    gate = PassGate(uncertain=True)
    client = graphql_client(gate)
    client._graphql.remember(1, "I_1")  # type: ignore[union-attr]  # the parent's node id
    responses.post(GRAPHQL, json=created(5, parent=1), headers=HEADERS)
    typed = f"B\n\n{format_marker('k', '0' * 16, typed=True)}"
    responses.patch(  # the marker says ``typed`` in the write that sets the type, not before
        f"{REPO}/issues/5",
        match=[matchers.json_params_matcher({"body": typed, "type": "Task"})],
        json=issue_json(5, type={**BUG, "name": "Task"}),  # a PATCH answer may omit the parent
    )
    issue = client.create_issue("T", typed, ("task",), parent=1, issue_type="Task")
    assert (issue.number, issue.parent_number, issue.issue_type) == (5, 1, "Task")
    assert [op for op, _ in gate.calls][-2:] == [Op.CREATE, Op.WRITE]
    create = json.dumps(sent(len(responses.calls) - 2)["variables"])
    assert "type" not in create
    assert format_marker("k", "0" * 16) in create


@responses.activate
def test_a_typed_issue_without_a_parent_is_one_rest_create_even_with_graphql() -> None:
    gate = PassGate(uncertain=True)
    responses.post(
        f"{REPO}/issues",
        match=[
            matchers.json_params_matcher({"title": "T", "body": "B", "labels": [], "type": "Bug"})
        ],
        json=issue_json(3, type=BUG),
        status=201,
    )
    client = GitHubClient("https://api.github.com", TOKEN, "octo/demo", gate)
    assert client.create_issue("T", "B", (), issue_type="Bug").issue_type == "Bug"
    assert [c.request.url for c in responses.calls] == [f"{REPO}/issues"]


@responses.activate
def test_an_unknown_type_is_refused_naming_the_field() -> None:
    responses.post(
        f"{REPO}/issues",
        status=422,
        json={
            "message": "Validation Failed",
            "errors": [{"resource": "Issue", "field": "type", "code": "invalid", "value": "Epic"}],
        },
    )
    with pytest.raises(ValidationFailed) as caught:
        rest_client(PassGate()).create_issue("T", "B", (), issue_type="Epic")
    assert caught.value.errors == ("type invalid",)


# ---- the repository's issue types ----------------------------------------------------------


@responses.activate
def test_issue_types_are_the_repositorys_enabled_ones_once_each() -> None:
    responses.get(
        f"{REPO}/issue-types",
        json=[
            {**BUG, "name": "Task"},
            BUG,
            {**BUG, "name": "bug"},
            {**BUG, "name": "Old", "is_enabled": False},
            {"id": 1},
            "junk",
        ],
        headers=LIMIT_HEADERS,
    )
    gate = PassGate()
    assert rest_client(gate).issue_types() == ("Task", "Bug")
    assert [op for op, _ in gate.calls] == [Op.READ]


@responses.activate
def test_an_empty_list_is_no_types() -> None:
    responses.get(f"{REPO}/issue-types", json=[])
    assert rest_client(PassGate()).issue_types() is None
    assert len(responses.calls) == 1


@responses.activate
def test_without_the_repository_endpoint_the_organisations_list_is_asked() -> None:
    responses.get(f"{REPO}/issue-types", status=404, json={"message": "Not Found"})
    responses.get(f"{API}/orgs/octo/issue-types", json=[BUG])
    assert rest_client(PassGate()).issue_types() == ("Bug",)


@responses.activate
def test_no_issue_types_api_at_all_is_none() -> None:
    responses.get(f"{REPO}/issue-types", status=404, json={"message": "Not Found"})
    responses.get(f"{API}/orgs/octo/issue-types", status=404, json={"message": "Not Found"})
    assert rest_client(PassGate()).issue_types() is None


@responses.activate
def test_a_403_on_the_organisations_types_is_none_and_never_stops_the_run() -> None:
    responses.get(f"{REPO}/issue-types", status=404, json={"message": "Not Found"})
    responses.get(
        f"{API}/orgs/octo/issue-types",
        status=403,
        json={"message": "Resource not accessible by integration"},
    )
    responses.get(f"{REPO}/issues/2", json=issue_json(2))
    client = rest_client(Gate(Limits(write_interval=0), sleep=lambda _: None))
    assert client.issue_types() is None
    assert client.get_issue(2) is not None  # a stopped gate would raise RunStop here


# ---- blocked by ----------------------------------------------------------------------------


@responses.activate
def test_blocked_by_reads_every_page_and_places_each_blocker() -> None:
    page2 = "https://api.github.com/repositories/77/issues/7/dependencies/blocked_by?page=2"
    responses.get(
        BLOCKED_BY,
        match=[matchers.query_param_matcher({"per_page": "100"})],
        json=[blocker_json(3), blocker_json(5, repo=ELSEWHERE)],
        headers={**LIMIT_HEADERS, "link": f'<{page2}>; rel="next"'},
    )
    responses.get(
        f"{API}/repositories/77/issues/7/dependencies/blocked_by",
        json=[blocker_json(4, repo="https://api.github.com/repos/OCTO/Demo")],
    )
    gate = PassGate()
    assert rest_client(gate).blocked_by(7) == [
        Blocker(3, 5003, "octo/demo", True),
        Blocker(5, 5005, "octo/other", False),
        Blocker(4, 5004, "OCTO/Demo", True),
    ]
    assert [op for op, _ in gate.calls] == [Op.READ, Op.READ]


@responses.activate
def test_blocked_by_leaves_out_entries_it_cannot_place() -> None:
    responses.get(
        BLOCKED_BY,
        json=[
            blocker_json(3, repo="https://api.github.com/repos/octo"),
            {**blocker_json(4), "repository_url": None},
            {**blocker_json(5), "id": "5005"},
            {**blocker_json(6), "pull_request": {"url": "x"}},
            blocker_json(8),
        ],
    )
    assert [b.number for b in rest_client(PassGate()).blocked_by(7)] == [8]


@responses.activate
def test_a_foreign_blocker_is_never_remembered_as_an_issue_of_this_repository() -> None:
    # its number means another issue here: naming its node id as a parent would link elsewhere
    client = graphql_client(PassGate(uncertain=True))
    responses.get(BLOCKED_BY, json=[blocker_json(1, repo=ELSEWHERE)])
    client.blocked_by(7)
    responses.post(GRAPHQL, json=created(5), headers=HEADERS)
    client.create_issue("T", "B", ("task",), parent=1)
    assert "parentIssueId" not in sent(len(responses.calls) - 1)["variables"]["input"]


@responses.activate
def test_blocked_by_refuses_a_page_link_to_another_list() -> None:
    other = "https://api.github.com/repos/octo/demo/issues/8/dependencies/blocked_by?page=2"
    responses.get(BLOCKED_BY, json=[blocker_json(3)], headers={"link": f'<{other}>; rel="next"'})
    with pytest.raises(ServerError, match="another list"):
        rest_client(PassGate()).blocked_by(7)


@responses.activate
def test_blocked_by_refuses_an_answer_that_is_no_list() -> None:
    responses.get(BLOCKED_BY, json={"message": "odd"})
    with pytest.raises(ServerError, match="no list"):
        rest_client(PassGate()).blocked_by(7)


@responses.activate
def test_blocked_by_stops_following_a_next_link_that_never_ends() -> None:
    loop = "https://api.github.com/repos/octo/demo/issues/7/dependencies/blocked_by?page=2"
    responses.get(BLOCKED_BY, json=[blocker_json(3)], headers={"link": f'<{loop}>; rel="next"'})
    gate = PassGate()
    rest_client(gate).blocked_by(7)
    assert len(gate.calls) == 10


@responses.activate
def test_a_server_without_dependencies_answers_not_found() -> None:
    responses.get(BLOCKED_BY, status=404, json={"message": "Not Found"})
    responses.post(BLOCKED_BY, status=404, json={"message": "Not Found"})
    client = rest_client(PassGate())
    with pytest.raises(NotFoundError):
        client.blocked_by(7)
    with pytest.raises(NotFoundError):
        client.add_blocked_by(7, 5003)


@responses.activate
def test_add_blocked_by_sends_the_blockers_id_as_content_creation() -> None:
    responses.post(
        BLOCKED_BY,
        match=[matchers.json_params_matcher({"issue_id": 5003})],
        json=issue_json(7, repository_url="https://api.github.com/repos/octo/demo"),
        status=201,
    )
    gate = PassGate()
    rest_client(gate).add_blocked_by(7, 5003)
    assert [op for op, _ in gate.calls] == [Op.CREATE]


@pytest.mark.parametrize(
    "answer",
    [
        issue_json(3, id=5003, repository_url=ELSEWHERE),  # the blocker, wherever it lives
        issue_json(7, repository_url="https://api.github.com/repos/octo/demo"),  # the blocked
        None,
    ],
)
@responses.activate
def test_add_blocked_by_accepts_an_answer_about_either_issue(answer: Any) -> None:
    responses.post(BLOCKED_BY, json=answer, status=201)
    rest_client(PassGate()).add_blocked_by(7, 5003)


@responses.activate
def test_an_answer_about_another_issue_leaves_the_outcome_unknown() -> None:
    responses.post(BLOCKED_BY, json=issue_json(7, repository_url=ELSEWHERE), status=201)
    client = rest_client(Gate(Limits(write_interval=0), sleep=lambda _: None))
    with pytest.raises(UncertainWriteError, match="names neither #7 nor issue id 5003"):
        client.add_blocked_by(7, 5003)


@responses.activate
def test_a_refused_dependency_is_a_validation_failure() -> None:
    responses.post(
        BLOCKED_BY,
        status=422,
        json={"message": "Validation Failed", "errors": [{"message": "already blocked"}]},
    )
    with pytest.raises(ValidationFailed, match="already blocked"):
        rest_client(PassGate()).add_blocked_by(7, 5003)


@responses.activate
def test_remove_blocked_by_deletes_by_the_blockers_id() -> None:
    responses.delete(f"{BLOCKED_BY}/5003", json=issue_json(7))
    gate = PassGate()
    assert rest_client(gate).remove_blocked_by(7, 5003) is True
    assert [op for op, _ in gate.calls] == [Op.CREATE]


@responses.activate
def test_removing_what_is_not_a_blocker_answers_false() -> None:
    responses.delete(f"{BLOCKED_BY}/5003", status=404, json={"message": "Not Found"})
    assert rest_client(PassGate()).remove_blocked_by(7, 5003) is False


@pytest.mark.parametrize(("second", "removed"), [(404, False), (200, True)])
@responses.activate
def test_a_lost_removal_is_sent_once_more(second: int, removed: bool) -> None:
    responses.delete(f"{BLOCKED_BY}/5003", status=502, json={"message": "Server Error"})
    responses.delete(f"{BLOCKED_BY}/5003", status=second, json={"message": "?"})
    assert rest_client(PassGate(uncertain=True)).remove_blocked_by(7, 5003) is removed
    assert len(responses.calls) == 2


@responses.activate
def test_a_removal_lost_twice_stays_unknown() -> None:
    responses.delete(f"{BLOCKED_BY}/5003", status=502, json={"message": "Server Error"})
    with pytest.raises(UncertainWriteError):
        rest_client(PassGate(uncertain=True)).remove_blocked_by(7, 5003)
    assert len(responses.calls) == 2


@responses.activate
def test_a_forbidden_dependency_write_stops_the_run() -> None:
    responses.post(
        BLOCKED_BY, status=403, json={"message": "Resource not accessible by integration"}
    )
    client = rest_client(Gate(Limits(write_interval=0), sleep=lambda _: None))
    with pytest.raises(RunStop):
        client.add_blocked_by(7, 5003)
