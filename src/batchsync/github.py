"""The GitHub adapter: the only module that imports PyGithub.

Each public method sends one request per ``gate.call`` (the listing: one per page), so the
processor's gate paces, counts and retries every request; each returns ``RemoteIssue`` values
or nothing and raises only ``batchsync.errors`` types. PyGithub is built with ``retry=None`` and
no throttling of its own: one retry layer, the gate's, decides
(https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api).

Every answer is checked against its question before it is used. No redirect is followed (PyGithub
would resend a PATCH to a 301's ``Location``): a 3xx to a request about an issue is
``IssueMoved`` (a transferred issue), any other ``Redirected``. An issue answer must name the
repository (and the number) asked about; a listing must be a JSON array of objects, page after
page as asked, ending within ``MAX_ISSUE_PAGES``; anything else is ``UnusableAnswer``.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import itertools
import json
import queue
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar
from urllib.parse import SplitResult, parse_qsl, urlsplit, urlunsplit

import requests
from github import Auth, Github
from github.Requester import (
    HTTPRequestsConnectionClass,
    HTTPSRequestsConnectionClass,
    Requester,
    RequestsResponse,
)

from batchsync.errors import (
    ApiError,
    ForbiddenError,
    IssueMoved,
    NotFoundError,
    ParentElsewhere,
    Redirected,
    ServerError,
    TransportError,
    UncertainWriteError,
    UnusableAnswer,
    error_from_response,
)
from batchsync.github_graphql import GateLike, GraphQLCreator, NoHistory, NoParentField
from batchsync.marker import with_typed
from batchsync.ownership import INTEGRATION_FORBIDDEN, token_kind, viewer_login
from batchsync.ratelimit import Op
from batchsync.remote import (
    MAX_ISSUE_NUMBER,
    MAX_NODE_ID,
    Blocker,
    RemoteIssue,
    api_place,
    bounded_number,
    foreign_place,
    issue_from_json,
    places,
    whole_number,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_ISSUE_PAGES",
    "NO_TYPE",
    "After404",
    "Blocker",
    "GateLike",
    "GitHubClient",
    "IssueClient",
    "LinkClient",
    "NoHistory",
    "RemoteIssue",
    "after_404",
    "dependencies_missing",
    "issue_from_json",
    "read_blockers",
]

T = TypeVar("T")
DEFAULT_TIMEOUT = 30  # seconds; GitHub itself gives up on a request after 10 s
PAGE_SIZE = 100
# The issue listing's pages: 100,000 issues at 100 a page. A ``next`` link past them is a server
# paging without end, and an incomplete listing must never be planned from: the read fails.
MAX_ISSUE_PAGES = 1_000
SUB_ISSUE_PAGES = 5  # GitHub's 100 sub-issues a parent fit on one page
DEPENDENCY_PAGES = 10  # 1,000 blockers: GitHub documents no limit per issue
NO_TYPE = ""  # ``update_issue(issue_type=NO_TYPE)`` takes the type off (GitHub's ``type: null``)
_NEXT_RE = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
_LINK_RE = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]*)"')
_REPOSITORY_ID_PATH = re.compile(r"/repositories/([0-9]{1,20})(?:/issues/([0-9]{1,10}))?/?")


class After404(enum.Enum):
    """What a 404 on an issue's sub-issues or dependencies route meant (``after_404``)."""

    ANSWERED = "answered"  # a passing 404: the route answered when asked again
    GONE = "gone"  # the issue itself is gone (deleted, moved)
    MISSING = "missing"  # the server has no such API


def after_404(client: LinkClient, number: int, again: Callable[[], object]) -> After404:
    """After a 404 on issue ``number``'s sub-issues or dependencies: whether the issue is gone,
    the server has no such API, or the 404 was passing (``again`` answered this time).

    GitHub documents the same bare 404 for each; the issue's own read tells a gone issue
    apart, and one more ask of the route a passing answer from a missing API: a feature is
    turned off for the run only on two 404s for an issue that exists.
    """
    try:
        if client.get_issue(number) is None:
            return After404.GONE
    except IssueMoved:
        return After404.GONE
    try:
        again()
    except NotFoundError:
        return After404.MISSING
    return After404.ANSWERED


