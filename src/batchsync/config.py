"""Settings: every action input and runner variable, read once; the only reader of the environment.

The runner passes an input ``dry-run`` as ``INPUT_DRY-RUN`` (hyphen kept); both that spelling and
``INPUT_DRY_RUN`` are read, empty strings count as unset, and CLI flag values win over both.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from batchsync import defaults
from batchsync.errors import SettingsError
from batchsync.ownership import valid_login
from batchsync.workflow import looks_like_token, tokens_in

__all__ = [
    "ItemType",
    "Settings",
    "in_actions",
    "load_settings",
    "secrets_to_mask",
    "step_summary_file",
]

RESULTS_FILE_NAME = "batchsync-results.json"

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_LOGIN_SPLIT = re.compile(r"[\s,]+")
_NAMESPACE = re.compile(r"[A-Za-z0-9._/-]{1,100}")
_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")


def _to_bool(value: object) -> object:
    """Accept true/false/yes/no/1/0 in any case; leave anything else for pydantic to refuse."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("not a boolean")


Flag = Annotated[bool, BeforeValidator(_to_bool)]


class ItemType(enum.StrEnum):
    """The ``type`` input: which kinds of work item a run touches."""

    ALL = "all"
    PRD = "prd"
    EPIC = "epic"
    TASK = "task"


@dataclass(frozen=True)
class _Source:
    """Where one setting comes from and what it allows (for error messages and ``--help``)."""

    name: str  # the input's kebab-case name, or the runner variable
    env: tuple[str, ...]  # variables read, first non-empty wins
    allowed: str


