"""GitHub-shaped JSON for the emulator's state: users, labels, issues, repositories.

Every URL is built from the base the request came in on, so clients that check hosts are happy.
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import quote

from batchsync.emulator.dependencies import summary
from batchsync.emulator.graphql import (
    issue_node_id,
    issue_type_node_id,
    label_node_id,
    repo_node_id,
)
from batchsync.emulator.issue_types import served, type_of
from batchsync.emulator.state import (
    CommentState,
    IssueState,
    IssueTypeState,
    LabelState,
    Repo,
    UserRef,
)

__all__ = [
    "LIST_FIELDS",
    "comment_json",
    "iso",
    "issue_json",
    "issue_type_json",
    "label_json",
    "node_id",
    "repo_json",
    "user_json",
]


def iso(epoch: float | None) -> str | None:
    """GitHub's timestamp format, ``2026-01-02T03:04:05Z``."""
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def node_id(kind: str, ident: int) -> str:
    """A stable GraphQL-style node id."""
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()


def user_json(user: UserRef, api: str, web: str) -> dict[str, Any]:
    """The ``simple-user`` object."""
    u = f"{api}/users/{user.login}"
    return {
        "login": user.login,
        "id": user.id,
        "node_id": node_id("User", user.id),
        "avatar_url": f"{web}/avatars/u/{user.id}?v=4",
        "gravatar_id": "",
        "url": u,
        "html_url": f"{web}/{user.login}",
        "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events",
        "type": user.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def label_json(repo: Repo, label: LabelState, api: str) -> dict[str, Any]:
    """The ``label`` object."""
    return {
        "id": label.id,
        "node_id": label_node_id(repo, label),
        "url": f"{api}/repos/{repo.full_name}/labels/{quote(label.name, safe='')}",
        "name": label.name,
        "color": label.color,
        "default": label.default,
        "description": label.description,
    }


def _milestone_json(repo: Repo, number: int | None, api: str, web: str) -> dict[str, Any] | None:
    milestone = repo.milestones.get(number) if number is not None else None
    if milestone is None:
        return None
    owner = UserRef(repo.owner, repo.owner_id)
    url = f"{api}/repos/{repo.full_name}/milestones/{milestone.number}"
    return {
        "url": url,
        "html_url": f"{web}/{repo.full_name}/milestone/{milestone.number}",
        "labels_url": f"{url}/labels",
        "id": milestone.id,
        "node_id": node_id("Milestone", milestone.id),
        "number": milestone.number,
        "state": milestone.state,
        "title": milestone.title,
        "description": None,
        "creator": user_json(owner, api, web),
        "open_issues": 0,
        "closed_issues": 0,
        "created_at": iso(milestone.created_at),
        "updated_at": iso(milestone.created_at),
        "closed_at": None,
        "due_on": None,
    }


def _summary(repo: Repo, issue: IssueState) -> dict[str, int]:
    total = len(issue.children)
    done = sum(1 for n in issue.children if repo.issues[n].state == "closed")
    return {
        "total": total,
        "completed": done,
        "percent_completed": (done * 100) // total if total else 0,
    }


LIST_FIELDS = ("both", "summary", "none")


def issue_type_json(repo: Repo, kind: IssueTypeState) -> dict[str, Any]:
    """The ``issue-type`` object."""
    stamp = iso(kind.created_at)
    return {
        "id": kind.id,
        "node_id": issue_type_node_id(repo.owner_id, kind.id),
        "name": kind.name,
        "description": kind.description,
        "color": kind.color,
        "created_at": stamp,
        "updated_at": stamp,
        "is_enabled": kind.is_enabled,
    }


def _new_fields(repo: Repo, issue: IssueState, data: dict[str, Any], *, summaries: bool) -> None:
    """``type`` where the repository has issue types, ``issue_dependencies_summary`` where the
    server has dependencies (like ``sub_issues_summary``, left out of lists with "none")."""
    if served(repo):
        kind = type_of(repo, issue.type_id)
        data["type"] = issue_type_json(repo, kind) if kind is not None else None
    if repo.store.dependencies and summaries:
        data["issue_dependencies_summary"] = summary(repo.store, issue)


def issue_json(
    repo: Repo,
    issue: IssueState,
    api: str,
    web: str,
    *,
    full: bool = False,
    list_fields: str = "both",
) -> dict[str, Any]:
    """The ``issue`` object (pull requests carry a ``pull_request`` key, as on GitHub).

    ``full`` adds what GitHub sends only for one issue, not in lists (``closed_by``).
    ``list_fields`` is for a list answer: GitHub's schema makes ``parent_issue_url`` and
    ``sub_issues_summary`` optional, and whether lists carry them is not promised: "both" sends
    them, "summary" leaves ``parent_issue_url`` out, "none" leaves both out.
    """
    base = f"{api}/repos/{repo.full_name}"
    url = f"{base}/issues/{issue.number}"
    kind = "pull" if issue.is_pull else "issues"
    assignees = [user_json(UserRef(a, _user_id(a)), api, web) for a in issue.assignees]
    data: dict[str, Any] = {
        "url": url,
        "repository_url": base,
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": f"{web}/{repo.full_name}/{kind}/{issue.number}",
        "id": issue.id,
        "node_id": issue_node_id(repo, issue),
        "number": issue.number,
        "title": issue.title,
        "user": user_json(issue.user, api, web),
        "labels": [
            label_json(repo, label, api)
            for i in issue.label_ids
            if (label := repo.label_by_id(i)) is not None
        ],
        "state": issue.state,
        "locked": issue.locked,
        "assignee": assignees[0] if assignees else None,
        "assignees": assignees,
        "milestone": _milestone_json(repo, issue.milestone, api, web),
        "comments": len(issue.comments),
        "created_at": iso(issue.created_at),
        "updated_at": iso(issue.updated_at),
        "closed_at": iso(issue.closed_at),
        "author_association": _association(repo, issue.user),
        "active_lock_reason": None,
        "body": issue.body,
        "reactions": _reactions(url),
        "timeline_url": f"{url}/timeline",
        "performed_via_github_app": None,
        "state_reason": issue.state_reason,
    }
    if full:
        data["closed_by"] = user_json(issue.closed_by, api, web) if issue.closed_by else None
    if issue.is_pull:
        pull = f"{base}/pulls/{issue.number}"
        web_pull = f"{web}/{repo.full_name}/pull/{issue.number}"
        data["draft"] = False
        data["pull_request"] = {
            "url": pull,
            "html_url": web_pull,
            "diff_url": f"{web_pull}.diff",
            "patch_url": f"{web_pull}.patch",
            "merged_at": None,
        }
    else:
        if list_fields != "none":
            data["sub_issues_summary"] = _summary(repo, issue)
        if issue.parent is not None and list_fields == "both":
            data["parent_issue_url"] = f"{base}/issues/{issue.parent}"
        _new_fields(repo, issue, data, summaries=list_fields != "none")
    return data


def comment_json(
    repo: Repo, issue: IssueState, comment: CommentState, api: str, web: str
) -> dict[str, Any]:
    """The ``issue-comment`` object."""
    base = f"{api}/repos/{repo.full_name}"
    url = f"{base}/issues/comments/{comment.id}"
    kind = "pull" if issue.is_pull else "issues"
    return {
        "url": url,
        "html_url": f"{web}/{repo.full_name}/{kind}/{issue.number}#issuecomment-{comment.id}",
        "issue_url": f"{base}/issues/{issue.number}",
        "id": comment.id,
        "node_id": node_id("IssueComment", comment.id),
        "user": user_json(comment.user, api, web),
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
        "author_association": _association(repo, comment.user),
        "body": comment.body,
        "reactions": _reactions(url),
        "performed_via_github_app": None,
    }


def _association(repo: Repo, user: UserRef) -> str:
    if user.login.lower() == repo.owner.lower():
        return "OWNER"
    return "COLLABORATOR" if user.login.lower() in repo.collaborators else "NONE"


def _reactions(url: str) -> dict[str, Any]:
    counts = dict.fromkeys(
        ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0
    )
    return {"url": f"{url}/reactions", "total_count": 0, **counts}


def _user_id(login: str) -> int:
    """A stable id for a login that was never registered (assignees are free text here)."""
    return 10_000_000 + sum(ord(c) * (i + 1) for i, c in enumerate(login)) % 9_000_000


def repo_json(repo: Repo, api: str, web: str) -> dict[str, Any]:
    """The ``full-repository`` object."""
    base = f"{api}/repos/{repo.full_name}"
    owner = user_json(UserRef(repo.owner, repo.owner_id, repo.owner_type), api, web)
    stamp = iso(repo.created_at)
    templated = {
        "archive_url": "/{archive_format}{/ref}",
        "assignees_url": "/assignees{/user}",
        "blobs_url": "/git/blobs{/sha}",
        "branches_url": "/branches{/branch}",
        "collaborators_url": "/collaborators{/collaborator}",
        "comments_url": "/comments{/number}",
        "commits_url": "/commits{/sha}",
        "compare_url": "/compare/{base}...{head}",
        "contents_url": "/contents/{+path}",
        "contributors_url": "/contributors",
        "deployments_url": "/deployments",
        "downloads_url": "/downloads",
        "events_url": "/events",
        "forks_url": "/forks",
        "git_commits_url": "/git/commits{/sha}",
        "git_refs_url": "/git/refs{/sha}",
        "git_tags_url": "/git/tags{/sha}",
        "issue_comment_url": "/issues/comments{/number}",
        "issue_events_url": "/issues/events{/number}",
        "issues_url": "/issues{/number}",
        "keys_url": "/keys{/key_id}",
        "labels_url": "/labels{/name}",
        "languages_url": "/languages",
        "merges_url": "/merges",
        "milestones_url": "/milestones{/number}",
        "notifications_url": "/notifications{?since,all,participating}",
        "pulls_url": "/pulls{/number}",
        "releases_url": "/releases{/id}",
        "stargazers_url": "/stargazers",
        "statuses_url": "/statuses/{sha}",
        "subscribers_url": "/subscribers",
        "subscription_url": "/subscription",
        "tags_url": "/tags",
        "teams_url": "/teams",
        "trees_url": "/git/trees{/sha}",
        "hooks_url": "/hooks",
    }
    open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
    data: dict[str, Any] = {
        "id": repo.id,
        "node_id": repo_node_id(repo),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": True,
        "owner": owner,
        "html_url": f"{web}/{repo.full_name}",
        "description": None,
        "fork": False,
        "url": base,
        **{key: base + suffix for key, suffix in templated.items()},
        "git_url": f"git://{web.split('://', 1)[-1]}/{repo.full_name}.git",
        "ssh_url": f"git@{web.split('://', 1)[-1].split(':', maxsplit=1)[0]}:{repo.full_name}.git",
        "clone_url": f"{web}/{repo.full_name}.git",
        "svn_url": f"{web}/{repo.full_name}",
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 0,
        "default_branch": "main",
        "open_issues_count": open_issues,
        "open_issues": open_issues,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "private",
        "pushed_at": stamp,
        "created_at": stamp,
        "updated_at": stamp,
        "permissions": {
            "admin": False,
            "maintain": False,
            "push": True,
            "triage": True,
            "pull": True,
        },
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "network_count": 0,
        "subscribers_count": 0,
        "license": None,
        "temp_clone_token": None,
    }
    return data
