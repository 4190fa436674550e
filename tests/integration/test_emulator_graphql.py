"""The emulator's POST /graphql: the operations batchsync sends, GitHub's shapes, limits, faults."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from batchsync.emulator import (
    Emulator,
    FaultConfig,
    FaultKind,
    GraphQLConfig,
    LimitConfig,
    ManualClock,
    Repo,
    ScheduledFault,
)
from batchsync.emulator.graphql import decode_node_id
from batchsync.github_graphql import CREATE_ISSUE, REPOSITORY_QUERY
from emulated import EmulatorFactory

TOKEN = "ghs_graphql"
REPO = "octo/gql"
AUTH = {"authorization": f"bearer {TOKEN}"}


# The emu fixture and make_emulator (tests/conftest.py): REPO with three labels, on a clock
# that moves only when slept on.
EMULATOR = {"limits": "off", "clock": ManualClock}


def three_labels(repo: Repo) -> None:
    """The repository's labels."""
    for name in ("bug", "epic", "task"):
        repo.add_label(name)


REPO_CONTENT = three_labels


def post(emu: Emulator, query: str, variables: dict[str, Any] | None = None) -> requests.Response:
    base = emu.url.removesuffix("/api/v3")
    path = "/api/graphql" if emu.url.endswith("/api/v3") else "/graphql"
    return requests.post(
        base + path, json={"query": query, "variables": variables or {}}, headers=AUTH, timeout=10
    )


def repository(emu: Emulator, cursor: str | None = None) -> dict[str, Any]:
    answer = post(emu, REPOSITORY_QUERY, {"owner": "octo", "name": "gql", "cursor": cursor})
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def create(emu: Emulator, **fields: Any) -> requests.Response:
    repo_id = repository(emu)["data"]["repository"]["id"]
    payload = {"repositoryId": repo_id, "title": "T", "body": "B", **fields}
    return post(emu, CREATE_ISSUE, {"input": payload})


def test_repository_query_gives_node_ids_in_githubs_shapes(emu: Emulator) -> None:
    data = repository(emu)["data"]
    repo = data["repository"]
    assert repo["id"].startswith("R_kgDO")
    labels = repo["labels"]["nodes"]
    assert [label["name"] for label in labels] == ["bug", "epic", "task"]
    assert all(label["id"].startswith("LA_kwDO") for label in labels)
    assert repo["labels"]["pageInfo"] == {
        "hasNextPage": False,
        "endCursor": repo["labels"]["pageInfo"]["endCursor"],
    }
    assert "parentIssueId" in [f["name"] for f in data["__type"]["inputFields"]]


def test_label_ids_match_the_rest_node_ids(emu: Emulator) -> None:
    nodes = repository(emu)["data"]["repository"]["labels"]["nodes"]
    rest = requests.get(f"{emu.url}/repos/{REPO}/labels", headers=AUTH, timeout=10).json()
    assert {n["name"]: n["id"] for n in nodes} == {r["name"]: r["node_id"] for r in rest}


def test_labels_page_with_cursors(emu: Emulator) -> None:
    repo = emu.service.store.repo("octo", "gql")
    for n in range(150):
        repo.add_label(f"l{n:03}")
    first = repository(emu)["data"]["repository"]["labels"]
    assert len(first["nodes"]) == 100
    assert first["pageInfo"]["hasNextPage"] is True
    second = repository(emu, first["pageInfo"]["endCursor"])["data"]["repository"]["labels"]
    assert len(second["nodes"]) == 53
    assert second["pageInfo"]["hasNextPage"] is False
    names = [n["name"] for n in first["nodes"] + second["nodes"]]
    assert len(set(names)) == 153