def read_blockers(client: IssueClient, number: int) -> list[Blocker] | str | None:
    """Issue ``number``'s blockers; a str says why they are unread (that issue's step fails),
    None that the server has no dependencies API."""
    found: list[list[Blocker]] = []

    def read() -> None:
        found.append(client.blocked_by(number))

    try:
        try:
            read()
        except NotFoundError as exc:
            meant = after_404(client, number, read)
            if meant is After404.GONE:
                return f"#{number} is gone ({exc})"
            if meant is After404.MISSING:
                return None
        return found[-1]
    except (ApiError, TransportError) as exc:
        return str(exc)


def dependencies_missing(client: IssueClient, number: int) -> bool:
    """After a 404 on a write to issue ``number``'s blockers: True when the server has no
    dependencies API, False when that issue or the blocker is gone (its list still answers)."""
    return read_blockers(client, number) is None


# ---- the client interface ----------------------------------------------------------------------
# What a run asks of GitHub, written once: the engine, the applier and the sub-issue links take
# these; ``GitHubClient`` implements them (mypy checks it against them), a test's fake mimics them.


class LinkClient(Protocol):
    """What the sub-issue links need of GitHub."""

    def get_issue(self, number: int) -> RemoteIssue | None:
        """One issue, or None when gone."""
        ...

    def get_parent(self, number: int) -> int | None:
        """The number of the issue's parent, None when it has none."""
        ...

    def parent_removed(self, number: int) -> int | None:
        """The parent issue ``number`` was last taken out of; None when never (``NoHistory``:
        the server cannot tell)."""
        ...

    def sub_issue_numbers(self, parent: int) -> list[int]:
        """The numbers of the sub-issues of ``parent``."""
        ...

    def add_sub_issue(self, parent: int, child_id: int, *, replace_parent: bool = False) -> None:
        """Link a sub-issue."""
        ...


class IssueClient(LinkClient, Protocol):
    """What a run needs of GitHub."""

    def whoami(self) -> str | None:
        """The login the token acts as; None when it cannot be learned without a 403."""
        ...

    def list_issues(self) -> list[RemoteIssue]:
        """Every issue of the repository."""
        ...

    def find_created(
        self, wanted: Callable[[RemoteIssue], bool], *, above: int
    ) -> RemoteIssue | None:
        """The newest issue above ``above`` that ``wanted`` accepts."""
        ...

    def create_issue(
        self,
        title: str,
        body: str,
        labels: tuple[str, ...],
        *,
        parent: int | None = None,
        issue_type: str | None = None,
    ) -> RemoteIssue:
        """Create an issue; under ``parent`` when the answer's ``parent_number`` says so."""
        ...

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
        """PATCH an issue."""
        ...

    def issue_types(self) -> tuple[str, ...] | None:
        """The issue types of the repository (their names), None when it has none."""
        ...

    def add_comment(self, number: int, body: str) -> None:
        """Comment on an issue."""
        ...

    def blocked_by(self, number: int) -> list[Blocker]:
        """The issues blocking issue ``number``."""
        ...

    def add_blocked_by(self, number: int, blocker_id: int) -> None:
        """Mark issue ``number`` blocked by the issue whose database id is ``blocker_id``."""
        ...

    def remove_blocked_by(self, number: int, blocker_id: int) -> bool:
        """Take that relationship away; False when it was not there."""
        ...


# ---- no redirect is ever followed ---------------------------------------------------------------


class _Redirect(Exception):
    """A 3xx answer, stopped before PyGithub follows it."""

    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        super().__init__(status)
        self.status = status
        self.headers = headers


def _refuse_redirect(response: RequestsResponse) -> RequestsResponse:
    if 300 <= response.status < 400:
        headers = {str(k).lower(): str(v) for k, v in response.headers.items()}
        raise _Redirect(response.status, headers)
    return response


class _Http(HTTPRequestsConnectionClass):
    """PyGithub's connection, stopping at a 3xx (PyGithub resends any verb to a 301's target)."""

    def getresponse(self) -> RequestsResponse:
        return _refuse_redirect(super().getresponse())


class _Https(HTTPSRequestsConnectionClass):
    """PyGithub's TLS connection, stopping at a 3xx."""

    def getresponse(self) -> RequestsResponse:
        return _refuse_redirect(super().getresponse())


