"""The adapter's issue types against the emulator, on a server with them and one without.

Every test runs twice (``EMULATOR_VARIANTS``): with GitHub's default types for organisations,
and on a server without issue types, which ignores a ``type`` as any unknown field.
"""

from __future__ import annotations

import pytest

from batchsync.emulator import Emulator
from batchsync.emulator.issue_types import DEFAULT_ISSUE_TYPES
from batchsync.errors import ValidationFailed
from batchsync.github import NO_TYPE, GitHubClient
from batchsync.processor import Gate
from batchsync.ratelimit import Limits

TOKEN = "ghs_issue_types"
REPO = "acme/work"
EMULATOR_VARIANTS = {
    "types": {"issue_types": DEFAULT_ISSUE_TYPES},
    "no-types": {"issue_types": None},
}
UNPACED = Limits(write_interval=0, creates_per_minute=0, creates_per_hour=0, retry_delay=0)


def client(emu: Emulator, repo: str = REPO, *, graphql: bool = False) -> GitHubClient:
    gate = Gate(UNPACED, clock=emu.clock.now, sleep=emu.clock.sleep)
    return GitHubClient(emu.url, TOKEN, repo, gate, graphql=graphql)


def served(emu: Emulator) -> bool:
    return emu.service.store.issue_types is not None


def test_an_organisations_repository_names_its_types(emu: Emulator) -> None:
    found = client(emu).issue_types()
    assert found == (("Task", "Bug", "Feature") if served(emu) else None)
    assert emu.stats.total == (1 if served(emu) else 2)  # without them: repository, then org


def test_a_user_accounts_repository_has_none(emu: Emulator) -> None:
    emu.add_repo("someone/mine", user_owned=True)
    assert client(emu, "someone/mine").issue_types() is None


def test_a_create_sets_the_type_where_types_exist(emu: Emulator) -> None:
    issue = client(emu).create_issue("T", "B", ("task",), issue_type="bug")
    if served(emu):
        assert (issue.issue_type, issue.type_known) == ("Bug", True)
    else:  # ignored, and the answer says nothing about types
        assert (issue.issue_type, issue.type_known) == (None, False)


def test_an_update_sets_and_takes_off_the_type(emu: Emulator) -> None:
    github = client(emu)
    number = github.create_issue("T", "B", ()).number
    assert github.update_issue(number, issue_type="Feature").issue_type == (
        "Feature" if served(emu) else None
    )
    cleared = github.update_issue(number, issue_type=NO_TYPE)
    assert (cleared.issue_type, cleared.type_known) == (None, served(emu))


def test_an_unknown_type_is_refused_where_types_exist(emu: Emulator) -> None:
    github = client(emu)
    if served(emu):
        with pytest.raises(ValidationFailed, match="type"):
            github.create_issue("T", "B", (), issue_type="Epic")
        assert emu.issues(REPO) == []
    else:
        assert github.create_issue("T", "B", (), issue_type="Epic").issue_type is None


def test_a_user_repository_refuses_a_type_where_types_exist(emu: Emulator) -> None:
    emu.add_repo("someone/mine", user_owned=True)
    github = client(emu, "someone/mine")
    if served(emu):
        with pytest.raises(ValidationFailed):
            github.create_issue("T", "B", (), issue_type="Bug")
    else:
        assert github.create_issue("T", "B", (), issue_type="Bug").number == 1


def test_a_graphql_child_is_created_linked_then_typed_by_one_patch(emu: Emulator) -> None:
    github = client(emu, graphql=True)
    parent = github.create_issue("P", "B", ("task",))  # a new label: REST makes it
    child = github.create_issue("C", "B", ("task",), parent=parent.number, issue_type="Task")
    assert child.parent_number == parent.number
    assert child.issue_type == ("Task" if served(emu) else None)
    assert emu.stats.operations("createIssue") == 1
    assert emu.stats.count("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}") == 1
    assert emu.sub_issues(REPO, parent.number) == [child.number]
