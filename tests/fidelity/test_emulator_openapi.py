"""Every answer the emulator gives, checked against GitHub's OpenAPI description."""

from __future__ import annotations

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from batchsync.emulator import Emulator, FaultConfig

REPO = "o/r"  # the emu fixture's (tests/conftest.py); no token, so it accepts any


def conforms(openapi: OpenAPI, answer: requests.Response, *, as_path: str | None = None) -> None:
    """Raise when the answer breaks the description of its operation."""
    request = answer.request
    if as_path is not None:  # a path GitHub serves but does not describe (the link target)
        request = request.copy()
        request.url = as_path
    openapi.validate_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(answer))


def seed(emu: Emulator) -> None:
    repo = emu.add_repo("o/r")
    parent = repo.add_issue("parent", "body", labels=["prd"])
    child = repo.add_issue("child", None, labels=["task", "p1"])
    repo.add_issue("closed one", "x", state="closed")
    repo.add_issue("a pull request", pull_request=True)
    repo.add_milestone("v1")
    repo.add_sub_issue(parent, repo.issue(child).id, replace_parent=False)
    repo.add_comment(parent, "a first comment")


CASES = [
    ("GET", "/repos/o/r", None, 200),
    ("GET", "/rate_limit", None, 200),
    ("GET", "/user", None, 403),
    ("GET", "/repos/o/r/issues", None, 200),
    ("GET", "/repos/o/r/issues?state=all&labels=prd&sort=updated&direction=asc", None, 200),
    ("POST", "/repos/o/r/issues", {"title": "new", "body": "b", "labels": ["x"]}, 201),
    ("POST", "/repos/o/r/issues", {"body": "no title"}, 422),
    ("POST", "/repos/o/r/issues", {"title": "t", "body": "x" * 65_537}, 422),
    ("GET", "/repos/o/r/issues/1", None, 200),
    ("GET", "/repos/o/r/issues/4", None, 200),
    ("GET", "/repos/o/r/issues/999", None, 404),
    ("PATCH", "/repos/o/r/issues/3", {"state": "open"}, 200),
    ("PATCH", "/repos/o/r/issues/2", {"state": "closed", "state_reason": "not_planned"}, 200),
    ("PATCH", "/repos/o/r/issues/1", {"milestone": 1, "assignees": ["someone"]}, 200),
    ("PATCH", "/repos/o/r/issues/1", {"state": "sideways"}, 422),
    ("GET", "/repos/o/r/labels", None, 200),
    ("POST", "/repos/o/r/labels", {"name": "bug", "color": "d73a4a", "description": "d"}, 201),
    ("POST", "/repos/o/r/labels", {"name": "prd", "color": "d73a4a"}, 422),
    ("GET", "/repos/o/r/labels/prd", None, 200),
    ("PATCH", "/repos/o/r/labels/prd", {"new_name": "PRD", "color": "BADA55"}, 200),
    ("GET", "/repos/o/r/issues/1/labels", None, 200),
    ("POST", "/repos/o/r/issues/1/labels", {"labels": ["more"]}, 200),
    ("PUT", "/repos/o/r/issues/1/labels", {"labels": ["only"]}, 200),
    ("DELETE", "/repos/o/r/issues/1/labels/prd", None, 200),
    ("DELETE", "/repos/o/r/issues/1/labels/absent", None, 404),
    ("DELETE", "/repos/o/r/issues/1/labels", None, 204),
    ("GET", "/repos/o/r/issues/1/sub_issues", None, 200),
    ("GET", "/repos/o/r/issues/2/parent", None, 200),
    ("GET", "/search/issues?q=parent", None, 200),
    ("POST", "/repos/o/r/issues/1/comments", {"body": "closed as not planned"}, 201),
    ("POST", "/repos/o/r/issues/4/comments", {"body": "on a pull request"}, 201),
    ("POST", "/repos/o/r/issues/1/comments", {}, 422),
    ("POST", "/repos/o/r/issues/1/comments", {"body": ""}, 422),
    ("POST", "/repos/o/r/issues/1/comments", {"body": "x" * 65_537}, 422),
    ("POST", "/repos/o/r/issues/999/comments", {"body": "nobody home"}, 404),
    ("GET", "/repos/o/r/issues/1/comments", None, 200),
    ("GET", "/repos/o/r/issues/1/comments?since=2000-01-01T00:00:00Z&per_page=1", None, 200),
    ("GET", "/repos/o/r/issues/999/comments", None, 404),
    ("GET", "/repos/o/r/issues/1/dependencies/blocked_by", None, 200),
    ("GET", "/repos/o/r/issues/999/dependencies/blocked_by", None, 404),
    ("GET", "/repos/o/r/issues/2/dependencies/blocking", None, 200),
    ("POST", "/repos/o/r/issues/1/dependencies/blocked_by", {"issue_id": 12_345}, 422),
    ("POST", "/repos/o/r/issues/1/dependencies/blocked_by", {}, 422),
    ("POST", "/repos/o/r/issues/999/dependencies/blocked_by", {"issue_id": 1}, 404),
    ("DELETE", "/repos/o/r/issues/1/dependencies/blocked_by/12345", None, 404),
    ("GET", "/orgs/o/issue-types", None, 200),
    ("GET", "/orgs/nobody/issue-types", None, 404),
    ("GET", "/repos/o/r/issue-types", None, 200),
    ("POST", "/repos/o/r/issues", {"title": "typed", "type": "Bug"}, 201),
    ("POST", "/repos/o/r/issues", {"title": "typed", "type": "Nope"}, 422),
    ("PATCH", "/repos/o/r/issues/1", {"type": "task"}, 200),
    ("PATCH", "/repos/o/r/issues/1", {"type": None}, 200),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), CASES)
