"""Which issues are batchsync's: the one ownership rule. Pure.

An issue is batchsync's only when it carries a marker **and** its author is trusted: the account
the token acts as, ``github-actions[bot]`` (only this repository's workflows write as it, so a
switch from ``GITHUB_TOKEN`` to an App token keeps the old issues), and the logins named in
``trusted-authors``. A marked issue by anyone else is never written, linked or closed; anyone can
paste a marker into an issue, but only these accounts can author one in the repository on
batchsync's behalf. An issue a work item links (its file or the sync map) is batchsync's too once
adopted: the link, committed by someone with push access, is the trust.

Adopting through a link takes an issue only when it is trusted or its title matches the item's
(``title_matches``): a link that points at a person's unrelated issue is an item error, not a
takeover. Also in docs/sync.md ("Which issues batchsync touches").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "ACTIONS_BOT",
    "INSTALLATION_PREFIXES",
    "INTEGRATION_FORBIDDEN",
    "TITLE_SHAPES",
    "USER_PREFIXES",
    "TitleShape",
    "Trust",
    "bare_title",
    "needs_identity",
    "title_matches",
    "token_kind",
    "valid_login",
    "viewer_login",
]

ACTIONS_BOT = "github-actions[bot]"
# GitHub's token formats: installation tokens (GITHUB_TOKEN, App installations) act as a bot and
# are refused by ``GET /user``; user tokens (classic and fine-grained PATs, OAuth, App user
# tokens) act as a person whom ``GET /user`` names.
INSTALLATION_PREFIXES = ("ghs_", "v1.")
INTEGRATION_FORBIDDEN = "Resource not accessible by integration"  # ``GET /user``'s 403
USER_PREFIXES = ("ghp_", "github_pat_", "gho_", "ghu_")
# GitHub's account names (one rule, read by config and the adapter alike). Sources: the sign-up
# form ("may only contain alphanumeric characters or single hyphens, and cannot begin or end with
# a hyphen", 39 characters at most) and GitHub's "Username considerations for external
# authentication" (docs.github.com, enterprise-cloud, iam-configuration-reference): a managed
# user (Enterprise Managed Users) is ``{normalized handle}_{shortcode}``, the setup admin
# ``{shortcode}_admin``, within the same 39 characters. An App writes as ``{slug}[bot]``. Older
# accounts keep names made before the hyphen rule (``name-``, ``a--b``): GitHub still shows them
# as authors, so they are accepted too; a leading hyphen never was a name.
_LOGIN_MAX = 39
_LOGIN = re.compile(
    r"(?:[A-Za-z0-9][A-Za-z0-9-]*"  # a personal account (or an organization, an App's slug)
    r"|[A-Za-z0-9](?:-?[A-Za-z0-9])*_[A-Za-z0-9]+)"  # a managed user: handle_shortcode
)
_BOT = "[bot]"


@dataclass(frozen=True)
class TitleShape:
    """How a tool titles an item's issue: a prefix (maybe none) before the item's name."""

    prefix: str  # matched ignoring case; spaces after it never matter
    kind: str
    source: str


# The one table of the title shapes that adopting an issue through a link accepts, with where
# each comes from (also in docs/sync.md, "Title shapes"). ``<name>`` is the frontmatter
# ``name`` (an epic's is its folder's name), the item's title.
TITLE_SHAPES = (
    TitleShape("[PRD]", "prd", "batchsync; ClaudeAutoPM `sync:batch` (its batch processor)"),
    TitleShape("[EPIC]", "epic", "batchsync; ClaudeAutoPM `sync:batch`"),
    TitleShape("[TASK]", "task", "batchsync; ClaudeAutoPM `sync:batch`"),
    TitleShape(
        "Epic:",
        "epic",
        "CCPM `/pm:epic-sync` (automazeio/ccpm, ccpm/commands/pm/epic-sync.md: `gh issue create "
        '--title "Epic: $ARGUMENTS"`); ClaudeAutoPM `/pm:epic-sync` (rafeekpro/ClaudeAutoPM, '
        'autopm/.claude/scripts/pm/epic-sync/create-epic-issue.sh: `title="Epic: $EPIC_NAME"`)',
    ),
    TitleShape(
        "",
        "task",
        "CCPM and ClaudeAutoPM `/pm:epic-sync`: a task's issue is its `name` alone (`--title "
        '"$task_name"`; ClaudeAutoPM\'s create-task-issues.sh)',
    ),
    TitleShape("PRD:", "prd", "by hand, in the shape CCPM gives epics"),
    TitleShape("Task:", "task", "by hand, in the shape CCPM gives epics"),
)
_KIND_PREFIX = re.compile(
    r"^\s*(?:" + "|".join(re.escape(s.prefix) for s in TITLE_SHAPES if s.prefix) + ")",
    re.IGNORECASE,
)


def token_kind(token: str) -> str:
    """``installation``, ``user`` or ``unknown`` (an old 40-hex token), from its prefix alone."""
    if token.startswith(INSTALLATION_PREFIXES):
        return "installation"
    if token.startswith(USER_PREFIXES):
        return "user"
    return "unknown"


def valid_login(login: str) -> bool:
    """Whether ``login`` is a GitHub account name: ``name``, ``handle_shortcode``, ``app[bot]``."""
    name = login.removesuffix(_BOT)
    if len(name) > _LOGIN_MAX or _LOGIN.fullmatch(name) is None:
        return False
    return name == login or "_" not in name  # an App's slug never holds an underscore


def viewer_login(login: str, kind: str) -> bool:
    """Whether a server's ``viewer { login }`` can be taken as the token's own account.

    It must be a login; an installation token acts as a bot, so its viewer must name one
    (``<app-slug>[bot]``): a bare ``app-slug`` could be a person's account of that name.
    """
    return valid_login(login) and (kind != "installation" or login.lower().endswith("[bot]"))


@dataclass(frozen=True)
class Trust:
    """The accounts whose marked issues are batchsync's, for one run."""

    own: str | None = None  # the login the token acts as, once known
    named: frozenset[str] = frozenset()  # ``trusted-authors``, lower-cased

    @classmethod
    def of(cls, own: str | None, trusted_authors: Iterable[str] = ()) -> Trust:
        """The trust of a run whose token acts as ``own`` (None: not known yet)."""
        return cls(own, frozenset(a.strip().lower() for a in trusted_authors if a.strip()))

    def is_own(self, login: str) -> bool:
        """Whether ``login`` is the account batchsync itself writes as.

        Until the token's login is known, ``github-actions[bot]`` stands for it (the account
        ``GITHUB_TOKEN`` writes as).
        """
        mine = self.own if self.own is not None else ACTIONS_BOT
        return bool(login) and login.lower() == mine.lower()

    def trusts(self, login: str) -> bool:
        """Whether a marked issue by ``login`` is batchsync's."""
        lowered = login.lower()
        return bool(login) and (
            self.is_own(login) or lowered == ACTIONS_BOT or lowered in self.named
        )

    def rank(self, login: str) -> int:
        """Preference among trusted duplicates: 0 for batchsync's own identity, 1 for others."""
        return 0 if self.is_own(login) or login.lower() == ACTIONS_BOT else 1


