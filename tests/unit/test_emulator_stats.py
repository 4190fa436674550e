"""The emulator's request log and counters."""

from __future__ import annotations

from batchsync.emulator import RequestRecord, Stats

ISSUES = "/repos/{owner}/{repo}/issues"


def record(method: str = "GET", status: int = 200, **fields: object) -> RequestRecord:
    return RequestRecord(0.0, method, ISSUES, "/repos/o/r/issues", status, **fields)  # type: ignore[arg-type]


def test_count_filters_on_every_given_field():
    stats = Stats()
    for entry in (record(), record("POST", 201), record("POST", 403, verdict="secondary")):
        stats.record(entry)
    assert stats.count() == 3
    assert stats.count("POST") == 2
    assert stats.count("POST", ISSUES, 201) == 1
    assert stats.count(status=404) == 0


def test_verdicts_and_violations_are_counted():
    stats = Stats()
    stats.record(record(status=403, verdict="secondary"))
    stats.record(record(status=429, verdict="penalty", violation=True))
    stats.record(record(status=403, verdict="primary", violation=True))
    assert (stats.secondary_limits, stats.penalty_requests, stats.primary_limits) == (1, 1, 1)
    assert stats.violations == 2


def test_the_log_is_bounded_but_counters_are_exact():
    stats = Stats(log_size=3)
    for _ in range(10):
        stats.record(record())
    assert len(stats.requests()) == 3
    assert stats.total == 10
    assert stats.count("GET") == 10


def test_to_json_carries_counts_and_optionally_the_log():
    stats = Stats()
    stats.record(record(fault="drop", status=0))
    data = stats.to_json(log=True)
    assert data["faults"] == {"drop": 1}
    assert data["counts"] == [{"method": "GET", "template": ISSUES, "status": 0, "count": 1}]
    assert data["requests"][0]["fault"] == "drop"
    assert "requests" not in stats.to_json()


def test_reset_forgets_everything():
    stats = Stats()
    stats.record(record(violation=True))
    stats.in_flight(7)
    stats.reset()
    assert (stats.total, stats.violations, stats.max_in_flight, stats.requests()) == (0, 0, 0, [])
