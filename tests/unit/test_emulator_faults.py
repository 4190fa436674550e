"""Fault plans: seeded, repeatable, and aimed where they are configured."""

from __future__ import annotations

from batchsync.emulator import FaultConfig, FaultKind, ScheduledFault
from batchsync.emulator.faults import Faults

ISSUES = "/repos/{owner}/{repo}/issues"


def plans(config: FaultConfig, seed: int, n: int = 200) -> list:
    faults = Faults(config, seed)
    return [faults.plan("POST", ISSUES, True) for _ in range(n)]


def test_the_same_seed_replays_the_same_faults():
    config = FaultConfig(error_rate=0.2, drop_rate=0.2, latency_spread=1.0)
    assert plans(config, 7) == plans(config, 7)
    assert plans(config, 7) != plans(config, 8)


def test_set_restarts_the_sequence():
    config = FaultConfig(error_rate=0.5)
    faults = Faults(config, 3)
    first = [faults.plan("GET", ISSUES, False) for _ in range(20)]
    faults.set(config)
    assert [faults.plan("GET", ISSUES, False) for _ in range(20)] == first


def test_rates_come_out_near_their_share():
    hits = [p.kind for p in plans(FaultConfig(error_rate=0.3), 1, 2_000)]
    assert 500 < hits.count(FaultKind.ERROR) < 700


def test_error_status_is_one_of_the_configured():
    statuses = {p.status for p in plans(FaultConfig(error_rate=1.0, error_statuses=(503,)), 1)}
    assert statuses == {503}


def test_drops_hit_only_content_creation():
    faults = Faults(FaultConfig(drop_rate=1.0), 1)
    assert faults.plan("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", False).kind is None
    dropped = faults.plan("POST", ISSUES, True)
    assert dropped.kind is FaultKind.DROP
    assert dropped.acts


def test_timeouts_never_act_on_reads():
    faults = Faults(FaultConfig(timeout_rate=1.0, timeout_acts_rate=1.0), 1)
    assert not faults.plan("GET", ISSUES, False).acts
    assert faults.plan("POST", ISSUES, True).acts


def test_latency_is_fixed_plus_a_spread():
    latencies = [p.latency for p in plans(FaultConfig(latency=2.0, latency_spread=0.5), 1)]
    assert min(latencies) >= 2.0
    assert max(latencies) <= 2.5
    assert len(set(latencies)) > 100


def test_methods_limit_where_rates_apply():
    faults = Faults(FaultConfig(error_rate=1.0, methods=("POST",)), 1)
    assert faults.plan("GET", ISSUES, False).kind is None
    assert faults.plan("POST", ISSUES, True).kind is FaultKind.ERROR


def test_scheduled_fault_hits_the_nth_matching_request_only():
    config = FaultConfig(schedule=(ScheduledFault(FaultKind.DROP, 2, "POST", ISSUES),))
    faults = Faults(config, 1)
    kinds = [
        faults.plan("GET", ISSUES, False).kind,
        faults.plan("POST", ISSUES, True).kind,
        faults.plan("POST", ISSUES, True).kind,
        faults.plan("POST", ISSUES, True).kind,
    ]
    assert kinds == [None, None, FaultKind.DROP, None]


def test_no_faults_by_default():
    assert {p.kind for p in plans(FaultConfig(), 1)} == {None}
