"""Injected faults over HTTP: lost answers, server timeouts, 5xx, storms and latency."""

from __future__ import annotations

import pytest
import requests

from batchsync.emulator import Emulator, FaultConfig, FaultKind, ManualClock, ScheduledFault
from emulated import penalty_holds

AUTH = {"Authorization": "token t"}
ISSUES = "/repos/{owner}/{repo}/issues"
REPO = "o/r"  # the emu fixture's (tests/conftest.py); no token, so it accepts any
EMULATOR = {"limits": "off", "clock": ManualClock}


def post(emu: Emulator, title: str = "t") -> requests.Response:
    return requests.post(f"{emu.url}/repos/o/r/issues", json={"title": title}, headers=AUTH)


def test_dropped_connection_after_the_create_was_applied(emu):
    emu.set_faults(FaultConfig(schedule=(ScheduledFault(FaultKind.DROP, 1, "POST", ISSUES),)))
    with pytest.raises(requests.ConnectionError):
        post(emu, "lost answer")
    assert [i["title"] for i in emu.issues("o/r")] == ["lost answer"]
    assert emu.stats.count("POST", ISSUES, 0) == 1
    assert post(emu, "next").status_code == 201


def test_server_timeout_answers_502_after_ten_emulated_seconds(emu):
    emu.set_faults(FaultConfig(timeout_rate=1.0, timeout_acts_rate=1.0))
    before = emu.clock.now()
    answer = post(emu, "applied anyway")
    assert answer.status_code == 502
    assert "couldn't respond to your request in time" in answer.json()["message"]
    assert emu.clock.now() - before == pytest.approx(10.0)
    assert [i["title"] for i in emu.issues("o/r")] == ["applied anyway"]


def test_server_timeout_that_did_not_act_leaves_nothing(emu):
    emu.set_faults(FaultConfig(timeout_rate=1.0, timeout_acts_rate=0.0))
    assert post(emu).status_code == 502
    assert emu.issues("o/r") == []


def test_5xx_fault_does_nothing(emu):
    emu.set_faults(FaultConfig(error_rate=1.0, error_statuses=(500,)))
    answer = post(emu)
    assert answer.status_code == 500
    assert "x-ratelimit-remaining" in answer.headers
    assert emu.issues("o/r") == []
    assert emu.stats.to_json()["faults"] == {"error": 1}


def test_latency_passes_on_the_emulated_clock(emu):
    emu.set_faults(FaultConfig(latency=3.0))
    before = emu.clock.now()
    requests.get(f"{emu.url}/repos/o/r", headers=AUTH)
    assert emu.clock.now() - before == pytest.approx(3.0)


def test_storm_answers_a_secondary_limit_and_starts_a_penalty(emu):
    emu.set_faults(FaultConfig(schedule=(ScheduledFault(FaultKind.STORM, 1),), storm_seconds=30))
    hit = requests.get(f"{emu.url}/repos/o/r", headers=AUTH)
    assert hit.status_code in (403, 429)
    assert "secondary rate limit" in hit.json()["message"]
    penalty_holds(emu, f"{emu.url}/repos/o/r", AUTH, inside=5, left=25)


def test_faults_can_be_cleared_at_runtime(emu):
    emu.set_faults(FaultConfig(error_rate=1.0))
    assert post(emu).status_code >= 500
    emu.set_faults(FaultConfig())
    assert post(emu).status_code == 201
