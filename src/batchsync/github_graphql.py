"""Creating issues through GitHub's GraphQL API: one request makes a child already under its parent.

``createIssue(input: {repositoryId, title, body, labelIds, parentIssueId})`` takes node ids, so a
run reads the repository's node id and its labels' node ids once (one paged query that also asks the
schema whether ``CreateIssueInput`` has ``parentIssueId``, and ``viewer { login }``: the account the
token acts as, for user and installation tokens alike; its first page is asked when the run loads,
further label pages only before the first create), and creates the labels that do not exist yet
once, through REST, before the first create that needs them. Every request goes through the gate:
queries as reads, the mutation as a create (paced, 5 secondary points, one content creation), all
charged to GraphQL's own primary bucket (``x-ratelimit-resource: graphql``).

GitHub refuses a too-fast create with HTTP 200 and ``errors: [{type: "UNPROCESSABLE", path:
["createIssue"], message: "was submitted too quickly"}]``, and a spent GraphQL budget with HTTP 200
and ``type: "RATE_LIMITED"``: both become ``RateLimitError`` (waits, like REST's 403/429). HTTP 200
with "Something went wrong while executing your query" and no issue is a lost answer: the create
may have been applied (``UncertainWriteError``, as for a lost REST create). Every error is
classified by ``errors.graphql_error``, the rules REST's answers go through. An error on
``viewer`` alone leaves the login unknown and the repository's data in use. A server without
GraphQL (404) or whose schema lacks ``parentIssueId`` (older GHES) is detected once per run, with
one warning, and every create then takes the REST path.

Every answer is checked against its question: a query names the repository (``nameWithOwner``)
and the issue (``number``) it answers about, a ``createIssue`` answer the issue's URL; an answer
about another repository or issue is ``UnusableAnswer``, never used (the repository query's then
turns GraphQL off for the run, with its warning).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from batchsync.errors import (
    ApiError,
    AuthError,
    ForbiddenError,
    NotFoundError,
    ServerError,
    TransportError,
    UnusableAnswer,
    ValidationFailed,
    graphql_error,
)
from batchsync.ratelimit import Op
from batchsync.remote import (
    PARENT_UNNAMED,
    RemoteIssue,
    foreign_place,
    issue_from_json,
    places,
)
from batchsync.retry import policy_of

__all__ = [
    "CREATE_ISSUE",
    "GRAPHQL_RESOURCE",
    "OPERATIONS",
    "PARENT_REMOVED",
    "REPOSITORY_QUERY",
    "GraphQLCreator",
    "NoHistory",
    "NoParentField",
]

T = TypeVar("T")
GRAPHQL_RESOURCE = "graphql"
MAX_LABEL_PAGES = 100  # 10,000 labels; a label not read is created (or looked up) when needed

# The only documents batchsync sends (tests/fidelity checks them against GitHub's schema).
REPOSITORY_QUERY = """query BatchsyncRepository($owner: String!, $name: String!, $cursor: String) {
  viewer { login }
  repository(owner: $owner, name: $name) {
    id
    nameWithOwner
    labels(first: 100, after: $cursor) {
      nodes { id name }
      pageInfo { hasNextPage endCursor }
    }
  }
  __type(name: "CreateIssueInput") { inputFields { name } }
}"""
CREATE_ISSUE = """mutation BatchsyncCreateIssue($input: CreateIssueInput!) {
  createIssue(input: $input) {
    issue { id number databaseId url author { __typename login } parent { number url } }
  }
}"""
# The last time a person (or anyone) took the issue out of a parent: its timeline's last
# ParentIssueRemovedEvent (``subissues``: a removal is a person's last word, not a cut-off run)
PARENT_REMOVED = """query BatchsyncParentRemoved($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    nameWithOwner
    issue(number: $number) {
      number
      timelineItems(itemTypes: [PARENT_ISSUE_REMOVED_EVENT], last: 1) {
        nodes { __typename ... on ParentIssueRemovedEvent { createdAt parent { number url } } }
      }
    }
  }
}"""
OPERATIONS = (REPOSITORY_QUERY, CREATE_ISSUE, PARENT_REMOVED)

Send = Callable[..., tuple[Any, Mapping[str, str]]]


class GateLike(Protocol):
    """What this module needs from ``processor.Gate``."""

    def call(
        self, op: Op, fn: Callable[[], tuple[T, Mapping[str, str]]], *, resource: str = "core"
    ) -> T:
        """Run ``fn`` (one request) under the shared limits."""
        ...


class NoParentField(Exception):
    """The server's ``CreateIssueInput`` refused ``parentIssueId`` (an older schema)."""


