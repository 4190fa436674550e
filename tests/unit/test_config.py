"""Settings from action inputs, runner variables and CLI overrides."""

import math
from pathlib import Path

import pydantic
import pytest
from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from batchsync.config import (
    SOURCES,
    ItemType,
    Settings,
    in_actions,
    load_settings,
    secrets_to_mask,
)
from batchsync.errors import SettingsError
from batchsync.items import Kind, kinds_named
from batchsync.marker import NAMESPACE_MAX
from batchsync.settings_table import named

TOKEN = "ghp_" + "s3cr3t" * 6


def test_defaults_without_any_variable(tmp_path):
    settings = load_settings(env={"GITHUB_WORKSPACE": str(tmp_path)})
    assert settings.github_token is None
    assert settings.repository is None
    assert settings.path == ".claude"
    assert settings.item_type is ItemType.ALL
    assert (settings.dry_run, settings.fail_on_error, settings.sub_issues) == (False, True, True)
    assert (settings.max_concurrent, settings.max_retries, settings.retry_delay) == (10, 3, 1.0)
    assert (settings.rate_limit_threshold, settings.write_interval) == (10, 1.0)
    assert (settings.creates_per_minute, settings.creates_per_hour) == (80, 500)
    assert (settings.time_budget, settings.max_close) == (300.0, 10)
    assert (settings.write_back, settings.close_removed, settings.in_actions) == (False,) * 3
    assert settings.api_url == "https://api.github.com"
    assert settings.server_url == "https://github.com"
    assert settings.workspace == tmp_path


def test_workspace_defaults_to_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings(env={}).workspace == tmp_path


@pytest.mark.parametrize("variable", ["INPUT_MAX-CONCURRENT", "INPUT_MAX_CONCURRENT"])
def test_input_read_with_hyphen_or_underscore(variable):
    assert load_settings(env={variable: "7"}).max_concurrent == 7


def test_runner_spelling_with_hyphen_wins_over_underscore():
    env = {"INPUT_RETRY-DELAY": "2.5", "INPUT_RETRY_DELAY": "9"}
    assert load_settings(env=env).retry_delay == 2.5


@pytest.mark.parametrize("value", ["", "  "])
def test_empty_input_counts_as_unset(value):
    env = {"INPUT_DRY-RUN": value, "INPUT_MAX-RETRIES": value, "INPUT_TYPE": value}
    settings = load_settings(env=env)
    assert (settings.dry_run, settings.max_retries, settings.item_type) == (False, 3, ItemType.ALL)


def test_empty_hyphen_spelling_falls_through_to_underscore():
    assert load_settings(env={"INPUT_MAX-CLOSE": "", "INPUT_MAX_CLOSE": "4"}).max_close == 4


def test_overrides_win_over_the_environment():
    env = {"INPUT_MAX-CONCURRENT": "7", "INPUT_PATH": "work"}
    settings = load_settings({"max_concurrent": "3", "path": None}, env=env)
    assert (settings.max_concurrent, settings.path) == (3, "work")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("1", True),
        ("false", False),
        ("False", False),
        ("no", False),
        ("0", False),
    ],
)
def test_bool_inputs_accept_common_spellings(text, value):
    assert load_settings(env={"INPUT_WRITE-BACK": text}).write_back is value


