"""The GitHub adapter against recorded-style responses (no network)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import responses
from fakes import PassGate
from responses import matchers

from batchsync.errors import (
    AuthError,
    FailureKind,
    ForbiddenError,
    IssueMoved,
    ParentElsewhere,
    RateLimitError,
    Redirected,
    RunStop,
    StopKind,
    TransportError,
    UncertainWriteError,
    UnusableAnswer,
    ValidationFailed,
    failure_of,
)
from batchsync.github import MAX_ISSUE_PAGES, PAGE_SIZE, GitHubClient, issue_from_json
from batchsync.processor import Gate
from batchsync.ratelimit import Limits, Op

API = "https://api.github.com:443"
REPO = f"{API}/repos/octo/demo"
TOKEN = "ghs_secretvalue123"
LIMIT_HEADERS = {"x-ratelimit-remaining": "998", "x-ratelimit-limit": "1000"}


def issue_json(number: int, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": number,
        "id": 5000 + number,
        "title": f"[TASK] t{number}",
        "body": f"b{number}",
        "state": "open",
        "state_reason": None,
        "labels": [{"name": "task"}],
        "html_url": f"https://github.com/octo/demo/issues/{number}",
    }
    data.update(extra)
    return data


@pytest.fixture
def gate() -> PassGate:
    return PassGate()


@pytest.fixture
def client(gate: PassGate) -> GitHubClient:
    # the REST create path; GraphQL creates are tested in test_github_graphql.py
    return GitHubClient("https://api.github.com", TOKEN, "octo/demo", gate, graphql=False)


def test_issue_from_json_reads_parent_and_sub_issue_summary() -> None:
    issue = issue_from_json(
        issue_json(
            4,
            parent_issue_url="https://api.github.com/repos/octo/demo/issues/2",
            sub_issues_summary={"total": 3, "completed": 0, "percent_completed": 0},
            labels=[{"name": "task"}, {"name": "bug"}],
        )
    )
    assert issue is not None
    assert (issue.number, issue.id, issue.parent_number, issue.parent_known) == (4, 5004, 2, True)
    assert issue.sub_issues_total == 3
    assert issue.labels == ("task", "bug")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", "7"),
        ("number", 2**40),
        ("number", True),
        ("number", 0),
        ("number", None),
        ("id", -1),
        ("id", 2**70),
        ("id", 1.5),
    ],
)
def test_issue_from_json_drops_an_entry_without_a_usable_number_or_id(
    field: str, value: object
) -> None:
    data = {**issue_json(4), field: value}
    assert issue_from_json(data) is None


def test_issue_from_json_keeps_a_64_bit_id() -> None:
    issue = issue_from_json({**issue_json(4), "id": 3_000_000_000})
    assert issue is not None
    assert issue.id == 3_000_000_000


def test_issue_from_json_without_sub_issue_fields_marks_parent_unknown() -> None:
    issue = issue_from_json(issue_json(4, body=None))
    assert issue is not None
    assert (issue.parent_known, issue.parent_number, issue.body) == (False, None, "")


def test_issue_from_json_with_summary_but_no_parent_url_leaves_the_parent_unknown() -> None:
    # a list answer may leave parent_issue_url out even for a sub-issue: absence is no fact
    issue = issue_from_json(issue_json(4, sub_issues_summary={"total": 0}))
    assert issue is not None
    assert (issue.parent_known, issue.parent_number, issue.sub_issues_total) == (False, None, 0)


def test_issue_from_json_reads_the_author() -> None:
    issue = issue_from_json(
        issue_json(4, user={"login": "octocat", "id": 1}, author_association="MEMBER")
    )
    assert issue is not None
    assert (issue.author, issue.author_association) == ("octocat", "MEMBER")
    hostile = issue_from_json(issue_json(4, user="octocat", author_association=7))
    assert hostile is not None
    assert (hostile.author, hostile.author_association) == ("", "")
    forged = issue_from_json(issue_json(4, user={"login": "x\n::warning::forged"}))
    assert forged is not None
    assert forged.author == ""


def test_issue_from_json_with_null_parent_is_known_unlinked() -> None:
    issue = issue_from_json(issue_json(4, parent_issue_url=None))
    assert issue is not None
    assert (issue.parent_known, issue.parent_number) == (True, None)


@pytest.mark.parametrize("tail", ["9" * 5000, "²", "١٢", str(2**31)])
def test_issue_from_json_ignores_a_parent_number_out_of_range(tail: str) -> None:
    issue = issue_from_json(issue_json(4, parent_issue_url=f"https://x/repos/o/r/issues/{tail}"))
    assert issue is not None
    assert issue.parent_number is None


def test_issue_from_json_drops_pull_requests() -> None:
    assert issue_from_json(issue_json(4, pull_request={"url": "x"})) is None


@responses.activate
def test_list_issues_follows_the_link_header_and_drops_pull_requests(
    client: GitHubClient, gate: PassGate
) -> None:
    next_url = "https://api.github.com/repositories/77/issues?state=all&per_page=100&page=2"
    responses.get(
        f"{REPO}/issues",
        match=[matchers.query_param_matcher({"state": "all", "per_page": "100"})],
        json=[issue_json(3), issue_json(2, pull_request={"url": "x"})],
        headers={**LIMIT_HEADERS, "link": f'<{next_url}>; rel="next", <{next_url}>; rel="last"'},
    )
    responses.get(
        f"{API}/repositories/77/issues",
        match=[matchers.query_param_matcher({"state": "all", "per_page": "100", "page": "2"})],
        json=[issue_json(1)],
        headers=LIMIT_HEADERS,
    )
    issues = client.list_issues()
    assert [i.number for i in issues] == [3, 1]
    assert [op for op, _ in gate.calls] == [Op.READ, Op.READ]
    assert all(h["x-ratelimit-remaining"] == "998" for _, h in gate.calls)


def _recent(number_lists: list[list[int]]) -> None:
    for page, numbers in enumerate(number_lists, start=1):
        query = {"state": "all", "sort": "created", "direction": "desc", "per_page": "100"}
        url = f"{REPO}/issues"
        if page > 1:
            query["page"] = str(page)
            url = f"{API}/repositories/1/issues"
        nxt = (
            "https://api.github.com/repositories/1/issues"
            f"?state=all&sort=created&direction=desc&per_page=100&page={page + 1}"
        )
        responses.get(
            url,
            match=[matchers.query_param_matcher(query)],
            json=[issue_json(n) for n in numbers],
            headers={"link": f'<{nxt}>; rel="next"'},
        )


@responses.activate
def test_find_created_returns_the_match_from_the_first_page(client: GitHubClient) -> None:
    _recent([[12, 11, 10]])
    found = client.find_created(lambda i: i.body == "b11", above=5)
    assert found is not None
    assert found.number == 11
    assert len(responses.calls) == 1


@responses.activate
def test_find_created_stops_at_the_page_reaching_the_floor(client: GitHubClient) -> None:
    _recent([[12, 11, 10], [9, 8]])
    assert client.find_created(lambda i: i.number == 4, above=10) is None
    assert len(responses.calls) == 1


@responses.activate
def test_find_created_reads_further_pages_until_the_floor(client: GitHubClient) -> None:
    _recent([[14, 13], [12, 11], [10, 9]])
    found = client.find_created(lambda i: i.number == 11, above=9)
    assert found is not None
    assert found.number == 11
    assert len(responses.calls) == 2


@responses.activate
def test_create_issue_sends_labels_in_the_same_request(
    client: GitHubClient, gate: PassGate
) -> None:
    responses.post(
        f"{REPO}/issues",
        match=[matchers.json_params_matcher({"title": "T", "body": "B", "labels": ["task", "x"]})],
        json=issue_json(9),
        status=201,
        headers=LIMIT_HEADERS,
    )
    issue = client.create_issue("T", "B", ("task", "x"))
    assert (issue.number, issue.id) == (9, 5009)
    assert gate.calls[0][0] is Op.CREATE
    assert gate.calls[0][1]["x-ratelimit-limit"] == "1000"
    assert responses.calls[0].request.headers["Authorization"] == f"token {TOKEN}"


@responses.activate
def test_update_issue_sends_one_patch_with_only_the_given_fields(
    client: GitHubClient, gate: PassGate
) -> None:
    responses.patch(
        f"{REPO}/issues/9",
        match=[
            matchers.json_params_matcher(
                {"state": "closed", "state_reason": "not_planned", "labels": ["a"]}
            )
        ],
        json=issue_json(9, state="closed"),
    )
    issue = client.update_issue(9, state="closed", state_reason="not_planned", labels=("a",))
    assert issue.state == "closed"
    assert [op for op, _ in gate.calls] == [Op.WRITE]


@responses.activate
def test_add_sub_issue_sends_the_child_id_and_replace_parent(
    client: GitHubClient, gate: PassGate
) -> None:
    responses.post(
        f"{REPO}/issues/2/sub_issues",
        match=[matchers.json_params_matcher({"sub_issue_id": 5009, "replace_parent": True})],
        json=issue_json(2),
        status=201,
    )
    client.add_sub_issue(2, 5009, replace_parent=True)
    assert [op for op, _ in gate.calls] == [Op.CREATE]


@responses.activate
def test_add_sub_issue_omits_replace_parent_by_default(client: GitHubClient) -> None:
    responses.post(
        f"{REPO}/issues/2/sub_issues",
        match=[matchers.json_params_matcher({"sub_issue_id": 5009})],
        json=issue_json(2),
        status=201,
    )
    client.add_sub_issue(2, 5009)


@responses.activate
def test_add_comment_is_a_create(client: GitHubClient, gate: PassGate) -> None:
    responses.post(
        f"{REPO}/issues/2/comments",
        match=[matchers.json_params_matcher({"body": "closing"})],
        json={"id": 1},
        status=201,
    )
    client.add_comment(2, "closing")
    assert [op for op, _ in gate.calls] == [Op.CREATE]


@responses.activate
def test_get_issue_returns_none_when_gone_or_a_pull_request(client: GitHubClient) -> None:
    responses.get(f"{REPO}/issues/1", json={"message": "Not Found"}, status=404)
    responses.get(f"{REPO}/issues/2", json={"message": "This issue was deleted"}, status=410)
    responses.get(f"{REPO}/issues/3", json=issue_json(3, pull_request={"url": "x"}))
    responses.get(f"{REPO}/issues/4", json=issue_json(4))
    assert [client.get_issue(n) for n in (1, 2, 3)] == [None, None, None]
    found = client.get_issue(4)
    assert found is not None
    assert found.number == 4


@responses.activate
def test_validation_error_carries_status_errors_and_headers(
    client: GitHubClient, gate: PassGate
) -> None:
    responses.post(
        f"{REPO}/issues/2/sub_issues",
        json={
            "message": "Validation Failed",
            "errors": [{"message": "Parent cannot have more than 100 sub-issues"}],
        },
        status=422,
        headers=LIMIT_HEADERS,
    )
    with pytest.raises(ValidationFailed) as caught:
        client.add_sub_issue(2, 1)
    err = caught.value
    assert (err.status, err.method, err.path) == (
        422,
        "POST",
        "/repos/octo/demo/issues/2/sub_issues",
    )
    assert err.errors == ("Parent cannot have more than 100 sub-issues",)
    assert gate.calls[0][1]["x-ratelimit-remaining"] == "998"


@responses.activate
def test_rate_limit_answer_becomes_rate_limit_error_with_retry_after(client: GitHubClient) -> None:
    responses.post(
        f"{REPO}/issues",
        json={"message": "You have exceeded a secondary rate limit."},
        status=403,
        headers={"retry-after": "30"},
    )
    with pytest.raises(RateLimitError) as caught:
        client.create_issue("T", "B", ())
    assert caught.value.headers["retry-after"] == "30"
    assert caught.value.secondary


@responses.activate
def test_bad_credentials_become_auth_error_without_the_token(client: GitHubClient) -> None:
    responses.get(f"{REPO}/issues", json={"message": "Bad credentials"}, status=401)
    with pytest.raises(AuthError) as caught:
        client.list_issues()
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)


@responses.activate
def test_connection_failure_becomes_transport_error_without_the_token(
    client: GitHubClient,
) -> None:
    responses.post(f"{REPO}/issues", body=requests.ConnectionError("connection reset"))
    with pytest.raises(TransportError) as caught:
        client.create_issue("T", "B", ())
    assert caught.value.method == "POST"
    assert caught.value.path == "/repos/octo/demo/issues"
    assert TOKEN not in str(caught.value)


@responses.activate
def test_timeout_becomes_transport_error(client: GitHubClient) -> None:
    responses.patch(f"{REPO}/issues/1", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(TransportError, match="ReadTimeout"):
        client.update_issue(1, title="x")


def test_client_repr_never_shows_the_token(client: GitHubClient) -> None:
    assert TOKEN not in repr(client)


@responses.activate
def test_ghes_prefix_is_kept_in_paths(gate: PassGate) -> None:
    client = GitHubClient("https://ghe.example.com/api/v3", TOKEN, "octo/demo", gate)
    responses.get(
        "https://ghe.example.com:443/api/v3/repos/octo/demo/issues",
        body=json.dumps([issue_json(1)]),
    )
    assert [i.number for i in client.list_issues()] == [1]


@responses.activate
def test_after_a_forbidden_answer_the_gate_sends_nothing_more() -> None:
    responses.post(
        f"{REPO}/issues", json={"message": "Resource not accessible by integration"}, status=403
    )
    gate = Gate(Limits(write_interval=0), sleep=lambda _: None)
    client = GitHubClient("https://api.github.com", TOKEN, "octo/demo", gate, graphql=False)
    with pytest.raises(RunStop) as first:
        client.create_issue("T", "B", ())
    assert first.value.kind is StopKind.MISSING_PERMISSION
    assert isinstance(first.value.cause, ForbiddenError)
    with pytest.raises(RunStop):
        client.create_issue("T2", "B", ())
    assert len(responses.calls) == 1


@responses.activate
def test_a_not_found_answer_does_not_stop_later_requests(client: GitHubClient) -> None:
    responses.get(f"{REPO}/issues/1", json={"message": "Not Found"}, status=404)
    responses.get(f"{REPO}/issues/2", json=issue_json(2))
    assert client.get_issue(1) is None
    assert client.get_issue(2) is not None


# ---- who the token is, and sub-issue facts --------------------------------------------------


def _client(token: str, gate: PassGate) -> GitHubClient:
    return GitHubClient("https://api.github.com", token, "octo/demo", gate)


@responses.activate
def test_whoami_never_sends_get_user_for_an_installation_token() -> None:
    gate = PassGate()
    assert _client("ghs_abc", gate).whoami() is None
    assert gate.calls == []


@responses.activate
def test_whoami_asks_get_user_for_a_user_token() -> None:
    responses.get(f"{API}/user", json={"login": "octocat", "id": 1}, headers=LIMIT_HEADERS)
    gate = PassGate()
    assert _client("ghp_abc", gate).whoami() == "octocat"
    assert [op for op, _ in gate.calls] == [Op.READ]


@responses.activate
def test_whoami_reads_a_403_for_an_unknown_token_format_as_installation() -> None:
    responses.get(
        f"{API}/user",
        status=403,
        json={"message": "Resource not accessible by integration"},
        headers=LIMIT_HEADERS,
    )
    responses.get(f"{REPO}/issues/3/parent", json=issue_json(1), headers=LIMIT_HEADERS)
    client = _client("0123456789abcdef0123456789abcdef01234567", PassGate())
    assert client.whoami() is None
    assert client.get_parent(3) == 1  # the probe's 403 does not stop the run


@responses.activate
def test_get_parent_answers_none_for_404() -> None:
    responses.get(
        f"{REPO}/issues/3/parent", status=404, json={"message": "Not Found"}, headers=LIMIT_HEADERS
    )
    assert _client(TOKEN, PassGate()).get_parent(3) is None


@responses.activate
def test_sub_issue_numbers_follow_every_page() -> None:
    next_url = "https://api.github.com/repos/octo/demo/issues/1/sub_issues?per_page=100&page=2"
    responses.get(
        f"{REPO}/issues/1/sub_issues",
        match=[matchers.query_param_matcher({"per_page": "100"})],
        json=[issue_json(2), issue_json(3)],
        headers={**LIMIT_HEADERS, "link": f'<{next_url}>; rel="next"'},
    )
    responses.get(
        f"{REPO}/issues/1/sub_issues",
        match=[matchers.query_param_matcher({"per_page": "100", "page": "2"})],
        json=[issue_json(4)],
        headers=LIMIT_HEADERS,
    )
    assert _client(TOKEN, PassGate()).sub_issue_numbers(1) == [2, 3, 4]


@responses.activate
def test_sub_issue_numbers_fail_at_a_next_link_back_to_a_page_read() -> None:
    loop = "https://api.github.com/repos/octo/demo/issues/1/sub_issues?per_page=100&page=2"
    responses.get(
        f"{REPO}/issues/1/sub_issues",
        json=[issue_json(2)],
        headers={**LIMIT_HEADERS, "link": f'<{loop}>; rel="next"'},
    )
    gate = PassGate()
    with pytest.raises(UnusableAnswer) as caught:
        _client(TOKEN, gate).sub_issue_numbers(1)
    assert len(gate.calls) == 2  # page 1, then page 2 naming itself as next: not asked again
    assert str(caught.value) == (
        "GET /repos/octo/demo/issues/1/sub_issues -> 200: "
        "its next link points back at a page already read"
    )


# ---- answers checked against the question: transferred issues ------------------------------

MOVED_TO = "https://api.github.com/repositories/77/issues/2"


def _transferred(number: int) -> None:
    """Issue ``number`` moved to another repository, where it is #2, as GitHub answers it."""
    moved = {
        "message": "Moved Permanently",
        "url": MOVED_TO,
        "documentation_url": "https://docs.github.com/rest",
    }
    for verb in (responses.GET, responses.PATCH):
        responses.add(
            verb, f"{REPO}/issues/{number}", status=301, json=moved, headers={"location": MOVED_TO}
        )
        # where a client that follows the redirect lands: the other repository's issue #2
        there = issue_json(2, html_url="https://github.com/octo/other/issues/2")
        responses.add(verb, f"{API}/repositories/77/issues/2", json=there)


