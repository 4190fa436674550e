"""A token that expires mid-run, against the emulator: stop cleanly before it, or at its 401.

GitHub may announce a token's expiry in ``github-authentication-token-expiration``; the emulator
can send it or not. With the header, the run starts no write in the last two minutes and leaves
the rest for the next run (no 401 at all); without it, the first 401 stops the run. Either way a
rerun with a fresh token finishes the tree with no duplicate.
"""

from __future__ import annotations

import functools
from pathlib import Path

from batchsync import sync
from batchsync.config import load_settings
from batchsync.emulator import Emulator, ManualClock
from batchsync.errors import RunStop
from batchsync.results import BatchResult
from emulated import run_overrides
from trees import write_prds

REPO = "octo/expiry"
SHORT = "ghs_expiresoon"
FRESH = "ghs_freshtoken"
ITEMS = 12
WORK_ITEMS = functools.partial(write_prds, count=ITEMS)  # the workspace fixture (conftest)
# The emu fixture: writes go one a minute, so SHORT (valid for 7 minutes from the manual clock's
# start) lasts for about six of them; GitHub announces its expiry, or not.
TOKEN = FRESH
EMULATOR = {"limits": "off", "clock": ManualClock}
EXPIRES_AT = ManualClock().now() + 420
EMULATOR_VARIANTS = {
    "announced": {"tokens": {SHORT: {"expires_at": EXPIRES_AT, "announce_expiry": True}}},
    "silent": {"tokens": {SHORT: {"expires_at": EXPIRES_AT, "announce_expiry": False}}},
}


def _run(emu: Emulator, workspace: Path, token: str) -> BatchResult:
    given = run_overrides(
        emu, workspace, token=token, repo=REPO, write_interval=60, max_concurrent=1
    )
    settings = load_settings(given, env={})
    return sync.run(settings, clock=emu.clock.now, sleep=emu.clock.sleep)


def test_a_run_stops_before_or_at_the_expiry_and_a_rerun_finishes(
    emu: Emulator, workspace: Path
) -> None:
    announced = emu.service.tokens[SHORT].announce_expiry
    try:
        first = _run(emu, workspace, SHORT)
    except RunStop:
        first = None  # the whole run stopped at GitHub's 401
    refused = emu.stats.count(status=401)
    made = len(emu.issues(REPO))
    assert 0 < made < ITEMS
    if announced:
        assert first is not None
        assert refused == 0  # stopped before the token ran out: not one request refused
        assert first.not_done == ITEMS - made
        assert not first.failed
    else:
        assert refused >= 1
    second = _run(emu, workspace, FRESH)
    assert not second.failed
    assert len(emu.issues(REPO)) == ITEMS  # the rest created, nothing twice
