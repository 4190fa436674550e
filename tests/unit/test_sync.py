"""sync: the one place a run is assembled; the original batch API is a shim over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from batchsync import sync
from batchsync.config import ItemType, Settings
from batchsync.engine import EngineOptions
from batchsync.errors import SettingsError
from batchsync.plan import PlanOptions
from batchsync.processor import BatchProcessor
from batchsync.ratelimit import Limits
from batchsync.results import BatchResult


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Settings, dict[str, Any]]]:
    seen: list[tuple[Settings, dict[str, Any]]] = []

    def fake_run(settings: Settings, **kwargs: Any) -> BatchResult:
        seen.append((settings, kwargs))
        return BatchResult()

    monkeypatch.setattr(sync, "run", fake_run)
    return seen


@pytest.mark.parametrize(
    ("call", "item_type"),
    [
        (sync.batch_sync_prds, ItemType.PRD),
        (sync.batch_sync_epics, ItemType.EPIC),
        (sync.batch_sync_tasks, ItemType.TASK),
        (sync.batch_sync_all, ItemType.ALL),
    ],
)
def test_the_batch_api_is_a_run_with_settings_and_their_defaults(
    runs: list[tuple[Settings, dict[str, Any]]], tmp_path: Path, call: Any, item_type: ItemType
) -> None:
    call(repo="o/r", base_path=tmp_path, token="ghs_x", dry_run=True)
    ((settings, kwargs),) = runs
    assert (settings.repository, settings.item_type, settings.dry_run) == ("o/r", item_type, True)
    assert settings.workspace == tmp_path.resolve()
    assert settings.base_dir() == tmp_path.resolve()
    assert settings.max_retries == Settings().max_retries  # the one set of defaults
    assert settings.api_url == Settings().api_url
    assert (kwargs["client"], kwargs["processor"]) == (None, None)


def test_a_run_without_a_token_or_client_stops_before_any_request(tmp_path: Path) -> None:
    settings = Settings(repository="o/r", workspace=tmp_path, path=".")
    with pytest.raises(SettingsError, match="github-token"):
        sync.run(settings)


def test_every_layer_has_the_settings_defaults(tmp_path: Path) -> None:
    settings = Settings(repository="o/r", workspace=tmp_path, path=".")
    limits = Limits()
    assert sync.limits_from(settings) == limits
    assert BatchProcessor().max_concurrent == settings.max_concurrent
    options = EngineOptions()
    plan_options = PlanOptions()
    assert (options.sub_issues, options.close_removed, options.max_close) == (
        settings.sub_issues,
        settings.close_removed,
        settings.max_close,
    )
    assert (plan_options.close_removed, plan_options.max_close) == (
        settings.close_removed,
        settings.max_close,
    )
