"""Example 2: custom rate limits through the library API, and what they do to the timeline.

    python examples/custom_rate_limits.py

Builds the processor by hand (``Gate`` + ``BatchProcessor`` with custom ``Limits``) and syncs the
sample tree with ``batch_sync_all`` into an emulator whose primary budgets are tiny (20 REST
requests and 12 GraphQL points, where the issues are created, per 2-minute window instead of
1,000 an hour), so every mechanism shows within seconds: writes 2 s apart, at most 10 creations
a minute, and a pause of every lane until the reset when only 5 requests are left. Prints each
wait as it starts, then the requests per emulated minute.
"""

from __future__ import annotations

import sys
from collections import Counter

from _emulated import REPO, TOKEN, emulator, workspace
from batchsync.emulator import LimitConfig, ManualClock
from batchsync.processor import BatchProcessor, Gate
from batchsync.ratelimit import Limits
from batchsync.sync import batch_sync_all

LIMITS = Limits(
    threshold=5,  # pause every lane until the reset when 5 requests are left
    write_interval=2.0,  # seconds between the starts of two writes (GitHub asks for 1)
    creates_per_minute=10,  # content-creation budget (GitHub's ceiling is 80)
    creates_per_hour=500,
    max_retries=3,
    retry_delay=1.0,
)


def main() -> int:
    """Sync with the custom limits; exit 1 if the emulator saw a limit broken."""
    tight = LimitConfig.github(primary_limit=20, graphql_limit=12, window=120.0)
    # A manual clock moves only when batchsync waits: the timeline shows the limits alone.
    with workspace() as root, emulator(limits=tight, clock=ManualClock()) as emu:
        start = emu.clock.now()
        said: list[str] = []

        def on_wait(reason: str, seconds: float) -> None:
            # Long waits are reported every 10 s; say each one once.
            if not said or said[-1] != reason:
                said.append(reason)
                print(f"  t={emu.clock.now() - start:4.0f} s  waiting {seconds:3.0f} s: {reason}")

        gate = Gate(LIMITS, clock=emu.clock, sleep=emu.clock.sleep, on_wait=on_wait)
        processor = BatchProcessor(max_concurrent=4, gate=gate)
        result = batch_sync_all(
            base_path=root / ".claude",
            repo=REPO,
            token=TOKEN,
            processor=processor,
            api_url=emu.url,
        )
        print(f"\n{result.total} items: {result.succeeded} done, {result.failed} failed")
        snapshot = result.rate_limit
        if snapshot is not None:
            print(f"primary budget at the end: {snapshot.remaining}/{snapshot.limit}")

        per_minute = Counter(int((r.at - start) // 60) for r in emu.stats.requests())
        writes = Counter(
            int((r.at - start) // 60) for r in emu.stats.requests() if r.method != "GET"
        )
        print("\nminute | requests | writes")
        for minute in sorted(per_minute):
            print(f"{minute:>6} | {per_minute[minute]:>8} | {writes[minute]:>6}")
        refused = emu.stats.primary_limits + emu.stats.secondary_limits
        print(f"\nrequests GitHub would have refused: {refused}")
        return 1 if refused or result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
