"""The threads: a ``Gate`` every request passes, and ``BatchProcessor`` running items in lanes.

The ``Gate`` is shared by every lane of a run (and by every phase of it, so PRDs, epics and
tasks see one rate-limit state). It holds the only mutable rate-limit state: the snapshot from
the last ``x-ratelimit-*`` headers and the requests still in flight, a pause every lane obeys
after a 403/429 limit answer, the paced write lane (one write in flight, starts
``write_interval`` apart, so the first write goes alone and a token without ``issues: write``
costs one refused write), the content-creation and points budgets, the deadline, whether the
token has been seen to work (until then one request goes alone, so a bad token costs one), and
the run's one stop signal: after a 401, or a 403 that is no rate limit, every request raises
``errors.RunStop`` before it is sent and the lanes end. The arithmetic it acts on is in
``batchsync.ratelimit``; the retry policy and the deadline rule are ``batchsync.retry``'s (the
Gate builds the run's one ``RetryPolicy`` and hands it its sleep); this module adds only locks
and sleeping.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from batchsync import defaults
from batchsync.errors import (
    ApiError,
    AuthError,
    BatchsyncError,
    Failure,
    ForbiddenError,
    RateLimitError,
    RunStop,
    ServerError,
    TransportError,
    UncertainWriteError,
    failure_of,
)
from batchsync.ratelimit import (
    CONTENT_REFUSALS,
    PACING,
    PAUSE,
    TOKEN_EXPIRY_MARGIN,
    CreationBudget,
    Limits,
    Op,
    RateLimitSnapshot,
    SlidingWindow,
    earliest_start,
    limit_wait,
    merge_snapshot,
    points_of,
    token_expiry,
)
from batchsync.results import BatchResult, ItemAction, Outcome
from batchsync.retry import Deadline, RetryPolicy, retry_reason
from batchsync.signals import Interrupt

__all__ = ["REPORT_EVERY", "BatchProcessor", "Describe", "Gate"]

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - the item type, named as in the API contract

logger = logging.getLogger("batchsync")

# Long waits are slept in slices of at most this many seconds, reporting each through
# ``on_wait``, so a progress display says something at least this often while nothing moves.
REPORT_EVERY = 10.0

# Builds the outcome of an item the sync function did not report on itself (it raised, or it
# was never started): the caller knows its items, the processor does not.
Describe = Callable[[I, ItemAction, Failure | None, str | None], Outcome]


class Gate:
    """Shared by every lane: limit pauses, paced write lane, content budget, retries, deadline."""

    def __init__(
        self,
        limits: Limits = Limits(),  # noqa: B008 - frozen, so one shared default is safe
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float | None = None,
        on_wait: Callable[[str, float], None] | None = None,
        rng: random.Random | None = None,
        interrupt: Interrupt | None = None,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._interrupt = interrupt  # Ctrl-C or SIGTERM: no new request starts
        # A real sleep ends when the button is pressed: a lane must not sit out a long pause.
        self._sleep = interrupt.wait if interrupt is not None and sleep is time.sleep else sleep
        self._deadline = Deadline(deadline)  # the time budget, or the token's announced expiry
        self._on_wait = on_wait
        # Jitter only spreads retries apart; it needs no cryptographic quality.
        self._rng = rng if rng is not None else random.Random()  # noqa: S311
        self._cond = threading.Condition()
        self._write_lane = threading.Lock()
        self._snapshot: RateLimitSnapshot | None = None
        self._buckets: dict[str, RateLimitSnapshot | None] = {}  # graphql: a budget of its own
        self._pause_until = 0.0
        self._pause_reason = ""
        self._streak = 0  # consecutive limit answers; the secondary wait doubles on each
        self._epoch = 0  # bumped by each new limit pause; tells a repeat from an echo
        self._last_write_start: float | None = None
        self._budget = CreationBudget(limits.creates_per_minute, limits.creates_per_hour)
        self._points = SlidingWindow(limits.points_per_minute, 60.0)
        self._in_flight = 0  # sent, not answered: each will spend one of the primary budget
        self._reported: tuple[str, float] = ("", float("-inf"))  # last on_wait: reason, time
        self._stop: RunStop | None = None  # set once GitHub refused the token: nothing more goes
        self._verified = False  # some answer other than 401 has come back
        self._probing = False  # one request is out to find out whether the token works
        self._policy = RetryPolicy(
            limits,
            deadline=self._deadline,
            clock=clock,
            sleep=self._retry_sleep,
            rng=self._rng,
            hint=self._pause_left,
            explain=self._why_retry,
        )

    @property
    def limits(self) -> Limits:
        """The client-side settings this gate enforces."""
        return self._limits

    @property
    def clock(self) -> Callable[[], float]:
        """The clock the gate reads (epoch seconds)."""
        return self._clock

    @property
    def snapshot(self) -> RateLimitSnapshot | None:
        """The primary budget as the responses so far reported it."""
        with self._cond:
            return self._snapshot

    @property
    def stopped(self) -> RunStop | None:
        """The stop signal, once GitHub refused the token (401, or a 403 that is no limit)."""
        with self._cond:
            return self._stop

    @property
    def deadline(self) -> float | None:
        """Clock time after which no write starts and no wait may end; None for no limit."""
        return self._deadline.at

    @property
    def policy(self) -> RetryPolicy:
        """The run's one retry policy (its ``resend`` is the exactly-once rule for writes)."""
        return self._policy

    def observe(self, headers: Mapping[str, str]) -> None:
        """Fold a response's ``x-ratelimit-*`` headers into the shared snapshot."""
        with self._cond:
            self._merge(RateLimitSnapshot.from_headers(headers))

    def _merge(self, new: RateLimitSnapshot | None) -> None:
        """Fold one answer's budget into its bucket's snapshot (caller holds the lock)."""
        self._snapshot = merge_snapshot(self._snapshot, new)
        if new is not None and new.resource not in (None, "core"):
            self._buckets[new.resource] = merge_snapshot(
                self._buckets.get(new.resource), new, new.resource
            )

    def bucket(self, resource: str) -> RateLimitSnapshot | None:
        """The last known budget of a primary bucket other than ``core`` (e.g. ``graphql``)."""
        with self._cond:
            return self._snapshot if resource == "core" else self._buckets.get(resource)

    def call(
        self, op: Op, fn: Callable[[], tuple[T, Mapping[str, str]]], *, resource: str = "core"
    ) -> T:
        """Run ``fn`` (one HTTP request) when the limits allow, retrying by GitHub's rules.

        ``resource`` names the primary bucket the request is charged to (``graphql`` for
        GitHub's GraphQL API): its nearly spent budget pauses only requests to that bucket.
        """
        return self._policy.call(op, lambda: self._attempt(op, fn, resource))

    def _pause_left(self, error: RateLimitError) -> float:
        """Seconds until the pause this limit answer started (``limit_wait`` ran on it once)."""
        with self._cond:
            return max(0.0, self._pause_until - self._clock())

    def _why_retry(self, error: BaseException) -> str:
        """Why a retry waits: the pause a limit answer set (or a longer one), else the error."""
        if isinstance(error, RateLimitError):
            with self._cond:
                return self._pause_reason
        return retry_reason(error)

    def _attempt(
        self,
        op: Op,
        fn: Callable[[], tuple[T, Mapping[str, str]]],
        resource: str = "core",
    ) -> T:
        lane = self._write_lane if op is not Op.READ else contextlib.nullcontext()
        with lane:
            epoch = self._admit(op, resource)
            try:
                value, headers = fn()
            except ApiError as exc:
                # Still holding the write lane: a writer waiting for it sees the stop first.
                stop = self._answered(op, exc.headers, epoch, exc)
                if stop is not None:
                    raise stop.again() from exc
                if op is Op.CREATE and isinstance(exc, ServerError):
                    raise UncertainWriteError(exc) from exc
                raise
            except TransportError as exc:
                self._unanswered(op)
                if op is Op.CREATE:
                    raise UncertainWriteError(exc) from exc
                raise
            except BaseException:
                self._unanswered(op)
                raise
            self._answered(op, headers, epoch, None)
            return value

    def _admit(self, op: Op, resource: str = "core") -> int:
        """Wait until a request of kind ``op`` may start; claim its slot; return the epoch."""
        while True:
            with self._cond:
                self._raise_if_dead()
                if self._probing and not self._verified:
                    self._cond.wait()  # another lane's request is checking the token
                    continue
                now = self._clock()
                if op is not Op.READ and self._deadline.passed(now):
                    raise self._deadline.no_write()
                at, reason = earliest_start(
                    op,
                    now,
                    limits=self._limits,
                    pause_until=self._pause_until,
                    snapshot=self._snapshot if resource == "core" else self._buckets.get(resource),
                    last_write_start=self._last_write_start,
                    budget=self._budget,
                    points=self._points,
                    in_flight=self._in_flight,
                )
                if reason == PAUSE:
                    reason = self._pause_reason
                if at <= now:
                    self._probing = not self._verified
                    self._points.reserve(points_of(op))
                    self._in_flight += 1
                    if op is not Op.READ:
                        self._last_write_start = now
                    if op is Op.CREATE:
                        self._budget.reserve()
                    return self._epoch
            if self._deadline.passes(at):
                raise self._deadline.exceeded(reason, at)
            self._wait_until(at, reason)

    def _answered(
        self, op: Op, headers: Mapping[str, str], epoch: int, error: ApiError | None
    ) -> RunStop | None:
        """Fold an answer into the shared state; the run's stop when GitHub refused the token."""
        with self._cond:
            self._settle(op)
            self._merge(RateLimitSnapshot.from_headers(headers))
            self._heed_token_expiry(headers)
            self._probing = False
            self._cond.notify_all()
            if isinstance(error, AuthError | ForbiddenError):
                # GitHub asks clients not to repeat a refused request: the run stops here.
                self._stop = self._stop or RunStop.refused(error)
                return self._stop
            self._verified = True
            if isinstance(error, RateLimitError):
                if op is Op.CREATE and any(t in error.message for t in CONTENT_REFUSALS):
                    # GitHub counted more content than this budget did (a link made inside a
                    # create may count twice): spend the budget faster from now on
                    self._budget.adapt()
                    logger.warning(
                        "content refused although the budget allowed it: each create now "
                        "counts %d against creates-per-minute and creates-per-hour",
                        self._budget.weight,
                    )
                self._start_pause(error, epoch)
            elif epoch == self._epoch:
                self._streak = 0  # sent after the last pause and not limited: the storm is over
            return None

    def _heed_token_expiry(self, headers: Mapping[str, str]) -> None:
        """Bring the deadline before an expiry GitHub announced (caller holds the lock)."""
        expiry = token_expiry(headers)
        if expiry is None:
            return
        when = datetime.datetime.fromtimestamp(expiry, datetime.UTC)
        self._deadline.bring_forward(
            expiry - TOKEN_EXPIRY_MARGIN, f"the token expires at {when:%Y-%m-%d %H:%M:%S} UTC"
        )

    def _start_pause(self, error: RateLimitError, epoch: int) -> None:
        """Pause every lane for GitHub's wait (caller holds the lock)."""
        if epoch == self._epoch:
            # Sent after the latest pause began: a new limit answer, not an echo of the last.
            self._epoch += 1
            self._streak += 1
        now = self._clock()
        seconds, reason = limit_wait(
            error.headers, now, max(1, self._streak), self._limits.secondary_wait
        )
        if now + seconds > self._pause_until:
            self._pause_until = now + seconds
            self._pause_reason = reason
        logger.warning("%s; every lane pauses: %s", error, reason)

    def _unanswered(self, op: Op) -> None:
        with self._cond:
            self._settle(op)
            self._probing = False
            self._cond.notify_all()

    def _settle(self, op: Op) -> None:
        """Count a finished request in the windows, at the time its answer came (lock held)."""
        now = self._clock()
        self._in_flight -= 1
        self._points.settle(now, points_of(op))
        if op is Op.CREATE:
            self._budget.settle(now)

    def _raise_if_dead(self) -> None:
        if self._stop is not None:
            raise self._stop.again()
        if self._interrupt is not None:
            self._interrupt.check()

    def _retry_sleep(self, seconds: float, reason: str) -> None:
        """The retry policy's sleep: wait before a retry, reporting why.

        The policy stopped instead of sleeping past the deadline; a deadline brought forward
        meanwhile (a token's expiry) cuts the wait short, and the next attempt meets it.
        """
        end = self._clock() + seconds
        while self._clock() < (stop := self._deadline.cut(end)):
            self._wait_until(stop, reason)

    def _wait_until(self, end: float, reason: str) -> None:
        """Sleep towards ``end``, kept within the deadline by the caller; reported in slices."""
        if self._interrupt is not None:
            self._interrupt.check()  # a pause or a retry's wait ends at the signal
        remaining = end - self._clock()
        if remaining <= 0:
            return
        if reason == PACING or self._on_wait is None:
            self._sleep(remaining)
            return
        if self._claim_report(reason):
            try:
                self._on_wait(reason, remaining)
            except Exception:
                logger.exception("the on_wait callback failed; carrying on")
        self._sleep(min(remaining, REPORT_EVERY))

    def _claim_report(self, reason: str) -> bool:
        """True for the one lane that reports this wait now (all lanes wait on one pause)."""
        with self._cond:
            now = self._clock()
            last_reason, last_at = self._reported
            if reason == last_reason and now - last_at < REPORT_EVERY:
                return False
            self._reported = (reason, now)
            return True


