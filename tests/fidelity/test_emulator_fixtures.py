"""The emulator replays @octokit/fixtures' recorded scenarios and answers in the same shapes."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from batchsync.emulator import Emulator

OWNER = "octokit-fixture-org"
REPO = "o/r"  # the emu fixture's (tests/conftest.py); no token, so it accepts any


def shape_diff(recorded: Any, ours: Any, where: str = "$") -> list[str]:
    """Where ``ours`` lacks a key of ``recorded`` or holds another JSON type (null matches all)."""
    if recorded is None or ours is None:
        return []
    if isinstance(recorded, bool) or isinstance(ours, bool):
        same = isinstance(recorded, bool) and isinstance(ours, bool)
        return [] if same else [f"{where}: {type(ours).__name__} instead of bool"]
    if isinstance(recorded, dict):
        if not isinstance(ours, dict):
            return [f"{where}: {type(ours).__name__} instead of object"]
        problems = [f"{where}.{key}: missing" for key in recorded if key not in ours]
        for key in recorded.keys() & ours.keys():
            problems += shape_diff(recorded[key], ours[key], f"{where}.{key}")
        return problems
    if isinstance(recorded, list):
        if not isinstance(ours, list):
            return [f"{where}: {type(ours).__name__} instead of array"]
        if recorded and ours:
            return shape_diff(recorded[0], ours[0], f"{where}[0]")
        return []
    number = (int, float)
    if isinstance(recorded, number) and isinstance(ours, number):
        return []
    if type(recorded) is not type(ours):
        return [f"{where}: {type(ours).__name__} instead of {type(recorded).__name__}"]
    return []


def test_shape_diff_reports_missing_keys_and_wrong_types():
    recorded = {"a": 1, "b": {"c": "x"}, "d": [{"e": True}]}
    ours = {"a": "1", "b": {}, "d": [{"e": 0}]}
    assert sorted(shape_diff(recorded, ours)) == [
        "$.a: str instead of int",
        "$.b.c: missing",
        "$.d[0].e: int instead of bool",
    ]


def replay(emu: Emulator, http: requests.Session, record: dict[str, Any]) -> requests.Response:
    body = record["body"] or None
    return http.request(record["method"], emu.url + record["path"], json=body)


def label_values(label: dict[str, Any]) -> tuple[Any, ...]:
    return (label["name"], label["color"], label["default"], label["description"])


def test_create_issue_and_add_labels_match_the_recording(emu, http, recordings):
    emu.add_repo(f"{OWNER}/add-labels-to-issue")
    create, add = recordings["add-labels-to-issue"]
    created = replay(emu, http, create)
    assert created.status_code == create["status"]
    assert shape_diff(create["response"], created.json()) == []
    added = replay(emu, http, add)
    assert added.status_code == add["status"]
    assert shape_diff(add["response"], added.json()) == []
    assert [label_values(x) for x in added.json()] == [label_values(x) for x in add["response"]]


def test_invalid_label_colour_is_the_same_422(emu, http, recordings):
    emu.add_repo(f"{OWNER}/errors")
    (record,) = recordings["errors"]
    answer = replay(emu, http, record)
    assert answer.status_code == 422
    assert answer.json()["message"] == record["response"]["message"]
    assert answer.json()["errors"] == record["response"]["errors"]
    assert answer.headers["content-type"] == record["headers"]["content-type"]


def test_label_lifecycle_matches_the_recording(emu, http, recordings):
    emu.add_repo(f"{OWNER}/labels")
    for record in recordings["labels"]:
        answer = replay(emu, http, record)
        assert answer.status_code == record["status"], record["path"]
        if record["status"] == 204:
            assert answer.content == b""
            continue
        assert shape_diff(record["response"], answer.json()) == [], record["path"]
        if isinstance(record["response"], dict):
            assert label_values(answer.json()) == label_values(record["response"])
            assert urlsplit(answer.json()["url"]).path == urlsplit(record["response"]["url"]).path


def links(header: str) -> list[tuple[str, dict[str, list[str]]]]:
    """(rel, query) for each link, in order; the host and repository id left out."""
    out = []
    for part in header.split(", "):
        url, rel = part.split("; ")
        query = parse_qs(urlsplit(url.strip("<>")).query)
        out.append((rel.removeprefix('rel="').removesuffix('"'), query))
    return out


def test_pagination_matches_the_recording(emu, http, recordings):
    repo = emu.add_repo(f"{OWNER}/paginate-issues")
    for n in range(1, 14):
        repo.add_issue(f"Test issue {n}")
    pages = recordings["paginate-issues"]
    answer = replay(emu, http, pages[0])
    for record in pages:
        assert [i["number"] for i in answer.json()] == [i["number"] for i in record["response"]]
        assert shape_diff(record["response"], answer.json()) == []
        assert links(answer.headers["link"]) == links(record["headers"]["link"])
        assert "/repositories/" in answer.headers["link"]
        if "next" in answer.links:
            answer = http.get(answer.links["next"]["url"])


def test_search_matches_the_recording(http, recordings):
    # no search lag: the recording was made long after its issues were
    with Emulator(limits="off", search_lag=0.0) as emu:
        repo = emu.add_repo(f"{OWNER}/search-issues")
        repo.add_issue("The doors don’t open", 'I tried "open sesame" on Wikipedia, no luck!')
        repo.add_issue("Sesame seeds split without a pop!", "I’ve waited all year long, no pop")
        (record,) = recordings["search-issues"]
        answer = replay(emu, http, record)
    assert answer.status_code == 200
    assert shape_diff(record["response"], answer.json()) == []
    found = [i["number"] for i in answer.json()["items"]]
    assert found == [i["number"] for i in record["response"]["items"]]
