"""The GraphQL create path of the GitHub adapter, against scripted answers (``responses``)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import responses
from fakes import PassGate
from test_github import API, TOKEN

from batchsync.errors import (
    ForbiddenError,
    RateLimitError,
    UncertainWriteError,
    UnusableAnswer,
    ValidationFailed,
)
from batchsync.github import GitHubClient
from batchsync.github_graphql import CREATE_ISSUE, REPOSITORY_QUERY, GraphQLCreator
from batchsync.processor import Gate as ProcessorGate
from batchsync.ratelimit import Limits, Op
from batchsync.remote import PARENT_UNNAMED

GRAPHQL = f"{API}/graphql"
HEADERS = {"x-ratelimit-resource": "graphql", "x-ratelimit-remaining": "990"}


def repository_answer(*, parent_field: bool = True, labels: list[str] | None = None) -> Any:
    fields = [{"name": "title"}, {"name": "repositoryId"}]
    if parent_field:
        fields.append({"name": "parentIssueId"})
    nodes = [{"id": f"LA_{n}", "name": n} for n in labels or ["task"]]
    return {
        "data": {
            "repository": {
                "id": "R_repo",
                "nameWithOwner": "octo/demo",
                "labels": {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}},
            },
            "__type": {"inputFields": fields},
        }
    }


def created(number: int, parent: int | None = None) -> Any:
    issue = {
        "id": f"I_{number}",
        "number": number,
        "databaseId": 7000 + number,
        "url": f"https://github.com/octo/demo/issues/{number}",
        "parent": (
            {"number": parent, "url": f"https://github.com/octo/demo/issues/{parent}"}
            if parent
            else None
        ),
        "author": {"__typename": "Bot", "login": "github-actions"},
    }
    return {"data": {"createIssue": {"issue": issue}}}


def sent(call_index: int) -> Any:
    body = responses.calls[call_index].request.body
    assert body is not None
    return json.loads(body)


@pytest.fixture
def gate() -> PassGate:
    return PassGate(uncertain=True)


@pytest.fixture
def client(gate: PassGate) -> GitHubClient:
    return GitHubClient("https://api.github.com", TOKEN, "octo/demo", gate)


@responses.activate
def test_a_child_is_created_under_its_parent_in_one_mutation(
    client: GitHubClient, gate: PassGate
) -> None:
    parent = {
        "number": 3,
        "id": 5003,
        "node_id": "I_parent",
        "title": "p",
        "state": "open",
        "html_url": "https://github.com/octo/demo/issues/3",
    }
    responses.get(f"{API}/repos/octo/demo/issues", json=[parent])
    responses.post(GRAPHQL, json=repository_answer(), headers=HEADERS)
    responses.post(GRAPHQL, json=created(9, parent=3), headers=HEADERS)
    client.list_issues()
    issue = client.create_issue("T", "B <!-- batchsync key=k -->", ("task",), parent=3)
    assert (issue.number, issue.id, issue.parent_number, issue.parent_known) == (9, 7009, 3, True)
    assert issue.author == "github-actions[bot]"  # REST's name for the bot GraphQL names bare
    query = sent(1)
    assert query["query"] == REPOSITORY_QUERY
    assert query["variables"]["owner"] == "octo"
    mutation = sent(2)
    assert mutation["query"] == CREATE_ISSUE
    assert mutation["variables"]["input"] == {
        "repositoryId": "R_repo",
        "title": "T",
        "body": "B <!-- batchsync key=k -->",
        "labelIds": ["LA_task"],
        "parentIssueId": "I_parent",
    }
    assert gate.sent[1:] == [(Op.READ, "graphql"), (Op.CREATE, "graphql")]


REST_ISSUES = f"{API}/repos/octo/demo/issues"
LABELS = f"{API}/repos/octo/demo/labels"


def rest_created(number: int, labels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "number": number,
        "id": 5000 + number,
        "node_id": f"I_{number}",
        "title": "t",
        "state": "open",
        "html_url": f"https://github.com/octo/demo/issues/{number}",
        "labels": labels,
    }


@responses.activate
def test_a_create_naming_a_new_label_goes_through_rest_which_makes_the_label(
    client: GitHubClient, gate: PassGate
) -> None:
    responses.post(GRAPHQL, json=repository_answer(labels=[]))
    made = [{"name": "prd", "node_id": "LA_new"}]
    responses.post(REST_ISSUES, json=rest_created(1, made), status=201)
    responses.post(GRAPHQL, json=created(2))
    first = client.create_issue("A", "a", ("prd",))
    second = client.create_issue("B", "b", ("PRD",))
    assert (first.number, second.number) == (1, 2)
    urls = [c.request.url for c in responses.calls]
    assert urls == [GRAPHQL, REST_ISSUES, GRAPHQL]  # one repository query; no POST .../labels
    assert sent(1)["labels"] == ["prd"]
    assert sent(2)["variables"]["input"]["labelIds"] == ["LA_new"]
    assert [r for _, r in gate.sent] == ["graphql", "core", "graphql"]


def _rest_first_without_label_ids(name: str) -> None:
    """A REST create whose answer does not show the new label's node id."""
    responses.post(GRAPHQL, json=repository_answer(labels=[]))
    responses.post(REST_ISSUES, json=rest_created(1, [{"name": name}]), status=201)