@responses.activate
def test_a_transferred_issue_is_read_from_nowhere(client: GitHubClient) -> None:
    _transferred(5)
    with pytest.raises(IssueMoved) as caught:
        client.get_issue(5)
    moved = caught.value
    assert (moved.number, moved.repository, moved.status) == (5, "octo/demo", 301)
    assert moved.moved_to == "issue #2 of the repository with id 77"
    assert [c.request.url for c in responses.calls] == [f"{REPO}/issues/5"]


@responses.activate
def test_a_transferred_issue_is_never_patched_anywhere(client: GitHubClient) -> None:
    _transferred(5)
    with pytest.raises(IssueMoved, match="transferred or moved"):
        client.update_issue(5, title="x")
    assert [(c.request.method, c.request.url) for c in responses.calls] == [
        ("PATCH", f"{REPO}/issues/5")
    ]


def test_issue_moved_is_an_item_failure_that_says_where_and_the_fix() -> None:
    moved = IssueMoved.of(
        5, "octo/demo", "octo/other#2", status=301, method="PATCH", path="/repos/octo/demo/issues/5"
    )
    failure = failure_of(moved)
    assert (failure.kind, failure.retryable, failure.status) == (FailureKind.ITEM, False, 301)
    assert failure.message == (
        "PATCH /repos/octo/demo/issues/5 -> 301: issue #5 was transferred or moved to "
        "octo/other#2; batchsync writes only to octo/demo: change the link in the file to the "
        "issue's new place, or remove it"
    )


