"""The REST endpoints: path templates, their handlers, and pagination."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlencode

from batchsync.emulator.dependencies import add_blocked_by, blocked, blockers, remove_blocked_by
from batchsync.emulator.graphql import GraphQLApi, GraphQLConfig
from batchsync.emulator.issue_types import (
    DEFAULT_ISSUE_TYPES,
    org_types,
    repo_types,
    requested_type,
)
from batchsync.emulator.limits import Decision, Limiter, Resource
from batchsync.emulator.protocol import (
    ApiFailure,
    Charge,
    RawJson,
    Request,
    Response,
    not_found,
    validation_failed,
)
from batchsync.emulator.search import search
from batchsync.emulator.shapes import (
    LIST_FIELDS,
    comment_json,
    issue_json,
    issue_type_json,
    label_json,
    repo_json,
    user_json,
)
from batchsync.emulator.state import IssueState, Repo, Store, UserRef

__all__ = ["INTEGRATION_FORBIDDEN", "Api", "Route", "author_of"]

INTEGRATION_FORBIDDEN = "Resource not accessible by integration"
ACTIONS_BOT = UserRef("github-actions[bot]", 41_898_282, "Bot")
Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """One endpoint: method, GitHub's path template, and how it is charged."""

    method: str
    template: str
    handler: Handler
    creates: bool = False  # counts against the content-creation limits
    resource: Resource | None = Resource.CORE  # None: free (``GET /rate_limit``)
    pattern: re.Pattern[str] | None = None
    # GraphQL: the body decides the cost, and limit refusals have their own shape
    charge: Callable[[bytes], Charge] | None = None
    refused: Callable[[Decision, Charge], Response] | None = None

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The captured path values when this route serves the request."""
        if method != self.method or self.pattern is None:
            return None
        found = self.pattern.fullmatch(path)  # on the raw path: "%2F" in a label name stays put
        return {k: unquote(v) for k, v in found.groupdict().items()} if found else None


def _compile(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)))


def author_of(req: Request) -> UserRef:
    """The account a token acts as."""
    who = req.identity
    if who is None or who.login == ACTIONS_BOT.login:
        return ACTIONS_BOT
    return UserRef(who.login, who.user_id, "Bot" if who.kind == "installation" else "User")


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiFailure(400, "Problems parsing JSON")
    return body


def _int_param(req: Request, name: str, default: int, low: int, high: int) -> int:
    raw = req.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return max(low, min(high, int(raw)))
    except ValueError:
        return default


def paginate(req: Request, items: Sequence[Any], link_base: str) -> tuple[Sequence[Any], str]:
    """One page of ``items`` and GitHub's ``link`` header (``""`` when it all fits)."""
    per_page = _int_param(req, "per_page", 30, 1, 100)
    page = _int_param(req, "page", 1, 1, 1_000_000)
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    kept = [(k, v) for k, v in req.query_pairs if k != "page"]

    def url(n: int) -> str:
        return f"{link_base}?{urlencode([*kept, ('page', str(n))])}"

    rels: list[str] = []
    if page > 1:
        rels.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < last:
        rels.append(f'<{url(page + 1)}>; rel="next"')
        rels.append(f'<{url(last)}>; rel="last"')
    if page > 1:
        rels.append(f'<{url(1)}>; rel="first"')
    return chunk, ", ".join(rels)


def _listing(body: list[Any] | RawJson, link: str) -> Response:
    return Response(200, body, {"link": link} if link else {})


def _parse_since(raw: str) -> float:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise validation_failed("Issue", "since", "invalid", value=raw) from None


