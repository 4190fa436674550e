"""The adapter's "blocked by" methods against the emulator, with and without the dependencies API.

Every test taking ``emu`` runs twice (``EMULATOR_VARIANTS``): against a server with GitHub's
issue dependencies and against one without them (an older GHES), where the same calls are a
typed ``NotFoundError``. The others need the API and build their emulator themselves.
"""

from __future__ import annotations

import pytest

from batchsync.emulator import Emulator, LimitConfig, ManualClock
from batchsync.errors import NotFoundError, ValidationFailed
from batchsync.github import Blocker, GitHubClient
from batchsync.processor import Gate
from batchsync.ratelimit import Limits

TOKEN = "ghs_dependencies"
REPO = "octo/deps"
EMULATOR_VARIANTS = {
    "dependencies": {"dependencies": True},
    "no-dependencies": {"dependencies": False},
}
BLOCKED_BY = "/repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by"
UNPACED = Limits(write_interval=0, creates_per_minute=0, creates_per_hour=0, retry_delay=0)


def client(emu: Emulator, limits: Limits = UNPACED) -> GitHubClient:
    gate = Gate(limits, clock=emu.clock.now, sleep=emu.clock.sleep)
    return GitHubClient(emu.url, TOKEN, REPO, gate, graphql=False)


def seeded(emu: Emulator, count: int = 3) -> list[tuple[int, int]]:
    """``count`` issues in REPO as (number, id)."""
    repo = emu.service.store.repo(*REPO.split("/"))
    numbers = [repo.add_issue(f"issue {n}") for n in range(count)]
    return [(n, repo.issue(n).id) for n in numbers]


def served(emu: Emulator) -> bool:
    return emu.service.store.dependencies


def with_dependencies(**options: object) -> Emulator:
    """An emulator with the dependencies API (its default), REPO and TOKEN; not started."""
    emu = Emulator(**{"limits": "off", **options})  # type: ignore[arg-type]
    emu.add_token(TOKEN)
    emu.add_repo(REPO)
    return emu


def test_a_blocker_is_added_read_and_removed(emu: Emulator) -> None:
    (blocked, _), (blocker, blocker_id), _ = seeded(emu)
    github = client(emu)
    if not served(emu):
        with pytest.raises(NotFoundError):
            github.add_blocked_by(blocked, blocker_id)
        with pytest.raises(NotFoundError):
            github.blocked_by(blocked)
        assert github.remove_blocked_by(blocked, blocker_id) is False
        return
    github.add_blocked_by(blocked, blocker_id)
    assert github.blocked_by(blocked) == [Blocker(blocker, blocker_id, REPO, True)]
    assert emu.blocked_by(REPO, blocked) == [(REPO, blocker)]
    assert github.get_issue(blocked).blocked_by_total == 1  # type: ignore[union-attr]
    assert github.remove_blocked_by(blocked, blocker_id) is True
    assert github.remove_blocked_by(blocked, blocker_id) is False
    assert github.blocked_by(blocked) == []


def test_the_listing_carries_the_count_only_where_the_api_is(emu: Emulator) -> None:
    (blocked, _), (_, blocker_id), _ = seeded(emu)
    if served(emu):
        client(emu).add_blocked_by(blocked, blocker_id)
    totals = {i.number: i.blocked_by_total for i in client(emu).list_issues()}
    assert totals == ({1: 1, 2: 0, 3: 0} if served(emu) else {1: None, 2: None, 3: None})


def test_every_blocker_is_read_across_pages() -> None:
    with with_dependencies() as emu:
        issues = seeded(emu, 104)
        github = client(emu)
        emu.service.store.blocked_by_limit = 200
        for _, blocker_id in issues[1:103]:
            github.add_blocked_by(1, blocker_id)
        found = github.blocked_by(1)
        assert [b.number for b in found] == list(range(2, 104))
        assert emu.stats.count("GET", BLOCKED_BY) == 2


@pytest.mark.parametrize("which", ["itself", "twice", "unknown id"])
def test_a_refused_dependency_is_a_validation_failure(emu: Emulator, which: str) -> None:
    (blocked, blocked_id), (_, blocker_id), _ = seeded(emu)
    github = client(emu)
    if served(emu) and which == "twice":
        github.add_blocked_by(blocked, blocker_id)
    target = {"itself": blocked_id, "twice": blocker_id, "unknown id": 123_456}[which]
    with pytest.raises(ValidationFailed if served(emu) else NotFoundError):
        github.add_blocked_by(blocked, target)


def test_a_blocker_in_another_repository_is_placed_there() -> None:
    with with_dependencies() as emu:
        other = emu.add_repo("octo/elsewhere")
        far = other.issue(other.add_issue("far away"))
        ((blocked, _),) = seeded(emu, 1)
        github = client(emu)
        github.add_blocked_by(blocked, far.id)
        assert github.blocked_by(blocked) == [Blocker(1, far.id, "octo/elsewhere", False)]


@pytest.mark.parametrize(("budget", "refusals"), [(2, 0), (0, 1)])
def test_dependency_writes_are_content_creation_on_both_sides(budget: int, refusals: int) -> None:
    # the server allows 2 content creations a minute: a client counting them too waits a
    # minute before the third write; one that does not is refused once (then waits and retries)
    clock = ManualClock(1_800_000_000.0)
    with with_dependencies(clock=clock, limits=LimitConfig.github(creates_per_minute=2)) as emu:
        issues = seeded(emu)
        limits = Limits(write_interval=0, creates_per_minute=budget, retry_delay=0)
        github = client(emu, limits)
        github.add_blocked_by(1, issues[1][1])
        github.add_blocked_by(1, issues[2][1])
        start = clock.now()
        assert github.remove_blocked_by(1, issues[1][1]) is True
        assert clock.now() - start >= 59
        assert (emu.stats.secondary_limits, emu.stats.violations) == (refusals, 0)