class NoHistory(Exception):
    """This run's server answers no GraphQL: an issue's timeline cannot be read."""


class GraphQLCreator:
    """One run's GraphQL create path: node ids, labels, the mutation and its answers."""

    def __init__(
        self,
        send: Send,
        gate: GateLike,
        repository: str,
        graphql_url: str,
        repo_path: str,
        *,
        scrub: Callable[[str], str] = str,
    ) -> None:
        self._send = send
        self._scrub = scrub  # the token out of any text a server sends back
        self._gate = gate
        self._resend = policy_of(gate).resend  # the run's exactly-once rule for a write
        self._repository = repository
        self._owner, _, self._name = repository.partition("/")
        self._url = graphql_url
        self._repo_path = repo_path
        # Three locks, none held by code that runs inside a gate call (which may hold the
        # write lane), so no lane waits for one while holding what another lane waits for:
        self._lock = threading.RLock()  # the run's GraphQL state and its one discovery
        self._label_lock = threading.Lock()  # one lane creates a missing label
        # signalled when a REST create sent with new labels has ended
        self._label_news = threading.Condition(self._label_lock)
        self._node_lock = threading.Lock()  # issue node ids, noted from any answer
        self._state: bool | None = None  # None: not asked yet; False: REST from now on
        self._next: str | None = None  # the cursor of the label page not read yet
        self._seen: set[str] = set()  # cursors read (a server paging in circles stops)
        self._viewer: str | None = None  # ``viewer { login }`` as the server gave it
        self._repo_id = ""
        self._labels: dict[str, str] = {}  # lower-cased name -> node id
        self._offered: set[str] = set()  # new labels a REST create was sent with
        self._pending: set[str] = set()  # ... whose create has not ended yet
        self._nodes: dict[int, str] = {}  # issue number -> node id
        self.warnings: list[str] = []

    def remember(self, number: int, node_id: object) -> None:
        """Note an issue's node id (from any answer), so it can be named as a parent."""
        if isinstance(node_id, str) and node_id:
            with self._node_lock:
                self._nodes[number] = node_id

    def viewer(self) -> str | None:
        """The login the server names as the token's (``viewer``), from the query's first page.

        None when the server gave none (no GraphQL, an error, a non-string). Asks only the
        first page: a run that creates nothing reads no further label pages.
        """
        with self._lock:
            if self._state is None:
                self._discover(pages=1)
            return self._viewer

    def available(self) -> bool:
        """True when creates go through GraphQL (asks the server once per run)."""
        with self._lock:
            if self._state is None or (self._state and self._next is not None):
                self._discover()
            return bool(self._state)

    def off(self, why: str) -> None:
        """Fall back to REST for the rest of the run, with one warning."""
        with self._lock:
            if self._state is False:
                return
            self._state = False
            self.warnings.append(
                f"GraphQL issue creation is not available ({why}): new issues are created and "
                "then linked under their parents through REST, two writes each"
            )

    def _discover(self, pages: int = MAX_LABEL_PAGES) -> None:
        try:
            for _ in range(pages):
                cursor = self._next
                page = self._gate.call(
                    Op.READ, functools.partial(self._query, cursor), resource=GRAPHQL_RESOURCE
                )
                # done, a server that pages in circles, or as many pages as a run reads
                if page is None or page in self._seen or len(self._seen) + 1 >= MAX_LABEL_PAGES:
                    self._next = None
                    return
                self._seen.add(page)
                self._next = page
        except (AuthError, ForbiddenError):
            raise
        except NoParentField:
            self.off("the server's CreateIssueInput has no parentIssueId")
        except NotFoundError:
            self.off("the server has no GraphQL endpoint: 404")
        except (ApiError, TransportError) as exc:
            self.off(f"the repository query failed: {exc}")

    def _query(self, cursor: str | None) -> tuple[str | None, Mapping[str, str]]:
        """One page of the repository query; returns the next cursor (None: done)."""
        variables = {"owner": self._owner, "name": self._name, "cursor": cursor}
        data, headers = self._send(
            "POST", self._url, body={"query": REPOSITORY_QUERY, "variables": variables}
        )
        if cursor is None:
            # ``viewer`` answers even when the repository part fails (its own error), and an
            # error on ``viewer`` alone leaves only the login unknown
            login = _dig(data, "data", "viewer", "login")
            self._viewer = login if isinstance(login, str) else None
        _raise_for_errors(data, headers, self._scrub, beside=("viewer",))
        repo = _dig(data, "data", "repository")
        if not isinstance(repo, dict) or not isinstance(repo.get("id"), str):
            self.off("the repository query answered without the repository's id")
            return None, headers
        other = self._other(repo)  # its id and labels must be this repository's
        if other is not None:
            text = f"the repository query for {self._repository} answered about {other}"
            raise UnusableAnswer(200, text, "POST", "/graphql")
        if cursor is None:
            fields = _dig(data, "data", "__type", "inputFields")
            names = {f.get("name") for f in fields if isinstance(f, dict)} if fields else set()
            if "parentIssueId" not in names:
                self.off("the server's CreateIssueInput has no parentIssueId")
                return None, headers
        self._repo_id = repo["id"]
        self._state = True
        return self._labels_page(repo), headers

    def _labels_page(self, repo: Mapping[str, Any]) -> str | None:
        """Note one page of the repository's labels; the cursor of the next page, or None."""
        labels = _dig(repo, "labels", "nodes")
        for node in labels if isinstance(labels, list) else []:
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                self.remember_label(node["name"], node.get("id"))
        info = _dig(repo, "labels", "pageInfo")
        more = isinstance(info, dict) and info.get("hasNextPage") is True
        after = info.get("endCursor") if isinstance(info, dict) else None
        return after if more and isinstance(after, str) else None

    def remember_label(self, name: object, node_id: object) -> None:
        """Note a label's node id (from any answer that shows one)."""
        if isinstance(name, str) and isinstance(node_id, str) and node_id:
            self._labels[name.lower()] = node_id

    # ---- an issue's history ----------------------------------------------------------------

    def parent_removed(self, number: int) -> int | None:
        """The parent issue ``number`` was last taken out of (its timeline's last
        ``ParentIssueRemovedEvent``); None when it never was, or that parent is another
        repository's; ``PARENT_UNNAMED`` when the answer cannot name it. Raises ``NoHistory``
        when the run's GraphQL is off (REST only), ``UnusableAnswer`` for an answer that is not
        the one event asked for."""
        with self._lock:
            if self._state is None:
                self._discover(pages=1)
            if not self._state:
                raise NoHistory(number)
        variables = {"owner": self._owner, "name": self._name, "number": number}
        request = {"query": PARENT_REMOVED, "variables": variables}

        def read() -> tuple[Any, Mapping[str, str]]:
            data, headers = self._send("POST", self._url, body=request)
            _raise_for_errors(data, headers, self._scrub)
            return data, headers

        data = self._gate.call(Op.READ, read, resource=GRAPHQL_RESOURCE)
        repo = _dig(data, "data", "repository")
        answered = _dig(repo, "issue", "number")
        other = self._other(repo)
        if other is None and (isinstance(answered, bool) or answered != number):
            other = self._scrub(_shown(answered))  # another issue's history
        if other is not None:
            text = f"the timeline query for #{number} answered about {other}"
            raise UnusableAnswer(200, text, "POST", "/graphql")
        return self._removed_from(_dig(repo, "issue", "timelineItems", "nodes"))

    def _removed_from(self, nodes: object) -> int | None:
        """``parent_removed``'s answer from the timeline's nodes (checked: one event at most)."""
        if not isinstance(nodes, list) or len(nodes) > 1:  # ``last: 1`` asks for one at most
            raise UnusableAnswer(200, "answered without the issue's timeline", "POST", "/graphql")
        if not nodes:
            return None  # never taken out of a parent
        event = nodes[0]
        if not isinstance(event, dict) or event.get("__typename") != "ParentIssueRemovedEvent":
            raise UnusableAnswer(200, "answered with another timeline item", "POST", "/graphql")
        parent = event.get("parent")
        if parent is None:
            return PARENT_UNNAMED  # taken out of a parent deleted since, or not readable
        if not isinstance(parent, dict):
            raise UnusableAnswer(200, "named a parent that is no issue", "POST", "/graphql")
        shaped = {"number": parent.get("number"), "html_url": parent.get("url")}
        if not places(shaped) or foreign_place(shaped, self._repository) is not None:
            return None  # another repository's parent: no number of this one
        found = parent.get("number")
        if isinstance(found, bool) or not isinstance(found, int):
            raise UnusableAnswer(200, "named a parent without a number", "POST", "/graphql")
        return found

    def _other(self, repo: object) -> str | None:
        """What an answer's repository names when it is not the one asked about (its
        ``nameWithOwner``, compared case-insensitively, as GitHub compares names); else None."""
        named = _dig(repo, "nameWithOwner")
        if isinstance(named, str) and named.casefold() == self._repository.casefold():
            return None
        return self._scrub(_shown(named))

    # ---- labels ---------------------------------------------------------------------------

    def needs_rest(self, names: tuple[str, ...]) -> bool:
        """True when a create should go through REST: it names labels that do not exist yet.

        GitHub creates the labels a REST create names, with the issue and at no cost of their
        own; the answer carries their node ids. A ``POST .../labels`` (one content creation
        each) would make the first child of a new kind cost as much as REST create + link, and
        a new PRD's labels cost more.
        """
        with self._label_news:
            unknown = {n.lower() for n in names} - set(self._labels)
            if unknown - self._offered:
                self._offered |= unknown
                self._pending |= unknown
                return True
            # another lane's REST create is making them: its answer will name their node ids
            while unknown & self._pending and not unknown <= set(self._labels):
                self._label_news.wait()
            return False

    def settled(self, names: tuple[str, ...]) -> None:
        """The REST create that ``needs_rest`` sent with new labels ended (however it ended)."""
        with self._label_news:
            self._pending -= {n.lower() for n in names}
            self._label_news.notify_all()

    def label_ids(self, names: tuple[str, ...]) -> list[str]:
        """Node ids for ``names``; a label still unknown (a REST answer without its node id,
        or one created meanwhile) is created once (REST ``POST .../labels``, paced as content)."""
        ids: list[str] = []
        for name in names:
            with self._label_lock:
                found = self._labels.get(name.lower())
                if found is None:
                    found = self._create_label(name)
            if found not in ids:
                ids.append(found)
        return ids

    def _create_label(self, name: str) -> str:
        url = f"{self._repo_path}/labels"
        path = f"{self._repo_path}/labels/{quote(name, safe='')}"

        def send() -> object:
            return self._gate.call(Op.CREATE, lambda: self._send("POST", url, body={"name": name}))

        def look() -> object | None:
            """The label as GitHub has it; None when there is none (so none was made)."""
            try:
                found = self._gate.call(Op.READ, lambda: self._send("GET", path))
            except NotFoundError:
                return None
            return {} if found is None else found  # an empty answer fails the node id check

        try:
            # a lost answer is looked for before the label is sent again (the one resend rule)
            data, _ = self._resend(send, look)
        except ValidationFailed:
            data = look()  # taken meanwhile (422 already_exists): read it back
            if data is None:
                raise
        node = data.get("node_id") if isinstance(data, dict) else None
        if not isinstance(node, str) or not node:
            raise ServerError(502, f"label {name!r} came back without a node id", "POST", url)
        self.remember_label(name, node)
        return node

    # ---- the create -----------------------------------------------------------------------

    def create(
        self, title: str, body: str, labels: tuple[str, ...], parent: int | None
    ) -> RemoteIssue:
        """Create one issue (under ``parent`` when its node id is known) in one request."""
        payload: dict[str, Any] = {
            "repositoryId": self._repo_id,
            "title": title,
            "body": body,
            "labelIds": self.label_ids(labels),
        }
        with self._node_lock:
            parent_id = self._nodes.get(parent) if parent is not None else None
        if parent_id is not None:
            payload["parentIssueId"] = parent_id
        request = {"query": CREATE_ISSUE, "variables": {"input": payload}}

        def send() -> tuple[tuple[RemoteIssue, object], Mapping[str, str]]:
            data, headers = self._send("POST", self._url, body=request)
            sent = (title, body, labels)
            return self._created(data, headers, sent), headers

        issue, node = self._gate.call(Op.CREATE, send, resource=GRAPHQL_RESOURCE)
        self.remember(issue.number, node)
        return issue

    def _created(
        self, data: object, headers: Mapping[str, str], sent: tuple[str, str, tuple[str, ...]]
    ) -> tuple[RemoteIssue, object]:
        """The created issue from a ``createIssue`` answer (per item: errors beside an issue
        mean it exists and only what they name, the parent link, may be missing)."""
        issue = _dig(data, "data", "createIssue", "issue")
        if not isinstance(issue, dict):
            _raise_for_errors(data, headers, self._scrub)
            # a 200 without the issue and without a reason: it may exist; look before resending
            raise ServerError(502, "createIssue answered without the issue", "POST", "/graphql")
        rest = _rest_shape(issue, *sent)
        created = issue_from_json(rest, self._repository)
        if created is None:
            raise ServerError(502, "createIssue answered without number or id", "POST", "/graphql")
        elsewhere = foreign_place(rest, self._repository)
        if elsewhere is not None:
            text = f"createIssue answered with an issue that names {elsewhere}"
            raise UnusableAnswer(200, text, "POST", "/graphql")
        if not places(rest):
            text = "createIssue answered with an issue that names no repository"
            raise UnusableAnswer(200, text, "POST", "/graphql")
        return created, issue.get("id")


