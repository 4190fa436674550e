"""The Gate and BatchProcessor against the emulator, on its scaled clock (an hour in seconds).

The request function here is the smallest honest client: one HTTP request with ``requests``,
errors classified by ``batchsync.errors.error_from_response``, every request through the Gate.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from batchsync.emulator import Emulator, FaultConfig, LimitConfig
from batchsync.errors import (
    AuthError,
    RunStop,
    StopKind,
    TransportError,
    UncertainWriteError,
    error_from_response,
)
from batchsync.processor import BatchProcessor, Gate
from batchsync.ratelimit import Limits, Op
from batchsync.results import ItemAction, Outcome

TOKEN = "ghs_processor_test"
REPO = "octo/batch"
ISSUES = "/repos/{owner}/{repo}/issues"
ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}"
# Pacing on, but quick on the scaled clock; retries generous enough that 20 % faults never
# exhaust them in practice (0.2 ** 7).
LIMITS = Limits(write_interval=1.0, max_retries=6, retry_delay=1.0)


@dataclasses.dataclass
class Exchange:
    """One request as the client saw it, on the emulator's clock."""

    method: str
    sent: float
    answered: float = float("inf")
    status: int = 0
    retry_after: str | None = None


class Api:
    """Creates, reads and updates issues, one request per Gate call; logs every exchange."""

    def __init__(self, emu: Emulator, gate: Gate, token: str = TOKEN) -> None:
        self.base = emu.url
        self.gate = gate
        self.token = token
        self.log: list[Exchange] = []
        self._local = threading.local()
        self._lock = threading.Lock()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["Authorization"] = f"token {self.token}"
            self._local.session = session
        return session

    def _once(self, method: str, path: str, body: Any = None) -> Any:
        def request() -> tuple[Any, dict[str, str]]:
            exchange = Exchange(method, self.gate.clock())
            with self._lock:
                self.log.append(exchange)
            try:
                answer = self._session().request(method, self.base + path, json=body, timeout=30)
            except requests.RequestException as exc:
                raise TransportError(method, path, type(exc).__name__) from exc
            finally:
                exchange.answered = self.gate.clock()
            headers = {k.lower(): v for k, v in answer.headers.items()}
            exchange.status = answer.status_code
            exchange.retry_after = headers.get("retry-after")
            if answer.status_code >= 400:
                message = answer.json().get("message", "") if answer.content else ""
                raise error_from_response(
                    answer.status_code, message, method=method, path=path, headers=headers
                )
            return answer.json(), headers

        return request

    def create(self, title: str, body: str = "") -> dict[str, Any]:
        """POST an issue."""
        payload = {"title": title, "body": body}
        result: dict[str, Any] = self.gate.call(
            Op.CREATE, self._once("POST", f"/repos/{REPO}/issues", payload)
        )
        return result

    def get(self, number: int) -> dict[str, Any]:
        """GET an issue."""
        result: dict[str, Any] = self.gate.call(
            Op.READ, self._once("GET", f"/repos/{REPO}/issues/{number}")
        )
        return result

    def update(self, number: int, body: str) -> dict[str, Any]:
        """PATCH an issue's body."""
        result: dict[str, Any] = self.gate.call(
            Op.WRITE, self._once("PATCH", f"/repos/{REPO}/issues/{number}", {"body": body})
        )
        return result


def start(limits: LimitConfig | str = "github", *, scale: float, faults: FaultConfig | None = None):
    emu = Emulator(limits=limits, scale=scale, seed=7, faults=faults).start()
    emu.add_token(TOKEN)
    emu.add_repo(REPO)
    return emu


@pytest.fixture
def cleanup() -> Iterator[list[Emulator]]:
    started: list[Emulator] = []
    yield started
    for emu in started:
        emu.stop()


def gate_for(emu: Emulator, limits: Limits = LIMITS, **kwargs: Any) -> Gate:
    return Gate(limits, clock=emu.clock.now, sleep=emu.clock.sleep, **kwargs)