@pytest.mark.parametrize(
    ("answer", "where"),
    [
        (issue_json(2, html_url="https://github.com/octo/other/issues/2"), "octo/other#2"),
        (issue_json(5, html_url="https://github.com/octo/other/issues/5"), "octo/other#5"),
        (issue_json(5, url="https://api.github.com/repos/x/y/issues/5"), "x/y#5"),
        (issue_json(5, repository_url="https://api.github.com/repos/x/y"), "x/y"),
        (issue_json(3), "octo/demo#3"),  # this repository, another number
    ],
    ids=["other-repo-and-number", "other-repo", "api-url", "repository-url", "other-number"],
)
@responses.activate
def test_an_answer_about_another_issue_is_never_used(
    client: GitHubClient, answer: dict[str, Any], where: str
) -> None:
    responses.get(f"{REPO}/issues/5", json=answer)
    responses.patch(f"{REPO}/issues/5", json=answer)
    with pytest.raises(IssueMoved) as read:
        client.get_issue(5)
    with pytest.raises(IssueMoved) as written:
        client.update_issue(5, body="b")
    assert read.value.moved_to == written.value.moved_to == where
    assert read.value.status == 200


@responses.activate
def test_owner_and_name_are_matched_ignoring_case(client: GitHubClient) -> None:
    responses.get(
        f"{REPO}/issues/5", json=issue_json(5, html_url="https://github.com/OCTO/Demo/issues/5")
    )
    found = client.get_issue(5)
    assert found is not None
    assert found.number == 5


