"""Fixtures for the fidelity checks: the vendored OpenAPI extract and octokit's recordings."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from openapi_core import Config, OpenAPI

from batchsync.emulator import Emulator

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def openapi_subset() -> dict[str, Any]:
    """GitHub's OpenAPI description, cut down to the operations the emulator serves."""
    return json.loads((HERE / "github-openapi-subset.json").read_text())


@pytest.fixture(scope="session")
def recordings() -> dict[str, list[dict[str, Any]]]:
    """Real answers recorded by @octokit/fixtures, by scenario."""
    return json.loads((HERE / "octokit-fixtures-subset.json").read_text())


@pytest.fixture
def openapi(emu: Emulator, openapi_subset: dict[str, Any]) -> OpenAPI:
    """The description with the emulator as its server (openapi-core matches on it)."""
    spec = copy.deepcopy(openapi_subset)
    spec["servers"] = [{"url": emu.url}]
    # the description itself is GitHub's; validating it again would take seconds
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))