class BatchProcessor:
    """Runs ``sync_fn`` over items in at most ``max_concurrent`` lanes, all through one Gate."""

    def __init__(
        self,
        max_concurrent: int = defaults.MAX_CONCURRENT,
        rate_limit: Limits | None = None,
        *,
        gate: Gate | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float | None = None,
    ) -> None:
        if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int):
            raise ValueError(f"max_concurrent must be a whole number, got {max_concurrent!r}")
        if max_concurrent < 1:
            raise ValueError(
                f"max_concurrent must be at least 1 (items in flight at once), got {max_concurrent}"
            )
        if gate is not None and (rate_limit is not None or deadline is not None):
            raise ValueError("pass either a gate or rate_limit/deadline, not both")
        self.max_concurrent = max_concurrent
        if gate is None:
            gate = Gate(rate_limit or Limits(), clock=clock, sleep=sleep, deadline=deadline)
        elif clock is time.time:
            clock = gate.clock  # measure the duration on the gate's clock unless told otherwise
        self.gate = gate
        self._clock = clock

    @property
    def rate_limit(self) -> Limits:
        """The rate-limit settings in force (the gate's)."""
        return self.gate.limits

    def batch_upload(
        self,
        items: Sequence[I],
        sync_fn: Callable[..., Outcome],
        *,
        repo: str,
        client: object,
        sync_map: Mapping[str, int],
        dry_run: bool = False,
        on_progress: Callable[[int, int, I], None] | None = None,
        describe: Describe[I] | None = None,
    ) -> BatchResult:
        """Sync every item; per-item failures are recorded, a refused token stops and is raised.

        ``describe`` builds the outcome of an item that raised or was never started; by default
        it reads the item's ``key``, ``kind`` and ``path`` attributes.
        """
        start = self._clock()
        kwargs: dict[str, Any] = {
            "repo": repo,
            "client": client,
            # A dry run must leave the sync map untouched: hand out a read-only view.
            "sync_map": MappingProxyType(dict(sync_map)) if dry_run else sync_map,
            "dry_run": dry_run,
        }
        run = _Run(items, sync_fn, kwargs, on_progress, describe or _outcome_for)
        lanes = [
            threading.Thread(target=run.lane, name=f"batchsync-lane-{n + 1}", daemon=True)
            for n in range(min(self.max_concurrent, len(items)))
        ]
        for lane in lanes:
            lane.start()
        for lane in lanes:
            lane.join()
        if run.stop is not None and run.stop.kind.refused:
            raise run.stop
        outcomes = run.finish()
        return BatchResult(
            outcomes=outcomes, duration=self._clock() - start, rate_limit=self.gate.snapshot
        )


