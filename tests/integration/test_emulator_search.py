"""Search issues: GitHub's query words, and an index that lags behind writes."""

from __future__ import annotations

import requests

from batchsync.emulator import Emulator, ManualClock

AUTH = {"Authorization": "token t"}
REPO = "o/r"  # the emu fixture's (tests/conftest.py); no token, so it accepts any
EMULATOR = {"limits": "github", "clock": ManualClock, "search_lag": 30.0}


def search(emu: Emulator, q: str) -> dict:
    answer = requests.get(f"{emu.url}/search/issues", params={"q": q}, headers=AUTH)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_new_issue_is_found_only_after_the_lag(emu):
    requests.post(f"{emu.url}/repos/o/r/issues", json={"title": "needle"}, headers=AUTH)
    assert search(emu, "needle repo:o/r")["total_count"] == 0
    emu.clock.sleep(30)
    found = search(emu, "needle repo:o/r")
    assert found["total_count"] == 1
    assert found["items"][0]["title"] == "needle"
    assert found["incomplete_results"] is False


def test_index_serves_the_old_version_of_an_edited_issue(emu):
    repo = emu.add_repo("o/r")
    number = repo.add_issue("old words")
    emu.clock.sleep(60)
    requests.patch(
        f"{emu.url}/repos/o/r/issues/{number}", json={"title": "new words"}, headers=AUTH
    )
    assert search(emu, "old repo:o/r")["total_count"] == 1
    assert search(emu, "new repo:o/r")["total_count"] == 0


def test_qualifiers_filter_state_kind_and_label(emu):
    repo = emu.add_repo("o/r")
    repo.add_issue("alpha", labels=["prd"])
    repo.add_issue("alpha closed", state="closed")
    repo.add_issue("alpha pr", pull_request=True)
    emu.clock.sleep(60)
    assert search(emu, "alpha is:issue is:open repo:o/r")["total_count"] == 1
    assert search(emu, "alpha is:pr")["total_count"] == 1
    assert search(emu, "label:prd")["total_count"] == 1
    assert search(emu, "alpha state:closed")["total_count"] == 1


def test_search_has_its_own_budget(emu):
    answer = requests.get(f"{emu.url}/search/issues", params={"q": "x"}, headers=AUTH)
    assert answer.headers["x-ratelimit-resource"] == "search"
    assert answer.headers["x-ratelimit-limit"] == "30"


def test_empty_query_is_422(emu):
    answer = requests.get(f"{emu.url}/search/issues", params={"q": " "}, headers=AUTH)
    assert answer.status_code == 422