@responses.activate
def test_an_issue_answer_naming_no_repository_is_unusable(client: GitHubClient) -> None:
    responses.get(f"{REPO}/issues/5", json=issue_json(5, html_url="h"))
    with pytest.raises(UnusableAnswer, match="names no repository"):
        client.get_issue(5)


@responses.activate
def test_a_location_echoing_the_token_never_carries_it(client: GitHubClient) -> None:
    location = f"https://api.github.com/x?access_token={TOKEN}"
    responses.get(f"{REPO}/issues/5", status=302, headers={"location": location})
    with pytest.raises(IssueMoved) as caught:
        client.get_issue(5)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)
    assert all(TOKEN not in v for v in caught.value.headers.values())


@responses.activate
def test_a_redirect_of_the_repository_is_never_followed(client: GitHubClient) -> None:
    renamed = "https://api.github.com/repositories/77/issues?state=all&per_page=100"
    responses.get(f"{REPO}/issues", status=301, headers={"location": renamed})
    responses.get(f"{API}/repositories/77/issues", json=[issue_json(1)])
    with pytest.raises(Redirected, match="follows no redirect"):
        client.list_issues()
    assert len(responses.calls) == 1


@responses.activate
def test_a_create_answered_for_another_repository_is_uncertain() -> None:
    responses.post(
        f"{REPO}/issues",
        json=issue_json(9, html_url="https://github.com/octo/other/issues/9"),
        status=201,
    )
    gate = Gate(Limits(write_interval=0), sleep=lambda _: None)
    client = GitHubClient("https://api.github.com", TOKEN, "octo/demo", gate, graphql=False)
    with pytest.raises(UncertainWriteError, match="names octo/other#9"):
        client.create_issue("T", "B", ())