@pytest.mark.parametrize(
    ("variable", "value", "name"),
    [
        ("INPUT_DRY-RUN", "maybe", "dry-run"),
        ("INPUT_MAX-CONCURRENT", "0", "max-concurrent"),
        ("INPUT_MAX-CONCURRENT", "101", "max-concurrent"),
        ("INPUT_MAX-CONCURRENT", "ten", "max-concurrent"),
        ("INPUT_MAX-RETRIES", "-1", "max-retries"),
        ("INPUT_MAX-RETRIES", "21", "max-retries"),
        ("INPUT_RETRY-DELAY", "601", "retry-delay"),
        ("INPUT_RETRY-DELAY", "nan", "retry-delay"),
        ("INPUT_RATE-LIMIT-THRESHOLD", "-1", "rate-limit-threshold"),
        ("INPUT_WRITE-INTERVAL", "61", "write-interval"),
        ("INPUT_CREATES-PER-MINUTE", "-5", "creates-per-minute"),
        ("INPUT_CREATES-PER-HOUR", "1.5", "creates-per-hour"),
        ("INPUT_TIME-BUDGET", "0", "time-budget"),
        ("INPUT_MAX-CLOSE", "-1", "max-close"),
        ("INPUT_TYPE", "bug", "type"),
        ("INPUT_REPOSITORY", "just-a-name", "repository"),
        ("GITHUB_REPOSITORY", "a/b/c", "repository"),
        ("GITHUB_API_URL", "api.github.com", "GITHUB_API_URL"),
        ("GITHUB_ACTIONS", "sometimes", "GITHUB_ACTIONS"),
    ],
)
def test_bad_value_raises_settings_error_naming_the_input(variable, value, name):
    with pytest.raises(SettingsError) as caught:
        load_settings(env={variable: value})
    assert caught.value.name == name
    assert caught.value.value == value
    assert name in str(caught.value)
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("INPUT_MAX-CONCURRENT", "0"), ("INPUT_TYPE", "bug"), ("INPUT_RETRY-DELAY", "x")],
)
def test_settings_error_says_what_is_allowed(variable, value):
    with pytest.raises(SettingsError) as caught:
        load_settings(env={variable: value})
    field = next(f for f, s in SOURCES.items() if variable in s.env)
    assert caught.value.allowed == SOURCES[field].allowed


def test_cli_override_error_names_the_input():
    with pytest.raises(SettingsError, match="invalid max-retries: 'lots'"):
        load_settings({"max_retries": "lots"}, env={})


def test_token_from_input_wins_over_github_token():
    env = {"INPUT_GITHUB-TOKEN": TOKEN, "GITHUB_TOKEN": "other"}
    assert load_settings(env=env).token_value() == TOKEN


def test_token_from_github_token_alone():
    assert load_settings(env={"GITHUB_TOKEN": TOKEN}).token_value() == TOKEN


def test_token_never_shown_in_repr_or_errors():
    settings = load_settings(env={"GITHUB_TOKEN": TOKEN})
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.model_dump())
    with pytest.raises(SettingsError) as caught:
        load_settings({"github_token": ["not", "text", TOKEN]}, env={})
    assert caught.value.name == "github-token"
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_repository_from_runner_and_input_wins():
    env = {"GITHUB_REPOSITORY": "acme/shop", "INPUT_REPOSITORY": "acme/other.repo"}
    assert load_settings(env=env).repository == "acme/other.repo"
    assert load_settings(env={"GITHUB_REPOSITORY": "acme/shop"}).repository == "acme/shop"


def test_api_url_trailing_slash_dropped():
    assert load_settings(env={"GITHUB_API_URL": "http://127.0.0.1:8080/api/v3/"}).api_url == (
        "http://127.0.0.1:8080/api/v3"
    )


def test_runner_paths(tmp_path):
    env = {
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "RUNNER_TEMP": str(tmp_path / "tmp"),
        "GITHUB_ACTIONS": "true",
    }
    settings = load_settings(env=env)
    assert settings.step_summary == tmp_path / "summary.md"
    assert settings.output_file == tmp_path / "out"
    assert settings.in_actions is True


def _results(tmp_path, **env):
    base = {"GITHUB_WORKSPACE": str(tmp_path), "RUNNER_TEMP": str(tmp_path / "t")}
    return load_settings(env={**base, **env})


def test_results_path_default_is_the_workspace_for_the_action_only(tmp_path):
    ws = tmp_path.resolve()
    assert _results(tmp_path).results_path(default=True) == ws / "batchsync-results.json"
    assert _results(tmp_path).results_path() is None  # the terminal writes none unless asked