def test_create_issue_under_its_parent_in_one_request(emu: Emulator) -> None:
    parent = emu.service.store.repo("octo", "gql").add_issue("parent")
    rest = requests.get(f"{emu.url}/repos/{REPO}/issues/{parent}", headers=AUTH, timeout=10)
    labels = {n["name"]: n["id"] for n in repository(emu)["data"]["repository"]["labels"]["nodes"]}
    emu.stats.reset()
    answer = create(emu, parentIssueId=rest.json()["node_id"], labelIds=[labels["task"]])
    issue = answer.json()["data"]["createIssue"]["issue"]
    assert issue["parent"] == {"number": parent, "url": f"{emu.url}/{REPO}/issues/{parent}"}
    assert issue["author"] == {"__typename": "Bot", "login": "github-actions"}  # no "[bot]"
    assert issue["id"].startswith("I_kwDO")
    assert issue["url"].endswith(f"/{REPO}/issues/{issue['number']}")
    assert emu.sub_issues(REPO, parent) == [issue["number"]]
    made = emu.issues(REPO)[-1]
    assert (made["id"], made["node_id"]) == (issue["databaseId"], issue["id"])
    assert [label["name"] for label in made["labels"]] == ["task"]
    assert made["parent_issue_url"].endswith(f"/issues/{parent}")
    assert emu.stats.operations("createIssue") == 1
    assert emu.stats.operations("query") == 1


def test_node_ids_decode_to_the_repository_and_issue(emu: Emulator) -> None:
    issue = create(emu).json()["data"]["createIssue"]["issue"]
    repo = emu.service.store.repo("octo", "gql")
    assert decode_node_id(issue["id"]) == ("I", (repo.id, issue["databaseId"]))
    assert decode_node_id("I_garbage!") is None


def test_unknown_node_ids_are_not_found_and_create_nothing(emu: Emulator) -> None:
    answer = create(emu, parentIssueId="I_kwDOAAAAAAAAAAAA").json()
    assert answer["data"] == {"createIssue": None}
    assert answer["errors"][0]["type"] == "NOT_FOUND"
    assert answer["errors"][0]["path"] == ["createIssue"]
    assert emu.issues(REPO) == []


def test_a_full_parent_refuses_the_create_as_one_unit(emu: Emulator) -> None:
    repo = emu.service.store.repo("octo", "gql")
    parent = repo.add_issue("parent")
    with emu.service.store.lock:
        for n in range(100):
            child = repo.issue(repo.add_issue(f"c{n}"))
            repo.add_sub_issue(parent, child.id, False)
    node = requests.get(f"{emu.url}/repos/{REPO}/issues/{parent}", headers=AUTH, timeout=10)
    before = len(emu.issues(REPO))
    answer = create(emu, parentIssueId=node.json()["node_id"]).json()
    assert answer["errors"][0]["type"] == "UNPROCESSABLE"
    assert "100 sub-issues" in answer["errors"][0]["message"]
    assert len(emu.issues(REPO)) == before


def test_unknown_fields_are_refused_in_graphql_ruby_wording(emu: Emulator) -> None:
    answer = post(emu, 'query { repository(owner: "octo", name: "gql") { stars } }').json()
    error = answer["errors"][0]
    assert error["message"] == "Field 'stars' doesn't exist on type 'Repository'"
    assert error["extensions"]["code"] == "undefinedField"
    assert "data" not in answer


def test_syntax_errors_are_graphql_errors(emu: Emulator) -> None:
    answer = post(emu, "query { repository(owner: ")
    assert answer.status_code == 200
    assert answer.json()["errors"][0]["message"].startswith("Parse error")


def test_a_schema_without_parent_issue_id_refuses_it(make_emulator: EmulatorFactory) -> None:
    emu = make_emulator(limits="off", graphql=GraphQLConfig(parent_issue_id=False))
    fields = repository(emu)["data"]["__type"]["inputFields"]
    assert "parentIssueId" not in [f["name"] for f in fields]
    answer = create(emu, parentIssueId="I_x").json()
    assert answer["errors"][0]["message"] == (
        "Variable $input of type CreateIssueInput! was provided invalid value for "
        "parentIssueId (Field is not defined on CreateIssueInput)"
    )
    inline = post(
        emu,
        'mutation { createIssue(input: {repositoryId: "R_x", title: "t", '
        'parentIssueId: "I_x"}) { issue { number } } }',
    ).json()
    assert inline["errors"][0]["message"] == (
        "InputObject 'CreateIssueInput' doesn't accept argument 'parentIssueId'"
    )
    assert emu.issues(REPO) == []


