"""batchsync's GraphQL documents and the emulator's /graphql, checked against GitHub's schema.

The schema is a vendored extract of ``@octokit/graphql-schema`` (``extract_graphql.py``);
``graphql-core`` validates each document exactly as a GraphQL server would before running it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    build_schema,
    parse,
    validate,
)
from graphql.type import GraphQLSchema

from batchsync.emulator import Emulator, ManualClock
from batchsync.emulator.graphql import CREATE_ISSUE_INPUT, GraphQLApi, GraphQLConfig
from batchsync.emulator.state import Store, UserRef
from batchsync.github_graphql import OPERATIONS, PARENT_REMOVED, REPOSITORY_QUERY

HERE = Path(__file__).resolve().parent
ME = UserRef("me", 1)


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema((HERE / "github-graphql-subset.graphql").read_text(encoding="utf-8"))


@pytest.mark.parametrize("document", OPERATIONS, ids=lambda d: d.split("(")[0])
def test_every_document_batchsync_sends_is_valid_on_githubs_schema(
    schema: GraphQLSchema, document: str
) -> None:
    assert validate(schema, parse(document)) == []


def test_the_schema_check_catches_a_field_github_lacks(schema: GraphQLSchema) -> None:
    broken = REPOSITORY_QUERY.replace("nodes { id name }", "nodes { id name stars }")
    assert validate(schema, parse(broken))


def test_create_issue_input_is_githubs_and_has_parent_issue_id(schema: GraphQLSchema) -> None:
    created = schema.get_type("CreateIssueInput")
    assert isinstance(created, GraphQLInputObjectType)
    assert set(created.fields) == set(CREATE_ISSUE_INPUT)
    assert "parentIssueId" in created.fields


def test_githubs_public_create_issue_input_has_no_issue_type(schema: GraphQLSchema) -> None:
    # why GitHubClient types a GraphQL create by one REST PATCH after it (and writes dependencies
    # by REST: the public schema has no addBlockedBy either): a schema that gains issueTypeId is
    # the time to send it in the create itself
    created = schema.get_type("CreateIssueInput")
    assert isinstance(created, GraphQLInputObjectType)
    assert "issueTypeId" not in created.fields


def test_every_field_the_emulator_serves_is_on_githubs_schema(schema: GraphQLSchema) -> None:
    api = GraphQLApi(Store(ManualClock()), GraphQLConfig(), lambda req: None)  # type: ignore[arg-type,return-value]
    tables: dict[str, dict[str, Any]] = api._types
    for type_name, fields in tables.items():
        if type_name.startswith("__"):
            continue  # introspection is part of every GraphQL schema
        github = schema.get_type(type_name)
        if isinstance(github, GraphQLUnionType):  # served through ``... on`` its members
            assert fields == {}, type_name
            assert api._unions[type_name] <= {t.name for t in github.types}, type_name
            continue
        assert isinstance(github, GraphQLObjectType | GraphQLInterfaceType), type_name
        for name, (accepted, _) in fields.items():
            if name.startswith("__"):
                continue
            assert name in github.fields, f"{type_name}.{name}"
            assert set(accepted) <= set(github.fields[name].args), f"{type_name}.{name}"


def test_the_emulators_answer_fits_the_documents_selection(schema: GraphQLSchema) -> None:
    with Emulator(limits="off", clock=ManualClock()) as emu:
        emu.add_repo("o/r").add_label("task")
        answer = requests.post(
            emu.url + "/graphql",
            json={"query": REPOSITORY_QUERY, "variables": {"owner": "o", "name": "r"}},
            headers={"authorization": "token t"},
            timeout=10,
        ).json()
    repo = answer["data"]["repository"]
    assert set(repo) == {"id", "nameWithOwner", "labels"}
    assert repo["nameWithOwner"] == "o/r"
    assert set(repo["labels"]) == {"nodes", "pageInfo"}
    assert set(repo["labels"]["pageInfo"]) == {"hasNextPage", "endCursor"}
    assert set(answer["data"]["__type"]) == {"inputFields"}


def test_the_emulators_timeline_answer_fits_the_documents_selection(schema: GraphQLSchema) -> None:
    with Emulator(limits="off", clock=ManualClock()) as emu:
        repo = emu.add_repo("o/r")
        epic = repo.create_issue(ME, {"title": "epic"})
        task = repo.create_issue(ME, {"title": "task"})
        repo.add_sub_issue(epic.number, task.id, False)
        repo.remove_sub_issue(epic.number, task.id, ME)
        variables = {"owner": "o", "name": "r", "number": task.number}
        answer = requests.post(
            emu.url + "/graphql",
            json={"query": PARENT_REMOVED, "variables": variables},
            headers={"authorization": "token t"},
            timeout=10,
        ).json()
    answered = answer["data"]["repository"]
    assert (answered["nameWithOwner"], answered["issue"]["number"]) == ("o/r", task.number)
    [event] = answered["issue"]["timelineItems"]["nodes"]
    assert set(event) == {"__typename", "createdAt", "parent"}
    assert event["__typename"] == "ParentIssueRemovedEvent"
    assert event["parent"]["number"] == epic.number
    assert event["parent"]["url"].endswith(f"/o/r/issues/{epic.number}")
