"""Every setting of a run, stated once: its input (or runner variable), the variables it is read
from, its flag, its default (from ``defaults``), its allowed range and what it does.

``config.Settings`` takes each field's default, bounds and description from here, and
``config.SOURCES`` the variables and the allowed text; ``cli`` builds each flag and its
``--help`` from it; ``scripts/settings_docs.py --write`` generates action.yml's ``inputs:`` and
the tables of docs/configuration.md from it (``--check`` in the tests keeps them in step).

Adding a setting: one ``Setting`` below, one field in ``config.Settings`` (its type, and
``spec(name)``), then ``python scripts/settings_docs.py --write``.

A leaf of plain data (it imports only ``defaults``): the CLI reads it before the engine loads.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from batchsync import defaults

__all__ = ["TABLE", "Setting", "Unit", "named"]


class Unit(enum.Enum):
    """What a setting's value is: it says how its range is written."""

    TEXT = "text"  # free text, checked by a validator: ``allowed`` says what
    FLAG = "flag"  # true or false
    WHOLE = "whole"  # a whole number
    SECONDS = "seconds"
    MINUTES = "minutes"


_BOOL = "true or false (also yes/no, 1/0)"


@dataclass(frozen=True)
class Setting:
    """One setting: where it comes from, what it allows, its default, what it does."""

    field: str  # the ``config.Settings`` field
    name: str  # the action input (kebab-case), or the runner variable
    description: str  # what it does: --help, action.yml and docs/configuration.md say this
    unit: Unit = Unit.TEXT
    default: object = None  # None: no default (or one the runner gives, ``shown_default``)
    low: float | None = None  # the least value allowed (``above``: the value must exceed it)
    high: float | None = None  # the greatest value allowed
    above: bool = False
    off_at_zero: bool = False  # 0 turns the feature off (said in the allowed text)
    text: str = ""  # the allowed text of a TEXT setting
    flag: str | None = None  # the flag of ``batchsync sync``, if any
    metavar: str = "N"
    also: tuple[str, ...] = ()  # more variables read, after the input's own
    runner: bool = False  # a runner variable (``GITHUB_*``), not an action input
    action_default: str | None = None  # action.yml's default when it is an expression

    @property
    def env(self) -> tuple[str, ...]:
        """The variables read, first non-empty wins: INPUT_NAME in both spellings, then ``also``."""
        if self.runner:
            return (self.name, *self.also)
        upper = self.name.upper()
        names = (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}", *self.also)
        return tuple(dict.fromkeys(names))

    @property
    def allowed(self) -> str:
        """What the setting accepts, in words: error messages, --help, the docs."""
        if self.unit is Unit.FLAG:
            return _BOOL
        if self.unit is Unit.TEXT:
            return self.text
        return self._range()

    def _range(self) -> str:
        low = _number(self.low) + (" (off)" if self.off_at_zero else "")
        unit = "a whole number" if self.unit is Unit.WHOLE else self.unit.value
        if self.above:
            return f"{unit}, more than {low}"
        if self.high is None:
            return f"{unit}, {low} or more"
        return f"{unit} from {low} to {_number(self.high)}"

    @property
    def bounds(self) -> dict[str, float]:
        """The range as pydantic's ``Field`` arguments (``ge``, ``gt``, ``le``)."""
        found: dict[str, float] = {}
        if self.low is not None:
            found["gt" if self.above else "ge"] = self.low
        if self.high is not None:
            found["le"] = self.high
        return found

    @property
    def shown_default(self) -> str:
        """The default as action.yml and the docs write it (an empty string for none)."""
        if self.action_default is not None:
            return self.action_default
        value = getattr(self.default, "value", self.default)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return _number(value)
        return str(value)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# In the order action.yml lists the inputs; the runner variables after them.