@responses.activate
def test_a_label_no_answer_showed_is_created_once_before_the_create(
    client: GitHubClient, gate: PassGate
) -> None:
    _rest_first_without_label_ids("prd")
    responses.post(LABELS, json={"name": "prd", "node_id": "LA_new"}, status=201)
    responses.post(GRAPHQL, json=created(2))
    responses.post(GRAPHQL, json=created(3))
    client.create_issue("A", "a", ("prd",))
    client.create_issue("B", "b", ("prd",))
    client.create_issue("C", "c", ("prd",))
    urls = [c.request.url for c in responses.calls]
    assert urls.count(LABELS) == 1
    assert sent(3)["variables"]["input"]["labelIds"] == ["LA_new"]
    assert (Op.CREATE, "core") in gate.sent  # the label: paced and budgeted as content


@responses.activate
def test_a_label_taken_meanwhile_is_read_back(client: GitHubClient) -> None:
    _rest_first_without_label_ids("a/b")
    responses.post(
        LABELS,
        json={"message": "Validation Failed", "errors": [{"code": "already_exists"}]},
        status=422,
    )
    responses.get(f"{LABELS}/a%2Fb", json={"name": "a/b", "node_id": "LA_ab"})
    responses.post(GRAPHQL, json=created(2))
    client.create_issue("A", "a", ("a/b",))
    client.create_issue("B", "b", ("a/b",))
    assert sent(4)["variables"]["input"]["labelIds"] == ["LA_ab"]


@responses.activate
def test_submitted_too_quickly_is_a_rate_limit_not_a_failure(client: GitHubClient) -> None:
    responses.post(GRAPHQL, json=repository_answer())
    refusal = {
        "data": {"createIssue": None},
        "errors": [
            {
                "type": "UNPROCESSABLE",
                "path": ["createIssue"],
                "message": "was submitted too quickly",
            }
        ],
    }
    responses.post(GRAPHQL, json=refusal)
    with pytest.raises(RateLimitError) as caught:
        client.create_issue("A", "a", ())
    assert caught.value.secondary
    assert "was submitted too quickly" in caught.value.message


@responses.activate
def test_a_spent_graphql_budget_waits_for_its_reset(client: GitHubClient) -> None:
    responses.post(GRAPHQL, json=repository_answer())
    answer = {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}
    headers = {"x-ratelimit-resource": "graphql", "x-ratelimit-reset": "1800003600"}
    responses.post(GRAPHQL, json=answer, headers=headers)
    with pytest.raises(RateLimitError) as caught:
        client.create_issue("A", "a", ())
    assert caught.value.headers["x-ratelimit-remaining"] == "0"
    assert caught.value.headers["x-ratelimit-reset"] == "1800003600"


def create_with(client: GitHubClient, answer: Any) -> Any:
    """``client.create_issue`` through GraphQL, the create answered with ``answer``."""
    responses.post(GRAPHQL, json=repository_answer())
    responses.post(GRAPHQL, json=answer)
    return client.create_issue("A", "a", ())


@responses.activate
def test_other_graphql_errors_fail_the_item(client: GitHubClient) -> None:
    answer = {
        "errors": [
            {"type": "UNPROCESSABLE", "path": ["createIssue"], "message": "body is too long"}
        ]
    }
    with pytest.raises(ValidationFailed, match="body is too long"):
        create_with(client, answer)


@responses.activate
def test_an_answer_without_the_issue_is_uncertain(client: GitHubClient) -> None:
    responses.post(GRAPHQL, json=repository_answer())
    responses.post(GRAPHQL, json={"data": {"createIssue": None}})
    with pytest.raises(UncertainWriteError):
        client.create_issue("A", "a", ())