def test_answer_matches_the_description(emu, openapi, http, method, path, body, status):
    seed(emu)
    answer = http.request(method, emu.url + path, json=body)
    assert answer.status_code == status, answer.text
    conforms(openapi, answer)


def test_sub_issue_add_and_remove_match_the_description(emu, openapi, http):
    seed(emu)
    orphan = http.post(f"{emu.url}/repos/o/r/issues", json={"title": "orphan"}).json()
    url = f"{emu.url}/repos/o/r/issues/1"
    added = http.post(f"{url}/sub_issues", json={"sub_issue_id": orphan["id"]})
    assert added.status_code == 201
    conforms(openapi, added)
    refused = http.post(f"{url}/sub_issues", json={"sub_issue_id": orphan["id"]})
    assert refused.status_code == 422
    conforms(openapi, refused)
    removed = http.delete(f"{url}/sub_issue", json={"sub_issue_id": orphan["id"]})
    assert removed.status_code == 200
    conforms(openapi, removed)


def test_dependency_add_list_and_remove_match_the_description(emu, openapi, http):
    seed(emu)
    blocker = http.get(f"{emu.url}/repos/o/r/issues/3").json()
    url = f"{emu.url}/repos/o/r/issues/1/dependencies/blocked_by"
    added = http.post(url, json={"issue_id": blocker["id"]})
    assert added.status_code == 201
    assert added.headers["location"] == url
    twice = http.post(url, json={"issue_id": blocker["id"]})
    assert twice.status_code == 422
    listed = http.get(url)
    assert [i["number"] for i in listed.json()] == [3]
    blocked = http.get(f"{emu.url}/repos/o/r/issues/1").json()
    assert blocked["issue_dependencies_summary"]["total_blocked_by"] == 1
    removed = http.delete(f"{url}/{blocker['id']}")
    assert removed.status_code == 200
    for answer in (added, twice, listed, removed):
        conforms(openapi, answer)


def test_dependency_pages_match_the_list_description(emu, openapi, http):
    seed(emu)
    repo = emu.service.store.repo("o", "r")
    for n in range(3):
        blocker = repo.issue(repo.add_issue(f"blocker {n}"))
        http.post(
            f"{emu.url}/repos/o/r/issues/1/dependencies/blocked_by", json={"issue_id": blocker.id}
        )
    first = http.get(
        f"{emu.url}/repos/o/r/issues/1/dependencies/blocked_by", params={"per_page": 2}
    )
    second = http.get(first.links["next"]["url"])
    assert [i["title"] for i in second.json()] == ["blocker 2"]
    conforms(openapi, second)