def _shown(value: object) -> str:
    """A value from an answer, short and on one line, for a message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _dig(data: object, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _errors(data: object) -> list[dict[str, Any]]:
    raw = data.get("errors") if isinstance(data, dict) else None
    return [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []


def _raise_for_errors(
    data: object,
    headers: Mapping[str, str],
    scrub: Callable[[str], str],
    *,
    beside: tuple[str, ...] = (),
) -> None:
    """Raise the first GraphQL error that stopped the operation, classified as REST's answers
    are (``errors.graphql_error``); an error whose path starts at a field of ``beside`` (e.g.
    ``viewer``) is no failure of the rest of the answer."""
    for error in _errors(data):
        path = error.get("path")
        if isinstance(path, list) and path and path[0] in beside:
            continue
        text = scrub(str(error.get("message") or "no message"))
        if "parentIssueId" in text:
            raise NoParentField(text)
        raise graphql_error(scrub(str(error.get("type") or "")), text, headers=headers)


def _rest_shape(
    issue: Mapping[str, Any], title: str, body: str, labels: tuple[str, ...]
) -> dict[str, Any]:
    """A ``createIssue`` answer (and what was sent with it) under REST's field names, for the
    one reader of issue answers (``remote.issue_from_json``)."""
    author = issue.get("author")
    login = author.get("login") if isinstance(author, dict) else None
    if isinstance(login, str) and isinstance(author, dict) and author.get("__typename") == "Bot":
        login += "[bot]"  # REST's name for the same account
    rest: dict[str, Any] = {
        "number": issue.get("number"),
        "id": issue.get("databaseId"),
        "node_id": issue.get("id"),
        "html_url": issue.get("url"),
        "title": title,
        "body": body,
        "state": "open",
        "labels": list(labels),
        "user": {"login": login},
    }
    if "parent" in issue:
        parent = issue["parent"]
        rest["parent_issue_url"] = parent.get("url") if isinstance(parent, dict) else None
    return rest