# Where PyGithub's Requester keeps its connection classes: the one in use, the one for http://
# and the one for https:// URLs (class attributes, shadowed here on one Requester only).
_CONNECTIONS = (
    "_Requester__connectionClass",
    "_Requester__httpConnectionClass",
    "_Requester__httpsConnectionClass",
)


def _without_redirects(gh: Github, https: bool) -> Github:
    """``gh`` with connections that follow no redirect (set on this client only)."""
    requester = gh.requester
    if not all(hasattr(requester, name) for name in _CONNECTIONS):
        raise RuntimeError("this PyGithub version hides its connection classes: pin PyGithub")
    for name, cls in zip(_CONNECTIONS, (_Https if https else _Http, _Http, _Https), strict=True):
        setattr(requester, name, cls)
    return gh


def _where(location: str) -> str:
    """Where a 3xx's ``Location`` points, as short plain text (the header is untrusted)."""
    place = api_place(location)
    if place is not None:
        return str(place)
    try:
        url = urlsplit(location)
    except ValueError:
        return ""
    found = _REPOSITORY_ID_PATH.search(url.path)
    if found is not None and found.end() == len(url.path):
        repo_id, number = found.groups()
        repository = f"the repository with id {repo_id}"
        return f"issue #{number} of {repository}" if number else repository
    # anything else: where it points, without a query (a signed URL carries secrets there)
    shown = urlunsplit(url._replace(query="", fragment=""))
    return re.sub(r"[^A-Za-z0-9/._~:-]", "", shown)[:120]


# ---- answers that are not JSON, or not the JSON asked for ---------------------------------------


def _parsed(text: str, headers: Mapping[str, str]) -> tuple[Any, str | None]:
    """The JSON of an answer's body, or (None, what the body is instead)."""
    if not text:
        return None, None
    try:
        return json.loads(text), None
    except (ValueError, RecursionError):
        html = "html" in headers.get("content-type", "").lower() or text.lstrip()[:1] == "<"
        if html:
            return None, "answered with an HTML page instead of JSON"
        return None, "answered with a body that is not JSON"


def _shape(data: object) -> str:
    """What a JSON value is, in words (for a message about an answer of the wrong shape)."""
    if isinstance(data, dict):
        return "a JSON object"
    if isinstance(data, list):
        return "a list"
    if data is None:
        return "an empty body"
    return "a JSON string" if isinstance(data, str) else "a JSON number or boolean"


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


def _links(header: str) -> dict[str, str]:
    """A ``link`` header's URLs by relation."""
    return {rel: url for url, rel in _LINK_RE.findall(header)}


