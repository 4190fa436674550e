"""Settings for a run of batchsync against an in-process emulator, shared by the test suites."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests
from github import Auth, Github

from batchsync.config import load_settings
from batchsync.emulator import Emulator
from batchsync.render import parse_marker
from batchsync.results import BatchResult
from batchsync.sync import run

# ``make_emulator(**options)`` (tests/conftest.py): a started emulator, stopped after the test.
EmulatorFactory = Callable[..., Emulator]

# GitHub does not promise ``parent_issue_url`` and ``sub_issues_summary`` in list answers: the
# sync tests run against an emulator that sends both, and one that sends neither.
LIST_FIELDS = ("both", "none")
# ``EMULATOR_VARIANTS`` (tests/conftest.py) for a module whose every test runs against each.
LIST_FIELD_VARIANTS: Mapping[str, Mapping[str, object]] = {
    fields: {"list_fields": fields} for fields in LIST_FIELDS
}

# The client's own pacing off, so a test runs in milliseconds; the emulator's limits still apply.
UNPACED: Mapping[str, object] = {
    "write_interval": 0,
    "creates_per_minute": 0,
    "creates_per_hour": 0,
    "retry_delay": 0,
}


def run_overrides(
    emu: Emulator, workspace: Path, *, token: str, repo: str, **changes: object
) -> dict[str, object]:
    """``load_settings`` overrides for one unpaced run against ``emu`` over ``workspace``."""
    given: dict[str, object] = {
        "github_token": token,
        "repository": repo,
        "api_url": emu.url,
        "server_url": emu.url.replace("/api/v3", ""),
        "workspace": str(workspace),
        "path": ".claude",
        **UNPACED,
    }
    given.update(changes)
    return given


def pygithub(emu: Emulator, token: str, *, per_page: int = 100) -> Github:
    """PyGithub against ``emu`` as batchsync configures it: no retries, no pacing of its own."""
    return Github(
        base_url=emu.url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        per_page=per_page,
    )


def penalty_holds(
    emu: Emulator, url: str, headers: Mapping[str, str], *, inside: float, left: float
) -> None:
    """A GET ``inside`` seconds into a secondary-limit penalty is refused and counted as the one
    violation; once the ``left`` seconds more have passed, it is answered."""
    emu.clock.sleep(inside)
    assert requests.get(url, headers=headers, timeout=10).status_code in (403, 429)
    assert emu.stats.penalty_requests == 1
    assert emu.stats.violations == 1
    emu.clock.sleep(left)
    assert requests.get(url, headers=headers, timeout=10).status_code == 200


def writes(emu: Emulator) -> int:
    """Requests that changed something so far (``Stats.writes``: a GraphQL query is a POST that
    writes nothing, so it is not one)."""
    return emu.stats.writes()


def sync_run(
    emu: Emulator, workspace: Path, *, token: str, repo: str, **overrides: object
) -> BatchResult:
    """One unpaced run of batchsync over ``workspace`` against ``emu``, on the emulator's clock.

    A module binds its own: ``sync = functools.partial(sync_run, token=TOKEN, repo=REPO)``.
    """
    given = run_overrides(emu, workspace, token=token, repo=repo, **overrides)
    return run(load_settings(given, env={}), clock=emu.clock.now, sleep=emu.clock.sleep)


def marked(emu: Emulator, key: str, *, repo: str) -> list[dict[str, Any]]:
    """The issues of ``repo`` whose marker names the item ``key``."""
    return [i for i in emu.issues(repo) if (m := parse_marker(i["body"])) and m.key == key]


def issue_of(emu: Emulator, key: str, *, repo: str) -> dict[str, Any]:
    """The one issue of ``repo`` whose marker names the item ``key``."""
    found = marked(emu, key, repo=repo)
    assert len(found) == 1, found
    return found[0]


def by_hand(emu: Emulator, repo: str, number: int, state: str) -> None:
    """A person closes or reopens issue ``number`` of ``repo`` on GitHub."""
    place = emu.service.store.repo(*repo.split("/"))
    with place.store.lock:
        place.update_issue(place.issue(number).user, number, {"state": state})