def test_results_path_given_is_used_in_every_mode(tmp_path):
    given = {"INPUT_RESULTS-FILE": "out/r.json"}
    expected = tmp_path.resolve() / "out" / "r.json"
    assert _results(tmp_path, **given).results_path() == expected
    assert _results(tmp_path, **given).results_path(default=True) == expected


def test_dry_run_writes_no_results_file_into_the_workspace_unless_asked(tmp_path):
    dry = {"INPUT_DRY-RUN": "true"}
    assert _results(tmp_path, **dry).results_path(default=True) is None
    asked = _results(tmp_path, **dry, **{"INPUT_RESULTS-FILE": "r.json"})
    assert asked.results_path(default=True) == tmp_path.resolve() / "r.json"


@pytest.mark.parametrize(
    "given",
    [
        "../outside.json",
        "/etc/passwd",
        ".claude/prds/prd-001.md",  # a work item
        ".claude/new.json",  # any file under the work-item folder
        ".claude",
        "folder",  # an existing folder
        ".",
        "bad\nname.json",
        "link/out.json",  # a symlink that leaves the workspace
        "item-link.json",  # a symlink onto a work item
    ],
)
def test_results_path_outside_the_workspace_or_over_work_items_is_refused(tmp_path, given):
    ws = tmp_path / "ws"
    (ws / ".claude" / "prds").mkdir(parents=True)
    (ws / ".claude" / "prds" / "prd-001.md").write_text("---\ntitle: x\n---\n")
    (ws / "folder").mkdir()
    (ws / "link").symlink_to(tmp_path)
    (ws / "item-link.json").symlink_to(ws / ".claude" / "prds" / "prd-001.md")
    settings = load_settings(
        env={"GITHUB_WORKSPACE": str(ws), "INPUT_RESULTS-FILE": given.replace("\\n", "\n")}
    )
    with pytest.raises(SettingsError) as caught:
        settings.results_path(default=True)
    assert caught.value.name == "results-file"
    assert "outside the work-item folder .claude" in str(caught.value)


def test_default_results_file_is_left_out_when_the_work_items_are_the_workspace(tmp_path):
    settings = _results(tmp_path, INPUT_PATH=".")
    assert settings.results_path(default=True) is None


def test_secrets_to_mask_reads_the_token_and_token_shaped_inputs_raw():
    env = {
        "INPUT_GITHUB-TOKEN": " ghs_tokenvalue ",
        "GITHUB_TOKEN": "ghs_tokenvalue",
        "INPUT_REPOSITORY": "ghp_0123456789abcdef",
        "INPUT_PATH": ".claude",
        "INPUT_TRUSTED-AUTHORS": "ana ghu_inside0123 bob",
        "OTHER": "ghp_notaninput",
    }
    assert secrets_to_mask(env) == [
        "ghs_tokenvalue",
        "ghp_0123456789abcdef",
        "ana ghu_inside0123 bob",
        "ghu_inside0123",
    ]


def test_a_settings_error_never_echoes_a_token_shaped_value(tmp_path):
    secret = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
    with pytest.raises(SettingsError) as caught:
        load_settings(env={"GITHUB_WORKSPACE": str(tmp_path), "INPUT_REPOSITORY": secret})
    assert secret not in str(caught.value)
    assert caught.value.value == "***"
    assert str(caught.value).startswith("invalid repository: '***'; owner/name")


def test_base_dir_resolves_inside_the_workspace(tmp_path):
    (tmp_path / "pm").mkdir()
    settings = load_settings(env={"GITHUB_WORKSPACE": str(tmp_path), "INPUT_PATH": "a/../pm"})
    assert settings.base_dir() == (tmp_path / "pm").resolve()


@pytest.mark.parametrize("path", ["..", "../elsewhere", "/etc"])
def test_base_dir_outside_the_workspace_is_a_settings_error(tmp_path, path):
    settings = load_settings(env={"GITHUB_WORKSPACE": str(tmp_path / "ws"), "INPUT_PATH": path})
    with pytest.raises(SettingsError) as caught:
        settings.base_dir()
    assert (caught.value.name, caught.value.value) == ("path", path)