def test_a_user_repository_matches_the_description(emu, openapi, http):
    emu.add_repo("me/mine", user_owned=True)
    refused = http.post(f"{emu.url}/repos/me/mine/issues", json={"title": "t", "type": "Bug"})
    assert refused.status_code == 422
    made = http.post(f"{emu.url}/repos/me/mine/issues", json={"title": "t"})
    assert "type" not in made.json()
    for answer in (refused, made, http.get(f"{emu.url}/repos/me/mine")):
        conforms(openapi, answer)


def test_link_pages_match_the_list_description(emu, openapi, http):
    repo = emu.add_repo("o/r")
    for n in range(5):
        repo.add_issue(f"t{n}")
    first = http.get(f"{emu.url}/repos/o/r/issues", params={"per_page": 2})
    second = http.get(first.links["next"]["url"])
    assert second.status_code == 200
    conforms(openapi, second, as_path=f"{emu.url}/repos/o/r/issues?per_page=2&page=2")


def test_comment_pages_match_the_list_description(emu, openapi, http):
    seed(emu)
    for n in range(3):
        emu.service.store.repo("o", "r").add_comment(2, f"comment {n}")
    first = http.get(f"{emu.url}/repos/o/r/issues/2/comments", params={"per_page": 2})
    second = http.get(first.links["next"]["url"])
    assert [c["body"] for c in second.json()] == ["comment 2"]
    conforms(openapi, second, as_path=f"{emu.url}/repos/o/r/issues/2/comments?per_page=2&page=2")


def test_issue_with_comments_matches_the_description(emu, openapi, http):
    seed(emu)
    http.post(f"{emu.url}/repos/o/r/issues/1/comments", json={"body": "one more"})
    answer = http.get(f"{emu.url}/repos/o/r/issues/1")
    assert answer.json()["comments"] == 2
    conforms(openapi, answer)


def test_a_non_conforming_answer_is_caught(emu, openapi, http):
    # guards the check itself: a wrong body must fail it
    seed(emu)
    answer = http.get(f"{emu.url}/repos/o/r/issues/1")
    answer._content = answer.content.replace(b'"number": 1', b'"number": "one"')
    with pytest.raises(Exception, match="integer"):
        conforms(openapi, answer)


def test_refusals_match_the_description(emu, openapi):
    seed(emu)
    emu.add_token("write")
    emu.add_token("read", permission="read")
    read = {"Authorization": "token read"}
    cases = [
        requests.post(f"{emu.url}/repos/o/r/issues", json={"title": "t"}, headers=read),
        requests.patch(f"{emu.url}/repos/o/r/issues/1", json={"title": "t"}, headers=read),
        requests.post(
            f"{emu.url}/repos/o/r/issues/1/sub_issues", json={"sub_issue_id": 1}, headers=read
        ),
        requests.post(f"{emu.url}/repos/o/r/issues/1/comments", json={"body": "b"}, headers=read),
        requests.get(f"{emu.url}/user", headers={"Authorization": "token wrong"}),
        requests.get(f"{emu.url}/search/issues?q=x", headers={"Authorization": "token wrong"}),
        requests.post(
            f"{emu.url}/repos/o/r/issues", data=b"{oops", headers={"Authorization": "token write"}
        ),
    ]
    assert [a.status_code for a in cases] == [403, 403, 403, 403, 401, 401, 400]
    for answer in cases:
        conforms(openapi, answer)


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"title": "t"})], ids=["get", "patch"]
)
def test_a_transferred_issue_answers_as_described(emu, openapi, http, method, body):
    seed(emu)
    emu.add_repo("o/elsewhere")
    emu.transfer("o/r", 2, "o/elsewhere")
    answer = http.request(method, f"{emu.url}/repos/o/r/issues/2", json=body, allow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["location"] == answer.json()["url"]
    conforms(openapi, answer)


def test_server_error_matches_the_description(emu, openapi, http):
    seed(emu)
    emu.set_faults(FaultConfig(error_rate=1.0, error_statuses=(503,)))
    answer = http.post(f"{emu.url}/repos/o/r/issues", json={"title": "t"})
    assert answer.status_code == 503
    conforms(openapi, answer)
