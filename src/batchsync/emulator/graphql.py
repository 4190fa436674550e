"""GitHub's GraphQL endpoint (``POST /graphql``) for the operations batchsync sends. Stdlib only.

Served: ``viewer { login }`` (the token's account), ``repository(owner, name) { id databaseId name
nameWithOwner url labels(first, after) { nodes { id name color description } pageInfo { hasNextPage
endCursor } totalCount } }``, ``__type(name: "CreateIssueInput") { name inputFields { name } }``
(how a client learns whether ``parentIssueId`` exists), and ``createIssue(input: {repositoryId,
title, body, labelIds, parentIssueId, clientMutationId}) { issue { id number databaseId url title
parent { number url } } }``.
Anything else is refused with a GraphQL error in GitHub's (graphql-ruby's) wording.

Charging follows https://docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api:
a primary bucket of its own (``x-ratelimit-resource: graphql``, 1 point per request here: every
query batchsync sends asks for at most 100 nodes), 1 secondary point for a query and 5 for a
request with a mutation, and one content creation per ``createIssue``. A content-creation refusal
is answered as GitHub does for GraphQL: HTTP 200 with ``errors: [{type: "UNPROCESSABLE",
path: ["createIssue"], message: "was submitted too quickly"}]`` (or 403/429 like REST, by
``too_quickly_rate``); a spent primary budget as HTTP 200 with ``type: "RATE_LIMITED"``.
"""

from __future__ import annotations

import base64
import functools
import json
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from batchsync.emulator.limits import Decision, Verdict
from batchsync.emulator.protocol import ApiFailure, Charge, Request, Response
from batchsync.emulator.state import (
    MAX_DEPTH,
    MAX_SUB_ISSUES,
    IssueState,
    LabelState,
    ParentRemoval,
    Repo,
    Store,
    UserRef,
)

__all__ = [
    "CREATE_ISSUE_INPUT",
    "GraphQLApi",
    "GraphQLConfig",
    "GraphQLError",
    "decode_node_id",
    "graphql_path",
    "issue_node_id",
    "label_node_id",
    "repo_node_id",
]

TOO_QUICKLY = "was submitted too quickly"
CREATE_ISSUE_INPUT = (
    "assigneeIds",
    "body",
    "clientMutationId",
    "issueTemplate",
    "labelIds",
    "milestoneId",
    "parentIssueId",
    "projectIds",
    "repositoryId",
    "title",
)
_SERVED_INPUT = frozenset({"repositoryId", "title", "body", "labelIds", "parentIssueId"})
MAX_PAGE = 100


@dataclass(frozen=True)
class GraphQLConfig:
    """How ``/graphql`` behaves; pass ``graphql=None`` to the emulator for a server without it."""

    parent_issue_id: bool = True  # False: an older schema whose CreateIssueInput lacks it
    link_counts_twice: bool = False  # a createIssue with a parent counts 2 content creations
    too_quickly_rate: float = 1.0  # share of content refusals answered 200 "submitted too quickly"
    # ``viewer { login }`` of an installation token: GitHub names the bot as REST does
    # (``github-actions[bot]``, ``<app-slug>[bot]``); False: the reading where it is the bare
    # slug, as ``Actor.login`` names a bot author
    viewer_bot_suffix: bool = True
    # ``viewer`` answered null with its own FORBIDDEN error beside a repository that answers
    # (a token GitHub will not name); False: it names the token's account
    viewer_error: bool = False
    # ``Issue.timelineItems`` lists the ``ParentIssueRemovedEvent`` of a sub-issue taken out of
    # its parent (REST ``DELETE .../sub_issue`` or ``removeSubIssue``); False: a server whose
    # timeline has no such event (it answers an empty list)
    parent_removed_events: bool = True


def graphql_path(prefix: str) -> str:
    """Where GraphQL lives for a REST prefix: ``/graphql``; ``/api/graphql`` beside ``/api/v3``."""
    base = prefix.rstrip("/")
    if base.endswith("/v3"):
        base = base[: -len("/v3")]
    return base + "/graphql"


# ---- node ids: GitHub's current format, a type prefix and base64url(msgpack([0, ...ids])) ------


def _msgpack_uint(value: int) -> bytes:
    if value < 0x80:
        return bytes([value])
    for tag, size in ((0xCC, 1), (0xCD, 2), (0xCE, 4)):
        if value < 1 << (8 * size):
            return bytes([tag]) + value.to_bytes(size, "big")
    return b"\xcf" + value.to_bytes(8, "big")


def _node_id(prefix: str, *ids: int) -> str:
    packed = bytes([0x90 + len(ids) + 1]) + b"".join(_msgpack_uint(i) for i in (0, *ids))
    return f"{prefix}_" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def repo_node_id(repo: Repo) -> str:
    """``R_kgDO...``: the repository's node id."""
    return _node_id("R", repo.id)