class _Run(Generic[I]):
    """One batch in progress: hands out items to lanes, records outcomes, reports progress."""

    def __init__(
        self,
        items: Sequence[I],
        sync_fn: Callable[..., Outcome],
        kwargs: Mapping[str, Any],
        on_progress: Callable[[int, int, I], None] | None,
        describe: Describe[I],
    ) -> None:
        self.items = items
        self.sync_fn = sync_fn
        self.kwargs = kwargs
        self.on_progress = on_progress
        self.describe = describe
        self.outcomes: list[Outcome | None] = [None] * len(items)
        self.stop: RunStop | None = None
        self._lock = threading.Lock()
        self._progress_lock = threading.Lock()
        self._next = 0
        self._done = 0

    def lane(self) -> None:
        """A worker thread: take the next item until none are left or the batch stops."""
        while (index := self._take()) is not None:
            item = self.items[index]
            outcome = self.outcomes[index] = self._one(item)
            if outcome.action is not ItemAction.NOT_DONE:  # progress counts what is done
                self._report(item)

    def finish(self) -> tuple[Outcome, ...]:
        """Every outcome in input order; items never started are NOT_DONE (not progress)."""
        reason = self.stop.detail if self.stop else "the batch stopped before this item"
        result = []
        for index, recorded in enumerate(self.outcomes):
            outcome = recorded
            if outcome is None:
                outcome = self.describe(self.items[index], ItemAction.NOT_DONE, None, reason)
            result.append(outcome)
        return tuple(result)

    def _take(self) -> int | None:
        with self._lock:
            if self.stop is not None or self._next >= len(self.items):
                return None
            self._next += 1
            return self._next - 1

    def _one(self, item: I) -> Outcome:
        try:
            return self.sync_fn(item, **self.kwargs)
        except RunStop as exc:
            with self._lock:
                first = self.stop is None
                self.stop = self.stop or exc
            if first:
                logger.warning("%s; no new items start", exc)
            return self.describe(item, ItemAction.NOT_DONE, None, exc.detail)
        except Exception as exc:
            if not isinstance(exc, BatchsyncError):
                logger.debug("the sync function raised", exc_info=True)
            failure = failure_of(exc)
            logger.warning("%s: %s", _name_of(item), failure.message)
            return self.describe(item, ItemAction.FAILED, failure, None)

    def _report(self, item: I) -> None:
        if self.on_progress is None:
            return
        with self._progress_lock:
            self._done += 1
            try:
                self.on_progress(self._done, len(self.items), item)
            except Exception:
                logger.exception("the progress callback failed; the batch goes on")


def _name_of(item: object) -> str:
    key = getattr(item, "key", None)
    return str(key) if key is not None else str(item)


def _outcome_for(
    item: object, action: ItemAction, failure: Failure | None, reason: str | None
) -> Outcome:
    """The default ``Describe``: an item's ``key``, ``kind`` and ``path`` attributes."""
    return Outcome(
        key=_name_of(item),
        kind=str(getattr(item, "kind", "")),
        path=str(getattr(item, "path", "")),
        action=action,
        failure=failure,
        reason=reason,
    )
