"""The ownership rule: who is trusted, how titles match, what a token is."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from batchsync.marker import format_marker
from batchsync.ownership import (
    TITLE_SHAPES,
    TitleShape,
    Trust,
    needs_identity,
    title_matches,
    token_kind,
    valid_login,
    viewer_login,
)
from batchsync.remote import RemoteIssue


def test_the_actions_bot_and_named_logins_are_trusted_case_insensitively() -> None:
    trust = Trust.of(None, ["Ana", " ci-bot[bot] ", ""])
    assert trust.trusts("github-actions[bot]")
    assert trust.trusts("ana")
    assert trust.trusts("CI-BOT[bot]")
    assert not trust.trusts("mallory")
    assert not trust.trusts("")


def test_the_tokens_own_login_is_trusted_and_ranks_first() -> None:
    trust = Trust.of("octocat", ["ana"])
    assert trust.trusts("OctoCat")
    assert trust.is_own("octocat")
    assert not trust.is_own("github-actions[bot]")
    assert trust.rank("octocat") < trust.rank("ana")
    assert trust.rank("github-actions[bot]") < trust.rank("ana")


def test_until_the_own_login_is_known_the_actions_bot_stands_for_it() -> None:
    trust = Trust.of(None)
    assert trust.is_own("github-actions[bot]")
    assert not Trust.of("shop-app[bot]").is_own("github-actions[bot]")


@pytest.mark.parametrize(
    ("issue", "item", "same"),
    [
        ("[TASK] Step 1", "step 1", True),
        ("  step 1 ", "[TASK]  Step 1", True),
        ("[epic] Cart", "cart", True),
        ("Step 1 [TASK]", "Step 1", False),
        ("Login page crashes", "Step 1", False),
        ("[TASK] Step 10", "Step 1", False),
    ],
)
def test_titles_match_ignoring_the_kind_prefix_case_and_spaces(
    issue: str, item: str, same: bool
) -> None:
    assert title_matches(issue, item) is same


@pytest.mark.parametrize("shape", TITLE_SHAPES, ids=lambda s: s.prefix or "bare")
def test_every_title_shape_of_the_table_matches_the_items_name(shape: TitleShape) -> None:
    prefix = shape.prefix
    for title in (
        f"{prefix} Cart screens",
        f"  {prefix.upper()}cart SCREENS ",
        f"{prefix}Cart screens",
    ):
        assert title_matches(title, "Cart screens"), title
    assert not title_matches(f"{prefix} Cart", "Cart screens")


@pytest.mark.parametrize(
    ("issue", "item", "same"),
    [
        ("Epic: cart-screens", "cart-screens", True),  # CCPM's /pm:epic-sync
        ("EPIC:cart-screens", "cart-screens", True),
        ("PRD: Cart", "Cart", True),
        ("Task: Step 1", "Step 1", True),
        ("Epic cart-screens", "cart-screens", False),
        ("Epic: Epic: cart", "cart", False),  # one prefix only
        ("Story: Step 1", "Step 1", False),
    ],
)
def test_ccpms_and_claudeautopms_titles_match(issue: str, item: str, same: bool) -> None:
    assert title_matches(issue, item) is same


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("ghs_abc", "installation"),
        ("v1.0123456789abcdef", "installation"),
        ("ghp_abc", "user"),
        ("github_pat_abc", "user"),
        ("gho_abc", "user"),
        ("ghu_abc", "user"),
        ("0123456789abcdef0123456789abcdef01234567", "unknown"),
    ],
)
def test_token_kind_from_its_prefix(token: str, kind: str) -> None:
    assert token_kind(token) == kind


@pytest.mark.parametrize(
    ("login", "valid"),
    [
        ("ana", True),
        ("a", True),
        ("Mona-Lisa-2", True),
        ("x" * 39, True),
        ("ci-bot[bot]", True),
        ("octocat_acme", True),  # a managed user: handle_shortcode
        ("mona-lisa_acme", True),
        ("2abvd19d_admin", True),  # a managed enterprise's setup admin
        ("old-", True),  # older accounts keep names from before the hyphen rule
        ("a--b", True),
        ("-dash", False),
        ("a/b", False),
        ("x" * 40, False),
        ("octocat_" + "a" * 31, True),  # 39 characters, shortcode included
        ("octocat_" + "a" * 32, False),
        ("_acme", False),
        ("octocat_", False),
        ("a_b_c", False),
        ("-octo_acme", False),
        ("octo-_acme", False),
        ("octo_ac-me", False),
        ("shop_app[bot]", False),  # an App's slug holds no underscore
        ("ana[bot][bot]", False),
        ("[bot]", False),
        ("", False),
        ("ana\n", False),
        ("@ana", False),
    ],
)
def test_valid_logins_follow_githubs_rules(login: str, valid: bool) -> None:
    assert valid_login(login) is valid


@pytest.mark.parametrize(
    ("login", "kind", "taken"),
    [
        ("shop-app[bot]", "installation", True),
        ("github-actions[bot]", "installation", True),
        ("shop-app", "installation", False),  # a bot's name without "[bot]": maybe a person's
        ("octocat", "user", True),
        ("octocat", "unknown", True),
        ("oct cat", "user", False),
        ("", "user", False),
        ("x" * 40, "user", False),
    ],
)
def test_a_viewer_login_is_the_tokens_only_when_it_can_be_its_account(
    login: str, kind: str, taken: bool
) -> None:
    assert viewer_login(login, kind) is taken


@dataclass(frozen=True)
class _Item:
    title: str
    link: int | None = None


def _issue(
    number: int, author: str, *, title: str = "Other", key: str | None = None
) -> RemoteIssue:
    body = format_marker(key, "0" * 16) if key else "a person's text"
    return RemoteIssue(number, 1000 + number, title, body, "open", author=author)


ITEMS = [_Item("Sign-in endpoint"), _Item("Cart", link=7)]


@pytest.mark.parametrize(
    ("issue", "needed"),
    [
        (_issue(1, "github-actions[bot]", key="prd-001"), False),  # trusted already
        (_issue(2, "alice", key="prd-001"), True),  # a marked issue by an unknown author
        (_issue(3, "alice"), False),  # a person's unrelated issue
        (_issue(7, "alice"), True),  # an issue an item links
        (_issue(4, "shop-app[bot]", title="[TASK] Sign-in endpoint"), True),  # a deleted marker?
        (_issue(5, "", key="prd-001"), False),  # no author: no login could trust it
        (_issue(6, "alice", key="prd-001"), False),  # alice is named in trusted-authors below
    ],
)
def test_the_token_is_asked_who_it_is_only_when_a_decision_depends_on_it(
    issue: RemoteIssue, needed: bool
) -> None:
    trust = Trust.of(None, ["alice"] if issue.number == 6 else [])
    assert needs_identity(trust, [issue], ITEMS) is needed
