"""Settings: every action input and runner variable, read once; the only reader of the environment.

The runner passes an input ``dry-run`` as ``INPUT_DRY-RUN`` (hyphen kept); both that spelling and
``INPUT_DRY_RUN`` are read, empty strings count as unset, and CLI flag values win over both.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from batchsync.errors import SettingsError
from batchsync.issuetypes import TypeChoice, parse_issue_types
from batchsync.marker import valid_namespace
from batchsync.ownership import valid_login
from batchsync.settings_table import TABLE, Setting, Unit, named
from batchsync.workflow import looks_like_token, tokens_in

__all__ = [
    "ItemType",
    "Settings",
    "in_actions",
    "load_settings",
    "repository_root",
    "secrets_to_mask",
    "step_summary_file",
]

RESULTS_FILE_NAME = "batchsync-results.json"

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_LOGIN_SPLIT = re.compile(r"[\s,]+")
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


# Where each setting comes from and what it allows, by field: the one table's entries.
SOURCES: Mapping[str, Setting] = {setting.field: setting for setting in TABLE}


def spec(field: str, **extra: Any) -> Any:
    """A ``Settings`` field's pydantic ``Field``: default, range and description from the table."""
    setting = named(field)
    options: dict[str, Any] = {"description": setting.description, **setting.bounds, **extra}
    if setting.unit in (Unit.SECONDS, Unit.MINUTES):
        options["allow_inf_nan"] = False
    if "default_factory" in extra:
        return Field(**options)
    return Field(setting.default, **options)


class Settings(BaseSettings):
    """Every setting of a run, validated; frozen once loaded."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", validate_default=True)

    # Each field's default, range and description: ``spec``, from ``settings_table.TABLE``.
    github_token: SecretStr | None = spec("github_token")
    repository: str | None = spec("repository")
    path: str = spec("path")
    item_type: ItemType = spec("item_type")
    dry_run: Flag = spec("dry_run")
    max_concurrent: int = spec("max_concurrent")
    max_retries: int = spec("max_retries")
    retry_delay: float = spec("retry_delay")
    rate_limit_threshold: int = spec("rate_limit_threshold")
    fail_on_error: Flag = spec("fail_on_error")
    write_interval: float = spec("write_interval")
    creates_per_minute: int = spec("creates_per_minute")
    creates_per_hour: int = spec("creates_per_hour")
    time_budget: float = spec("time_budget")
    write_back: Flag = spec("write_back")
    close_removed: Flag = spec("close_removed")
    max_close: int = spec("max_close")
    pull: Flag = spec("pull")
    blocked_by: Flag = spec("blocked_by")
    issue_types: str = spec("issue_types")
    sub_issues: Flag = spec("sub_issues")
    trusted_authors: str | None = spec("trusted_authors")
    namespace: str | None = spec("namespace")
    results_file: Path | None = spec("results_file")
    api_url: str = spec("api_url")
    server_url: str = spec("server_url")
    workspace: Path = spec("workspace", default_factory=Path.cwd)
    step_summary: Path | None = spec("step_summary")
    output_file: Path | None = spec("output_file")
    in_actions: Flag = spec("in_actions")
    runner_temp: Path | None = spec("runner_temp")

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
        if value is not None and not valid_namespace(value):
            raise ValueError("not a namespace")
        return value

    @field_validator("issue_types")
    @classmethod
    def _type_map(cls, value: str) -> str:
        parse_issue_types(value)  # a ValueError names the input, the value and what is allowed
        return value.strip()

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

    def repository_root(self) -> Path:
        """The folder the default namespace is relative to: in Actions the workspace itself
        (``GITHUB_WORKSPACE`` is the checkout, whatever folder holds it), elsewhere the nearest
        folder at or above the workspace holding ``.git``."""
        workspace = self.workspace.resolve()
        return workspace if self.in_actions else repository_root(workspace)

    def tree_namespace(self) -> str:
        """The namespace this tree's markers carry: ``namespace``, else the work-item folder
        relative to the repository's root (posix, ``.`` for the root itself), the same however
        ``path`` is spelled and from whichever folder of the repository the run starts."""
        if self.namespace:
            return self.namespace
        found = self.base_dir().relative_to(self.repository_root()).as_posix()
        if not valid_namespace(found):  # the one rule, for the default too
            allowed = SOURCES["namespace"].allowed
            raise SettingsError("namespace", found, f"{allowed}; the folder is not one: set it")
        return found

    def tree_gone(self, namespace: str) -> bool:
        """Whether no folder of the repository is named by another tree's default namespace:
        that tree moved (or was removed). Marker text is hostile: only an existence check."""
        try:
            return not (self.repository_root() / namespace).is_dir()
        except (OSError, ValueError):  # a name no folder can have
            return True

    def trusted_logins(self) -> tuple[str, ...]:
        """The logins of ``trusted-authors``, in the order given."""
        return tuple(n for n in _LOGIN_SPLIT.split(self.trusted_authors or "") if n)

    def issue_type_choice(self) -> TypeChoice | None:
        """The ``issue-types`` setting per kind; None when off."""
        return parse_issue_types(self.issue_types)

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


def repository_root(workspace: Path) -> Path:
    """The nearest folder at or above ``workspace`` that holds ``.git`` (a folder, or a file in
    a worktree or submodule), else ``workspace``: the default namespace is relative to it, so a
    run from a subfolder names the same tree as one from the root."""
    for folder in (workspace, *workspace.parents):
        try:
            if (folder / ".git").exists():
                return folder
        except OSError:  # an unreadable parent: no root found above it
            break
    return workspace