@responses.activate
def test_a_partly_failed_answer_keeps_the_issue_and_says_the_link_is_missing(
    client: GitHubClient,
) -> None:
    responses.post(GRAPHQL, json=repository_answer())
    answer = created(4)
    answer["errors"] = [{"type": "UNPROCESSABLE", "path": ["createIssue"], "message": "no link"}]
    responses.post(GRAPHQL, json=answer)
    client._remember({"number": 2, "node_id": "I_2"})
    issue = client.create_issue("A", "a", (), parent=2)
    assert issue.number == 4
    assert issue.parent_number is None  # the engine links it through REST


@responses.activate
def test_no_graphql_endpoint_falls_back_to_rest_with_one_warning(client: GitHubClient) -> None:
    responses.post(GRAPHQL, json={"message": "Not Found"}, status=404)
    rest = rest_created(1, [])
    responses.post(f"{API}/repos/octo/demo/issues", json=rest, status=201)
    responses.post(f"{API}/repos/octo/demo/issues", json=dict(rest, number=2), status=201)
    assert client.create_issue("A", "a", ("task",), parent=None).number == 1
    assert client.create_issue("B", "b", ("task",), parent=1).number == 2
    assert [c.request.url for c in responses.calls].count(GRAPHQL) == 1
    assert len(client.warnings) == 1
    assert "404" in client.warnings[0]


@responses.activate
def test_a_schema_without_parent_issue_id_falls_back_to_rest(client: GitHubClient) -> None:
    responses.post(GRAPHQL, json=repository_answer(parent_field=False))
    rest = rest_created(1, [])
    responses.post(f"{API}/repos/octo/demo/issues", json=rest, status=201)
    client.create_issue("A", "a", ())
    assert "parentIssueId" in client.warnings[0]
    assert responses.calls[-1].request.url == f"{API}/repos/octo/demo/issues"


@responses.activate
def test_a_refused_parent_issue_id_switches_to_rest_for_the_same_item(
    client: GitHubClient,
) -> None:
    responses.post(GRAPHQL, json=repository_answer())
    refusal = {
        "errors": [
            {
                "message": "Variable $input of type CreateIssueInput! was provided invalid value "
                "for parentIssueId (Field is not defined on CreateIssueInput)"
            }
        ]
    }
    responses.post(GRAPHQL, json=refusal)
    rest = rest_created(1, [])
    responses.post(f"{API}/repos/octo/demo/issues", json=rest, status=201)
    client._remember({"number": 7, "node_id": "I_7"})
    assert client.create_issue("A", "a", (), parent=7).number == 1
    assert len(client.warnings) == 1


@responses.activate
def test_the_graphql_url_sits_beside_a_ghes_rest_prefix(gate: PassGate) -> None:
    client = GitHubClient("https://ghe.example/api/v3", TOKEN, "octo/demo", gate)
    responses.post("https://ghe.example:443/api/graphql", json=repository_answer())
    responses.post("https://ghe.example:443/api/graphql", json=created(1))
    assert client.create_issue("A", "a", ()).number == 1


@responses.activate
def test_a_label_whose_create_failed_unapplied_is_sent_again(client: GitHubClient) -> None:
    _rest_first_without_label_ids("epic")
    responses.post(LABELS, json={"message": "boom"}, status=502)
    responses.get(f"{LABELS}/epic", json={"message": "Not Found"}, status=404)
    responses.post(LABELS, json={"name": "epic", "node_id": "LA_e"}, status=201)
    responses.post(GRAPHQL, json=created(2))
    client.create_issue("A", "a", ("epic",))
    client.create_issue("B", "b", ("epic",))
    assert sent(5)["variables"]["input"]["labelIds"] == ["LA_e"]


@pytest.mark.parametrize("max_retries", [0, 1, 4])
@responses.activate
def test_a_label_whose_answers_keep_getting_lost_is_sent_as_often_as_the_run_allows(
    max_retries: int,
) -> None:
    # the run's one policy (max-retries), not a count of the label's own, bounds the sends
    limits = Limits(write_interval=0, max_retries=max_retries)
    gate = ProcessorGate(limits, sleep=lambda _: None)
    client = GitHubClient("https://api.github.com", TOKEN, "octo/demo", gate)
    _rest_first_without_label_ids("epic")
    responses.post(LABELS, json={"message": "boom"}, status=502)
    responses.get(f"{LABELS}/epic", json={"message": "Not Found"}, status=404)
    client.create_issue("A", "a", ("epic",))
    with pytest.raises(UncertainWriteError):
        client.create_issue("B", "b", ("epic",))
    urls = [(c.request.method, c.request.url) for c in responses.calls]
    assert urls.count(("POST", LABELS)) == max_retries + 1
    assert urls.count(("GET", f"{LABELS}/epic")) == max_retries + 1  # looked for before each