def test_base_dir_through_a_symlink_leaving_the_workspace_is_refused(tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "ws" / ".claude").symlink_to(tmp_path / "outside")
    settings = load_settings(env={"GITHUB_WORKSPACE": str(tmp_path / "ws")})
    with pytest.raises(SettingsError, match="invalid path"):
        settings.base_dir()


@pytest.mark.parametrize(
    ("value", "kinds"),
    [
        ("all", (Kind.PRD, Kind.EPIC, Kind.TASK)),
        ("prd", (Kind.PRD,)),
        ("epic", (Kind.EPIC,)),
        ("task", (Kind.TASK,)),
    ],
)
def test_kinds_from_type(value, kinds):
    assert kinds_named(load_settings(env={"INPUT_TYPE": value}).item_type) == kinds


def test_settings_are_frozen():
    settings = load_settings(env={})
    with pytest.raises(pydantic.ValidationError):
        settings.max_concurrent = 5


def test_settings_class_reads_no_environment_by_itself(monkeypatch):
    monkeypatch.setenv("INPUT_MAX-CONCURRENT", "42")
    monkeypatch.setenv("max_concurrent", "42")
    assert Settings().max_concurrent == 10


def test_load_settings_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("INPUT_MAX-CONCURRENT", "42")
    assert load_settings().max_concurrent == 42


def test_every_float_setting_refuses_infinity():
    for variable in ("INPUT_RETRY-DELAY", "INPUT_WRITE-INTERVAL", "INPUT_TIME-BUDGET"):
        with pytest.raises(SettingsError):
            load_settings(env={variable: str(math.inf)})


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False), ("", False)])
def test_in_actions(value, expected):
    assert in_actions({"GITHUB_ACTIONS": value}) is expected


def test_every_setting_has_a_source_and_every_input_both_spellings():
    assert set(SOURCES) == set(Settings.model_fields)
    for source in SOURCES.values():
        if source.name.islower():
            upper = source.name.upper()
            assert f"INPUT_{upper}" in source.env
            assert f"INPUT_{upper.replace('-', '_')}" in source.env


def test_relative_results_file_is_inside_the_workspace():
    settings = load_settings({"results_file": Path("r.json")}, env={"GITHUB_WORKSPACE": "/w"})
    assert settings.results_path() == Path("/w/r.json")


def test_trusted_authors_are_logins_split_on_commas_spaces_and_newlines():
    settings = load_settings(env={"INPUT_TRUSTED-AUTHORS": "ana, ci-bot[bot]\n  bo"})
    assert settings.trusted_logins() == ("ana", "ci-bot[bot]", "bo")
    assert load_settings(env={}).trusted_logins() == ()


def test_trusted_authors_take_a_managed_users_login():
    settings = load_settings(env={"INPUT_TRUSTED-AUTHORS": "octocat_acme, ci-bot[bot]"})
    assert settings.trusted_logins() == ("octocat_acme", "ci-bot[bot]")


def test_trusted_authors_refuse_something_that_is_no_login():
    with pytest.raises(SettingsError) as caught:
        load_settings(env={"INPUT_TRUSTED-AUTHORS": "ana, not/a login"})
    assert caught.value.name == "trusted-authors"


