"""The GitHub adapter: the only module that imports PyGithub.

Each public method sends one request per ``gate.call`` (the listing: one per page), so the
processor's gate paces, counts and retries every request; each returns ``RemoteIssue`` values
or nothing and raises only ``batchsync.errors`` types. PyGithub is built with ``retry=None`` and
no throttling of its own: one retry layer, the gate's, decides
(https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
"""

from __future__ import annotations

import dataclasses
import functools
import queue
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from github import Auth, Github, GithubException
from github.Requester import Requester

from batchsync.errors import (
    ApiError,
    ForbiddenError,
    NotFoundError,
    ServerError,
    TransportError,
    UncertainWriteError,
    error_from_response,
)
from batchsync.github_graphql import GraphQLCreator, NoParentField
from batchsync.ownership import INTEGRATION_FORBIDDEN, token_kind, valid_login, viewer_login
from batchsync.ratelimit import Op
from batchsync.remote import MAX_ISSUE_NUMBER, Blocker, RemoteIssue, bounded_number

__all__ = [
    "DEFAULT_TIMEOUT",
    "NO_TYPE",
    "Blocker",
    "GateLike",
    "GitHubClient",
    "RemoteIssue",
    "issue_from_json",
]

T = TypeVar("T")
DEFAULT_TIMEOUT = 30  # seconds; GitHub itself gives up on a request after 10 s
PAGE_SIZE = 100
SUB_ISSUE_PAGES = 5  # GitHub's 100 sub-issues a parent fit on one page
DEPENDENCY_PAGES = 10  # 1,000 blockers: GitHub documents no limit per issue
NO_TYPE = ""  # ``update_issue(issue_type=NO_TYPE)`` takes the type off (GitHub's ``type: null``)
_NEXT_RE = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class GateLike(Protocol):
    """What the adapter needs from ``processor.Gate``."""

    def call(
        self, op: Op, fn: Callable[[], tuple[T, Mapping[str, str]]], *, resource: str = "core"
    ) -> T:
        """Run ``fn`` (one request) under the shared limits."""
        ...


def _parent_number(url: object) -> int | None:
    if not isinstance(url, str):
        return None
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    try:
        return bounded_number(tail)  # never int() of an unbounded or non-ASCII digit string
    except ValueError:
        return None


def _label_names(raw: object) -> tuple[str, ...]:
    names: list[str] = []
    for label in raw if isinstance(raw, list) else []:
        name = label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str):
            names.append(name)
    return tuple(names)


MAX_NODE_ID = 2**63 - 1  # GitHub's database ids are 64-bit