def bare_title(title: str) -> str:
    """A title without its kind prefix (``[EPIC]``, ``Epic:``), surrounding spaces and case."""
    return _KIND_PREFIX.sub("", title, count=1).strip().casefold()


def title_matches(issue_title: str, item_title: str) -> bool:
    """Whether an issue's title names the same thing as an item's (prefix, case, spaces aside)."""
    return bare_title(issue_title) == bare_title(item_title)


class _Authored(Protocol):
    """What ``needs_identity`` reads of an issue (``remote.RemoteIssue``)."""

    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def marker_key(self) -> str | None: ...


class _Item(Protocol):
    """What ``needs_identity`` reads of a work item (``items.WorkItem``)."""

    @property
    def title(self) -> str: ...
    @property
    def link(self) -> int | None: ...


def needs_identity(trust: Trust, issues: Iterable[_Authored], items: Sequence[_Item]) -> bool:
    """Whether any decision of this run depends on the login the token acts as.

    Knowing it can only add one trusted author, so it matters only for an issue whose author is
    not trusted already and that a decision looks at: a marked issue, an issue an item links,
    or one whose title is an item's (a deleted marker). A rerun on a tree whose issues were all
    written by trusted authors asks nothing (no request); a first sync learns the login from
    the first issue it creates.
    """
    links = {i.link for i in items if i.link is not None}
    titles = {bare_title(i.title) for i in items}
    return any(
        bool(issue.author)
        and not trust.trusts(issue.author)
        and (
            issue.marker_key is not None
            or issue.number in links
            or bare_title(issue.title) in titles
        )
        for issue in issues
    )