def _input(name: str, allowed: str, *extra: str) -> _Source:
    upper = name.upper()
    names = dict.fromkeys((f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}", *extra))
    return _Source(name, tuple(names), allowed)


def _runner(variable: str, allowed: str) -> _Source:
    return _Source(variable, (variable,), allowed)


_BOOL = "true or false (also yes/no, 1/0)"

SOURCES: Mapping[str, _Source] = {
    "github_token": _input("github-token", "a GitHub token", "GITHUB_TOKEN"),
    "repository": _input("repository", "owner/name", "GITHUB_REPOSITORY"),
    "path": _input("path", "a folder inside the workspace"),
    "item_type": _input("type", "one of all, prd, epic, task"),
    "dry_run": _input("dry-run", _BOOL),
    "max_concurrent": _input("max-concurrent", "a whole number from 1 to 100"),
    "max_retries": _input("max-retries", "a whole number from 0 to 20"),
    "retry_delay": _input("retry-delay", "seconds from 0 to 600"),
    "rate_limit_threshold": _input("rate-limit-threshold", "a whole number, 0 or more"),
    "fail_on_error": _input("fail-on-error", _BOOL),
    "write_interval": _input("write-interval", "seconds from 0 (off) to 60"),
    "creates_per_minute": _input("creates-per-minute", "a whole number, 0 (off) or more"),
    "creates_per_hour": _input("creates-per-hour", "a whole number, 0 (off) or more"),
    "time_budget": _input("time-budget", "minutes, more than 0"),
    "write_back": _input("write-back", _BOOL),
    "close_removed": _input("close-removed", _BOOL),
    "pull": _input("pull", _BOOL),
    "blocked_by": _input("blocked-by", _BOOL),
    "max_close": _input("max-close", "a whole number, 0 or more"),
    "sub_issues": _input("sub-issues", _BOOL),
    "results_file": _input("results-file", "a file path"),
    "trusted_authors": _input(
        "trusted-authors",
        "GitHub logins separated by commas or spaces, e.g. ana, octocat_acme, ci-bot[bot]",
    ),
    "namespace": _input(
        "namespace", "1 to 100 letters, digits, '.', '_', '-' or '/', e.g. .claude or team-a"
    ),
    "api_url": _runner("GITHUB_API_URL", "an http(s) URL such as https://api.github.com"),
    "server_url": _runner("GITHUB_SERVER_URL", "an http(s) URL such as https://github.com"),
    "workspace": _runner("GITHUB_WORKSPACE", "a folder"),
    "step_summary": _runner("GITHUB_STEP_SUMMARY", "a file path"),
    "output_file": _runner("GITHUB_OUTPUT", "a file path"),
    "in_actions": _runner("GITHUB_ACTIONS", _BOOL),
    "runner_temp": _runner("RUNNER_TEMP", "a folder"),
}


class Settings(BaseSettings):
    """Every setting of a run, validated; frozen once loaded."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", validate_default=True)

    github_token: SecretStr | None = Field(None, description="token (GITHUB_TOKEN); never a flag")
    repository: str | None = Field(
        None, description="the repository to sync to (default: GITHUB_REPOSITORY)"
    )
    path: str = Field(
        defaults.PATH, description="base folder of the work items, relative to the workspace"
    )
    item_type: ItemType = Field(ItemType.ALL, description="which kinds of work item to take")
    dry_run: Flag = Field(False, description="plan and report, write nothing")
    max_concurrent: int = Field(
        defaults.MAX_CONCURRENT, ge=1, le=100, description="items in flight at once"
    )
    max_retries: int = Field(
        defaults.MAX_RETRIES, ge=0, le=20, description="retries after the first attempt"
    )
    retry_delay: float = Field(
        defaults.RETRY_DELAY,
        ge=0,
        le=600,
        allow_inf_nan=False,
        description="base seconds of backoff",
    )
    rate_limit_threshold: int = Field(
        defaults.RATE_LIMIT_THRESHOLD,
        ge=0,
        description="pause until reset when x-ratelimit-remaining falls to this",
    )
    fail_on_error: Flag = Field(True, description="exit 1 when any item failed")
    write_interval: float = Field(
        defaults.WRITE_INTERVAL,
        ge=0,
        le=60,
        allow_inf_nan=False,
        description="seconds between writes, 0 = off",
    )
    creates_per_minute: int = Field(
        defaults.CREATES_PER_MINUTE, ge=0, description="content creations a minute, 0 = off"
    )
    creates_per_hour: int = Field(
        defaults.CREATES_PER_HOUR, ge=0, description="content creations an hour, 0 = off"
    )
    time_budget: float = Field(
        defaults.TIME_BUDGET, gt=0, allow_inf_nan=False, description="minutes the run may take"
    )
    write_back: Flag = Field(False, description="write issue links back into the files")
    close_removed: Flag = Field(
        defaults.CLOSE_REMOVED, description="close issues whose file was removed"
    )
    max_close: int = Field(defaults.MAX_CLOSE, ge=0, description="most issues one run may close")
    blocked_by: Flag = Field(
        defaults.BLOCKED_BY, description="make dependencies GitHub's blocked-by relationships"
    )
    pull: Flag = Field(
        defaults.PULL, description="write a close or reopen made on GitHub into the item's status"
    )
    sub_issues: Flag = Field(defaults.SUB_ISSUES, description="link the hierarchy with sub-issues")
    results_file: Path | None = Field(
        None,
        description="per-item results JSON, inside the workspace and outside the work-item "
        "folder (the action's default: batchsync-results.json in the workspace, none in a dry run)",
    )
    trusted_authors: str | None = Field(
        None, description="more logins whose marked issues are batchsync's (besides its own)"
    )
    namespace: str | None = Field(
        None,
        description="the tree's name in its issues' markers, so several trees can share one "
        "repository (default: `path` relative to the workspace)",
    )
    api_url: str = Field(defaults.API_URL, description="REST API root (GHES works)")
    server_url: str = Field("https://github.com", description="web root for issue links")
    workspace: Path = Field(default_factory=Path.cwd, description="the repository checkout")
    step_summary: Path | None = None
    output_file: Path | None = None
    in_actions: Flag = False
    runner_temp: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values ``load_settings`` gathers: no hidden reads of the environment."""
        # Why not pydantic-settings' own env source with AliasChoices("INPUT_DRY-RUN",
        # "INPUT_DRY_RUN")? It takes the first spelling that is set even when it holds only
        # blanks (env_ignore_empty skips "" alone), so " " in one spelling hides a value in the
        # other; its errors name the variable, not the input; and it reads os.environ only, where
        # ``load_settings(env=...)`` takes any mapping (tests never touch the process
        # environment). test_config shows the first point.
        return (init_settings,)

    @field_validator("repository")
    @classmethod
    def _owner_name(cls, value: str | None) -> str | None:
        if value is not None and not _REPOSITORY.fullmatch(value):
            raise ValueError("not owner/name")
        return value

    @field_validator("trusted_authors")
    @classmethod
    def _logins(cls, value: str | None) -> str | None:
        if value is None:
            return None
        names = _LOGIN_SPLIT.split(value.strip())
        if not all(valid_login(name) for name in names if name):
            raise ValueError("not a list of logins")
        return ", ".join(name for name in names if name) or None

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str | None) -> str | None:
        if value is not None and not _NAMESPACE.fullmatch(value):
            raise ValueError("not a namespace")
        return value

    @field_validator("api_url", "server_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("not an http(s) URL")
        return value.rstrip("/")

    def base_dir(self) -> Path:
        """The work-item folder, resolved; it must exist and stay inside the workspace."""
        workspace = self.workspace.resolve()
        try:
            base = (workspace / self.path).resolve()
        except (OSError, RuntimeError):  # a symlink loop (RuntimeError on Python 3.11)
            base = None
        if base is None or not base.is_relative_to(workspace):
            raise SettingsError(
                "path",
                self.path,
                f"a folder inside the workspace {workspace} (GITHUB_WORKSPACE, else the current "
                "directory); symlinks that leave it are not followed",
            )
        if not base.is_dir():  # caught here, before any request: nothing could run
            raise SettingsError("path", self.path, f"an existing folder ({base} is not one)")
        return base

    def tree_namespace(self) -> str:
        """The namespace this tree's markers carry: ``namespace``, else the work-item folder
        relative to the workspace (posix, ``.`` for the workspace itself), the same however
        ``path`` is spelled."""
        if self.namespace:
            return self.namespace
        return self.base_dir().relative_to(self.workspace.resolve()).as_posix()

    def trusted_logins(self) -> tuple[str, ...]:
        """The logins of ``trusted-authors``, in the order given."""
        return tuple(n for n in _LOGIN_SPLIT.split(self.trusted_authors or "") if n)

    def token_value(self) -> str | None:
        """The token as plain text, for the GitHub client only."""
        return self.github_token.get_secret_value() if self.github_token else None

    def results_path(self, *, default: bool = False) -> Path | None:
        """Where the results file goes (resolved), or None for no results file.

        ``results-file`` when given, in every mode, dry run included. Otherwise, when
        ``default`` (the action), ``batchsync-results.json`` in the workspace, except in a dry
        run, which writes nothing into the workspace. Not ``RUNNER_TEMP``: a Docker action sees
        the runner's temp folder at another path than the host, or not at all. The file must be
        inside the workspace and outside the work-item folder (it must never replace a work
        item); a path that breaks this raises ``SettingsError``, before anything runs.
        """
        if self.results_file is None:
            if not default or self.dry_run:
                return None
            target = self._results_inside(Path(RESULTS_FILE_NAME))
            return None if target is None or self._in_base(target) else target
        target = self._results_inside(self.results_file)
        if target is None or self._in_base(target) or target.is_dir():
            raise SettingsError(
                "results-file",
                str(self.results_file),
                f"a file path inside the workspace {self.workspace.resolve()} (GITHUB_WORKSPACE, "
                f"else the current directory), outside the work-item folder {self.path}",
            )
        return target

    def shown_path(self, path: Path) -> str:
        """``path`` relative to the workspace when inside it: later steps of a job run on the
        host, where the workspace has another absolute path than inside a Docker action."""
        try:
            return path.resolve().relative_to(self.workspace.resolve()).as_posix()
        except ValueError:
            return str(path)

    def _results_inside(self, given: Path) -> Path | None:
        text = str(given)
        if not text.strip() or any(not ch.isprintable() for ch in text):
            return None
        workspace = self.workspace.resolve()
        try:
            target = (workspace / given).resolve()  # follows symlinks: where the bytes would go
        except (OSError, RuntimeError):
            return None
        return target if target.is_relative_to(workspace) and target != workspace else None

    def _in_base(self, target: Path) -> bool:
        try:
            base = (self.workspace.resolve() / self.path).resolve()
        except (OSError, RuntimeError):
            return False  # no work-item folder to protect: base_dir() reports the path
        return target.is_relative_to(base)


def _from_env(env: Mapping[str, str]) -> dict[str, str]:
    """The first non-empty variable for each setting."""
    found: dict[str, str] = {}
    for field, source in SOURCES.items():
        for variable in source.env:
            value = env.get(variable, "")
            if value.strip():
                found[field] = value.strip()
                break
    return found


def _settings_error(error: ValidationError, given: Mapping[str, Any]) -> SettingsError:
    """The first problem, named by its input and never showing the token."""
    detail = error.errors()[0]
    field = str(detail["loc"][0]) if detail["loc"] else ""
    source = SOURCES.get(field)
    if source is None:  # an override that names no setting: a programming error upstream
        return SettingsError(field or "settings", None, detail["msg"])
    value = given.get(field)
    shown = None if field == "github_token" or value is None else str(value)
    return SettingsError(source.name, shown, source.allowed)


def load_settings(
    overrides: Mapping[str, object] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Settings from the environment (``INPUT_*``, ``GITHUB_*``) with CLI ``overrides`` winning.

    ``overrides`` are keyed by field name; ``None`` values count as not given.
    Raises ``SettingsError`` naming the input, the value given and what is allowed.
    """
    given: dict[str, Any] = dict(_from_env(os.environ if env is None else env))
    given.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return Settings(**given)
    except ValidationError as error:
        raise _settings_error(error, given) from None


def secrets_to_mask(env: Mapping[str, str] | None = None) -> list[str]:
    """Values to mask before any input is read: the token, and any input shaped like a token.

    Read raw, before ``load_settings`` validates anything, so that an error about an input
    (a secret passed as ``repository``, say) can never print a secret the runner does not mask.
    """
    source = os.environ if env is None else env
    found = [source.get(name, "").strip() for name in SOURCES["github_token"].env]
    for name, value in source.items():
        if name.startswith("INPUT_") and looks_like_token(value):
            # The value as given, and each token in it: the runner masks exact text.
            found += [value.strip(), *tokens_in(value)]
    return [value for value in dict.fromkeys(found) if value]


def step_summary_file(env: Mapping[str, str] | None = None) -> Path | None:
    """``GITHUB_STEP_SUMMARY``, read on its own: the summary of a run whose settings failed."""
    value = (os.environ if env is None else env).get("GITHUB_STEP_SUMMARY", "").strip()
    return Path(value) if value else None


def in_actions(env: Mapping[str, str] | None = None) -> bool:
    """True when running as a GitHub Actions step (``GITHUB_ACTIONS=true``)."""
    value = (os.environ if env is None else env).get("GITHUB_ACTIONS", "")
    return value.strip().lower() == "true"