def creating(item: str, *, client: Api, **_: Any) -> Outcome:
    issue = client.create(f"[TASK] {item}", f"<!-- batchsync key={item} -->")
    client.get(issue["number"])
    return Outcome(item, "task", "", ItemAction.CREATED, issue_number=issue["number"])


def keys(n: int) -> list[str]:
    return [f"task-{i:03d}" for i in range(n)]


STORM = 45.0  # seconds a storm's penalty lasts; under the 60 s first wait without a hint
# A lane admitted by the Gate just before another lane's limit answer arrived sends an instant
# later: a few real milliseconds on a busy machine, up to about 2 s on a clock 200 times faster.
RACE = 2.0


@pytest.mark.parametrize("lanes", [1, 5])
@pytest.mark.parametrize("retry_after", [1.0, 0.0], ids=["retry-after", "no-hint"])
def test_secondary_limit_storm_sends_nothing_while_a_penalty_is_active(cleanup, retry_after, lanes):
    emu = start(
        LimitConfig.github(retry_after_rate=retry_after),
        scale=200,
        faults=FaultConfig(storm_rate=0.06, storm_seconds=STORM),
    )
    cleanup.append(emu)
    gate = gate_for(emu)
    api = Api(emu, gate)
    result = BatchProcessor(lanes, gate=gate).batch_upload(
        keys(30), creating, repo=REPO, client=api, sync_map={}
    )
    assert emu.stats.secondary_limits > 0  # the storm did happen
    assert result.succeeded == 30
    titles = [issue["title"] for issue in emu.issues(REPO)]
    assert sorted(titles) == sorted(f"[TASK] {k}" for k in keys(30))  # each exactly once
    limited = [e for e in api.log if e.status in (403, 429)]
    for limit in limited:
        hold = float(limit.retry_after) if limit.retry_after else STORM
        during = [e for e in api.log if limit.answered + RACE < e.sent < limit.answered + hold]
        assert during == [], f"sent during the penalty that began at {limit.answered}"
    in_flight = {
        id(e)
        for limit in limited
        for e in api.log
        if e.sent < limit.answered + RACE and limit.answered < e.answered
    }
    # The only requests to arrive inside a penalty are those already on their way.
    assert emu.stats.penalty_requests <= len(in_flight)
    if lanes == 1:
        assert emu.stats.penalty_requests == 0
        assert emu.stats.violations == 0


def test_primary_budget_is_never_overrun_the_run_waits_for_the_reset(cleanup):
    emu = start(LimitConfig.github(window=600), scale=600)
    cleanup.append(emu)
    emu.add_token(TOKEN, limit=30)
    gate = gate_for(emu, dataclasses.replace(LIMITS, threshold=0))
    api = Api(emu, gate)
    seed = api.create("seed")
    started = emu.clock.now()

    def reading(item: str, *, client: Api, **_: Any) -> Outcome:
        client.get(seed["number"])
        return Outcome(item, "task", "", ItemAction.UNCHANGED)

    result = BatchProcessor(4, gate=gate).batch_upload(
        keys(60), reading, repo=REPO, client=api, sync_map={}
    )
    assert result.succeeded == 60
    assert emu.stats.primary_limits == 0  # nothing was sent at remaining 0
    assert emu.stats.violations == 0
    assert emu.clock.now() - started >= 600 - 5  # it waited for (at least) one reset


def test_a_budget_spent_elsewhere_is_waited_out_after_githubs_answer(cleanup):
    emu = start(LimitConfig.github(window=600), scale=600)
    cleanup.append(emu)
    emu.add_token(TOKEN, limit=10)
    other = requests.Session()
    other.headers["Authorization"] = f"token {TOKEN}"
    for _ in range(10):  # another workflow spends the whole budget
        other.get(f"{emu.url}/repos/{REPO}")
    gate = gate_for(emu)
    api = Api(emu, gate)
    issue = api.create("after the reset")
    assert issue["number"] == 1
    assert emu.stats.primary_limits == 1  # GitHub's one 403; after it the run waited
    assert len(emu.issues(REPO)) == 1