@responses.activate
def test_listed_issues_of_another_repository_are_left_out_and_counted(
    client: GitHubClient,
) -> None:
    responses.get(
        f"{REPO}/issues",
        json=[
            issue_json(3),
            issue_json(2, html_url="https://github.com/octo/other/issues/2"),
            issue_json(1, html_url="h"),
        ],
    )
    assert [i.number for i in client.list_issues()] == [3]
    assert client.warnings == (
        "left out 2 listed issue(s) whose answer named another repository than octo/demo, or "
        "none (GitHub lists what it was asked for: a proxy or a server between may not)",
    )


def test_a_parent_in_another_repository_is_no_fact_about_a_parent_here() -> None:
    other = issue_json(4, parent_issue_url="https://api.github.com/repos/x/y/issues/2")
    issue = issue_from_json(other, "octo/demo")
    assert issue is not None
    assert (issue.parent_number, issue.parent_known) == (None, False)
    here = issue_from_json(
        issue_json(4, parent_issue_url="https://api.github.com/repos/Octo/Demo/issues/2"),
        "octo/demo",
    )
    assert here is not None
    assert (here.parent_number, here.parent_known) == (2, True)


@responses.activate
def test_a_parent_in_another_repository_is_reported_not_read_as_a_number_here() -> None:
    responses.get(
        f"{REPO}/issues/3/parent", json=issue_json(2, html_url="https://github.com/x/y/issues/2")
    )
    with pytest.raises(ParentElsewhere, match="#3's parent on GitHub is x/y#2"):
        _client(TOKEN, PassGate()).get_parent(3)


