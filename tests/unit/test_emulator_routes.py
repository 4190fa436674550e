"""Pagination, routing and search-query parsing of the emulator's endpoints."""

from __future__ import annotations

import pytest

from batchsync.emulator import ManualClock
from batchsync.emulator.limits import LimitConfig, Limiter
from batchsync.emulator.protocol import Request
from batchsync.emulator.routes import Api, paginate
from batchsync.emulator.search import parse_query
from batchsync.emulator.state import SearchDoc, Store


def request(**query: str) -> Request:
    pairs = tuple(query.items())
    return Request("GET", "/x", dict(pairs), pairs, {}, None, "http://h", "http://h", None)


def rels(link: str) -> list[str]:
    return [part.split('rel="')[1].rstrip('"') for part in link.split(", ")] if link else []


def test_one_page_has_no_link():
    page, link = paginate(request(), list(range(5)), "http://h/x")
    assert page == [0, 1, 2, 3, 4]
    assert link == ""


def test_default_page_size_is_30():
    page, link = paginate(request(), list(range(31)), "http://h/x")
    assert len(page) == 30
    assert rels(link) == ["next", "last"]


def test_middle_page_links_in_githubs_order():
    page, link = paginate(request(per_page="2", page="2"), list(range(6)), "http://h/x")
    assert page == [2, 3]
    assert rels(link) == ["prev", "next", "last", "first"]
    assert '<http://h/x?per_page=2&page=1>; rel="prev"' in link


def test_page_past_the_end_is_empty_and_points_back():
    page, link = paginate(request(per_page="2", page="9"), list(range(4)), "http://h/x")
    assert page == []
    assert rels(link) == ["prev", "first"]
    assert 'page=2>; rel="prev"' in link


def test_links_keep_the_other_query_parameters_in_order():
    _, link = paginate(request(state="all", labels="a,b", per_page="1"), [1, 2], "http://h/x")
    assert "<http://h/x?state=all&labels=a%2Cb&per_page=1&page=2>" in link


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/repos/o/r/issues", "/repos/{owner}/{repo}/issues"),
        ("HEAD", "/repos/o/r", "/repos/{owner}/{repo}"),
        ("GET", "/repositories/12/issues", "/repositories/{repo_id}/issues"),
        (
            "POST",
            "/repos/o/r/issues/3/comments",
            "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        ),
        (
            "GET",
            "/repos/o/r/issues/3/comments",
            "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        ),
        (
            "GET",
            "/repositories/12/issues/3/comments",
            "/repositories/{repo_id}/issues/{issue_number}/comments",
        ),
        (
            "DELETE",
            "/repos/o/r/issues/3/labels/a%20b",
            "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
        ),
    ],
)
def test_routes_resolve_to_githubs_templates(method, path, template):
    clock = ManualClock()
    api = Api(Store(clock), Limiter(LimitConfig.off(), clock))
    found = api.route(method, path)
    assert found is not None
    assert found[0].template == template


def test_only_a_comment_post_counts_as_content_creation():
    clock = ManualClock()
    api = Api(Store(clock), Limiter(LimitConfig.off(), clock))
    post = api.route("POST", "/repos/o/r/issues/3/comments")
    get = api.route("GET", "/repos/o/r/issues/3/comments")
    assert post is not None
    assert post[0].creates
    assert get is not None
    assert not get[0].creates


def test_unknown_path_or_method_has_no_route():
    clock = ManualClock()
    api = Api(Store(clock), Limiter(LimitConfig.off(), clock))
    assert api.route("GET", "/repos/o/r/wikis") is None
    assert api.route("PUT", "/repos/o/r/issues") is None


def test_search_query_qualifiers_and_words():
    query = parse_query('repo:O/R is:open type:issue label:"in progress" Needle "exact words"')
    assert query.repo == "o/r"
    assert query.state == "open"
    assert query.kind == "issue"
    assert query.labels == ("in progress",)
    assert query.words == ("needle", "exact words")


def test_search_query_needs_every_word():
    doc = SearchDoc("A needle", "in a haystack", "open", ("prd",), False)
    assert parse_query("needle haystack").accepts(doc)
    assert not parse_query("needle thread").accepts(doc)
    assert not parse_query("needle is:closed").accepts(doc)
    assert not parse_query("needle is:pr").accepts(doc)
    assert parse_query("label:PRD").accepts(doc)


DEPENDENCY_ROUTES = [
    ("GET", "/repos/o/r/issues/3/dependencies/blocked_by", False),
    ("POST", "/repos/o/r/issues/3/dependencies/blocked_by", True),
    ("DELETE", "/repos/o/r/issues/3/dependencies/blocked_by/2000000001", True),
    ("GET", "/repos/o/r/issues/3/dependencies/blocking", False),
]


@pytest.mark.parametrize(("method", "path", "creates"), DEPENDENCY_ROUTES)
def test_dependency_writes_count_as_content_creation(method, path, creates):
    clock = ManualClock()
    found = Api(Store(clock), Limiter(LimitConfig.off(), clock)).route(method, path)
    assert found is not None
    assert found[0].creates is creates


@pytest.mark.parametrize(("method", "path", "creates"), DEPENDENCY_ROUTES)
def test_a_server_without_dependencies_has_no_such_routes(method, path, creates):
    clock = ManualClock()
    api = Api(Store(clock), Limiter(LimitConfig.off(), clock), dependencies=False)
    assert api.route(method, path) is None


@pytest.mark.parametrize("path", ["/orgs/o/issue-types", "/repos/o/r/issue-types"])
def test_issue_type_routes_exist_only_while_types_are_served(path):
    clock = ManualClock()
    served = Api(Store(clock), Limiter(LimitConfig.off(), clock))
    switched_off = Api(Store(clock), Limiter(LimitConfig.off(), clock), issue_types=None)
    assert served.route("GET", path) is not None
    assert switched_off.route("GET", path) is None
    assert switched_off.store.issue_types is None
    assert served.store.issue_types == ("Task", "Bug", "Feature")