def test_server_errors_reads_and_updates_all_done_creates_uncertain_and_never_resent(cleanup):
    emu = start("off", scale=200)
    cleanup.append(emu)
    gate = gate_for(emu, dataclasses.replace(LIMITS, write_interval=0))
    api = Api(emu, gate)
    numbers = [api.create(f"existing {i}")["number"] for i in range(25)]
    emu.set_faults(FaultConfig(error_rate=0.2))
    uncertain: list[str] = []

    def sync(item: int, *, client: Api, **_: Any) -> Outcome:
        client.get(item)
        client.update(item, f"updated {item}")
        try:
            client.create(f"new {item}")
        except UncertainWriteError:
            uncertain.append(f"new {item}")
            raise
        return Outcome(str(item), "task", "", ItemAction.UPDATED)

    result = BatchProcessor(5, gate=gate).batch_upload(
        numbers, sync, repo=REPO, client=api, sync_map={}
    )
    stats = emu.stats
    assert stats.count("GET", ISSUE, 500) + stats.count("GET", ISSUE, 502) > 0  # faults happened
    bodies = {i["number"]: i["body"] for i in emu.issues(REPO)}
    assert all(bodies[n] == f"updated {n}" for n in numbers)  # every read and PATCH got through
    assert stats.count("POST", ISSUES) == 25 + 25  # the setup's, then one per item: no resend
    failed_posts = sum(stats.count("POST", ISSUES, s) for s in (500, 502, 503))
    assert failed_posts > 0
    assert len(uncertain) == failed_posts == result.failed
    assert all("outcome unknown" in o.error for o in result.errors)


def test_a_create_whose_answer_is_lost_is_uncertain_and_exists_once(cleanup):
    emu = start("off", scale=200, faults=FaultConfig(drop_rate=1.0))
    cleanup.append(emu)
    gate = gate_for(emu)
    with pytest.raises(UncertainWriteError) as caught:
        Api(emu, gate).create("lost answer")
    assert isinstance(caught.value.cause, TransportError)
    assert [i["title"] for i in emu.issues(REPO)] == ["lost answer"]
    assert emu.stats.count("POST", ISSUES) == 1


def test_a_bad_token_stops_the_run_after_one_request(cleanup):
    emu = start(scale=200)
    cleanup.append(emu)
    gate = gate_for(emu)
    api = Api(emu, gate, token="ghs_wrong")
    with pytest.raises(RunStop) as caught:
        BatchProcessor(10, gate=gate).batch_upload(
            keys(30), creating, repo=REPO, client=api, sync_map={}
        )
    assert caught.value.kind is StopKind.BAD_CREDENTIALS
    assert isinstance(caught.value.cause, AuthError)
    assert emu.stats.total == 1
    assert "ghs_wrong" not in str(emu.stats.to_json(log=True))


def test_the_time_budget_stops_cleanly_and_reports_what_is_left(cleanup):
    emu = start(scale=200)
    cleanup.append(emu)
    deadline = emu.clock.now() + 10.5
    gate = gate_for(emu, deadline=deadline)
    api = Api(emu, gate)
    result = BatchProcessor(3, gate=gate).batch_upload(
        keys(40), creating, repo=REPO, client=api, sync_map={}
    )
    created = result.count(ItemAction.CREATED)
    assert 5 <= created <= 12  # about one create a second for ten seconds
    assert result.not_done == 40 - created
    assert result.failed == 0
    assert len(emu.issues(REPO)) == created  # nothing half-done, nothing lost
    assert all(e.sent < deadline for e in api.log if e.method == "POST")
    assert all(
        o.reason and "time budget" in o.reason
        for o in result.outcomes
        if o.action is ItemAction.NOT_DONE
    )