@responses.activate
def test_a_graphql_error_echoing_the_token_never_carries_it(client: GitHubClient) -> None:
    responses.post(GRAPHQL, json=repository_answer())
    answer = {"errors": [{"type": "UNPROCESSABLE", "message": f"bad header token {TOKEN}"}]}
    responses.post(GRAPHQL, json=answer)
    with pytest.raises(ValidationFailed) as caught:
        client.create_issue("A", "a", ())
    assert TOKEN not in str(caught.value)
    assert "***" in str(caught.value)


def test_a_second_create_with_the_same_new_label_goes_graphql_after_the_first() -> None:
    creator = GraphQLCreator(
        lambda *a, **k: ({}, {}), PassGate(uncertain=True), "o/r", "u", "/repos/o/r"
    )
    assert creator.needs_rest(("epic",)) is True  # the first goes through REST
    answers: list[bool] = []
    second = threading.Thread(target=lambda: answers.append(creator.needs_rest(("EPIC",))))
    second.start()  # waits (if it got there first) until the first create has ended
    creator.remember_label("epic", "LA_epic")
    creator.settled(("epic",))
    second.join(timeout=5)
    assert answers == [False]  # then GraphQL, with the label's node id
    assert creator.label_ids(("epic",)) == ["LA_epic"]


@responses.activate
def test_a_server_paging_labels_in_circles_is_read_once_around(client: GitHubClient) -> None:
    looping = repository_answer()
    looping["data"]["repository"]["labels"]["pageInfo"] = {"hasNextPage": True, "endCursor": "c"}
    for _ in range(2):
        responses.post(GRAPHQL, json=looping)
    responses.post(GRAPHQL, json=created(1))
    assert client.create_issue("A", "a", ("task",)).number == 1
    assert [c.request.url for c in responses.calls].count(GRAPHQL) == 3  # 2 pages, 1 create


# ---- the token's own login: ``viewer { login }`` on the same query ---------------------------


def with_viewer(login: object, *, more: bool = False) -> Any:
    answer = repository_answer()
    answer["data"]["viewer"] = {"login": login}
    if more:
        answer["data"]["repository"]["labels"]["pageInfo"] = {
            "hasNextPage": True,
            "endCursor": "c2",
        }
    return answer


@responses.activate
def test_an_app_installation_token_learns_its_bot_login_from_the_one_query(
    client: GitHubClient,
) -> None:
    responses.post(GRAPHQL, json=with_viewer("shop-app[bot]"))
    responses.post(GRAPHQL, json=created(1))
    assert client.whoami() == "shop-app[bot]"
    assert "viewer { login }" in sent(0)["query"]
    assert client.create_issue("A", "a", ("task",)).number == 1
    # the identity rode on the repository query: no GET /user, no second query
    assert [c.request.url for c in responses.calls] == [GRAPHQL, GRAPHQL]


@responses.activate
def test_the_load_step_reads_one_label_page_and_the_rest_only_before_a_create(
    client: GitHubClient,
) -> None:
    responses.post(GRAPHQL, json=with_viewer("github-actions[bot]", more=True))
    assert client.whoami() == "github-actions[bot]"
    assert len(responses.calls) == 1
    second = repository_answer(labels=["epic"])
    responses.post(GRAPHQL, json=second)
    responses.post(GRAPHQL, json=created(1))
    assert client.create_issue("A", "a", ("task", "epic")).number == 1
    assert sent(1)["variables"]["cursor"] == "c2"
    assert sent(2)["variables"]["input"]["labelIds"] == ["LA_task", "LA_epic"]
    assert len(responses.calls) == 3


@pytest.mark.parametrize(
    "login",
    ["shop app[bot]", "<script>", "", 42, None, "shop-app", "a" * 60 + "[bot]"],
    ids=["space", "markup", "empty", "number", "null", "bare-slug", "too-long"],
)
@responses.activate
def test_an_odd_viewer_login_of_an_installation_token_is_unknown(
    client: GitHubClient, login: object
) -> None:
    # unknown: github-actions[bot] stands in, as before; a bare slug could be a person's login
    responses.post(GRAPHQL, json=with_viewer(login))
    assert client.whoami() is None
    assert [c.request.url for c in responses.calls] == [GRAPHQL]