def test_a_blank_spelling_falls_through_where_pydantic_settings_would_stop(monkeypatch):
    # Why config reads the environment itself (see Settings.settings_customise_sources):
    # pydantic-settings' env source with both spellings as AliasChoices takes a blank value.
    class Alternative(BaseSettings):
        model_config = SettingsConfigDict(env_ignore_empty=True)
        dry_run: bool = Field(
            False, validation_alias=AliasChoices("INPUT_DRY-RUN", "INPUT_DRY_RUN")
        )

    env = {"INPUT_DRY-RUN": " ", "INPUT_DRY_RUN": "true"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Alternative()
    assert load_settings(env=env).dry_run is True


@pytest.mark.parametrize("git", ["folder", "file"])  # a clone; a worktree or submodule
def test_the_namespace_is_the_same_from_any_folder_of_the_repository(tmp_path, git):
    (tmp_path / "services/api/.claude").mkdir(parents=True)
    if git == "folder":
        (tmp_path / ".git").mkdir()
    else:
        (tmp_path / ".git").write_text("gitdir: /elsewhere/.git/worktrees/x\n")
    runs = [
        (tmp_path, "services/api/.claude"),  # CI: the workspace is the repository's root
        (tmp_path / "services/api", ".claude"),  # a person, in services/api
        (tmp_path / "services/api/.claude", "."),
        (tmp_path / "services", "api/.claude/"),
    ]
    for workspace, path in runs:
        env = {"GITHUB_WORKSPACE": str(workspace), "INPUT_PATH": path}
        assert load_settings(env=env).tree_namespace() == "services/api/.claude", workspace


def test_the_namespace_defaults_to_path_relative_to_the_workspace(tmp_path):
    (tmp_path / "services/api/.claude").mkdir(parents=True)
    for path in (
        "services/api/.claude",
        "./services/api/.claude/",
        str(tmp_path / "services/api/.claude"),
    ):
        env = {"GITHUB_WORKSPACE": str(tmp_path), "INPUT_PATH": path}
        assert load_settings(env=env).tree_namespace() == "services/api/.claude"
    workspace = load_settings(env={"GITHUB_WORKSPACE": str(tmp_path), "INPUT_PATH": "."})
    assert workspace.tree_namespace() == "."
    named = {"GITHUB_WORKSPACE": str(tmp_path), "INPUT_PATH": ".", "INPUT_NAMESPACE": "team-a"}
    assert load_settings(env=named).tree_namespace() == "team-a"


@pytest.mark.parametrize("value", ["x" * 201, "ns-->", "a\nb", "tab\there", "zero\u200bwidth"])
def test_a_namespace_that_could_not_be_one_is_refused(value):
    with pytest.raises(SettingsError) as caught:
        load_settings(env={"INPUT_NAMESPACE": value})
    assert caught.value.name == "namespace"


def test_every_default_namespace_is_one_the_input_accepts_and_a_bad_folder_is_named(tmp_path):
    (tmp_path / ".git").mkdir()
    for folder in ("Team A/.claude", "équipe/.claude", "x" * 200):
        (tmp_path / folder).mkdir(parents=True)
        env = {"GITHUB_WORKSPACE": str(tmp_path), "INPUT_PATH": folder}
        found = load_settings(env=env).tree_namespace()
        assert found == folder
        named = load_settings(env={**env, "INPUT_NAMESPACE": found})  # the advice set works
        assert named.tree_namespace() == found
    (tmp_path / "x-->y").mkdir()
    settings = load_settings(env={"GITHUB_WORKSPACE": str(tmp_path), "INPUT_PATH": "x-->y"})
    with pytest.raises(SettingsError) as caught:
        settings.tree_namespace()
    assert caught.value.name == "namespace"
    assert "'x-->y'" in str(caught.value)


def test_the_namespace_rule_is_the_one_the_settings_table_states() -> None:
    assert named("namespace").text.startswith(f"1 to {NAMESPACE_MAX} characters")
    assert load_settings(env={"INPUT_NAMESPACE": "x" * NAMESPACE_MAX}).namespace
    with pytest.raises(SettingsError):
        load_settings(env={"INPUT_NAMESPACE": "x" * (NAMESPACE_MAX + 1)})


def test_in_actions_the_workspace_is_the_repository_root_whatever_holds_it(tmp_path):
    # a checkout without .git of its own (downloaded, or from an artifact) inside an outer repo
    (tmp_path / ".git").mkdir()
    workspace = tmp_path / "_work/repo"
    (workspace / ".claude").mkdir(parents=True)
    env = {"GITHUB_WORKSPACE": str(workspace), "INPUT_PATH": ".claude"}
    assert load_settings(env={**env, "GITHUB_ACTIONS": "true"}).tree_namespace() == ".claude"
    # a terminal run looks above the workspace for the repository's root
    assert load_settings(env=env).tree_namespace() == "_work/repo/.claude"