def _whole(value: object, maximum: int) -> int | None:
    """``value`` when it is a whole number in 1..maximum (JSON from a server is untrusted)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= maximum:
        return value
    return None


def _type_name(raw: object) -> str | None:
    """The name in an answer's ``type`` object; None for null or an object without one."""
    name = raw.get("name") if isinstance(raw, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def _count(raw: object, key: str) -> int | None:
    """A whole, non-negative count from a summary object; None when absent or not one."""
    value = raw.get(key) if isinstance(raw, dict) else None
    usable = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if usable else None


def issue_from_json(data: Mapping[str, Any]) -> RemoteIssue | None:
    """Reduce one issue JSON object to a ``RemoteIssue``.

    None for a pull request, and for an entry without a usable ``number`` and ``id``: such an
    entry cannot be matched to an item, so it is never written to.
    """
    number = _whole(data.get("number"), MAX_ISSUE_NUMBER)
    issue_id = _whole(data.get("id"), MAX_NODE_ID)
    if "pull_request" in data or number is None or issue_id is None:
        return None
    summary = data.get("sub_issues_summary")
    total = summary.get("total") if isinstance(summary, dict) else None
    user = data.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    association = data.get("author_association")
    return RemoteIssue(
        number=number,
        id=issue_id,
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        state=str(data.get("state") or "open"),
        labels=_label_names(data.get("labels")),
        html_url=str(data.get("html_url") or ""),
        state_reason=data.get("state_reason"),
        parent_number=_parent_number(data.get("parent_issue_url")),
        # Both fields are optional in GitHub's schema and a list answer may leave them out for
        # an issue that has a parent: only a present ``parent_issue_url`` is a fact.
        parent_known="parent_issue_url" in data,
        sub_issues_total=total if isinstance(total, int) and not isinstance(total, bool) else None,
        # a login is shown in messages: anything that is not one is no author at all
        author=login if isinstance(login, str) and valid_login(login) else "",
        author_association=association if isinstance(association, str) else "",
        # ``type`` is sent only where the repository has issue types: absence is no fact
        issue_type=_type_name(data.get("type")),
        type_known="type" in data,
        blocked_by_total=_count(data.get("issue_dependencies_summary"), "total_blocked_by"),
    )


def _error_strings(data: object) -> tuple[str, ...]:
    raw = data.get("errors") if isinstance(data, dict) else None
    out: list[str] = []
    for err in raw if isinstance(raw, list) else []:
        if isinstance(err, dict):
            # without a message, the field and code name the refusal ("type invalid")
            named = " ".join(str(err[k]) for k in ("field", "code") if err.get(k))
            out.append(str(err.get("message") or named or err))
        else:
            out.append(str(err))
    return tuple(out)


class GitHubClient:
    """Issues of one repository, through PyGithub, every request under the gate."""

    def __init__(
        self,
        api_url: str,
        token: str,
        repository: str,
        gate: GateLike,
        *,
        timeout: int = DEFAULT_TIMEOUT,
        pool_size: int = 10,
        graphql: bool = True,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._auth = Auth.Token(token)
        self._repo_path = f"/repos/{repository}"
        self.repository = repository
        self.gate = gate
        self._timeout = timeout
        self._pool_size = pool_size
        # PyGithub's connection object keeps the pending request in attributes, so one client
        # serves one request at a time; idle ones wait here (lanes come and go per phase).
        self._idle: queue.SimpleQueue[Github] = queue.SimpleQueue()
        # New issues go through GraphQL's createIssue (a child already under its parent) unless
        # the server lacks it; Requester's own rule places /graphql beside the REST prefix.
        self._graphql = (
            GraphQLCreator(
                self._send,
                gate,
                repository,
                urlunsplit(
                    urlsplit(self._api_url)._replace(
                        path=Requester.get_graphql_prefix(urlsplit(self._api_url).path)
                    )
                ),
                self._repo_path,
                scrub=self._scrub,
            )
            if graphql
            else None
        )

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the run should be told about the server (e.g. no GraphQL: REST creates)."""
        return tuple(self._graphql.warnings) if self._graphql is not None else ()

    def __repr__(self) -> str:
        return f"GitHubClient({self._api_url!r}, {self.repository!r})"  # never the token

    def _github(self) -> Github:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return Github(
                base_url=self._api_url,
                auth=self._auth,
                retry=None,
                seconds_between_requests=None,
                seconds_between_writes=None,
                lazy=True,
                timeout=self._timeout,
                pool_size=self._pool_size,
            )

    def _scrub(self, text: str) -> str:
        """``text`` without the token: a server or proxy may echo the request's headers."""
        return text.replace(self._auth.token, "***")

    def _send(
        self, verb: str, url: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> tuple[Any, Mapping[str, str]]:
        """One request; returns ``(json, headers)`` or raises a ``batchsync.errors`` type."""
        path = url.split("?", 1)[0]
        path = path[len(self._api_url) :] if path.startswith(self._api_url) else path
        gh = self._github()
        try:
            headers, data = gh.requester.requestJsonAndCheck(
                verb, url, parameters=params, input=body
            )
        except GithubException as exc:
            data = exc.data if isinstance(exc.data, dict) else {}
            scrub = self._scrub
            error = error_from_response(
                exc.status,
                scrub(str(data.get("message") or exc.message or "no message")),
                method=verb,
                path=path,
                headers={k: scrub(str(v)) for k, v in (exc.headers or {}).items()},
                errors=tuple(scrub(text) for text in _error_strings(data)),
            )
            raise error from None  # after a 401/403 the gate sends nothing more (RunStop)
        except requests.RequestException as exc:
            raise TransportError(verb, path, type(exc).__name__) from None
        finally:
            self._idle.put(gh)
        return data, dict(headers or {})

    def _remember(self, data: object) -> None:
        """Note the node ids an issue answer shows (its own and its labels'), for GraphQL."""
        if self._graphql is not None and isinstance(data, dict):
            number = data.get("number")
            if isinstance(number, int):
                self._graphql.remember(number, data.get("node_id"))
            labels = data.get("labels")
            for label in labels if isinstance(labels, list) else []:
                if isinstance(label, dict):
                    self._graphql.remember_label(label.get("name"), label.get("node_id"))

    def _issue(
        self, verb: str, url: str, body: Any = None
    ) -> tuple[RemoteIssue, Mapping[str, str]]:
        data, headers = self._send(verb, url, body=body)
        self._remember(data)
        issue = issue_from_json(data)
        if issue is None:
            raise error_from_response(
                404, "that number is a pull request", method=verb, path=url, headers=headers
            )
        return issue, headers

    def _pages(self, params: dict[str, Any]) -> Iterator[list[RemoteIssue]]:
        url: str | None = f"{self._repo_path}/issues"
        first = True
        while url is not None:
            fetch = functools.partial(self._page, url, params if first else None)
            data, link = self.gate.call(Op.READ, fetch)
            first = False
            yield [i for i in (issue_from_json(d) for d in data) if i is not None]
            url = link

    def _page(
        self, url: str, params: dict[str, Any] | None
    ) -> tuple[tuple[list[dict[str, Any]], str | None], Mapping[str, str]]:
        data, headers = self._send("GET", url, params=params)
        for entry in data if isinstance(data, list) else []:
            self._remember(entry)
        found = _NEXT_RE.search(headers.get("link", ""))
        return (list(data or []), found.group(1) if found else None), headers

    def list_issues(self) -> list[RemoteIssue]:
        """Every issue of the repository, open and closed, pull requests dropped."""
        params = {"state": "all", "per_page": PAGE_SIZE}
        return [issue for page in self._pages(params) for issue in page]

    def find_created(
        self, wanted: Callable[[RemoteIssue], bool], *, above: int
    ) -> RemoteIssue | None:
        """The newest issue numbered above ``above`` that ``wanted`` accepts, or None.

        Reads the newest issues first (``sort=created``), one page at a time, and stops at the
        first page that reaches ``above``: the issues below existed before the create was sent.
        """
        params = {"state": "all", "sort": "created", "direction": "desc", "per_page": PAGE_SIZE}
        for page in self._pages(params):
            found = next((i for i in page if i.number > above and wanted(i)), None)
            if found is not None or not page or any(i.number <= above for i in page):
                return found
        return None

    def get_issue(self, number: int) -> RemoteIssue | None:
        """One issue by number; None when it is gone (404, 410) or is a pull request."""
        try:
            return self.gate.call(Op.READ, lambda: self._send_optional(number))
        except ApiError as exc:
            if exc.status in (404, 410):
                return None
            raise

    def _send_optional(self, number: int) -> tuple[RemoteIssue | None, Mapping[str, str]]:
        data, headers = self._send("GET", f"{self._repo_path}/issues/{number}")
        return issue_from_json(data), headers

    def create_issue(
        self,
        title: str,
        body: str,
        labels: tuple[str, ...],
        *,
        parent: int | None = None,
        issue_type: str | None = None,
    ) -> RemoteIssue:
        """Create an open issue with its labels (and under ``parent``) in the same request.

        Through GraphQL when the server has it: the answer's ``parent_number`` equals
        ``parent`` when the link was made in that request. Otherwise REST, with no link (also
        for the first create naming a label that does not exist yet: GitHub creates it then).
        ``issue_type`` (a type's name) goes in a REST create itself; GitHub's public GraphQL
        schema has no ``issueTypeId``, so a GraphQL create is followed by one PATCH setting it
        (``_typed``), and a new issue without a parent takes REST (one request, not two).
        """
        if issue_type and parent is None:
            return self._create_rest(title, body, labels, issue_type)
        creator = self._graphql
        if creator is not None and creator.available():
            if creator.needs_rest(labels):
                try:
                    return self._create_rest(title, body, labels, issue_type)
                finally:
                    creator.settled(labels)
            try:
                created = creator.create(title, body, labels, parent)
            except NoParentField:
                creator.off("the server's CreateIssueInput has no parentIssueId")
            else:
                return self._typed(created, issue_type)
        return self._create_rest(title, body, labels, issue_type)

    def _create_rest(
        self, title: str, body: str, labels: tuple[str, ...], issue_type: str | None = None
    ) -> RemoteIssue:
        """``POST .../issues``; GitHub creates the labels it names that do not exist yet."""
        payload: dict[str, Any] = {"title": title, "body": body, "labels": list(labels)}
        if issue_type:
            payload["type"] = issue_type
        return self.gate.call(
            Op.CREATE, lambda: self._issue("POST", f"{self._repo_path}/issues", payload)
        )

    def update_issue(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        labels: tuple[str, ...] | None = None,
        state: str | None = None,
        state_reason: str | None = None,
        issue_type: str | None = None,
    ) -> RemoteIssue:
        """Change an issue in one PATCH (only the fields given); labels replace the whole set.

        ``issue_type``: a type's name, or ``NO_TYPE`` to take the type off.
        """
        fields: dict[str, Any] = {"title": title, "body": body, "state": state}
        fields["state_reason"] = state_reason
        payload = {k: v for k, v in fields.items() if v is not None}
        if labels is not None:
            payload["labels"] = list(labels)
        if issue_type is not None:
            payload["type"] = issue_type or None
        return self.gate.call(
            Op.WRITE, lambda: self._issue("PATCH", f"{self._repo_path}/issues/{number}", payload)
        )

    def add_sub_issue(self, parent: int, child_id: int, *, replace_parent: bool = False) -> None:
        """Link the issue with id ``child_id`` under issue ``parent`` (its number)."""
        payload: dict[str, Any] = {"sub_issue_id": child_id}
        if replace_parent:
            payload["replace_parent"] = True
        url = f"{self._repo_path}/issues/{parent}/sub_issues"
        self.gate.call(Op.CREATE, lambda: (None, self._send("POST", url, body=payload)[1]))

    def whoami(self) -> str | None:
        """The login the token acts as; None when the server cannot tell it without a 403.

        GraphQL's ``viewer { login }`` names it for every kind of token (``github-actions[bot]``
        for ``GITHUB_TOKEN``, ``<app-slug>[bot]`` for an App's installation token) and rides on
        the run's one repository query, so it costs no request of its own. A server without
        GraphQL, or an answer that is no login, leaves the REST rule (``_rest_whoami``).
        """
        if self._graphql is not None:
            try:
                login = self._graphql.viewer()
            except ForbiddenError:
                login = None  # the create path meets this refusal again and reports it
            if login is not None and viewer_login(login, token_kind(self._auth.token)):
                return login
        return self._rest_whoami()

    def _rest_whoami(self) -> str | None:
        """``GET /user``'s login, or None for an installation token (without a 403).

        ``GET /user`` names the person behind a user token; it refuses installation tokens
        (``GITHUB_TOKEN``, App tokens) with 403, so those, known by their prefix, are not sent
        it. A token of unknown format is asked, and a 403 from it is taken as "installation".
        """
        if token_kind(self._auth.token) == "installation":
            return None
        url = f"{self._api_url}/user"

        def probe() -> tuple[Any, Mapping[str, str]]:
            # An installation token's 403 here is an answer, not a refusal: the gate must not
            # stop the run on it, so it never leaves this request as an error.
            try:
                return self._send("GET", url)
            except ForbiddenError as exc:
                if INTEGRATION_FORBIDDEN.lower() in exc.message.lower():
                    return None, exc.headers
                raise

        data = self.gate.call(Op.READ, probe)
        login = data.get("login") if isinstance(data, dict) else None
        return login if isinstance(login, str) and login else None

    def get_parent(self, number: int) -> int | None:
        """The number of the issue's parent (``GET .../parent``); None when it has none (404)."""
        url = f"{self._repo_path}/issues/{number}/parent"
        try:
            data = self.gate.call(Op.READ, lambda: self._send("GET", url))
        except NotFoundError:
            return None
        found = data.get("number") if isinstance(data, dict) else None
        return found if isinstance(found, int) and not isinstance(found, bool) else None

    def sub_issue_numbers(self, parent: int) -> list[int]:
        """The numbers of every sub-issue of ``parent`` (all pages); 404 without the API."""
        url: str | None = f"{self._repo_path}/issues/{parent}/sub_issues"
        params: dict[str, Any] | None = {"per_page": PAGE_SIZE}
        numbers: list[int] = []
        # GitHub allows 100 sub-issues a parent (one page); a server whose ``next`` never ends
        # must not hold the run: a few pages at most.
        for _ in range(SUB_ISSUE_PAGES):
            if url is None:
                break
            fetch = functools.partial(self._page, url, params)
            data, url = self.gate.call(Op.READ, fetch)
            params = None
            numbers += [
                n for d in data if isinstance(d, dict) and isinstance(n := d.get("number"), int)
            ]
        return numbers

    def add_comment(self, number: int, body: str) -> None:
        """Comment on an issue."""
        url = f"{self._repo_path}/issues/{number}/comments"
        self.gate.call(Op.CREATE, lambda: (None, self._send("POST", url, body={"body": body})[1]))

    # ---- issue types and dependencies ----------------------------------------------------

    def _typed(self, created: RemoteIssue, issue_type: str | None) -> RemoteIssue:
        """``created`` (a GraphQL create's answer) with its type set by one REST PATCH.

        The create's answer stays the fact for everything else (its parent link above all);
        an error of the PATCH is raised as it is: the issue exists and carries its marker, so
        the next run finds it and sets the type then.
        """
        if not issue_type:
            return created
        patched = self.update_issue(created.number, issue_type=issue_type)
        return dataclasses.replace(
            created, issue_type=patched.issue_type, type_known=patched.type_known
        )

    def issue_types(self) -> tuple[str, ...] | None:
        """The issue types an issue of the repository may take (their names), or None.

        Asks ``GET /repos/{o}/{r}/issue-types`` (any token that reads the repository may),
        and where the server lacks it (404) ``GET /orgs/{owner}/issue-types``
        (https://docs.github.com/rest/orgs/issue-types). None: the repository has no types
        (an empty list; a user account's repository, 404), the server has no such API (404),
        or the token may not read them (403, which never stops the run). Types switched off
        (``is_enabled: false``) are left out.
        """
        owner = self.repository.partition("/")[0]
        for url in (f"{self._repo_path}/issue-types", f"/orgs/{owner}/issue-types"):
            try:
                data = self.gate.call(Op.READ, functools.partial(self._types_answer, url))
            except NotFoundError:
                continue
            return _type_names(data)
        return None

    def _types_answer(self, url: str) -> tuple[Any, Mapping[str, str]]:
        # A 403 here is an answer (no permission to read the organisation's types), not a
        # refusal of the token: the gate must not stop the run on it.
        try:
            return self._send("GET", url)
        except ForbiddenError as exc:
            return None, exc.headers

    def blocked_by(self, number: int) -> list[Blocker]:
        """The issues blocking issue ``number`` (``GET .../dependencies/blocked_by``, all pages).

        ``NotFoundError`` (404): no such issue, or a server without the dependencies API (an
        older GHES); an issue the run has just listed answering 404 here means the latter.
        Entries without a usable number, id and repository are left out; a page link that
        leaves this issue's list is a ``ServerError``.
        """
        tail = f"/issues/{number}/dependencies/blocked_by"
        url: str | None = f"{self._repo_path}{tail}"
        params: dict[str, Any] | None = {"per_page": PAGE_SIZE}
        found: list[Blocker] = []
        for _ in range(DEPENDENCY_PAGES):  # a server whose ``next`` never ends must not hold
            if url is None:
                break
            asked = url
            data, url = self.gate.call(Op.READ, functools.partial(self._list_page, url, params))
            params = None
            if not isinstance(data, list):
                raise ServerError(502, f"#{number}'s blockers came back as no list", "GET", asked)
            found += [b for d in data if (b := _blocker(d, self.repository)) is not None]
            if url is not None and not urlsplit(url).path.endswith(tail):
                text = f"the next page of #{number}'s blockers is another list"
                raise ServerError(502, text, "GET", asked)
        return found

    def _list_page(
        self, url: str, params: dict[str, Any] | None
    ) -> tuple[tuple[object, str | None], Mapping[str, str]]:
        """One page and its ``next`` link; unlike ``_page`` it notes no node ids (a blocker
        may be another repository's issue, whose number means another issue here)."""
        data, headers = self._send("GET", url, params=params)
        found = _NEXT_RE.search(headers.get("link", ""))
        return (data, found.group(1) if found else None), headers

    def add_blocked_by(self, number: int, blocker_id: int) -> None:
        """Mark issue ``number`` blocked by the issue whose ``id`` (not number) is ``blocker_id``.

        One POST, paced and counted as content creation (GitHub warns of secondary limits on
        it; whether it is content is not documented). ``ValidationFailed`` (422): GitHub
        refused it (already a blocker, the issue itself, an id it cannot resolve, a limit);
        ``NotFoundError``: no such issue, or no dependencies API; ``UncertainWriteError``: no
        usable answer, so it may exist (``blocked_by`` tells; sending it again makes no
        duplicate, only a 422).
        """
        url = f"{self._repo_path}/issues/{number}/dependencies/blocked_by"
        write = functools.partial(self._dependency_write, "POST", url, number, blocker_id)
        self.gate.call(Op.CREATE, write)

    def remove_blocked_by(self, number: int, blocker_id: int) -> bool:
        """Take the issue with id ``blocker_id`` off issue ``number``'s blockers.

        True when this removed it, False when it was not one (404). Paced and counted as
        content like the add (GitHub warns of secondary limits on removing too). A send whose
        answer was lost is sent once more: removing twice removes nothing twice.
        """
        url = f"{self._repo_path}/issues/{number}/dependencies/blocked_by/{blocker_id}"
        write = functools.partial(self._dependency_write, "DELETE", url, number, blocker_id)
        try:
            self.gate.call(Op.CREATE, write)
        except UncertainWriteError:
            return self._delete_again(write)
        except NotFoundError:
            return False
        return True

    def _delete_again(self, write: Callable[[], tuple[None, Mapping[str, str]]]) -> bool:
        try:
            self.gate.call(Op.CREATE, write)
        except NotFoundError:
            return False  # the lost one had removed it
        return True

    def _dependency_write(
        self, verb: str, url: str, number: int, blocker_id: int
    ) -> tuple[None, Mapping[str, str]]:
        """One dependency POST or DELETE; an answer about another issue is no answer (502)."""
        body = {"issue_id": blocker_id} if verb == "POST" else None
        data, headers = self._send(verb, url, body=body)
        if not _about(data, self.repository, number, blocker_id):
            raise ServerError(
                502, f"the answer names neither #{number} nor issue id {blocker_id}", verb, url
            )
        return None, headers


def _repository_of(url: object) -> str | None:
    """``owner/name`` from a ``repository_url`` (``.../repos/owner/name``), or None."""
    if not isinstance(url, str):
        return None
    _, found, tail = urlsplit(url).path.rpartition("/repos/")
    parts = tail.split("/")
    return tail if found and len(parts) == 2 and all(parts) else None


def _blocker(data: object, repository: str) -> Blocker | None:
    """One entry of a blockers list; None for a pull request or one that cannot be placed."""
    if not isinstance(data, dict) or "pull_request" in data:
        return None
    number = _whole(data.get("number"), MAX_ISSUE_NUMBER)
    issue_id = _whole(data.get("id"), MAX_NODE_ID)
    where = _repository_of(data.get("repository_url"))
    if number is None or issue_id is None or where is None:
        return None
    return Blocker(number, issue_id, where, where.lower() == repository.lower())


def _about(data: object, repository: str, number: int, blocker_id: int) -> bool:
    """False when a dependency write's answer names an issue other than the two it was about
    (GitHub answers with an issue; which of the two is not documented)."""
    if not isinstance(data, dict) or "number" not in data:
        return True  # no issue named: nothing contradicts the request
    if _whole(data.get("id"), MAX_NODE_ID) == blocker_id:
        return True
    where = _repository_of(data.get("repository_url"))
    if where is not None and where.lower() != repository.lower():
        return False
    return _whole(data.get("number"), MAX_ISSUE_NUMBER) == number


def _type_names(data: object) -> tuple[str, ...] | None:
    """The enabled types' names in an issue-types answer, once each; None when there are none."""
    names: dict[str, str] = {}  # lower-cased -> as GitHub spells it
    for entry in data if isinstance(data, list) else []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and name.strip() and entry.get("is_enabled") is not False:
            names.setdefault(name.lower(), name)
    return tuple(names.values()) or None