@responses.activate
def test_a_user_tokens_odd_viewer_login_leaves_get_user(gate: PassGate) -> None:
    client = GitHubClient("https://api.github.com", "ghp_secret", "octo/demo", gate)
    responses.post(GRAPHQL, json=with_viewer("no such login!"))
    responses.get(f"{API}/user", json={"login": "octocat"})
    assert client.whoami() == "octocat"


@responses.activate
def test_a_user_token_is_named_by_the_viewer_without_get_user(gate: PassGate) -> None:
    client = GitHubClient("https://api.github.com", "ghp_secret", "octo/demo", gate)
    responses.post(GRAPHQL, json=with_viewer("octocat"))
    assert client.whoami() == "octocat"
    assert [c.request.url for c in responses.calls] == [GRAPHQL]


@pytest.mark.parametrize(
    ("token", "expected", "asked"),
    [("ghp_secret", "octocat", 1), ("ghs_secret", None, 0)],
    ids=["user", "installation"],
)
@responses.activate
def test_without_graphql_the_identity_is_learned_as_before(
    gate: PassGate, token: str, expected: str | None, asked: int
) -> None:
    client = GitHubClient("https://api.github.com", token, "octo/demo", gate)
    responses.post(GRAPHQL, json={"message": "Not Found"}, status=404)
    responses.get(f"{API}/user", json={"login": "octocat"})
    assert client.whoami() == expected
    assert [c.request.url for c in responses.calls].count(f"{API}/user") == asked
    assert "404" in client.warnings[0]


# ---- answers GitHub gives when something failed ----------------------------------------------

SOMETHING_WENT_WRONG = (
    "Something went wrong while executing your query. This may be the result of a timeout, or it "
    "could be a GitHub bug. Please include `ABCD:1234` when reporting this issue."
)


@pytest.mark.parametrize(
    "answer",
    [
        {"data": None, "errors": [{"message": SOMETHING_WENT_WRONG}]},
        {"data": {"createIssue": None}, "errors": [{"message": SOMETHING_WENT_WRONG}]},
    ],
    ids=["no-data", "null-create"],
)
@responses.activate
def test_something_went_wrong_is_a_lost_answer_never_a_refusal(
    client: GitHubClient, answer: Any
) -> None:
    with pytest.raises(UncertainWriteError) as caught:
        create_with(client, answer)
    assert "Something went wrong" in str(caught.value)


@responses.activate
def test_an_error_on_viewer_alone_leaves_the_login_unknown_and_the_run_going() -> None:
    gate = ProcessorGate(Limits(write_interval=0), sleep=lambda _: None)
    client = GitHubClient("https://api.github.com", TOKEN, "octo/demo", gate)
    answer = repository_answer()
    answer["data"]["viewer"] = None
    answer["errors"] = [
        {
            "type": "FORBIDDEN",
            "path": ["viewer"],
            "locations": [{"line": 2, "column": 3}],
            "message": "Resource not accessible by integration",
        }
    ]
    responses.post(GRAPHQL, json=answer)
    responses.post(GRAPHQL, json=created(1))
    assert client.whoami() is None  # an installation token: no GET /user either
    assert client.create_issue("A", "a", ("task",)).number == 1  # the repository's data in use
    assert [c.request.url for c in responses.calls] == [GRAPHQL, GRAPHQL]
    assert client.warnings == ()


@responses.activate
def test_an_error_beside_viewer_still_stops_the_query(client: GitHubClient) -> None:
    answer = {
        "data": {"viewer": {"login": "x[bot]"}, "repository": None},
        "errors": [{"type": "FORBIDDEN", "path": ["repository"], "message": "no"}],
    }
    responses.post(GRAPHQL, json=answer)
    with pytest.raises(ForbiddenError):
        client.create_issue("A", "a", ())


@responses.activate
def test_a_created_issue_naming_another_repository_is_uncertain(client: GitHubClient) -> None:
    answer = created(4)
    answer["data"]["createIssue"]["issue"]["url"] = "https://github.com/octo/other/issues/4"
    with pytest.raises(UncertainWriteError, match="names octo/other#4"):
        create_with(client, answer)