# ---- listings that are not listings ---------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (
            {
                "body": "<!DOCTYPE html><html><title>Sign in</title></html>",
                "content_type": "text/html",
            },
            "answered with an HTML page instead of JSON",
        ),
        ({"json": {"items": [issue_json(1)]}}, "answered with a JSON object, not a list"),
        (
            {"json": [1, 2]},
            "answered with a list holding a JSON number or boolean, not only objects",
        ),
        (
            {"body": "{not json", "content_type": "application/json"},
            "answered with a body that is not JSON",
        ),
    ],
    ids=["html", "object", "scalars", "broken-json"],
)
@responses.activate
def test_a_listing_that_is_no_listing_fails_naming_the_endpoint(
    client: GitHubClient, answer: dict[str, Any], problem: str
) -> None:
    responses.get(f"{REPO}/issues", **answer)
    with pytest.raises(UnusableAnswer) as caught:
        client.list_issues()
    assert str(caught.value) == f"GET /repos/octo/demo/issues -> 200: {problem}"
    assert TOKEN not in str(caught.value)


def _page_link(page: int, rel: str = "next", host: str = "https://api.github.com") -> str:
    return f'<{host}/repositories/1/issues?state=all&per_page=100&page={page}>; rel="{rel}"'


@pytest.mark.parametrize(
    ("second", "problem"),
    [
        (_page_link(2), "its next link points back at a page already read"),
        (_page_link(1), "its next link points back at a page already read"),
        (_page_link(5), "the answer to page 2 names page 5 as the next one"),
        (f"{_page_link(3)}, {_page_link(3, 'prev')}", "page 4 came back when page 2 was asked for"),
        (_page_link(3, host="https://evil.example"), "points outside the listing"),
    ],
    ids=["same-page", "first-page", "skipped", "wrong-page", "other-host"],
)
@responses.activate
def test_a_next_link_that_does_not_go_on_to_the_next_page_fails(
    client: GitHubClient, second: str, problem: str
) -> None:
    responses.get(
        f"{REPO}/issues",
        match=[matchers.query_param_matcher({"state": "all", "per_page": "100"})],
        json=[issue_json(3)],
        headers={"link": _page_link(2)},
    )
    responses.get(f"{API}/repositories/1/issues", json=[issue_json(2)], headers={"link": second})
    with pytest.raises(UnusableAnswer, match=problem):
        client.list_issues()
    assert len(responses.calls) == 2  # the bad link itself is never followed


