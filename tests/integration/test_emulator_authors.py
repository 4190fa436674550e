"""The emulator's authors and optional list fields: per-issue ``user`` and
``author_association``, ``GET /user`` per token kind, and the switch that leaves
``parent_issue_url`` / ``sub_issues_summary`` out of list answers."""

from __future__ import annotations

import pytest
import requests

from batchsync.emulator import Emulator

REPO = "octo/demo"
# The emu fixture (tests/conftest.py): the job's token, an App's and a person's.
TOKEN = "ghs_actions"
EMULATOR = {
    "limits": "off",
    "tokens": {
        "ghs_app": {"login": "shop-app[bot]"},
        "ghp_user": {"kind": "user", "login": "octocat"},
    },
}


def get(emu: Emulator, token: str, path: str) -> requests.Response:
    return requests.get(f"{emu.url}{path}", headers={"Authorization": f"token {token}"}, timeout=5)


def post(emu: Emulator, token: str, path: str, body: dict[str, object]) -> requests.Response:
    headers = {"Authorization": f"token {token}"}
    return requests.post(f"{emu.url}{path}", json=body, headers=headers, timeout=5)


def test_get_user_names_a_user_token_and_refuses_installation_tokens(emu: Emulator) -> None:
    assert get(emu, "ghp_user", "/user").json()["login"] == "octocat"
    for token in ("ghs_actions", "ghs_app"):
        refused = get(emu, token, "/user")
        assert refused.status_code == 403
        assert refused.json()["message"] == "Resource not accessible by integration"


def test_issues_show_who_wrote_them(emu: Emulator) -> None:
    repo = emu.add_repo(REPO)
    repo.collaborators.add("ana")
    post(emu, "ghs_actions", f"/repos/{REPO}/issues", {"title": "by the workflow"})
    post(emu, "ghs_app", f"/repos/{REPO}/issues", {"title": "by the app"})
    post(emu, "ghp_user", f"/repos/{REPO}/issues", {"title": "by a person"})
    repo.add_issue("by the owner")
    repo.add_issue("by a collaborator", author="ana")
    repo.add_issue("by a stranger", author="mallory")
    listed = get(emu, "ghs_actions", f"/repos/{REPO}/issues?direction=asc").json()
    shown = [(i["user"]["login"], i["user"]["type"], i["author_association"]) for i in listed]
    assert shown == [
        ("github-actions[bot]", "Bot", "NONE"),
        ("shop-app[bot]", "Bot", "NONE"),
        ("octocat", "User", "NONE"),
        ("octo", "User", "OWNER"),
        ("ana", "User", "COLLABORATOR"),
        ("mallory", "User", "NONE"),
    ]


@pytest.mark.parametrize(
    ("fields", "parent_url", "summary"),
    [("both", True, True), ("summary", False, True), ("none", False, False)],
)
def test_list_answers_leave_the_optional_fields_out_on_request(
    fields: str, parent_url: bool, summary: bool
) -> None:
    with Emulator(limits="off", list_fields=fields) as emu:
        repo = emu.add_repo(REPO)
        parent = repo.add_issue("parent")
        child = repo.add_issue("child")
        repo.add_sub_issue(parent, repo.issues[child].id, False)
        listed = {i["number"]: i for i in get(emu, "t", f"/repos/{REPO}/issues").json()}
        assert ("parent_issue_url" in listed[child]) is parent_url
        assert ("sub_issues_summary" in listed[parent]) is summary
        subs = get(emu, "t", f"/repos/{REPO}/issues/{parent}/sub_issues").json()
        assert ("parent_issue_url" in subs[0]) is parent_url
        # single-issue answers keep them, as github.com does for a sub-issue
        single = get(emu, "t", f"/repos/{REPO}/issues/{child}").json()
        assert single["parent_issue_url"].endswith(f"/issues/{parent}")
        assert "sub_issues_summary" in get(emu, "t", f"/repos/{REPO}/issues/{parent}").json()
        assert get(emu, "t", f"/repos/{REPO}/issues/{child}/parent").json()["number"] == parent


def test_an_unknown_list_fields_reading_is_refused() -> None:
    with pytest.raises(ValueError, match="list_fields"):
        Emulator(list_fields="some")