def issue_node_id(repo: Repo, issue: IssueState) -> str:
    """``I_kwDO...``: an issue's node id (the repository's id, then the issue's)."""
    return _node_id("I", repo.id, issue.id)


def label_node_id(repo: Repo, label: LabelState) -> str:
    """``LA_kwDO...``: a label's node id."""
    return _node_id("LA", repo.id, label.id)


def issue_type_node_id(owner_id: int, type_id: int) -> str:
    """``IT_kwDO...``: an issue type's node id (its organisation's id, then its own)."""
    return _node_id("IT", owner_id, type_id)


def decode_node_id(value: object) -> tuple[str, tuple[int, ...]] | None:
    """``(prefix, ids)`` of a node id this emulator made, or None for anything else."""
    if not isinstance(value, str) or "_" not in value:
        return None
    prefix, _, encoded = value.partition("_")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        return None
    if not raw or not 0x91 <= raw[0] <= 0x9F:
        return None
    ids, pos = [], 1
    sizes = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}
    while pos < len(raw):
        tag = raw[pos]
        size = 0 if tag < 0x80 else sizes.get(tag)
        if size is None or pos + 1 + size > len(raw):
            return None
        ids.append(tag if size == 0 else int.from_bytes(raw[pos + 1 : pos + 1 + size], "big"))
        pos += 1 + size
    if len(ids) != raw[0] - 0x90 or ids[0] != 0:
        return None
    return prefix, tuple(ids[1:])


# ---- parsing: the executable subset of GraphQL that clients send (no fragments) ---------------

_TOKEN = re.compile(
    r"""(?P<skip>[\s,\ufeff]+|\#[^\n\r]*)
      |(?P<block>\"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\")
      |(?P<string>"(?:\\.|[^"\\\n\r])*")
      |(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      |(?P<name>[_A-Za-z][_0-9A-Za-z]*)
      |(?P<punct>\.\.\.|[!$&()\[\]{}:=@|])
    """,
    re.VERBOSE,
)


class GraphQLError(Exception):
    """One entry of a GraphQL ``errors`` list."""

    def __init__(
        self,
        message: str,
        *,
        path: list[str] | None = None,
        type_: str | None = None,
        extensions: Mapping[str, Any] | None = None,
        location: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.type = type_
        self.extensions = dict(extensions) if extensions else None
        self.location = location

    def to_json(self) -> dict[str, Any]:
        """The error as GitHub lists it."""
        data: dict[str, Any] = {}
        if self.type is not None:
            data["type"] = self.type
        if self.path is not None:
            data["path"] = self.path
        if self.extensions is not None:
            data["extensions"] = self.extensions
        if self.location is not None:
            data["locations"] = [{"line": self.location[0], "column": self.location[1]}]
        data["message"] = self.message
        return data


@dataclass(frozen=True)
class Var:
    """A ``$name`` in a value."""

    name: str


@dataclass
class Field:
    """One selected field with its arguments and sub-selection."""

    name: str
    alias: str | None
    args: dict[str, Any]
    selections: list[Field] | None
    location: tuple[int, int]

    @property
    def key(self) -> str:
        """The key it answers under."""
        return self.alias or self.name


@dataclass
class Operation:
    """A parsed query or mutation."""

    kind: str
    variables: dict[str, str]  # name -> type, as written (``CreateIssueInput!``)
    selections: list[Field] = field(default_factory=list)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str, tuple[int, int]]] = []
        pos, line, start = 0, 1, 0
        while pos < len(text):
            found = _TOKEN.match(text, pos)
            if found is None:
                raise GraphQLError(
                    f'Parse error on "{text[pos]}" at [{line}, {pos - start + 1}]',
                    location=(line, pos - start + 1),
                )
            kind = found.lastgroup or "skip"
            if kind != "skip":
                self.tokens.append((kind, found.group(), (line, pos - start + 1)))
            chunk = found.group()
            if "\n" in chunk:
                line += chunk.count("\n")
                start = pos + chunk.rindex("\n") + 1
            pos = found.end()
        self.at = 0

    def peek(self) -> tuple[str, str, tuple[int, int]]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "", (0, 0))

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        tok_kind, text, where = self.peek()
        if (value is not None and text != value) or (kind is not None and tok_kind != kind):
            shown = text or "end of file"
            raise GraphQLError(
                f'Parse error on "{shown}" at [{where[0]}, {where[1]}]', location=where
            )
        self.at += 1
        return text

    def document(self) -> Operation:
        kind = "query"
        variables: dict[str, str] = {}
        if self.peek()[1] in ("query", "mutation", "subscription"):
            kind = self.take()
            if self.peek()[0] == "name":
                self.take()
            if self.peek()[1] == "(":
                variables = self.variable_definitions()
        operation = Operation(kind, variables, self.selection_set())
        if self.peek()[0] != "end":
            where = self.peek()[2]
            raise GraphQLError(
                "This endpoint serves one operation and no fragments", location=where
            )
        return operation

    def variable_definitions(self) -> dict[str, str]:
        self.take("(")
        found: dict[str, str] = {}
        while self.peek()[1] != ")":
            self.take("$")
            name = self.take(kind="name")
            self.take(":")
            found[name] = self.type_ref()
            if self.peek()[1] == "=":
                self.take("=")
                self.value()
        self.take(")")
        return found

    def type_ref(self) -> str:
        if self.peek()[1] == "[":
            self.take("[")
            inner = self.type_ref()
            self.take("]")
            text = f"[{inner}]"
        else:
            text = self.take(kind="name")
        if self.peek()[1] == "!":
            self.take("!")
            text += "!"
        return text

    def selection_set(self) -> list[Field]:
        self.take("{")
        fields: list[Field] = []
        while self.peek()[1] != "}":
            fields.append(self.inline() if self.peek()[1] == "..." else self.field())
        self.take("}")
        if not fields:
            raise GraphQLError('Parse error on "}" (RCURLY)')
        return fields

    def inline(self) -> Field:
        """``... on Type { ... }``: kept as a field named ``...`` whose ``on`` is the type."""
        where = self.peek()[2]
        self.take("...")
        if self.peek()[1] != "on":
            raise GraphQLError("This endpoint serves no named fragments", location=where)
        self.take("on")
        condition = self.take(kind="name")
        return Field("...", None, {"on": condition}, self.selection_set(), where)

    def field(self) -> Field:
        where = self.peek()[2]
        name = self.take(kind="name")
        alias = None
        if self.peek()[1] == ":":
            self.take(":")
            alias, name = name, self.take(kind="name")
        args: dict[str, Any] = {}
        if self.peek()[1] == "(":
            self.take("(")
            while self.peek()[1] != ")":
                arg = self.take(kind="name")
                self.take(":")
                args[arg] = self.value()
            self.take(")")
        selections = self.selection_set() if self.peek()[1] == "{" else None
        return Field(name, alias, args, selections, where)

    def value(self) -> Any:
        kind, text, _ = self.peek()
        if text == "$":
            self.take("$")
            return Var(self.take(kind="name"))
        if text == "[":
            self.take("[")
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
            self.take("]")
            return items
        if text == "{":
            self.take("{")
            obj: dict[str, Any] = {}
            while self.peek()[1] != "}":
                key = self.take(kind="name")
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        self.take()
        return _literal(kind, text)