def _server(url: SplitResult) -> tuple[str, str | None, int | None]:
    """Scheme, host and port of a URL, the port spelled out (``:443`` or not is one server)."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.hostname, url.port or default


def _page_of(url: str | None) -> int | None:
    """The ``page`` a URL asks for; None when it names none (a first page, a cursor)."""
    if url is None:
        return None
    try:
        pages = [v for k, v in parse_qsl(urlsplit(url).query) if k == "page"]
        return bounded_number(pages[-1], 10**9) if pages else None
    except ValueError:
        return None


class GitHubClient(IssueClient):
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
        self._origin = urlsplit(self._api_url)
        self._auth = Auth.Token(token)
        self._repo_path = f"/repos/{repository}"
        self.repository = repository
        self.gate = gate
        self._timeout = timeout
        self._pool_size = pool_size
        # A request about one issue: a 3xx to it means the issue moved
        self._issue_path = re.compile(
            rf"/repos/{re.escape(repository)}/issues/([0-9]{{1,10}})(?:/.*)?", re.IGNORECASE
        )
        self._lock = threading.Lock()
        self._dropped = 0  # listed entries that named another repository (or none)
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
                    self._origin._replace(path=Requester.get_graphql_prefix(self._origin.path))
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
        told = list(self._graphql.warnings) if self._graphql is not None else []
        with self._lock:
            dropped = self._dropped
        if dropped:
            told.append(
                f"left out {dropped} listed issue(s) whose answer named another repository than "
                f"{self.repository}, or none (GitHub lists what it was asked for: a proxy or a "
                "server between may not)"
            )
        return tuple(told)

    def __repr__(self) -> str:
        return f"GitHubClient({self._api_url!r}, {self.repository!r})"  # never the token

    def _github(self) -> Github:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            gh = Github(
                base_url=self._api_url,
                auth=self._auth,
                retry=None,
                seconds_between_requests=None,
                seconds_between_writes=None,
                lazy=True,
                timeout=self._timeout,
                pool_size=self._pool_size,
            )
            return _without_redirects(gh, self._origin.scheme == "https")

    def _scrub(self, text: str) -> str:
        """``text`` without the token: a server or proxy may echo the request's headers."""
        return text.replace(self._auth.token, "***")

    # ---- one request ----------------------------------------------------------------------

    def _send(
        self, verb: str, url: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> tuple[Any, Mapping[str, str]]:
        """One request; returns ``(json, headers)`` or raises a ``batchsync.errors`` type."""
        _, data, headers = self._request(verb, url, params=params, body=body)
        return data, headers

    def _request(
        self, verb: str, url: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> tuple[int, Any, dict[str, str]]:
        """One request; ``(status, json, headers)`` of a 2xx JSON answer, else the error."""
        path = self._path(url)
        gh = self._github()
        try:
            status, raw, text = gh.requester.requestJson(verb, url, parameters=params, input=body)
        except _Redirect as answer:
            raise self._redirected(verb, path, answer) from None
        except requests.RequestException as exc:
            raise TransportError(verb, path, type(exc).__name__) from None
        finally:
            self._idle.put(gh)
        headers = {str(k).lower(): str(v) for k, v in (raw or {}).items()}
        data, problem = _parsed(text, headers)
        if status >= 400:
            # after a 401/403 the gate sends nothing more (RunStop)
            raise self._refused(status, verb, path, headers=headers, data=data, problem=problem)
        if problem is not None:
            raise UnusableAnswer(status, problem, verb, path, headers)
        return status, data, headers

    def _path(self, url: str) -> str:
        path = url.split("?", 1)[0]
        return path[len(self._api_url) :] if path.startswith(self._api_url) else path

    def _refused(
        self,
        status: int,
        verb: str,
        path: str,
        *,
        headers: Mapping[str, str],
        data: Any,
        problem: str | None,
    ) -> ApiError:
        scrub = self._scrub
        message = data.get("message") if isinstance(data, dict) else None
        shown = str(message) if message else ("no JSON message" if problem else "no message")
        return error_from_response(
            status,
            scrub(shown),
            method=verb,
            path=path,
            headers={k: scrub(v) for k, v in headers.items()},
            errors=tuple(scrub(text) for text in _error_strings(data)),
        )

    def _redirected(self, verb: str, path: str, answer: _Redirect) -> ApiError:
        """The error for a 3xx: never followed, whatever the verb."""
        headers = {k: self._scrub(v) for k, v in answer.headers.items()}
        where = _where(headers.get("location", ""))
        asked = self._issue_path.fullmatch(path)
        if asked is not None:
            number = bounded_number(asked.group(1), 10**10)
            return IssueMoved.of(
                number,
                self.repository,
                where,
                status=answer.status,
                method=verb,
                path=path,
                headers=headers,
            )
        return Redirected(
            answer.status,
            f"GitHub answered {answer.status} pointing at {where or 'no place'}; batchsync "
            "follows no redirect: if the repository was renamed or transferred, name its new "
            "owner/name",
            verb,
            path,
            headers,
        )

    # ---- answers about one issue ----------------------------------------------------------

    def _remember(self, data: Mapping[str, Any]) -> None:
        """Note the node ids a checked issue answer shows (its own and its labels'), for GraphQL."""
        if self._graphql is not None:
            number = data.get("number")
            if isinstance(number, int):
                self._graphql.remember(number, data.get("node_id"))
            labels = data.get("labels")
            for label in labels if isinstance(labels, list) else []:
                if isinstance(label, dict):
                    self._graphql.remember_label(label.get("name"), label.get("node_id"))

    def _answered_issue(
        self, answer: tuple[int, Any, Mapping[str, str]], verb: str, url: str, number: int | None
    ) -> RemoteIssue | None:
        """The issue an answer describes, once it is shown to be the one asked about (in this
        repository, and issue ``number`` when one was asked for); None for a pull request."""
        status, data, headers = answer
        path = self._path(url)
        if not isinstance(data, dict):
            raise UnusableAnswer(status, f"answered with {_shape(data)}, not an issue", verb, path)
        elsewhere = foreign_place(data, self.repository, number)
        if elsewhere is not None and number is not None:
            raise IssueMoved.of(
                number,
                self.repository,
                str(elsewhere),
                status=status,
                method=verb,
                path=path,
                headers=headers,
            )
        if elsewhere is not None:
            raise UnusableAnswer(
                status, f"answered with an issue that names {elsewhere}", verb, path
            )
        if not places(data):
            raise UnusableAnswer(
                status, "answered with an issue that names no repository", verb, path
            )
        self._remember(data)
        if "pull_request" in data:
            return None
        issue = issue_from_json(data, self.repository)
        if issue is None:
            raise UnusableAnswer(status, "answered with an issue without number or id", verb, path)
        return issue

    def _issue(
        self, verb: str, url: str, body: Any = None, number: int | None = None
    ) -> tuple[RemoteIssue, Mapping[str, str]]:
        answer = self._request(verb, url, body=body)
        issue = self._answered_issue(answer, verb, url, number)
        if issue is None:
            raise error_from_response(
                404, "that number is a pull request", method=verb, path=url, headers=answer[2]
            )
        return issue, answer[2]

    # ---- listings -------------------------------------------------------------------------

    def _listing(
        self, tail: str, params: dict[str, Any], cap: int
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page of the listing ``{repository}{tail}`` (its entries), checked against the
        question: a JSON array of objects, the page asked for, a ``next`` link within the same
        listing on the same server, never back to a page already read, at most ``cap`` pages.
        Anything else ends the read with ``UnusableAnswer``: a listing cut short must never be
        planned from (it would make duplicates)."""
        first = f"{self._repo_path}{tail}"
        url, asked = first, 1
        query: dict[str, Any] | None = params
        seen = {self._page_key(first, params)}
        for count in itertools.count(1):
            fetch = functools.partial(self._page, url, query)
            entries, links = self.gate.call(Op.READ, fetch)
            yield entries
            nxt = links.get("next")
            if nxt is None:
                return
            problem = self._next_problem(
                nxt, links, tail=tail, asked=asked, seen=seen, count=count, cap=cap
            )
            if problem is not None:
                raise UnusableAnswer(200, problem, "GET", first)
            seen.add(self._page_key(nxt, None))
            url, query, asked = nxt, None, _page_of(nxt) or 0

    def _page(
        self, url: str, params: dict[str, Any] | None
    ) -> tuple[tuple[list[dict[str, Any]], dict[str, str]], Mapping[str, str]]:
        status, data, headers = self._request("GET", url, params=params)
        path = self._path(url)
        if not isinstance(data, list):
            raise UnusableAnswer(status, f"answered with {_shape(data)}, not a list", "GET", path)
        if not all(isinstance(entry, dict) for entry in data):
            odd = _shape(next(e for e in data if not isinstance(e, dict)))
            raise UnusableAnswer(
                status, f"answered with a list holding {odd}, not only objects", "GET", path
            )
        return (data, _links(headers.get("link", ""))), headers

    def _next_problem(
        self,
        nxt: str,
        links: Mapping[str, str],
        *,
        tail: str,
        asked: int,
        seen: set[tuple[str, ...]],
        count: int,
        cap: int,
    ) -> str | None:
        """Why a page's ``next`` link must not be followed, or None."""
        if count >= cap:
            return f"its next link went on past {cap:,} pages"
        if not self._in_listing(nxt, tail):
            return "its next link points outside the listing (another server or path)"
        page, prev = _page_of(nxt), _page_of(links.get("prev"))
        if self._page_key(nxt, None) in seen or (asked and page is not None and page <= asked):
            return "its next link points back at a page already read"
        if asked and page is not None and page != asked + 1:
            return f"the answer to page {asked} names page {page} as the next one"
        if asked and prev is not None and prev != asked - 1:
            return f"page {prev + 1} came back when page {asked} was asked for"
        return None

    def _in_listing(self, url: str, tail: str) -> bool:
        """True when ``url`` is on this server and names this listing (``/repositories/{id}``
        stands for the repository in GitHub's ``link`` URLs)."""
        try:
            found = urlsplit(url)
            same = _server(found) == _server(self._origin)
        except ValueError:  # a port that is no number
            return False
        repo = rf"(?:/repos/{re.escape(self.repository)}|/repositories/[0-9]{{1,20}})"
        pattern = re.escape(self._origin.path.rstrip("/")) + repo + re.escape(tail)
        return same and re.fullmatch(pattern, found.path, re.IGNORECASE) is not None

    @staticmethod
    def _page_key(url: str, params: Mapping[str, Any] | None) -> tuple[str, ...]:
        """A page's identity: its query without ``page``, and its page (1 when it names none)."""
        pairs = [(k, str(v)) for k, v in (params or {}).items()]
        pairs += parse_qsl(urlsplit(url).query)
        page = _page_of(url) or 1
        return (*sorted(f"{k}={v}" for k, v in pairs if k != "page"), f"page={page}")

    def _listed(self, entry: Mapping[str, Any]) -> RemoteIssue | None:
        """One listed entry, when it names this repository; else counted and left out."""
        if foreign_place(entry, self.repository) is not None or not places(entry):
            with self._lock:
                self._dropped += 1
            return None
        self._remember(entry)
        return issue_from_json(entry, self.repository)

    def _pages(self, params: dict[str, Any]) -> Iterator[list[RemoteIssue]]:
        for entries in self._listing("/issues", params, MAX_ISSUE_PAGES):
            yield [i for i in (self._listed(e) for e in entries) if i is not None]

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
        """One issue by number; None when it is gone (404, 410) or is a pull request.

        Raises ``IssueMoved`` when GitHub answers that it lives elsewhere now (transferred).
        """
        url = f"{self._repo_path}/issues/{number}"

        def fetch() -> tuple[RemoteIssue | None, Mapping[str, str]]:
            answer = self._request("GET", url)
            return self._answered_issue(answer, "GET", url, number), answer[2]

        try:
            return self.gate.call(Op.READ, fetch)
        except ApiError as exc:
            if exc.status in (404, 410):
                return None
            raise

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
        (``_typed``), and a new issue without a parent takes REST (one request, not two). The
        marker's ``typed`` token goes with the type: a GraphQL create sends the marker without
        it, and the PATCH the body with it, so an issue whose PATCH failed is typed next run.
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
            first = with_typed(body, False) if issue_type else body
            try:
                created = creator.create(title, first, labels, parent)
            except NoParentField:
                creator.off("the server's CreateIssueInput has no parentIssueId")
            else:
                return self._typed(created, issue_type, body)
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

        ``issue_type``: a type's name, or ``NO_TYPE`` to take the type off. Raises
        ``IssueMoved`` when GitHub answers that it lives elsewhere now: the PATCH is never sent
        on to the new place.
        """
        fields: dict[str, Any] = {"title": title, "body": body, "state": state}
        fields["state_reason"] = state_reason
        payload = {k: v for k, v in fields.items() if v is not None}
        if labels is not None:
            payload["labels"] = list(labels)
        if issue_type is not None:
            payload["type"] = issue_type or None
        url = f"{self._repo_path}/issues/{number}"
        return self.gate.call(Op.WRITE, lambda: self._issue("PATCH", url, payload, number))

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
        """The number of the issue's parent (``GET .../parent``); None when it has none (404).

        Raises ``ParentElsewhere`` when the parent is an issue of another repository: its
        number means nothing here.
        """
        url = f"{self._repo_path}/issues/{number}/parent"
        try:
            status, data, headers = self.gate.call(Op.READ, lambda: self._parent(url))
        except NotFoundError:
            return None
        path = self._path(url)
        if not isinstance(data, dict) or not places(data):
            raise UnusableAnswer(status, "answered with no issue of a repository", "GET", path)
        elsewhere = foreign_place(data, self.repository)
        if elsewhere is not None:
            raise ParentElsewhere(
                status,
                f"#{number}'s parent on GitHub is {elsewhere}, in another repository; "
                f"batchsync links only within {self.repository}: remove the parent from the "
                "item's file, or move the issue under a parent here on GitHub",
                "GET",
                path,
                headers,
            )
        parent = issue_from_json(data, self.repository)
        if parent is None:
            raise UnusableAnswer(status, "answered with an issue without number or id", "GET", path)
        return parent.number

    def _parent(self, url: str) -> tuple[tuple[int, Any, Mapping[str, str]], Mapping[str, str]]:
        answer = self._request("GET", url)
        return answer, answer[2]

    def parent_removed(self, number: int) -> int | None:
        """The parent issue ``number`` was last taken out of, from GraphQL's timeline; None
        when never. Raises ``NoHistory`` when the run has no GraphQL (REST only)."""
        if self._graphql is None:
            raise NoHistory(number)
        return self._graphql.parent_removed(number)

    def sub_issue_numbers(self, parent: int) -> list[int]:
        """The numbers of every sub-issue of ``parent`` (all pages); 404 without the API.

        Sub-issues of another repository are left out (their numbers mean nothing here).
        GitHub allows 100 sub-issues a parent (one page): a listing going on past a few pages
        is no listing (``UnusableAnswer``).
        """
        params: dict[str, Any] = {"per_page": PAGE_SIZE}
        tail = f"/issues/{parent}/sub_issues"
        found: list[int] = []
        for entries in self._listing(tail, params, SUB_ISSUE_PAGES):
            for entry in entries:
                issue = self._listed(entry)
                if issue is not None and _names_another_parent(entry, issue, parent):
                    # another parent's list (a cache or proxy between): none of it is a fact
                    # about this parent's children
                    why = f"answered with #{issue.number}, whose parent is not #{parent}"
                    raise UnusableAnswer(200, why, "GET", f"{self._repo_path}{tail}")
                if issue is not None:
                    found.append(issue.number)
        return found

    def add_comment(self, number: int, body: str) -> None:
        """Comment on an issue."""
        url = f"{self._repo_path}/issues/{number}/comments"
        self.gate.call(Op.CREATE, lambda: (None, self._send("POST", url, body={"body": body})[1]))

    # ---- issue types and dependencies ----------------------------------------------------

    def _typed(self, created: RemoteIssue, issue_type: str | None, body: str) -> RemoteIssue:
        """``created`` (a GraphQL create's answer) with its type and ``body`` set by one PATCH.

        The create's answer stays the fact for everything else (its parent link above all);
        an error of the PATCH is raised as it is: the issue exists and carries its marker
        without ``typed``, so the next run finds it and sets the type then.
        """
        if not issue_type:
            return created
        patched = self.update_issue(created.number, body=body, issue_type=issue_type)
        return dataclasses.replace(
            created, body=patched.body, issue_type=patched.issue_type, type_known=patched.type_known
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
        older GHES); ``after_404`` tells which.
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


def _names_another_parent(entry: Mapping[str, Any], issue: RemoteIssue, parent: int) -> bool:
    """A listed sub-issue whose ``parent_issue_url`` (when sent) names another parent."""
    return entry.get("parent_issue_url") is not None and issue.parent_number != parent


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
    number = whole_number(data.get("number"), MAX_ISSUE_NUMBER)
    issue_id = whole_number(data.get("id"), MAX_NODE_ID)
    where = _repository_of(data.get("repository_url"))
    if number is None or issue_id is None or where is None:
        return None
    return Blocker(number, issue_id, where, where.lower() == repository.lower())


def _about(data: object, repository: str, number: int, blocker_id: int) -> bool:
    """False when a dependency write's answer names an issue other than the two it was about
    (GitHub answers with an issue; which of the two is not documented)."""
    if not isinstance(data, dict) or "number" not in data:
        return True  # no issue named: nothing contradicts the request
    if whole_number(data.get("id"), MAX_NODE_ID) == blocker_id:
        return True
    where = _repository_of(data.get("repository_url"))
    if where is not None and where.lower() != repository.lower():
        return False
    return whole_number(data.get("number"), MAX_ISSUE_NUMBER) == number


def _type_names(data: object) -> tuple[str, ...] | None:
    """The enabled types' names in an issue-types answer, once each; None when there are none."""
    names: dict[str, str] = {}  # lower-cased -> as GitHub spells it
    for entry in data if isinstance(data, list) else []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and name.strip() and entry.get("is_enabled") is not False:
            names.setdefault(name.lower(), name)
    return tuple(names.values()) or None
