"""The fake gate of the unit tests answers as the real Gate does: same scenario, same outcome."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fakes import FakeGate, FakeGitHub, Request

from batchsync.emulator import ManualClock
from batchsync.errors import (
    ApiError,
    AuthError,
    ForbiddenError,
    NotFoundError,
    RunStop,
    ServerError,
    StopKind,
    TransportError,
    UncertainWriteError,
    ValidationFailed,
)
from batchsync.processor import Gate
from batchsync.ratelimit import Limits, Op

MakeGate = Callable[[], Gate]
T0 = 1_700_000_000.0


def real_gate() -> Gate:
    """The Gate as a run builds it (default limits), on a manual clock."""
    clock = ManualClock(T0)
    return Gate(Limits(), clock=clock.now, sleep=clock.sleep)


GATES: dict[str, MakeGate] = {"fake": FakeGate, "real": real_gate}


def scenario(gate: Gate, op: Op, error: Exception) -> tuple[Any, ...]:
    """One request answered with ``error``, then one request of each kind: what each raised,
    the stop's kind and cause, and how many of the later requests were sent."""
    raised: BaseException | None = None
    try:
        gate.call(op, lambda: raise_(error))
    except (ApiError, TransportError, RunStop, UncertainWriteError) as exc:
        raised = exc
    later: list[type[BaseException] | str] = []
    sent: list[Op] = []
    for later_op in Op:

        def answer(kind: Op = later_op) -> tuple[str, dict[str, str]]:
            sent.append(kind)
            return "ok", {}

        try:
            later.append(gate.call(later_op, answer))
        except RunStop as exc:
            later.append(type(exc))
    stop = gate.stopped
    return (
        type(raised),
        getattr(raised, "kind", None),
        getattr(raised, "cause", None) is error,
        None if stop is None else (stop.kind, stop.cause is error),
        later,
        sent,
    )


def raise_(error: Exception) -> tuple[str, dict[str, str]]:
    raise error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (AuthError(401, "Bad credentials", method="GET"), StopKind.BAD_CREDENTIALS),
        (
            ForbiddenError(403, "Resource not accessible by integration", method="POST"),
            StopKind.MISSING_PERMISSION,
        ),
    ],
)
@pytest.mark.parametrize("op", list(Op))
def test_a_refused_token_stops_the_fake_gate_as_it_stops_the_real_one(
    op: Op, error: ApiError, kind: StopKind
) -> None:
    fake, real = scenario(FakeGate(), op, error), scenario(real_gate(), op, error)
    assert fake == real
    assert fake[:4] == (RunStop, kind, True, (kind, True))
    assert fake[4:] == ([RunStop, RunStop, RunStop], [])  # nothing more is sent


@pytest.mark.parametrize(
    ("op", "error", "raised"),
    [
        (Op.CREATE, ServerError(502, "Bad Gateway", method="POST"), UncertainWriteError),
        (Op.CREATE, TransportError("POST", "/x", "timed out"), UncertainWriteError),
        (Op.WRITE, ValidationFailed(422, "Validation Failed", method="PATCH"), ValidationFailed),
        (Op.READ, NotFoundError(404, "Not Found"), NotFoundError),
    ],
)
def test_other_answers_leave_the_fake_gate_going_as_they_leave_the_real_one(
    op: Op, error: Exception, raised: type[Exception]
) -> None:
    fake, real = scenario(FakeGate(), op, error), scenario(real_gate(), op, error)
    assert fake == real
    assert fake[0] is raised
    assert fake[3:] == (None, ["ok", "ok", "ok"], list(Op))


@pytest.mark.parametrize("make", GATES.values(), ids=GATES.keys())
def test_a_fake_repository_behind_a_gate_stops_as_a_run_does(make: MakeGate) -> None:
    denied = ForbiddenError(403, "Resource not accessible by integration", method="POST")
    gh = FakeGitHub(raise_on={"create_issue": denied}, gate=make())
    assert gh.list_issues() == []
    with pytest.raises(RunStop) as caught:
        gh.create_issue("[TASK] t", "b", ("task",))
    assert (caught.value.kind, caught.value.cause) == (StopKind.MISSING_PERMISSION, denied)
    with pytest.raises(RunStop):
        gh.get_issue(1)  # not sent: the run has stopped
    assert [name for name, _, _ in gh.calls] == ["list_issues", "create_issue"]
    assert gh.issues == {}


def test_without_a_gate_a_fake_repository_raises_what_it_was_told() -> None:
    denied = ForbiddenError(403, "Resource not accessible by integration", method="POST")
    gh = FakeGitHub(raise_on={"create_issue": denied})
    with pytest.raises(ForbiddenError):
        gh.create_issue("[TASK] t", "b", ("task",))


def test_the_fake_gate_records_each_request_sent_with_its_answers_headers() -> None:
    gate = FakeGate()
    assert gate.call(Op.READ, lambda: ("a", {"x-ratelimit-remaining": "9"})) == "a"
    with pytest.raises(NotFoundError):
        gate.call(Op.WRITE, lambda: raise_(NotFoundError(404, "gone", headers={"x-a": "1"})))
    gate.call(Op.CREATE, lambda: ("c", {}), resource="graphql")
    assert gate.requests == [
        Request(Op.READ, "core", {"x-ratelimit-remaining": "9"}),
        Request(Op.WRITE, "core", {"x-a": "1"}),
        Request(Op.CREATE, "graphql", {}),
    ]
