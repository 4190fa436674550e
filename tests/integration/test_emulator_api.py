"""The emulator over HTTP: GitHub's paths, shapes, status codes, headers and pagination."""

from __future__ import annotations

import dataclasses

import pytest
import requests

from batchsync.emulator import Emulator
from batchsync.emulator.service import Answer

TOKEN = "ghs_test_write"
REPO = "octo/demo"
READ_TOKEN = "ghs_test_read"


def create(emu: Emulator, http: requests.Session, title: str, **fields: object) -> dict:
    answer = http.post(f"{emu.url}/repos/octo/demo/issues", json={"title": title, **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_create_answers_201_with_the_full_issue_and_location(emu, http):
    issue = create(emu, http, "First", body="text", labels=["prd"])
    assert issue["number"] == 1
    assert issue["title"] == "First"
    assert issue["body"] == "text"
    assert issue["state"] == "open"
    assert [label["name"] for label in issue["labels"]] == ["prd"]
    assert issue["id"] != issue["number"]
    assert issue["url"] == f"{emu.url}/repos/octo/demo/issues/1"
    assert issue["html_url"].endswith("/octo/demo/issues/1")
    assert issue["user"]["login"] == "github-actions[bot]"
    assert issue["created_at"].endswith("Z")


def test_create_sends_location_and_rate_limit_headers(emu, http):
    answer = http.post(f"{emu.url}/repos/octo/demo/issues", json={"title": "x"})
    assert answer.headers["location"] == f"{emu.url}/repos/octo/demo/issues/1"
    for name in ("limit", "remaining", "used", "reset", "resource"):
        assert f"x-ratelimit-{name}" in answer.headers


def test_urls_follow_the_host_the_request_used(emu):
    emu.add_repo("octo/other")
    localhost = emu.url.replace("127.0.0.1", "localhost")
    answer = requests.get(
        f"{localhost}/repos/octo/other", headers={"Authorization": f"token {TOKEN}"}
    )
    assert answer.json()["url"] == f"{localhost}/repos/octo/other"


def test_missing_title_is_422_in_githubs_shape(emu, http):
    answer = http.post(f"{emu.url}/repos/octo/demo/issues", json={"body": "no title"})
    assert answer.status_code == 422
    assert "title" in answer.json()["message"]
    assert "documentation_url" in answer.json()


def test_body_over_65536_characters_is_422(emu, http):
    answer = http.post(
        f"{emu.url}/repos/octo/demo/issues", json={"title": "t", "body": "x" * 65_537}
    )
    assert answer.status_code == 422
    assert answer.json()["message"] == "Validation Failed"
    assert answer.json()["errors"][0]["field"] == "body"
    assert create(emu, http, "fits", body="x" * 65_536)["number"] == 1


def test_wrong_token_is_401_bad_credentials(emu):
    answer = requests.get(f"{emu.url}/repos/octo/demo", headers={"Authorization": "token nope"})
    assert answer.status_code == 401
    assert answer.json()["message"] == "Bad credentials"


def test_missing_token_is_401(emu):
    assert requests.get(f"{emu.url}/repos/octo/demo").status_code == 401


def test_read_only_token_cannot_write(emu):
    headers = {"Authorization": f"Bearer {READ_TOKEN}"}
    answer = requests.post(
        f"{emu.url}/repos/octo/demo/issues", json={"title": "x"}, headers=headers
    )
    assert answer.status_code == 403
    assert answer.json()["message"] == "Resource not accessible by integration"
    assert emu.issues("octo/demo") == []
    assert requests.get(f"{emu.url}/repos/octo/demo/issues", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "path", ["/repos/octo/missing", "/repos/octo/demo/issues/99", "/no/such/endpoint"]
)
def test_unknown_things_are_404_in_githubs_shape(emu, http, path):
    answer = http.get(emu.url + path)
    assert answer.status_code == 404
    assert answer.json()["message"] == "Not Found"
    assert "x-ratelimit-remaining" in answer.headers


def test_patch_replaces_labels_and_closes_with_a_reason(emu, http):
    create(emu, http, "t", labels=["prd", "p1"])
    answer = http.patch(
        f"{emu.url}/repos/octo/demo/issues/1",
        json={"labels": ["task"], "state": "closed", "state_reason": "not_planned"},
    )
    issue = answer.json()
    assert [label["name"] for label in issue["labels"]] == ["task"]
    assert issue["state"] == "closed"
    assert issue["state_reason"] == "not_planned"
    assert issue["closed_at"] is not None
    reopened = http.patch(f"{emu.url}/repos/octo/demo/issues/1", json={"state": "open"}).json()
    assert reopened["state_reason"] == "reopened"
    assert reopened["closed_at"] is None


def test_list_defaults_to_open_issues_newest_first(emu, http):
    for title in ("a", "b", "c"):
        create(emu, http, title)
    http.patch(f"{emu.url}/repos/octo/demo/issues/2", json={"state": "closed"})
    numbers = [i["number"] for i in http.get(f"{emu.url}/repos/octo/demo/issues").json()]
    assert numbers == [3, 1]
    everything = http.get(
        f"{emu.url}/repos/octo/demo/issues", params={"state": "all", "direction": "asc"}
    ).json()
    assert [i["number"] for i in everything] == [1, 2, 3]


def test_list_labels_filter_needs_every_label(emu, http):
    create(emu, http, "both", labels=["prd", "p1"])
    create(emu, http, "one", labels=["prd"])
    found = http.get(f"{emu.url}/repos/octo/demo/issues", params={"labels": "prd,P1"}).json()
    assert [i["title"] for i in found] == ["both"]


def test_list_since_keeps_issues_updated_at_or_after(emu, http):
    create(emu, http, "old")
    future = "2999-01-01T00:00:00Z"
    assert http.get(f"{emu.url}/repos/octo/demo/issues", params={"since": future}).json() == []
    past = "2000-01-01T00:00:00Z"
    assert len(http.get(f"{emu.url}/repos/octo/demo/issues", params={"since": past}).json()) == 1


def test_list_mixes_in_pull_requests(emu, http):
    emu.add_repo("octo/demo").add_issue("a change", pull_request=True)
    create(emu, http, "an issue")
    listed = http.get(f"{emu.url}/repos/octo/demo/issues").json()
    assert sorted("pull_request" in i for i in listed) == [False, True]
    assert [i["title"] for i in emu.issues("octo/demo")] == ["an issue"]


def test_link_header_points_at_repositories_id_path_and_is_served(emu, http):
    for n in range(7):
        create(emu, http, f"t{n}")
    repo_id = http.get(f"{emu.url}/repos/octo/demo").json()["id"]
    first = http.get(f"{emu.url}/repos/octo/demo/issues", params={"per_page": 3, "state": "all"})
    assert first.links["next"]["url"] == (
        f"{emu.url}/repositories/{repo_id}/issues?per_page=3&state=all&page=2"
    )
    assert first.links["last"]["url"].endswith("page=3")
    seen = [i["number"] for i in first.json()]
    url = first.links["next"]["url"]
    while url:
        page = http.get(url)
        seen += [i["number"] for i in page.json()]
        url = page.links.get("next", {}).get("url")
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    assert "first" in page.links
    assert "prev" in page.links


def test_per_page_is_capped_at_100(emu, http):
    repo = emu.add_repo("octo/demo")
    for n in range(120):
        repo.add_issue(f"t{n}")
    answer = http.get(f"{emu.url}/repos/octo/demo/issues", params={"per_page": 500})
    assert len(answer.json()) == 100
    assert answer.links["next"]["url"].endswith("page=2")


def test_sub_issue_is_added_by_id_and_listed(emu, http):
    parent = create(emu, http, "parent")
    child = create(emu, http, "child")
    url = f"{emu.url}/repos/octo/demo/issues/{parent['number']}/sub_issues"
    answer = http.post(url, json={"sub_issue_id": child["id"]})
    assert answer.status_code == 201
    assert answer.json()["sub_issues_summary"]["total"] == 1
    assert [i["number"] for i in http.get(url).json()] == [child["number"]]
    assert emu.sub_issues("octo/demo", parent["number"]) == [child["number"]]
    parent_of_child = http.get(f"{emu.url}/repos/octo/demo/issues/{child['number']}/parent")
    assert parent_of_child.json()["number"] == parent["number"]


def test_sub_issue_by_number_instead_of_id_is_refused(emu, http):
    parent = create(emu, http, "parent")
    child = create(emu, http, "child")
    url = f"{emu.url}/repos/octo/demo/issues/{parent['number']}/sub_issues"
    assert http.post(url, json={"sub_issue_id": child["number"]}).status_code == 422


def test_sub_issue_has_one_parent_unless_replaced(emu, http):
    first, second, child = (create(emu, http, t) for t in ("p1", "p2", "c"))
    base = f"{emu.url}/repos/octo/demo/issues"
    http.post(f"{base}/{first['number']}/sub_issues", json={"sub_issue_id": child["id"]})
    refused = http.post(f"{base}/{second['number']}/sub_issues", json={"sub_issue_id": child["id"]})
    assert refused.status_code == 422
    moved = http.post(
        f"{base}/{second['number']}/sub_issues",
        json={"sub_issue_id": child["id"], "replace_parent": True},
    )
    assert moved.status_code == 201
    assert emu.sub_issues("octo/demo", first["number"]) == []
    assert emu.sub_issues("octo/demo", second["number"]) == [child["number"]]


def test_a_parent_takes_at_most_100_sub_issues(emu, http):
    repo = emu.add_repo("octo/demo")
    parent = repo.add_issue("parent")
    for n in range(100):
        number = repo.add_issue(f"c{n}")
        repo.add_sub_issue(parent, repo.issue(number).id, replace_parent=False)
    extra = create(emu, http, "one too many")
    answer = http.post(
        f"{emu.url}/repos/octo/demo/issues/{parent}/sub_issues", json={"sub_issue_id": extra["id"]}
    )
    assert answer.status_code == 422
    assert "100" in answer.json()["errors"][0]["message"]


def test_parent_of_an_issue_without_one_is_404(emu, http):
    create(emu, http, "alone")
    assert http.get(f"{emu.url}/repos/octo/demo/issues/1/parent").status_code == 404


def test_sub_issues_can_be_switched_off():
    with Emulator(limits="off", sub_issues=False) as emu:
        emu.add_repo("o/r").add_issue("x")
        answer = requests.get(
            f"{emu.url}/repos/o/r/issues/1/sub_issues", headers={"Authorization": "token t"}
        )
        assert answer.status_code == 404


def test_rate_limit_endpoint_is_free(emu, http):
    before = http.get(f"{emu.url}/rate_limit").json()["resources"]["core"]
    http.get(f"{emu.url}/repos/octo/demo")
    after = http.get(f"{emu.url}/rate_limit").json()["resources"]["core"]
    assert after["used"] == before["used"] + 1


def test_ghes_prefix_serves_under_api_v3_only():
    with Emulator(limits="off", prefix="/api/v3") as emu:
        emu.add_repo("o/r")
        headers = {"Authorization": "token t"}
        assert emu.url.endswith("/api/v3")
        answer = requests.get(f"{emu.url}/repos/o/r", headers=headers)
        assert answer.json()["url"] == f"{emu.url}/repos/o/r"
        root = emu.url.removesuffix("/api/v3")
        assert requests.get(f"{root}/repos/o/r", headers=headers).status_code == 404


def test_connections_are_kept_alive(emu, http):
    for _ in range(20):
        assert http.get(f"{emu.url}/repos/octo/demo").status_code == 200
    # requests' pool holds one connection to the host: every request reused it
    pool = next(iter(http.adapters["http://"].poolmanager.pools._container.values()))
    assert pool.num_connections == 1


def test_stats_count_requests_by_template_and_status(emu, http):
    create(emu, http, "t")
    http.get(f"{emu.url}/repos/octo/demo/issues/1")
    http.get(f"{emu.url}/repos/octo/demo/issues/2")
    template = "/repos/{owner}/{repo}/issues/{issue_number}"
    assert emu.stats.count("GET", template, 200) == 1
    assert emu.stats.count("GET", template, 404) == 1
    assert emu.stats.count("POST") == 1
    assert emu.stats.violations == 0


def test_label_names_with_slashes_and_spaces_round_trip(emu, http):
    create(emu, http, "t", labels=["area/api", "needs review"])
    listed = http.get(f"{emu.url}/repos/octo/demo/labels").json()
    urls = {label["name"]: label["url"] for label in listed}
    assert urls["area/api"].endswith("/labels/area%2Fapi")
    assert http.get(urls["area/api"]).json()["name"] == "area/api"
    removed = http.delete(f"{emu.url}/repos/octo/demo/issues/1/labels/needs%20review")
    assert [label["name"] for label in removed.json()] == ["area/api"]


def test_an_emulator_bug_answers_500_and_is_counted(emu, http, monkeypatch, capsys):
    def broken(req):
        raise RuntimeError("boom")

    api = emu.service.api
    routes = tuple(
        dataclasses.replace(r, handler=broken) if r.template == "/repos/{owner}/{repo}" else r
        for r in api.routes
    )
    monkeypatch.setattr(api, "routes", routes)
    answer = http.get(f"{emu.url}/repos/octo/demo")
    assert answer.status_code == 500
    assert "emulator internal error" in answer.json()["message"]
    assert emu.stats.internal_errors == 1
    assert "RuntimeError: boom" in capsys.readouterr().err


def test_wrappers_around_the_handler_see_every_request_and_may_answer_it(emu, http):
    seen: list[str] = []

    def counting(inner):
        def handle(method, target, *rest):
            seen.append(f"{method} {target.split('?')[0]}")
            return inner(method, target, *rest)

        return handle

    def refusing_posts(inner):
        def handle(method, target, *rest):
            if method == "POST":
                return Answer(503, {"content-type": "application/json"}, b'{"message": "no"}')
            return inner(method, target, *rest)

        return handle

    emu.wrap(refusing_posts)
    emu.wrap(counting)  # the outermost: it sees the POST that the inner wrapper refuses
    assert http.post(f"{emu.url}/repos/octo/demo/issues", json={"title": "x"}).status_code == 503
    assert http.get(f"{emu.url}/repos/octo/demo/issues").status_code == 200
    assert seen == ["POST /repos/octo/demo/issues", "GET /repos/octo/demo/issues"]
    assert emu.issues("octo/demo") == []