@responses.activate
def test_a_listing_without_end_stops_at_the_page_cap(
    client: GitHubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("batchsync.github.MAX_ISSUE_PAGES", 3)
    responses.get(f"{REPO}/issues", json=[issue_json(9)], headers={"link": _page_link(2)})
    for page in (2, 3):
        responses.get(
            f"{API}/repositories/1/issues",
            match=[
                matchers.query_param_matcher({"state": "all", "per_page": "100", "page": str(page)})
            ],
            json=[issue_json(9 - page)],
            headers={"link": _page_link(page + 1)},
        )
    with pytest.raises(UnusableAnswer, match="its next link went on past 3 pages"):
        client.list_issues()
    assert len(responses.calls) == 3


def test_the_issue_page_cap_reaches_100000_issues() -> None:
    assert MAX_ISSUE_PAGES * PAGE_SIZE == 100_000


@responses.activate
def test_pages_on_a_ghes_prefix_and_an_explicit_port_are_one_listing(gate: PassGate) -> None:
    client = GitHubClient("https://ghe.example.com/api/v3", TOKEN, "octo/demo", gate)
    base = "https://ghe.example.com:443/api/v3"
    responses.get(
        f"{base}/repos/octo/demo/issues",
        json=[issue_json(2, html_url="https://ghe.example.com/octo/demo/issues/2")],
        headers={
            "link": f'<{base}/repositories/9/issues?state=all&per_page=100&page=2>; rel="next"'
        },
    )
    responses.get(
        f"{base}/repositories/9/issues",
        json=[issue_json(1, html_url="https://ghe.example.com/octo/demo/issues/1")],
    )
    assert [i.number for i in client.list_issues()] == [2, 1]


@responses.activate
def test_a_redirect_elsewhere_is_named_without_its_query(client: GitHubClient) -> None:
    location = "https://other.example/x/y?X-Amz-Signature=secret&token=abc"
    responses.get(f"{REPO}/issues/5", status=307, headers={"location": location})
    with pytest.raises(IssueMoved) as caught:
        client.get_issue(5)
    assert caught.value.moved_to == "https://other.example/x/y"
    assert "secret" not in str(caught.value)