def test_no_graphql_answers_404(make_emulator: EmulatorFactory) -> None:
    emu = make_emulator(limits="off", graphql=None)
    assert post(emu, REPOSITORY_QUERY).status_code == 404


def test_ghes_prefix_serves_graphql_beside_the_rest_prefix(make_emulator: EmulatorFactory) -> None:
    emu = make_emulator(limits="off", prefix="/api/v3")
    assert repository(emu)["data"]["repository"]["id"].startswith("R_")
    assert emu.stats.count("POST", "/graphql", 200) == 1


def test_graphql_has_its_own_primary_bucket(make_emulator: EmulatorFactory) -> None:
    emu = make_emulator(limits=LimitConfig.github(graphql_limit=2))
    rest = requests.get(f"{emu.url}/repos/{REPO}", headers=AUTH, timeout=10)
    first = post(emu, REPOSITORY_QUERY, {"owner": "octo", "name": "gql"})
    assert first.headers["x-ratelimit-resource"] == "graphql"
    assert first.headers["x-ratelimit-remaining"] == "1"
    assert rest.headers["x-ratelimit-resource"] == "core"
    post(emu, REPOSITORY_QUERY, {"owner": "octo", "name": "gql"})
    spent = post(emu, REPOSITORY_QUERY, {"owner": "octo", "name": "gql"})
    assert spent.status_code == 200
    assert spent.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert spent.headers["x-ratelimit-remaining"] == "0"
    limits = requests.get(f"{emu.url}/rate_limit", headers=AUTH, timeout=10).json()
    assert limits["resources"]["graphql"]["used"] == 2
    assert limits["resources"]["core"]["used"] == 1


def _content_limited(rate: float, twice: bool = False) -> dict[str, object]:
    limits = LimitConfig.github(creates_per_minute=2, retry_after_rate=0.0)
    config = GraphQLConfig(too_quickly_rate=rate, link_counts_twice=twice)
    return {"limits": limits, "graphql": config}


def test_a_too_fast_create_is_refused_with_200_submitted_too_quickly(
    make_emulator: EmulatorFactory,
) -> None:
    emu = make_emulator(**_content_limited(1.0))
    assert "errors" not in create(emu).json()
    assert "errors" not in create(emu).json()
    third = create(emu)
    assert third.status_code == 200
    error = third.json()["errors"][0]
    assert (error["type"], error["path"], error["message"]) == (
        "UNPROCESSABLE",
        ["createIssue"],
        "was submitted too quickly",
    )
    assert len(emu.issues(REPO)) == 2
    assert emu.stats.secondary_limits == 1


def test_the_other_reading_refuses_a_too_fast_create_with_403_or_429(
    make_emulator: EmulatorFactory,
) -> None:
    emu = make_emulator(**_content_limited(0.0))
    create(emu)
    create(emu)
    third = create(emu)
    assert third.status_code in (403, 429)
    assert "secondary rate limit" in third.json()["message"]


def test_a_mutation_costs_five_points_and_a_query_one(make_emulator: EmulatorFactory) -> None:
    limits = LimitConfig.github(points_per_minute=7, retry_after_rate=0.0)
    emu = make_emulator(limits=limits)  # a points refusal is no "submitted too quickly"
    create(emu)  # a query (1) and a mutation (5): 6 of 7
    refused = post(emu, CREATE_ISSUE, {"input": {"repositoryId": "R_x", "title": "t"}})
    assert refused.status_code in (403, 429)
    assert emu.stats.secondary_limits == 1


