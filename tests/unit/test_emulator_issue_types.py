"""The emulator's issue types: an organisation's list, ``type`` on issues (``issue_types.py``)."""

from __future__ import annotations

import pytest

from batchsync.emulator import ManualClock
from batchsync.emulator.issue_types import (
    DEFAULT_ISSUE_TYPES,
    org_types,
    repo_types,
    requested_type,
)
from batchsync.emulator.protocol import ApiFailure
from batchsync.emulator.shapes import issue_json, repo_json
from batchsync.emulator.state import Repo, Store


def store(types: tuple[str, ...] | None = DEFAULT_ISSUE_TYPES) -> Store:
    made = Store(ManualClock())
    made.issue_types = types
    return made


@pytest.fixture
def org_repo() -> Repo:
    return store().add_repo("acme/r", owner_id=1)


def test_an_organisation_starts_with_githubs_three_types(org_repo):
    assert [t.name for t in org_types(org_repo)] == ["Task", "Bug", "Feature"]
    again = org_repo.store.add_repo("acme/other", owner_id=1)
    assert [t.id for t in org_types(again)] == [t.id for t in org_types(org_repo)]


def test_a_user_account_and_a_server_without_types_have_none():
    user = store().add_repo("me/r", owner_id=2, owner_type="User")
    off = store(None).add_repo("acme/r", owner_id=1)
    assert org_types(user) == org_types(off) == []


@pytest.mark.parametrize(
    ("given", "name"), [("Bug", "Bug"), ("bug", "Bug"), ({"value": "task"}, "Task")]
)
def test_a_type_is_named_case_insensitively(org_repo, given, name):
    typed, type_id = requested_type(org_repo, {"type": given})
    assert typed
    assert [t.name for t in org_types(org_repo) if t.id == type_id] == [name]


@pytest.mark.parametrize("body", [{}, {"title": "t"}])
def test_a_body_without_type_sets_none(org_repo, body):
    assert requested_type(org_repo, body) == (False, None)


def test_null_removes_the_type(org_repo):
    assert requested_type(org_repo, {"type": None}) == (True, None)
    assert requested_type(org_repo, {"type": {"value": None}}) == (True, None)


def invalid(repo: Repo, value: object) -> dict[str, object]:
    with pytest.raises(ApiFailure) as caught:
        requested_type(repo, {"type": value})
    assert (caught.value.status, caught.value.message) == (422, "Validation Failed")
    return (caught.value.errors or [{}])[0]


@pytest.mark.parametrize("value", ["Epic", "", 7])
def test_an_unknown_type_is_githubs_422(org_repo, value):
    assert invalid(org_repo, value) == {
        "resource": "Issue",
        "code": "invalid",
        "field": "type",
        "value": value,
    }


def test_a_disabled_type_is_refused_and_left_out_of_the_repository_list(org_repo):
    org_types(org_repo)[1].is_enabled = False
    assert invalid(org_repo, "Bug")["field"] == "type"
    assert [t.name for t in repo_types(org_repo)] == ["Task", "Feature"]


def test_a_user_repository_refuses_any_type_but_takes_null():
    user = store().add_repo("me/r", owner_id=2, owner_type="User")
    assert invalid(user, "Bug")["field"] == "type"
    assert requested_type(user, {"type": None}) == (True, None)


def test_a_server_without_types_ignores_the_field():
    off = store(None).add_repo("acme/r", owner_id=1)
    assert requested_type(off, {"type": "Anything"}) == (False, None)


def test_issue_answers_carry_type_only_where_types_exist(org_repo):
    issue = org_repo.issue(org_repo.add_issue("t"))
    assert issue_json(org_repo, issue, "h", "h")["type"] is None
    issue.type_id = org_types(org_repo)[2].id
    shown = issue_json(org_repo, issue, "h", "h")["type"]
    assert (shown["name"], shown["color"], shown["node_id"][:3]) == ("Feature", "blue", "IT_")
    user = org_repo.store.add_repo("me/r", owner_id=2, owner_type="User")
    assert "type" not in issue_json(user, user.issue(user.add_issue("t")), "h", "h")


def test_the_repository_names_its_owner_kind():
    user = store().add_repo("me/r", owner_id=2, owner_type="User")
    assert repo_json(user, "h", "h")["owner"]["type"] == "User"