@responses.activate
def test_the_created_author_is_a_login_or_nobody(client: GitHubClient) -> None:
    responses.post(GRAPHQL, json=repository_answer())
    answer = created(4)
    answer["data"]["createIssue"]["issue"]["author"] = {"__typename": "User", "login": "a\nb"}
    responses.post(GRAPHQL, json=answer)
    assert client.create_issue("A", "a", ()).author == ""  # one reader: REST's login rule


@pytest.mark.parametrize("named", ["octo/other", None, 7])
@responses.activate
def test_a_repository_answer_about_another_repository_is_never_used(
    client: GitHubClient, named: object
) -> None:
    answer = repository_answer()
    answer["data"]["repository"]["nameWithOwner"] = named  # its id and labels are another's
    responses.post(GRAPHQL, json=answer)
    rest = rest_created(1, [])
    responses.post(f"{API}/repos/octo/demo/issues", json=rest, status=201)
    assert client.create_issue("A", "a", ("task",), parent=None).number == 1
    assert responses.calls[-1].request.url == f"{API}/repos/octo/demo/issues"  # REST, not R_repo
    assert "the repository query for octo/demo answered about" in client.warnings[0]


def test_a_repository_answer_in_other_letters_is_the_same_repository() -> None:
    with responses.RequestsMock() as mock:
        answer = repository_answer()
        answer["data"]["repository"]["nameWithOwner"] = "Octo/Demo"
        mock.post(GRAPHQL, json=answer)
        mock.post(GRAPHQL, json=created(1))
        client = GitHubClient("https://api.github.com", TOKEN, "octo/demo", PassGate())
        assert client.create_issue("A", "a", ("task",)).number == 1
        assert client.warnings == ()


def timeline(number: object, repository: object = "octo/demo", parent: int = 3) -> Any:
    url = f"https://github.com/octo/demo/issues/{parent}"
    event = {"__typename": "ParentIssueRemovedEvent", "createdAt": "2026-01-01T00:00:00Z"}
    issue = {
        "number": number,
        "timelineItems": {"nodes": [{**event, "parent": {"number": parent, "url": url}}]},
    }
    return {"data": {"repository": {"nameWithOwner": repository, "issue": issue}}}


def removed_with(client: GitHubClient, answer: Any) -> int | None:
    """``client.parent_removed(9)``, the timeline query answered with ``answer``."""
    responses.post(GRAPHQL, json=repository_answer())
    responses.post(GRAPHQL, json=answer)
    return client.parent_removed(9)


@pytest.mark.parametrize(
    "answer",
    [timeline(8), timeline(None), timeline("9"), timeline(True), timeline(9, "octo/other")],
    ids=["another-issue", "no-number", "text", "bool", "another-repository"],
)
@responses.activate
def test_a_timeline_answer_about_another_issue_is_unusable(
    client: GitHubClient, answer: Any
) -> None:
    with pytest.raises(UnusableAnswer, match="the timeline query"):
        removed_with(client, answer)
    assert sent(1)["variables"]["number"] == 9


@responses.activate
def test_a_timeline_answer_about_the_issue_asked_is_used(client: GitHubClient) -> None:
    assert removed_with(client, timeline(9)) == 3


def with_nodes(*nodes: object) -> Any:
    """The timeline answer for #9 holding ``nodes``."""
    answer = timeline(9)
    answer["data"]["repository"]["issue"]["timelineItems"]["nodes"] = list(nodes)
    return answer


EVENT = timeline(9)["data"]["repository"]["issue"]["timelineItems"]["nodes"][0]


@pytest.mark.parametrize(
    "answer",
    [
        with_nodes(EVENT, EVENT),
        with_nodes(None),
        with_nodes({}),
        with_nodes({**EVENT, "__typename": "SubIssueRemovedEvent"}),
        with_nodes({**EVENT, "parent": 3}),
        with_nodes(EVENT, None),
    ],
    ids=["two-events", "null-node", "empty-node", "another-item", "parent-not-object", "extra"],
)
@responses.activate
def test_a_timeline_answer_that_is_not_the_one_event_asked_for_is_unusable(
    client: GitHubClient, answer: Any
) -> None:
    with pytest.raises(UnusableAnswer):
        removed_with(client, answer)


@responses.activate
def test_a_removal_whose_parent_the_answer_cannot_name_is_told_from_none(
    client: GitHubClient,
) -> None:
    assert removed_with(client, with_nodes({**EVENT, "parent": None})) == PARENT_UNNAMED
    responses.post(GRAPHQL, json=with_nodes())
    assert client.parent_removed(9) is None  # never taken out of a parent
