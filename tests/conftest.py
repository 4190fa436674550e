"""Fixtures every suite shares: an emulator per test, a work-item tree writer, a manual clock.

``emu``: one in-process emulator for the test, stopped after it. A test module names what it
needs as module constants: ``TOKEN`` (a write token, required), ``REPO`` (created when set),
``READ_TOKEN`` (a read-only token, when set), ``EMULATOR`` (the emulator's options; by default
``{"limits": "off"}``, so only the client's own pacing decides) and ``EMULATOR_VARIANTS`` (an
option and its values: each test runs once per value).

``tree``: a ``trees.Tree`` writing files and work items under the test's ``tmp_path`` (the
workspace).

``clock``: the emulator's ``ManualClock`` (moves only when slept on, and notes each sleep).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from batchsync.emulator import Emulator, ManualClock
from trees import Tree

T0 = 1_700_000_000.0  # the manual clock's start: a fixed epoch second


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test of a module that sets ``EMULATOR_VARIANTS`` (an option's name and its
    values) once per value, against an emulator with that option."""
    variants = getattr(metafunc.module, "EMULATOR_VARIANTS", None)
    if variants is not None and "emu" in metafunc.fixturenames:
        name, values = variants
        params = [{name: value} for value in values]
        metafunc.parametrize("emu", params, indirect=True, ids=[str(v) for v in values])


@pytest.fixture
def emu(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """An emulator with the module's TOKEN, READ_TOKEN, REPO and EMULATOR options."""
    module = request.module
    options: dict[str, object] = dict(getattr(module, "EMULATOR", {"limits": "off"}))
    options.update(getattr(request, "param", {}))
    with Emulator(**options) as emulator:  # type: ignore[arg-type]
        emulator.add_token(module.TOKEN)
        read_token = getattr(module, "READ_TOKEN", None)
        if read_token is not None:
            emulator.add_token(read_token, permission="read")
        repo = getattr(module, "REPO", None)
        if repo is not None:
            emulator.add_repo(repo)
        yield emulator


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """A writer of work-item files in the test's workspace (``tmp_path``)."""
    return Tree(tmp_path)


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when slept on, starting at ``T0``."""
    return ManualClock(T0)