def test_the_link_counts_twice_reading(make_emulator: EmulatorFactory) -> None:
    emu = make_emulator(**_content_limited(1.0, twice=True))
    parent = emu.service.store.repo("octo", "gql").add_issue("parent")
    node = requests.get(f"{emu.url}/repos/{REPO}/issues/{parent}", headers=AUTH, timeout=10)
    assert "errors" not in create(emu, parentIssueId=node.json()["node_id"]).json()
    second = create(emu, parentIssueId=node.json()["node_id"]).json()
    assert second["errors"][0]["message"] == "was submitted too quickly"


def test_a_read_only_token_may_query_but_not_create() -> None:
    with Emulator(limits="off") as emu:
        emu.add_token(TOKEN, permission="read")
        emu.add_repo(REPO)
        assert repository(emu)["data"]["repository"]["id"]
        answer = create(emu).json()
        assert answer["errors"][0]["type"] == "FORBIDDEN"
        assert emu.issues(REPO) == []


def test_a_dropped_answer_leaves_the_issue_created_and_queries_untouched(emu: Emulator) -> None:
    repo_id = repository(emu)["data"]["repository"]["id"]
    emu.set_faults(FaultConfig(drop_rate=1.0))  # drops hit content creation only
    with pytest.raises(requests.ConnectionError):
        post(emu, CREATE_ISSUE, {"input": {"repositoryId": repo_id, "title": "T"}})
    assert [i["title"] for i in emu.issues(REPO)] == ["T"]
    assert repository(emu)["data"]["repository"]["id"] == repo_id
    log = emu.stats.requests()
    assert [(r.operation, r.status) for r in log[-2:]] == [("createIssue", 0), ("query", 200)]


def test_a_scheduled_timeout_on_graphql_answers_502(make_emulator: EmulatorFactory) -> None:
    schedule = (ScheduledFault(FaultKind.TIMEOUT, 2, "POST", "/graphql"),)
    emu = make_emulator(limits="off", faults=FaultConfig(schedule=schedule, timeout_acts_rate=1.0))
    answer = create(emu)
    assert answer.status_code == 502
    assert [i["title"] for i in emu.issues(REPO)] == ["T"]


def test_an_object_field_without_selections_is_refused(emu: Emulator) -> None:
    answer = post(emu, 'query { repository(owner: "octo", name: "gql") }').json()
    assert answer["errors"][0]["message"] == (
        "Field must have selections (field 'repository' returns Repository but has no "
        "selections. Did you mean 'repository { ... }'?)"
    )


def test_viewer_names_the_account_each_token_acts_as(emu: Emulator) -> None:
    assert repository(emu)["data"]["viewer"] == {"login": "github-actions[bot]"}
    emu.add_token("ghs_app", login="shop-app[bot]")
    emu.add_token("ghp_me", kind="user", login="octocat")
    for token, login in (("ghs_app", "shop-app[bot]"), ("ghp_me", "octocat")):
        answer = requests.post(
            f"{emu.url}/graphql",
            json={"query": "query { viewer { login } }"},
            headers={"authorization": f"bearer {token}"},
            timeout=10,
        )
        assert answer.json() == {"data": {"viewer": {"login": login}}}


def test_viewer_without_the_bot_suffix_is_a_switch(make_emulator: EmulatorFactory) -> None:
    emu = make_emulator(limits="off", graphql=GraphQLConfig(viewer_bot_suffix=False))
    assert repository(emu)["data"]["viewer"] == {"login": "github-actions"}


def test_writes_count_a_mutation_but_not_a_query(make_emulator: EmulatorFactory) -> None:
    emu = make_emulator(limits="off")
    repository(emu)
    assert emu.stats.writes() == 0
    assert create(emu).status_code == 200
    assert emu.stats.writes() == 1  # the create; its repository query is no write
    assert emu.stats.to_json()["writes"] == 1
    bare = make_emulator(limits="off", graphql=None)
    assert post(bare, "query { viewer { login } }").status_code == 404
    assert bare.stats.writes() == 0
