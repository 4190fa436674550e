"""A token that expires mid-run, against the emulator: stop cleanly before it, or at its 401.

GitHub may announce a token's expiry in ``github-authentication-token-expiration``; the emulator
can send it or not. With the header, the run starts no write in the last two minutes and leaves
the rest for the next run (no 401 at all); without it, the first 401 stops the run. Either way a
rerun with a fresh token finishes the tree with no duplicate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from batchsync import sync
from batchsync.config import load_settings
from batchsync.emulator import Emulator, ManualClock
from batchsync.errors import RunStop
from batchsync.results import BatchResult
from emulated import run_overrides

REPO = "octo/expiry"
SHORT = "ghs_expiresoon"
FRESH = "ghs_freshtoken"
ITEMS = 12


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    prds = tmp_path / ".claude" / "prds"
    prds.mkdir(parents=True)
    for n in range(1, ITEMS + 1):
        (prds / f"prd-{n:03}-a.md").write_text(f"---\nid: prd-{n:03}\ntitle: P{n}\n---\nx\n")
    return tmp_path


@pytest.fixture(params=[True, False], ids=["announced", "silent"])
def emu(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    clock = ManualClock()
    with Emulator(limits="off", clock=clock) as emulator:
        # Writes one a minute: the token (valid for 7 minutes) lasts for about six of them.
        emulator.add_token(SHORT, expires_at=clock.now() + 420, announce_expiry=request.param)
        emulator.add_token(FRESH)
        emulator.add_repo(REPO)
        yield emulator


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