class Api:
    """Every endpoint the emulator serves, over one ``Store``."""

    def __init__(
        self,
        store: Store,
        limiter: Limiter,
        *,
        sub_issues: bool = True,
        search_lag: float = 10.0,
        graphql: GraphQLConfig | None = None,
        seed: int = 0,
        list_fields: str = "both",
        dependencies: bool = True,
        issue_types: Sequence[str] | None = DEFAULT_ISSUE_TYPES,
    ) -> None:
        if list_fields not in LIST_FIELDS:
            raise ValueError(f"list_fields must be one of {LIST_FIELDS}, got {list_fields!r}")
        self.store = store
        self.limiter = limiter
        self.search_lag = search_lag
        self.list_fields = list_fields  # what list answers carry of the optional sub-issue fields
        store.dependencies = dependencies
        store.issue_types = tuple(issue_types) if issue_types is not None else None
        self._rendered: dict[tuple[int, str, str, bool, str], tuple[int, bytes]] = {}
        repo_path = "/repos/{owner}/{repo}"
        issue_path = repo_path + "/issues/{issue_number}"
        table: list[Route] = [
            Route("GET", "/rate_limit", self.rate_limit, resource=None),
            Route("GET", "/user", self.user),
            Route("GET", "/search/issues", self.search_issues, resource=Resource.SEARCH),
            Route("GET", repo_path, self.get_repo),
            Route("GET", "/repositories/{repo_id}", self.get_repo),
            Route("GET", repo_path + "/issues", self.list_issues),
            Route("GET", "/repositories/{repo_id}/issues", self.list_issues),
            Route("POST", repo_path + "/issues", self.create_issue, creates=True),
            Route("GET", issue_path, self.get_issue),
            Route("PATCH", issue_path, self.update_issue),
            # where a 301 for a transferred issue points (GitHub serves, does not describe it)
            Route("GET", "/repositories/{repo_id}/issues/{issue_number}", self.get_issue),
            Route("PATCH", "/repositories/{repo_id}/issues/{issue_number}", self.update_issue),
            Route("GET", repo_path + "/labels", self.list_labels),
            Route("POST", repo_path + "/labels", self.create_label, creates=True),
            Route("GET", repo_path + "/labels/{name}", self.get_label),
            Route("PATCH", repo_path + "/labels/{name}", self.update_label),
            Route("DELETE", repo_path + "/labels/{name}", self.delete_label),
            Route("GET", issue_path + "/labels", self.issue_labels),
            Route("POST", issue_path + "/labels", self.add_issue_labels),
            Route("PUT", issue_path + "/labels", self.set_issue_labels),
            Route("DELETE", issue_path + "/labels", self.clear_issue_labels),
            Route("DELETE", issue_path + "/labels/{name}", self.remove_issue_label),
            Route("GET", issue_path + "/comments", self.list_comments),
            Route(
                "GET", "/repositories/{repo_id}/issues/{issue_number}/comments", self.list_comments
            ),
            Route("POST", issue_path + "/comments", self.create_comment, creates=True),
        ]
        if sub_issues:
            table += [
                Route("GET", issue_path + "/sub_issues", self.list_sub_issues),
                Route("POST", issue_path + "/sub_issues", self.add_sub_issue, creates=True),
                Route("DELETE", issue_path + "/sub_issue", self.remove_sub_issue),
                Route("GET", issue_path + "/parent", self.get_parent),
            ]
        if dependencies:  # an older server (GHES) without them answers 404 on these paths
            deps = issue_path + "/dependencies"
            table += [
                Route("GET", deps + "/blocked_by", self.list_blocked_by),
                Route("POST", deps + "/blocked_by", self.add_blocked_by, creates=True),
                # GitHub warns of secondary limits on removing as on adding: content, both
                Route(
                    "DELETE", deps + "/blocked_by/{issue_id}", self.remove_blocked_by, creates=True
                ),
                Route("GET", deps + "/blocking", self.list_blocking),
            ]
        if issue_types is not None:
            table += [
                Route("GET", "/orgs/{org}/issue-types", self.org_issue_types),
                Route("GET", repo_path + "/issue-types", self.repo_issue_types),
            ]
        if graphql is not None:
            gql = GraphQLApi(store, graphql, author_of, seed)
            table.append(
                Route(
                    "POST",
                    "/graphql",
                    gql.handle,
                    resource=Resource.GRAPHQL,
                    charge=gql.charge,
                    refused=gql.refused,
                )
            )
        self.routes = tuple(dataclasses.replace(r, pattern=_compile(r.template)) for r in table)

    def route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route serving ``method path`` and its captured values."""
        if method == "HEAD":
            method = "GET"
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None

    # --- helpers ------------------------------------------------------------------------

    def _repo(self, req: Request) -> Repo:
        if "repo_id" in req.params:
            return self.store.repo_by_id(req.params["repo_id"])
        return self.store.repo(req.params["owner"], req.params["repo"])

    def _issue(self, req: Request, repo: Repo) -> IssueState:
        return repo.issue(req.params["issue_number"])

    def _issue_json(
        self,
        req: Request,
        repo: Repo,
        issue: IssueState,
        *,
        full: bool = False,
        listed: bool = False,
    ) -> dict[str, Any]:
        # Only list answers may leave the optional sub-issue fields out (``list_fields``).
        fields = self.list_fields if listed else "both"
        return issue_json(repo, issue, req.api_base, req.web_base, full=full, list_fields=fields)

    def _issue_bytes(
        self, req: Request, repo: Repo, issue: IssueState, *, full: bool = False
    ) -> bytes:
        """The issue as JSON, rendered once per state of the store (lists re-read a lot)."""
        key = (issue.id, req.api_base, req.web_base, full, self.list_fields)
        cached = self._rendered.get(key)
        if cached is not None and cached[0] == self.store.generation:
            return cached[1]
        data = json.dumps(self._issue_json(req, repo, issue, full=full, listed=not full)).encode()
        self._rendered[key] = (self.store.generation, data)
        return data

    def _issue_list(self, req: Request, repo: Repo, issues: Sequence[IssueState]) -> RawJson:
        return RawJson(b"[" + b", ".join(self._issue_bytes(req, repo, i) for i in issues) + b"]")

    # --- account and limits -------------------------------------------------------------

    def rate_limit(self, req: Request) -> Response:
        """``GET /rate_limit``: free of charge."""
        assert req.identity is not None
        core = self.limiter.snapshot(req.identity, Resource.CORE)
        search = self.limiter.snapshot(req.identity, Resource.SEARCH)
        graphql = self.limiter.snapshot(req.identity, Resource.GRAPHQL)
        return Response(
            200,
            {
                "resources": {"core": core, "search": search, "graphql": graphql},
                "rate": core,
            },
        )

    def user(self, req: Request) -> Response:
        """``GET /user``: installation tokens (``GITHUB_TOKEN``) are refused, as on GitHub."""
        who = req.identity
        assert who is not None
        if who.kind == "installation":
            raise ApiFailure(
                403,
                INTEGRATION_FORBIDDEN,
                documentation_url="https://docs.github.com/rest/users/users#get-the-authenticated-user",
            )
        data = user_json(UserRef(who.login, who.user_id), req.api_base, req.web_base)
        data.update(
            name=None,
            company=None,
            blog="",
            location=None,
            email=None,
            hireable=None,
            bio=None,
            twitter_username=None,
            public_repos=0,
            public_gists=0,
            followers=0,
            following=0,
            created_at="2020-01-01T00:00:00Z",
            updated_at="2020-01-01T00:00:00Z",
        )
        return Response(200, data)

    # --- repository and issues ----------------------------------------------------------

    def get_repo(self, req: Request) -> Response:
        """``GET /repos/{owner}/{repo}``."""
        repo = self._repo(req)
        return Response(200, repo_json(repo, req.api_base, req.web_base))

    def list_issues(self, req: Request) -> Response:
        """``GET /repos/{owner}/{repo}/issues``: filters, sort and a ``link`` header."""
        repo = self._repo(req)
        chosen = self._filter(req, repo, list(repo.issues.values()))
        page, link = paginate(req, chosen, f"{req.api_base}/repositories/{repo.id}/issues")
        return _listing(self._issue_list(req, repo, page), link)

    def _filter(self, req: Request, repo: Repo, issues: list[IssueState]) -> list[IssueState]:
        q = req.query
        state = q.get("state") or "open"
        if state not in ("open", "closed", "all"):
            raise validation_failed("Issue", "state", "invalid", value=state)
        if state != "all":
            issues = [i for i in issues if i.state == state]
        wanted = [n.strip().lower() for n in (q.get("labels") or "").split(",") if n.strip()]
        if wanted:
            issues = [i for i in issues if set(wanted) <= self._label_names(repo, i)]
        if q.get("since"):
            since = _parse_since(q["since"])
            issues = [i for i in issues if i.updated_at >= since]
        if q.get("creator"):
            issues = [i for i in issues if i.user.login == q["creator"]]
        assignee = q.get("assignee")
        if assignee == "none":
            issues = [i for i in issues if not i.assignees]
        elif assignee and assignee != "*":
            issues = [i for i in issues if assignee in i.assignees]
        return self._sorted(req, issues)

    def _sorted(self, req: Request, issues: list[IssueState]) -> list[IssueState]:
        q = req.query
        sort = q.get("sort") or "created"
        keys: dict[str, Callable[[IssueState], Any]] = {
            "created": lambda i: (i.created_at, i.number),
            "updated": lambda i: (i.updated_at, i.number),
            "comments": lambda i: (len(i.comments), i.number),
        }
        if sort not in keys:
            raise validation_failed("Issue", "sort", "invalid", value=sort)
        descending = (q.get("direction") or "desc") != "asc"
        if sort == "created":  # the store keeps creation order already: skip the sort
            return issues[::-1] if descending else issues
        return sorted(issues, key=keys[sort], reverse=descending)

    def _label_names(self, repo: Repo, issue: IssueState) -> set[str]:
        return {
            label.name.lower()
            for i in issue.label_ids
            if (label := repo.label_by_id(i)) is not None
        }

    def create_issue(self, req: Request) -> Response:
        """``POST /repos/{owner}/{repo}/issues``."""
        repo = self._repo(req)
        body = _object(req.body)
        typed, type_id = requested_type(repo, body)  # a 422 for the type makes nothing
        issue = repo.create_issue(author_of(req), body)
        if typed:
            issue.type_id = type_id
        data = self._issue_json(req, repo, issue, full=True)
        return Response(201, data, {"location": data["url"]})

    def get_issue(self, req: Request) -> Response:
        """``GET /repos/{owner}/{repo}/issues/{issue_number}``."""
        repo = self._repo(req)
        issue = self._issue(req, repo)
        return Response(200, RawJson(self._issue_bytes(req, repo, issue, full=True)))

    def update_issue(self, req: Request) -> Response:
        """``PATCH /repos/{owner}/{repo}/issues/{issue_number}``."""
        repo = self._repo(req)
        body = _object(req.body)
        typed, type_id = requested_type(repo, body)
        issue = repo.update_issue(author_of(req), req.params["issue_number"], body)
        if typed:
            issue.type_id = type_id
        return Response(200, self._issue_json(req, repo, issue, full=True))

    # --- labels -------------------------------------------------------------------------

    def list_labels(self, req: Request) -> Response:
        """``GET /repos/{owner}/{repo}/labels``."""
        repo = self._repo(req)
        labels = sorted(repo.labels.values(), key=lambda label: label.name.lower())
        page, link = paginate(req, labels, req.api_base + req.path)
        return _listing([label_json(repo, label, req.api_base) for label in page], link)

    def create_label(self, req: Request) -> Response:
        """``POST /repos/{owner}/{repo}/labels``."""
        repo = self._repo(req)
        data = _object(req.body)
        label = repo.create_label(data.get("name", ""), data.get("color"), data.get("description"))
        body = label_json(repo, label, req.api_base)
        return Response(201, body, {"location": body["url"]})

    def get_label(self, req: Request) -> Response:
        """``GET /repos/{owner}/{repo}/labels/{name}``."""
        repo = self._repo(req)
        return Response(200, label_json(repo, repo.label(req.params["name"]), req.api_base))

    def update_label(self, req: Request) -> Response:
        """``PATCH /repos/{owner}/{repo}/labels/{name}``."""
        repo = self._repo(req)
        label = repo.update_label(req.params["name"], _object(req.body))
        return Response(200, label_json(repo, label, req.api_base))

    def delete_label(self, req: Request) -> Response:
        """``DELETE /repos/{owner}/{repo}/labels/{name}``."""
        self._repo(req).delete_label(req.params["name"])
        return Response(204)

    def _labels_of(self, req: Request, repo: Repo, issue: IssueState) -> Response:
        return Response(
            200,
            [
                label_json(repo, label, req.api_base)
                for i in issue.label_ids
                if (label := repo.label_by_id(i)) is not None
            ],
        )

    def _labels_in_body(self, req: Request) -> list[Any]:
        body = req.body
        if isinstance(body, dict):
            body = body.get("labels", [])
        if not isinstance(body, list):
            raise ApiFailure(400, "Problems parsing JSON")
        return body

    def issue_labels(self, req: Request) -> Response:
        """``GET /repos/{owner}/{repo}/issues/{issue_number}/labels``."""
        repo = self._repo(req)
        return self._labels_of(req, repo, self._issue(req, repo))

    def add_issue_labels(self, req: Request) -> Response:
        """``POST .../issues/{issue_number}/labels``: add to the set."""
        repo = self._repo(req)
        issue = self._issue(req, repo)
        for label_id in repo.label_ids_for(self._labels_in_body(req)):
            if label_id not in issue.label_ids:
                issue.label_ids.append(label_id)
        self._touch(repo, issue)
        return self._labels_of(req, repo, issue)

    def set_issue_labels(self, req: Request) -> Response:
        """``PUT .../issues/{issue_number}/labels``: replace the set."""
        repo = self._repo(req)
        issue = self._issue(req, repo)
        issue.label_ids = repo.label_ids_for(self._labels_in_body(req))
        self._touch(repo, issue)
        return self._labels_of(req, repo, issue)

    def clear_issue_labels(self, req: Request) -> Response:
        """``DELETE .../issues/{issue_number}/labels``."""
        repo = self._repo(req)
        issue = self._issue(req, repo)
        issue.label_ids = []
        self._touch(repo, issue)
        return Response(204)

    def remove_issue_label(self, req: Request) -> Response:
        """``DELETE .../issues/{issue_number}/labels/{name}``: 404 when the issue lacks it."""
        repo = self._repo(req)
        issue = self._issue(req, repo)
        label = repo.labels.get(req.params["name"].lower())
        if label is None or label.id not in issue.label_ids:
            raise ApiFailure(
                404,
                "Label does not exist",
                documentation_url="https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue",
            )
        issue.label_ids.remove(label.id)
        self._touch(repo, issue)
        return self._labels_of(req, repo, issue)

    def _touch(self, repo: Repo, issue: IssueState) -> None:
        repo.touch(issue)

    # --- comments -----------------------------------------------------------------------

    def list_comments(self, req: Request) -> Response:
        """``GET .../issues/{issue_number}/comments``: oldest first, ``since``, paginated."""
        repo = self._repo(req)
        issue = self._issue(req, repo)
        comments = issue.comments
        if req.query.get("since"):
            since = _parse_since(req.query["since"])
            comments = [c for c in comments if c.updated_at >= since]
        base = f"{req.api_base}/repositories/{repo.id}/issues/{issue.number}/comments"
        page, link = paginate(req, comments, base)
        return _listing(
            [comment_json(repo, issue, c, req.api_base, req.web_base) for c in page], link
        )

    def create_comment(self, req: Request) -> Response:
        """``POST .../issues/{issue_number}/comments``: content creation, like an issue."""
        repo = self._repo(req)
        issue = self._issue(req, repo)
        comment = repo.create_comment(author_of(req), issue.number, _object(req.body))
        body = comment_json(repo, issue, comment, req.api_base, req.web_base)
        return Response(201, body, {"location": body["url"]})

    # --- sub-issues ---------------------------------------------------------------------

    def list_sub_issues(self, req: Request) -> Response:
        """``GET .../issues/{issue_number}/sub_issues``."""
        repo = self._repo(req)
        issue = self._issue(req, repo)
        children = [repo.issues[n] for n in issue.children]
        page, link = paginate(req, children, req.api_base + req.path)
        return _listing(self._issue_list(req, repo, page), link)

    def add_sub_issue(self, req: Request) -> Response:
        """``POST .../issues/{issue_number}/sub_issues`` with the child's ``id``."""
        repo = self._repo(req)
        data = _object(req.body)
        if "sub_issue_id" not in data:
            raise ApiFailure(422, 'Invalid request.\n\n"sub_issue_id" wasn\'t supplied.')
        parent = repo.add_sub_issue(
            req.params["issue_number"], data["sub_issue_id"], bool(data.get("replace_parent"))
        )
        body = self._issue_json(req, repo, parent)
        return Response(201, body, {"location": body["url"]})

    def remove_sub_issue(self, req: Request) -> Response:
        """``DELETE .../issues/{issue_number}/sub_issue``."""
        repo = self._repo(req)
        data = _object(req.body)
        number, child_id = req.params["issue_number"], data.get("sub_issue_id")
        child = repo.remove_sub_issue(number, child_id, author_of(req))
        return Response(200, self._issue_json(req, repo, child))

    def get_parent(self, req: Request) -> Response:
        """``GET .../issues/{issue_number}/parent``: 404 when the issue has none."""
        repo = self._repo(req)
        issue = self._issue(req, repo)
        if issue.parent is None:
            raise not_found()
        return Response(200, self._issue_json(req, repo, repo.issues[issue.parent]))

    # --- issue dependencies -------------------------------------------------------------

    def _related(self, req: Request, pairs: Sequence[tuple[Repo, IssueState]]) -> Response:
        """A page of issues, each shown as its own repository shows it (they may differ)."""
        page, link = paginate(req, pairs, req.api_base + req.path)
        body = b"[" + b", ".join(self._issue_bytes(req, r, i) for r, i in page) + b"]"
        return _listing(RawJson(body), link)

    def list_blocked_by(self, req: Request) -> Response:
        """``GET .../issues/{issue_number}/dependencies/blocked_by``."""
        repo = self._repo(req)
        return self._related(req, blockers(self.store, self._issue(req, repo)))

    def list_blocking(self, req: Request) -> Response:
        """``GET .../issues/{issue_number}/dependencies/blocking``."""
        repo = self._repo(req)
        return self._related(req, blocked(self.store, self._issue(req, repo)))

    def add_blocked_by(self, req: Request) -> Response:
        """``POST .../dependencies/blocked_by`` with the blocker's ``issue_id``: 201 with the
        blocked issue."""
        repo = self._repo(req)
        issue = add_blocked_by(repo, req.params["issue_number"], _object(req.body))
        body = self._issue_json(req, repo, issue)
        return Response(201, body, {"location": f"{body['url']}/dependencies/blocked_by"})

    def remove_blocked_by(self, req: Request) -> Response:
        """``DELETE .../dependencies/blocked_by/{issue_id}``: 200 with the blocked issue."""
        repo = self._repo(req)
        issue = remove_blocked_by(repo, req.params["issue_number"], req.params["issue_id"])
        return Response(200, self._issue_json(req, repo, issue))

    # --- issue types --------------------------------------------------------------------

    def org_issue_types(self, req: Request) -> Response:
        """``GET /orgs/{org}/issue-types``: 404 for an account that is no organisation."""
        org = req.params["org"].lower()
        repo = next(
            (
                r
                for r in self.store.repos.values()
                if r.owner.lower() == org and r.owner_type == "Organization"
            ),
            None,
        )
        if repo is None:
            raise not_found()
        return Response(200, [issue_type_json(repo, t) for t in org_types(repo)])

    def repo_issue_types(self, req: Request) -> Response:
        """``GET /repos/{owner}/{repo}/issue-types``: the enabled types; none for a user's."""
        repo = self._repo(req)
        return Response(200, [issue_type_json(repo, t) for t in repo_types(repo)])

    # --- search -------------------------------------------------------------------------

    def search_issues(self, req: Request) -> Response:
        """``GET /search/issues``: answers from an index ``search_lag`` seconds behind writes."""
        query = req.query.get("q", "")
        if not query.strip():
            raise validation_failed("Search", "q", "missing")
        hits = search(self.store, query, self.store.clock.now() - self.search_lag)
        page, link = paginate(req, hits, req.api_base + req.path)
        items = [dict(self._issue_json(req, repo, i, listed=True), score=1.0) for repo, i in page]
        body = {
            "total_count": len(hits),
            "incomplete_results": False,
            "search_type": "lexical",
            "items": items,
        }
        return Response(200, body, {"link": link} if link else {})