def _literal(kind: str, text: str) -> Any:
    if kind == "string":
        return _unescape(text[1:-1])
    if kind == "block":
        return text[3:-3]
    if kind == "number":
        return float(text) if any(c in text for c in ".eE") else int(text)
    return {"true": True, "false": False, "null": None}.get(text, text)


def _unescape(raw: str) -> str:
    return re.sub(
        r"\\(u[0-9a-fA-F]{4}|.)",
        lambda m: (
            chr(int(m.group(1)[1:], 16))
            if m.group(1)[0] == "u"
            else {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(m.group(1), m.group(1))
        ),
        raw,
    )


def parse(query: object) -> Operation:
    """Parse one operation, or raise ``GraphQLError`` (a client sends the same few documents)."""
    if not isinstance(query, str) or not query.strip():
        raise GraphQLError("No query string was present")
    return _parse(query)


@functools.lru_cache(maxsize=64)
def _parse(query: str) -> Operation:
    return _Parser(query).document()


def _resolve(value: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(value, Var):
        return variables.get(value.name)
    if isinstance(value, list):
        return [_resolve(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, variables) for k, v in value.items()}
    return value


# ---- execution ---------------------------------------------------------------------------------


@dataclass
class _Context:
    req: Request
    variables: Mapping[str, Any]
    operation: Operation
    errors: list[GraphQLError] = field(default_factory=list)


Resolver = Callable[[_Context, Any, Field, list[str]], Any]


class GraphQLApi:
    """Parses, charges and answers ``POST /graphql`` over the emulator's ``Store``."""

    def __init__(
        self,
        store: Store,
        config: GraphQLConfig,
        author: Callable[[Request], UserRef],
        seed: int = 0,
    ) -> None:
        self.store = store
        self._author = author
        self.config = config
        self._rng = random.Random(seed)
        self._types: dict[str, dict[str, tuple[frozenset[str], Resolver]]] = {
            "Query": {
                "repository": (frozenset({"owner", "name", "followRenames"}), self._repository),
                "__type": (frozenset({"name"}), self._type),
                "viewer": (frozenset(), self._viewer),
            },
            "Mutation": {
                "createIssue": (frozenset({"input"}), self._create_issue),
                "removeSubIssue": (frozenset({"input"}), self._remove_sub_issue),
            },
            "Repository": {
                "id": (frozenset(), lambda c, r, f, p: repo_node_id(r)),
                "databaseId": (frozenset(), lambda c, r, f, p: r.id),
                "name": (frozenset(), lambda c, r, f, p: r.name),
                "nameWithOwner": (frozenset(), lambda c, r, f, p: r.full_name),
                "url": (frozenset(), lambda c, r, f, p: f"{c.req.web_base}/{r.full_name}"),
                "labels": (frozenset({"first", "after", "orderBy", "query"}), self._labels),
                "issue": (frozenset({"number"}), self._issue),
            },
            "LabelConnection": {
                "nodes": (frozenset(), lambda c, v, f, p: v["nodes"]),
                "pageInfo": (frozenset(), lambda c, v, f, p: v["pageInfo"]),
                "totalCount": (frozenset(), lambda c, v, f, p: v["totalCount"]),
            },
            "PageInfo": {
                name: (frozenset(), _key(name))
                for name in ("hasNextPage", "endCursor", "hasPreviousPage", "startCursor")
            },
            "Label": {
                "id": (frozenset(), lambda c, v, f, p: label_node_id(v[0], v[1])),
                "name": (frozenset(), lambda c, v, f, p: v[1].name),
                "color": (frozenset(), lambda c, v, f, p: v[1].color),
                "description": (frozenset(), lambda c, v, f, p: v[1].description),
            },
            "CreateIssuePayload": {
                "issue": (frozenset(), lambda c, v, f, p: v["issue"]),
                "clientMutationId": (frozenset(), lambda c, v, f, p: v["clientMutationId"]),
            },
            "Issue": {
                "id": (frozenset(), lambda c, v, f, p: issue_node_id(v[0], v[1])),
                "number": (frozenset(), lambda c, v, f, p: v[1].number),
                "databaseId": (frozenset(), lambda c, v, f, p: v[1].id),
                "title": (frozenset(), lambda c, v, f, p: v[1].title),
                "body": (frozenset(), lambda c, v, f, p: v[1].body or ""),
                "state": (frozenset(), lambda c, v, f, p: v[1].state.upper()),
                "url": (frozenset(), self._issue_url),
                "author": (frozenset(), lambda c, v, f, p: v[1].user),
                "parent": (frozenset(), self._parent),
                "timelineItems": (
                    frozenset({"after", "before", "first", "itemTypes", "last", "since", "skip"}),
                    self._timeline,
                ),
            },
            "IssueTimelineItemsConnection": {
                "nodes": (frozenset(), lambda c, v, f, p: v["nodes"]),
                "pageInfo": (frozenset(), lambda c, v, f, p: v["pageInfo"]),
                "totalCount": (frozenset(), lambda c, v, f, p: v["totalCount"]),
            },
            "IssueTimelineItems": {},  # a union: its members' fields through ``... on``
            "ParentIssueRemovedEvent": {
                name: (frozenset(), _key(name)) for name in ("id", "createdAt", "actor", "parent")
            },
            "RemoveSubIssuePayload": {
                name: (frozenset(), _key(name))
                for name in ("issue", "subIssue", "clientMutationId")
            },
            "User": {"login": (frozenset(), lambda c, v, f, p: v)},
            "Actor": {
                # GraphQL names a bot without REST's "[bot]" suffix, and types it Bot
                "login": (frozenset(), lambda c, v, f, p: v.login.removesuffix("[bot]")),
                "__typename": (
                    frozenset(),
                    lambda c, v, f, p: "Bot" if v.type == "Bot" else "User",
                ),
            },
            "__Type": {
                "name": (frozenset(), lambda c, v, f, p: v["name"]),
                "kind": (frozenset(), lambda c, v, f, p: v["kind"]),
                "inputFields": (frozenset({"includeDeprecated"}), lambda c, v, f, p: v["fields"]),
            },
            "__InputValue": {"name": (frozenset(), lambda c, v, f, p: v)},
        }
        self._field_types = {
            ("Query", "repository"): "Repository",
            ("Query", "__type"): "__Type",
            ("Query", "viewer"): "User",
            ("Mutation", "createIssue"): "CreateIssuePayload",
            ("Repository", "labels"): "LabelConnection",
            ("LabelConnection", "nodes"): "Label",
            ("LabelConnection", "pageInfo"): "PageInfo",
            ("CreateIssuePayload", "issue"): "Issue",
            ("Issue", "parent"): "Issue",
            ("Issue", "author"): "Actor",
            ("__Type", "inputFields"): "__InputValue",
            ("Repository", "issue"): "Issue",
            ("Issue", "timelineItems"): "IssueTimelineItemsConnection",
            ("IssueTimelineItemsConnection", "nodes"): "IssueTimelineItems",
            ("IssueTimelineItemsConnection", "pageInfo"): "PageInfo",
            ("ParentIssueRemovedEvent", "actor"): "Actor",
            ("ParentIssueRemovedEvent", "parent"): "Issue",
            ("Mutation", "removeSubIssue"): "RemoveSubIssuePayload",
            ("RemoveSubIssuePayload", "issue"): "Issue",
            ("RemoveSubIssuePayload", "subIssue"): "Issue",
        }
        self._unions = {"IssueTimelineItems": frozenset({"ParentIssueRemovedEvent"})}

    # ---- what a request costs, decided before it runs -------------------------------------

    def charge(self, raw: bytes) -> Charge:
        """Content creations and secondary points of one request body (1 point if unreadable)."""
        try:
            body = _json_object(raw)
            operation = parse(body.get("query"))
        except (GraphQLError, ValueError):
            return Charge(creates=0, points=1, operation="invalid")
        if operation.kind != "mutation":
            return Charge(creates=0, points=1, operation="query")
        variables = body.get("variables") if isinstance(body.get("variables"), dict) else {}
        creates = 0
        for root in operation.selections:
            if root.name != "createIssue":
                continue
            creates += 1
            data = _resolve(root.args.get("input"), variables or {})
            if self.config.link_counts_twice and isinstance(data, dict):
                creates += 1 if data.get("parentIssueId") else 0
        names = ",".join(sorted({f.name for f in operation.selections}))
        return Charge(creates=creates, points=5, operation=names)

    def refused(self, decision: Decision, charge: Charge) -> Response:
        """The limiter's refusal as GraphQL gives it."""
        failure = decision.failure
        assert failure is not None
        if decision.verdict is Verdict.PRIMARY:
            headers = {**failure.headers, "x-ratelimit-remaining": "0"}
            limited = {"type": "RATE_LIMITED", "message": failure.message}
            return Response(200, {"errors": [limited]}, headers)
        if (
            decision.content
            and charge.creates
            and self._rng.random() < self.config.too_quickly_rate
        ):
            headers = {k: v for k, v in failure.headers.items() if k != "retry-after"}
            error = GraphQLError(
                TOO_QUICKLY, path=["createIssue"], type_="UNPROCESSABLE", location=(1, 1)
            )
            body = {"data": {"createIssue": None}, "errors": [error.to_json()]}
            return Response(200, body, headers)
        return failure.response()

    # ---- answering ---------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        """Answer one ``POST /graphql`` (the caller holds the store's lock)."""
        body = req.body if isinstance(req.body, dict) else None
        if body is None:
            raise ApiFailure(400, "Problems parsing JSON")
        try:
            operation = parse(body.get("query"))
            variables = self._variables(operation, body.get("variables"))
        except GraphQLError as error:
            return Response(200, {"errors": [error.to_json()]})
        if operation.kind == "subscription":
            refusal = GraphQLError("Subscriptions are not supported")
            return Response(200, {"errors": [refusal.to_json()]})
        root = "Mutation" if operation.kind == "mutation" else "Query"
        ctx = _Context(req, variables, operation)
        try:
            self._check(root, operation.selections, [operation.kind], variables)
        except GraphQLError as error:
            return Response(200, {"errors": [error.to_json()]})
        data = self._select(ctx, root, None, operation.selections, [])
        answer: dict[str, Any] = {"data": data}
        if ctx.errors:
            answer["errors"] = [e.to_json() for e in ctx.errors]
        return Response(200, answer)

    def _variables(self, operation: Operation, raw: object) -> dict[str, Any]:
        given = raw if isinstance(raw, dict) else {}
        out: dict[str, Any] = {}
        for name, type_ref in operation.variables.items():
            value = given.get(name)
            if value is None and type_ref.endswith("!"):
                raise GraphQLError(
                    f"Variable ${name} of type {type_ref} was provided invalid value",
                    extensions={
                        "value": None,
                        "problems": [{"path": [], "explanation": "Expected value to not be null"}],
                    },
                )
            if type_ref.rstrip("!") == "CreateIssueInput" and isinstance(value, dict):
                unknown = self._unknown_input(value)
                if unknown:
                    why = "Field is not defined on CreateIssueInput"
                    raise GraphQLError(
                        f"Variable ${name} of type {type_ref} was provided invalid value for "
                        f"{unknown} ({why})",
                        extensions={
                            "value": value,
                            "problems": [{"path": [unknown], "explanation": why}],
                        },
                    )
            out[name] = value
        return out

    def _input_fields(self) -> tuple[str, ...]:
        if self.config.parent_issue_id:
            return CREATE_ISSUE_INPUT
        return tuple(n for n in CREATE_ISSUE_INPUT if n != "parentIssueId")

    def _unknown_input(self, value: Mapping[str, Any]) -> str | None:
        known = self._input_fields()
        return next((k for k in value if k not in known), None)

    def _check(
        self, type_name: str, fields: list[Field], path: list[str], variables: Mapping[str, Any]
    ) -> None:
        """Static validation: every field exists on its type, every argument is accepted."""
        table = self._types[type_name]
        for f in fields:
            here = [*path, f.key]
            if f.name == "__typename":
                continue
            if f.name == "...":
                self._check_inline(type_name, f, path, variables)
                continue
            if f.name not in table:
                raise GraphQLError(
                    f"Field '{f.name}' doesn't exist on type '{type_name}'",
                    path=here,
                    extensions={
                        "code": "undefinedField",
                        "typeName": type_name,
                        "fieldName": f.name,
                    },
                    location=f.location,
                )
            accepted, _ = table[f.name]
            for arg in f.args:
                if arg not in accepted:
                    raise GraphQLError(
                        f"Field '{f.name}' doesn't accept argument '{arg}'",
                        path=here,
                        extensions={
                            "code": "argumentNotAccepted",
                            "name": f.name,
                            "typeName": "Field",
                            "argumentName": arg,
                        },
                        location=f.location,
                    )
            inline = f.args.get("input")
            if f.name == "createIssue" and isinstance(inline, dict):
                unknown = self._unknown_input(inline)
                if unknown:
                    raise GraphQLError(
                        f"InputObject 'CreateIssueInput' doesn't accept argument '{unknown}'",
                        path=[*here, "input", unknown],
                        extensions={
                            "code": "argumentNotAccepted",
                            "name": "CreateIssueInput",
                            "typeName": "InputObject",
                            "argumentName": unknown,
                        },
                        location=f.location,
                    )
            child = self._field_types.get((type_name, f.name))
            if child is not None and f.selections is None:
                raise GraphQLError(
                    f"Field must have selections (field '{f.name}' returns {child} but has no "
                    f"selections. Did you mean '{f.name} {{ ... }}'?)",
                    path=here,
                    location=f.location,
                )
            if child is not None and f.selections is not None:
                self._check(child, f.selections, here, variables)

    def _check_inline(
        self, type_name: str, f: Field, path: list[str], variables: Mapping[str, Any]
    ) -> None:
        """``... on Type``: the type is this one or a member of this union."""
        condition = str(f.args["on"])
        if condition != type_name and condition not in self._unions.get(type_name, ()):
            raise GraphQLError(
                f"Fragment on {condition} can't be spread inside {type_name}",
                path=path,
                location=f.location,
            )
        self._check(condition, f.selections or [], path, variables)

    def _select(
        self, ctx: _Context, type_name: str, value: Any, fields: list[Field], path: list[str]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        concrete = value["__typename"] if type_name in self._unions else type_name
        for f in fields:
            here = [*path, f.key]
            if f.name == "...":
                if f.args["on"] == concrete:
                    out.update(self._select(ctx, concrete, value, f.selections or [], path))
                continue
            if f.name == "__typename" and "__typename" not in self._types[type_name]:
                out[f.key] = concrete
                continue
            _, resolver = self._types[type_name][f.name]
            try:
                result = resolver(ctx, value, f, here)
            except GraphQLError as error:
                error.path = error.path or here
                error.location = error.location or f.location
                ctx.errors.append(error)
                out[f.key] = None
                continue
            out[f.key] = self._shape(ctx, type_name, f, result, here)
        return out

    def _shape(self, ctx: _Context, type_name: str, f: Field, result: Any, path: list[str]) -> Any:
        child = self._field_types.get((type_name, f.name))
        if child is None or result is None or f.selections is None:
            return result
        if isinstance(result, list):
            return [self._select(ctx, child, r, f.selections, path) for r in result]
        return self._select(ctx, child, result, f.selections, path)

    # ---- resolvers -----------------------------------------------------------------------------

    def _args(self, ctx: _Context, f: Field) -> dict[str, Any]:
        return {k: _resolve(v, ctx.variables) for k, v in f.args.items()}

    def _repository(self, ctx: _Context, _: Any, f: Field, path: list[str]) -> Repo | None:
        args = self._args(ctx, f)
        owner, name = args.get("owner"), args.get("name")
        found = self.store.repos.get(f"{owner}/{name}".lower())
        if found is None:
            raise GraphQLError(
                f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                type_="NOT_FOUND",
            )
        return found

    def _labels(self, ctx: _Context, repo: Repo, f: Field, path: list[str]) -> dict[str, Any]:
        args = self._args(ctx, f)
        first = args.get("first")
        if not isinstance(first, int) or not 1 <= first <= MAX_PAGE:
            raise GraphQLError(
                f"Requesting {first} records on the `labels` connection exceeds the `first` "
                f"limit of {MAX_PAGE} records."
                if isinstance(first, int) and first > MAX_PAGE
                else "You must provide a `first` or `last` value to properly paginate the "
                "`labels` connection.",
                type_="MISSING_PAGINATION_BOUNDARIES" if not isinstance(first, int) else None,
            )
        ordered = sorted(repo.labels.values(), key=lambda label: label.name.lower())
        start = _cursor_offset(args.get("after"))
        page = ordered[start : start + first]
        end = start + len(page)
        return {
            "nodes": [(repo, label) for label in page],
            "pageInfo": {
                "hasNextPage": end < len(ordered),
                "endCursor": _cursor(end) if page else None,
                "hasPreviousPage": start > 0,
                "startCursor": _cursor(start + 1) if page else None,
            },
            "totalCount": len(ordered),
        }

    def _viewer(self, ctx: _Context, _: Any, f: Field, path: list[str]) -> str:
        """The login of the account the token acts as (the ``User`` is its login here)."""
        who = ctx.req.identity
        if who is None:  # the server answers 401 before any resolver runs
            raise GraphQLError("This endpoint requires you to be authenticated.")
        if self.config.viewer_error:
            raise GraphQLError("Resource not accessible by integration", type_="FORBIDDEN")
        if who.kind == "installation" and not self.config.viewer_bot_suffix:
            return who.login.removesuffix("[bot]")
        return who.login

    def _type(self, ctx: _Context, _: Any, f: Field, path: list[str]) -> dict[str, Any] | None:
        name = self._args(ctx, f).get("name")
        if name != "CreateIssueInput":
            return None  # the emulator describes only the input batchsync asks about
        return {"name": name, "kind": "INPUT_OBJECT", "fields": list(self._input_fields())}

    def _issue_url(self, ctx: _Context, value: Any, f: Field, path: list[str]) -> str:
        repo, issue = value
        return f"{ctx.req.web_base}/{repo.full_name}/issues/{issue.number}"

    def _parent(self, ctx: _Context, value: Any, f: Field, path: list[str]) -> Any:
        repo, issue = value
        return None if issue.parent is None else (repo, repo.issues[issue.parent])

    def _issue(self, ctx: _Context, repo: Repo, f: Field, path: list[str]) -> Any:
        number = self._args(ctx, f).get("number")
        found = repo.issues.get(number) if isinstance(number, int) else None
        if found is None or found.is_pull:
            raise GraphQLError(
                f"Could not resolve to an Issue with the number of {number}.", type_="NOT_FOUND"
            )
        return (repo, found)

    def _timeline(self, ctx: _Context, value: Any, f: Field, path: list[str]) -> dict[str, Any]:
        """The issue's ``PARENT_ISSUE_REMOVED_EVENT`` items (the only kind served)."""
        repo, issue = value
        args = self._args(ctx, f)
        if args.get("itemTypes") != ["PARENT_ISSUE_REMOVED_EVENT"]:
            raise GraphQLError(
                "the emulator serves timelineItems(itemTypes: [PARENT_ISSUE_REMOVED_EVENT]) only"
            )
        first, last = args.get("first"), args.get("last")
        size = last if first is None else first
        if not isinstance(size, int) or not 1 <= size <= MAX_PAGE:
            raise GraphQLError(
                "You must provide a `first` or `last` value (1 to 100) to properly paginate the "
                "`timelineItems` connection.",
                type_="MISSING_PAGINATION_BOUNDARIES",
            )
        served = issue.parent_removals if self.config.parent_removed_events else []
        events = [self._removal(repo, issue, n, e) for n, e in enumerate(served)]
        page = events[-size:] if first is None else events[:size]
        return {
            "nodes": page,
            "totalCount": len(events),
            "pageInfo": {
                "hasNextPage": first is not None and len(events) > size,
                "hasPreviousPage": first is None and len(events) > size,
                "endCursor": _cursor(len(events)) if page else None,
                "startCursor": _cursor(1) if page else None,
            },
        }

    @staticmethod
    def _removal(repo: Repo, issue: IssueState, n: int, event: ParentRemoval) -> dict[str, Any]:
        parent = repo.issues.get(event.parent)
        return {
            "__typename": "ParentIssueRemovedEvent",
            "id": _node_id("PIRE", repo.id, issue.id, n),
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(event.created_at)),
            "actor": event.actor,
            "parent": None if parent is None else (repo, parent),
        }

    def _mutation_input(self, ctx: _Context, f: Field, input_type: str) -> dict[str, Any]:
        """A mutation's ``input`` object, as GitHub refuses it: a read-only token, then a
        missing or mistyped input."""
        who = ctx.req.identity
        if who is None or who.permission != "write":
            raise GraphQLError("Resource not accessible by integration", type_="FORBIDDEN")
        data = self._args(ctx, f).get("input")
        if not isinstance(data, dict):
            raise GraphQLError(
                f"Argument 'input' on Field '{f.name}' has an invalid value. Expected type "
                f"'{input_type}!'.",
                extensions={"code": "argumentLiteralsIncompatible", "typeName": "Field"},
            )
        return data

    def _remove_sub_issue(self, ctx: _Context, _: Any, f: Field, path: list[str]) -> dict[str, Any]:
        data = self._mutation_input(ctx, f, "RemoveSubIssueInput")
        repo, parent = self._node(data.get("issueId"), "I")
        child_repo, child = self._node(data.get("subIssueId"), "I")
        if child.parent != parent.number or child_repo is not repo:
            raise GraphQLError("The sub-issue is not a sub-issue of this issue", type_="NOT_FOUND")
        repo.remove_sub_issue(parent.number, child.id, self._author(ctx.req))
        return {
            "issue": (repo, parent),
            "subIssue": (repo, child),
            "clientMutationId": data.get("clientMutationId"),
        }

    def _create_issue(self, ctx: _Context, _: Any, f: Field, path: list[str]) -> dict[str, Any]:
        data = self._mutation_input(ctx, f, "CreateIssueInput")
        for name, value in data.items():
            if name not in _SERVED_INPUT | {"clientMutationId"} and value not in (None, []):
                raise GraphQLError(f"the emulator does not implement CreateIssueInput.{name}")
        repo = self._node(data.get("repositoryId"), "R")[0]
        labels = [self._label(repo, n) for n in _id_list(data.get("labelIds"))]
        parent = None
        if data.get("parentIssueId") is not None:
            parent_repo, parent = self._node(data["parentIssueId"], "I")
            if parent_repo is not repo:
                raise GraphQLError(
                    "Sub-issues from other repositories are not supported here",
                    type_="UNPROCESSABLE",
                )
            _check_parent(repo, parent)
        fields = {"title": data.get("title"), "body": data.get("body")}
        try:
            issue = repo.create_issue(
                self._author(ctx.req), {**fields, "labels": [label.name for label in labels]}
            )
        except ApiFailure as failure:
            raise GraphQLError(_failure_text(failure), type_="UNPROCESSABLE") from None
        if parent is not None:
            repo.add_sub_issue(parent.number, issue.id, False)
        return {"issue": (repo, issue), "clientMutationId": data.get("clientMutationId")}

    def _node(self, value: object, prefix: str) -> tuple[Repo, Any]:
        decoded = decode_node_id(value)
        found: tuple[Repo, Any] | None = None
        if decoded is not None and decoded[0] == prefix and decoded[1]:
            repo = self.store.repos_by_id.get(decoded[1][0])
            if repo is not None and prefix == "R" and len(decoded[1]) == 1:
                found = (repo, repo)
            elif repo is not None and prefix == "I" and len(decoded[1]) == 2:
                issue = next((i for i in repo.issues.values() if i.id == decoded[1][1]), None)
                found = (repo, issue) if issue is not None and not issue.is_pull else None
        if found is None:
            raise GraphQLError(
                f"Could not resolve to a node with the global id of '{value}'", type_="NOT_FOUND"
            )
        return found

    def _label(self, repo: Repo, value: object) -> LabelState:
        decoded = decode_node_id(value)
        label = None
        if decoded is not None and decoded[0] == "LA" and decoded[1][:1] == (repo.id,):
            label = repo.label_by_id(decoded[1][-1]) if len(decoded[1]) == 2 else None
        if label is None:
            raise GraphQLError(
                f"Could not resolve to a node with the global id of '{value}'", type_="NOT_FOUND"
            )
        return label


def _key(name: str) -> Resolver:
    return lambda c, v, f, p: v[name]


def _cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def _cursor_offset(cursor: object) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.b64decode(str(cursor), validate=True).decode()
        return max(0, int(text.rsplit(":", 1)[1]))
    except (ValueError, IndexError):
        raise GraphQLError(f"`{cursor}` does not appear to be a valid cursor.") from None


def _id_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _check_parent(repo: Repo, parent: IssueState) -> None:
    """The parent's limits, checked before anything is created (the mutation is one unit)."""
    if len(parent.children) >= MAX_SUB_ISSUES:
        raise GraphQLError(
            f"Parent cannot have more than {MAX_SUB_ISSUES} sub-issues", type_="UNPROCESSABLE"
        )
    depth, cursor = 1, parent
    while cursor.parent is not None:
        cursor = repo.issues[cursor.parent]
        depth += 1
    if depth + 1 > MAX_DEPTH:
        raise GraphQLError(
            f"Sub-issues may be nested at most {MAX_DEPTH} levels deep", type_="UNPROCESSABLE"
        )


def _failure_text(failure: ApiFailure) -> str:
    for error in failure.errors or []:
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return failure.message.replace("Invalid request.\n\n", "")


def _json_object(raw: bytes) -> dict[str, Any]:
    data = json.loads(raw) if raw.strip() else None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data
