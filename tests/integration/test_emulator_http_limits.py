"""Rate limits over HTTP on a manual clock: headers, answers, penalties and violations."""

from __future__ import annotations

import threading

import requests

from batchsync.emulator import Emulator, FaultConfig, LimitConfig, ManualClock, ScaledClock
from emulated import penalty_holds

AUTH = {"Authorization": "token t"}


def limited(**changes: object) -> Emulator:
    emu = Emulator(limits=LimitConfig.github(**changes), clock=ManualClock())
    emu.add_token("t")
    emu.add_repo("o/r")
    return emu


def test_every_answer_carries_rate_limit_headers():
    with limited() as emu:
        answers = [
            requests.get(f"{emu.url}/repos/o/r", headers=AUTH),
            requests.get(f"{emu.url}/repos/o/r/issues/9", headers=AUTH),
            requests.post(f"{emu.url}/repos/o/r/issues", json={}, headers=AUTH),
            requests.get(f"{emu.url}/repos/o/r", headers={"Authorization": "token bad"}),
        ]
        assert [a.status_code for a in answers] == [200, 404, 422, 401]
        for answer in answers:
            assert answer.headers["x-ratelimit-resource"] == "core"
            assert int(answer.headers["x-ratelimit-reset"]) > emu.clock.now()


def test_default_primary_budget_is_1000_an_hour():
    with limited() as emu:
        answer = requests.get(f"{emu.url}/repos/o/r", headers=AUTH)
        assert answer.headers["x-ratelimit-limit"] == "1000"
        assert answer.headers["x-ratelimit-remaining"] == "999"


def test_spent_budget_refuses_until_reset_and_counts_a_violation():
    with limited(primary_limit=2, points_per_minute=None) as emu:
        for _ in range(2):
            last = requests.get(f"{emu.url}/repos/o/r", headers=AUTH)
        assert last.headers["x-ratelimit-remaining"] == "0"
        emu.clock.sleep(5)
        refused = requests.get(f"{emu.url}/repos/o/r", headers=AUTH)
        assert refused.status_code == 403
        assert refused.json()["message"].startswith("API rate limit exceeded")
        assert emu.stats.violations == 1
        assert emu.stats.primary_limits == 1
        emu.clock.sleep(int(refused.headers["x-ratelimit-reset"]) - emu.clock.now())
        assert requests.get(f"{emu.url}/repos/o/r", headers=AUTH).status_code == 200


def test_rate_limit_endpoint_reports_the_budget_without_charging():
    with limited(primary_limit=5) as emu:
        requests.get(f"{emu.url}/repos/o/r", headers=AUTH)
        for _ in range(3):
            body = requests.get(f"{emu.url}/rate_limit", headers=AUTH).json()
        assert body["resources"]["core"]["remaining"] == 4
        assert body["rate"]["used"] == 1
        assert body["resources"]["search"]["limit"] == 30


def test_a_client_that_honours_retry_after_has_no_violations():
    with limited(creates_per_minute=3, retry_after_rate=1.0) as emu:
        created = 0
        while created < 10:
            answer = requests.post(f"{emu.url}/repos/o/r/issues", json={"title": "x"}, headers=AUTH)
            if answer.status_code == 201:
                created += 1
            else:
                assert "temporarily blocked from content creation" in answer.json()["message"]
                emu.clock.sleep(float(answer.headers["retry-after"]))
        assert emu.stats.secondary_limits >= 3
        assert emu.stats.violations == 0
        assert emu.stats.penalty_requests == 0


def test_a_client_that_retries_at_once_is_caught_in_the_penalty():
    with limited(creates_per_minute=1, retry_after_rate=0.0) as emu:
        url = f"{emu.url}/repos/o/r/issues"
        assert requests.post(url, json={"title": "a"}, headers=AUTH).status_code == 201
        hit = requests.post(url, json={"title": "b"}, headers=AUTH)
        assert hit.status_code in (403, 429)
        assert "retry-after" not in hit.headers
        penalty_holds(emu, f"{emu.url}/repos/o/r", AUTH, inside=30, left=30)


def test_too_many_requests_in_flight_hit_a_secondary_limit():
    config = LimitConfig.github(max_in_flight=2, retry_after_rate=0.0, penalty=0.001)
    with Emulator(limits=config, clock=ScaledClock(1.0)) as emu:
        emu.add_repo("o/r")
        emu.set_faults(FaultConfig(latency=0.3))
        statuses: list[int] = []

        def call() -> None:
            answer = requests.get(f"{emu.url}/repos/o/r", headers=AUTH)
            statuses.append(answer.status_code)

        threads = [threading.Thread(target=call) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses.count(200) >= 2
        assert any(s in (403, 429) for s in statuses)
        assert emu.stats.max_in_flight >= 3


def test_requests_in_flight_when_a_limit_strikes_are_not_violations():
    with limited(creates_per_minute=1, retry_after_rate=0.0, violation_grace=1.0) as emu:
        url = f"{emu.url}/repos/o/r/issues"
        requests.post(url, json={"title": "a"}, headers=AUTH)
        requests.post(url, json={"title": "b"}, headers=AUTH)  # the limit strikes
        emu.clock.sleep(0.5)  # sent before the client could have seen the answer
        assert requests.get(f"{emu.url}/repos/o/r", headers=AUTH).status_code in (403, 429)
        assert emu.stats.penalty_requests == 1
        assert emu.stats.violations == 0