TABLE: tuple[Setting, ...] = (
    Setting(
        "github_token",
        "github-token",
        "the API token; from a terminal only `GITHUB_TOKEN` (a flag would leak into shell "
        "history and process lists); masked in the Actions log. The job needs `permissions: "
        "issues: write` (a pull request from a fork only ever gets a read-only token: use "
        "dry-run there)",
        text="a GitHub token",
        also=("GITHUB_TOKEN",),
        action_default="${{ github.token }}",
    ),
    Setting(
        "repository",
        "repository",
        "the repository whose issues are written, as owner/name; by default the workflow's own "
        "(`GITHUB_REPOSITORY`)",
        text="owner/name",
        flag="--repo",
        metavar="OWNER/NAME",
        also=("GITHUB_REPOSITORY",),
        action_default="${{ github.repository }}",
    ),
    Setting(
        "path",
        "path",
        "the work-item folder (holding `prds/` and `epics/`), relative to the workspace; a path "
        "(or symlink) leaving the workspace is refused",
        default=defaults.PATH,
        text="a folder inside the workspace",
        flag="--path",
        metavar="DIR",
    ),
    Setting(
        "item_type",
        "type",
        "which kinds are synced; every file is still read, because children need their parents",
        default="all",
        text="one of all, prd, epic, task",
        flag="--type",
        metavar="{all,prd,epic,task}",
    ),
    Setting(
        "dry_run",
        "dry-run",
        "list and plan only: no write to GitHub, no file changed; the plan is reported with a "
        "reason per item",
        Unit.FLAG,
        default=False,
        flag="--dry-run",
    ),
    Setting(
        "max_concurrent",
        "max-concurrent",
        "items in flight at once; reads run side by side, writes always go through one paced lane",
        Unit.WHOLE,
        default=defaults.MAX_CONCURRENT,
        low=1,
        high=100,
        flag="--max-concurrent",
    ),
    Setting(
        "max_retries",
        "max-retries",
        "retries after the first attempt for rate limits, 5xx and lost connections; `0` turns "
        "retrying off",
        Unit.WHOLE,
        default=defaults.MAX_RETRIES,
        low=0,
        high=20,
        flag="--max-retries",
    ),
    Setting(
        "retry_delay",
        "retry-delay",
        "base of the exponential backoff for 5xx and lost connections: 1, 2, 4 ... times this, "
        "plus up to 25% jitter",
        Unit.SECONDS,
        default=defaults.RETRY_DELAY,
        low=0,
        high=600,
        flag="--retry-delay",
        metavar="SECONDS",
    ),
    Setting(
        "rate_limit_threshold",
        "rate-limit-threshold",
        "when `x-ratelimit-remaining` falls to this, every lane pauses until `x-ratelimit-reset`",
        Unit.WHOLE,
        default=defaults.RATE_LIMIT_THRESHOLD,
        low=0,
        flag="--rate-limit-threshold",
    ),
    Setting(
        "fail_on_error",
        "fail-on-error",
        "exit 1 when any item failed; `false` reports failures and exits 0",
        Unit.FLAG,
        default=True,
        flag="--fail-on-error",
    ),
    Setting(
        "write_interval",
        "write-interval",
        "time between the starts of two writes (GitHub asks for at least 1 s)",
        Unit.SECONDS,
        default=defaults.WRITE_INTERVAL,
        low=0,
        high=60,
        off_at_zero=True,
        flag="--write-interval",
        metavar="SECONDS",
    ),
    Setting(
        "creates_per_minute",
        "creates-per-minute",
        "content-creating requests (an issue, by REST or GraphQL; a sub-issue link; a label; a "
        "comment) per sliding minute, GitHub's ceiling being 80; a create that GitHub refused "
        "although this allowed it makes each create count double from then on",
        Unit.WHOLE,
        default=defaults.CREATES_PER_MINUTE,
        low=0,
        off_at_zero=True,
        flag="--creates-per-minute",
    ),
    Setting(
        "creates_per_hour",
        "creates-per-hour",
        "the same per sliding hour, GitHub's ceiling being 500",
        Unit.WHOLE,
        default=defaults.CREATES_PER_HOUR,
        low=0,
        off_at_zero=True,
        flag="--creates-per-hour",
    ),
    Setting(
        "time_budget",
        "time-budget",
        "how long the run may take; no write starts and no wait ends past it, and the items not "
        "reached are reported as `not-done` for the next run (the default fits GitHub's 6-hour "
        "job limit)",
        Unit.MINUTES,
        default=defaults.TIME_BUDGET,
        low=0,
        above=True,
        flag="--time-budget",
        metavar="MINUTES",
    ),
    Setting(
        "write_back",
        "write-back",
        "record each issue in its file (`github_issue:` / `github:`) and in `sync-map.json`; "
        "commit the change in a later step",
        Unit.FLAG,
        default=False,
        flag="--write-back",
    ),
    Setting(
        "close_removed",
        "close-removed",
        "close (as not planned, with a comment) the open issues whose work item was deleted",
        Unit.FLAG,
        default=defaults.CLOSE_REMOVED,
        flag="--close-removed",
    ),
    Setting(
        "max_close",
        "max-close",
        "most issues one run may close; above it nothing is closed and a warning lists them (a "
        "guard against a wrong path)",
        Unit.WHOLE,
        default=defaults.MAX_CLOSE,
        low=0,
        flag="--max-close",
    ),
    Setting(
        "pull",
        "pull",
        "write a close or reopen made on GitHub into the item's `status` (three-way, see "
        "docs/two-way.md); commit the change in a later step",
        Unit.FLAG,
        default=defaults.PULL,
        flag="--pull",
    ),
    Setting(
        "blocked_by",
        "blocked-by",
        "make each item's dependencies GitHub's \"blocked by\" relationships between issues "
        "batchsync owns; a relationship a person adds or removes stays (one read per item whose "
        "dependencies changed; a server without the API: one warning)",
        Unit.FLAG,
        default=defaults.BLOCKED_BY,
        flag="--blocked-by",
    ),
    Setting(
        "issue_types",
        "issue-types",
        "give each new issue, and each issue never typed, its kind's issue type in the same "
        "write: `true` maps a PRD to the type `PRD` else `Feature`, an epic to `Epic` else "
        "`Feature`, a task to `Task`; a map names the type of each kind it lists "
        "(case-insensitive; a kind left out gets none). A type already on an issue is kept; one "
        "a person takes off is not set again (the marker remembers it). One read a run; a "
        "repository without issue types (a user account's, a server without them): one notice, "
        "nothing written (docs/sync.md)",
        default=defaults.ISSUE_TYPES,
        text="true, false, or a map of kind to the organisation's issue type, e.g. "
        "prd=Feature,epic=Epic,task=Task",
        flag="--issue-types",
        metavar="true|KIND=TYPE,...",
    ),
    Setting(
        "sub_issues",
        "sub-issues",
        "link epics under their PRD and tasks under their epic with GitHub's sub-issues",
        Unit.FLAG,
        default=defaults.SUB_ISSUES,
        flag="--sub-issues",
    ),
    Setting(
        "trusted_authors",
        "trusted-authors",
        "logins whose issues carrying a batchsync marker are batchsync's, besides the token's "
        "own identity and `github-actions[bot]`: people who made issues with CCPM's `gh` "
        "commands, or an App's `<slug>[bot]` (docs/sync.md)",
        text="GitHub logins separated by commas or spaces, e.g. ana, octocat_acme, ci-bot[bot]",
        flag="--trusted-authors",
        metavar="LOGINS",
    ),
    Setting(
        "namespace",
        "namespace",
        "the tree's name in its issues' markers, so several trees (or workflows with different "
        "`path`s) share one repository without touching each other's issues; empty: the "
        "work-item folder relative to the repository's root (in Actions the workspace, in a "
        "terminal the nearest folder holding `.git`), e.g. `.claude`, the same from any folder "
        "(docs/sync.md, several trees)",
        # 200: marker.NAMESPACE_MAX (the table reaches only the defaults; a test ties them)
        text="1 to 200 characters, no control or invisible character (a space is "
        "fine) and no '-->', the default from the folder too, e.g. .claude or Team A/.claude",
        flag="--namespace",
        metavar="NAME",
    ),
    Setting(
        "results_file",
        "results-file",
        "where the JSON results go (inside the workspace, outside `path`), relative to the "
        "workspace, in every mode; empty: `batchsync-results.json` in the workspace for the "
        "action (none in a dry run), no file in a terminal",
        text="a file path",
        flag="--results-file",
        metavar="FILE",
    ),
    Setting(
        "api_url",
        "GITHUB_API_URL",
        "the REST API root; GitHub Enterprise Server sets `https://HOST/api/v3`",
        default=defaults.API_URL,
        text="an http(s) URL such as https://api.github.com",
        flag="--api-url",
        metavar="URL",
        runner=True,
    ),
    Setting(
        "server_url",
        "GITHUB_SERVER_URL",
        "read and checked; issue links come from GitHub's own answers",
        default="https://github.com",
        text="an http(s) URL such as https://github.com",
        runner=True,
    ),
    Setting(
        "workspace",
        "GITHUB_WORKSPACE",
        "the checkout; `path` is relative to it and must stay inside it",
        text="a folder",
        runner=True,
        action_default="the current directory",
    ),
    Setting(
        "step_summary",
        "GITHUB_STEP_SUMMARY",
        "the file the step summary is appended to",
        text="a file path",
        runner=True,
    ),
    Setting(
        "output_file",
        "GITHUB_OUTPUT",
        "the file the outputs are appended to",
        text="a file path",
        runner=True,
    ),
    Setting(
        "in_actions",
        "GITHUB_ACTIONS",
        "`true`: `python -m batchsync` with no arguments runs as the action, and problems print "
        "as annotations",
        Unit.FLAG,
        default=False,
        runner=True,
    ),
    Setting(
        "runner_temp",
        "RUNNER_TEMP",
        "read, but the results file stays in the workspace (a Docker action sees the runner's "
        "temp folder elsewhere)",
        text="a folder",
        runner=True,
    ),
)

_BY_FIELD: Mapping[str, Setting] = {s.field: s for s in TABLE}


def named(field: str) -> Setting:
    """The setting of a ``config.Settings`` field."""
    return _BY_FIELD[field]
