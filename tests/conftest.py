"""Fixtures every suite shares: emulators, the workspace, a work-item tree writer, a manual clock.

``emu``: one in-process emulator for the test, stopped after it. A test module names what it
needs as module constants, all optional:

- ``TOKEN`` (a write token) and ``READ_TOKEN`` (a read-only one); with no token at all the
  emulator accepts any;
- ``REPO`` (created), and ``REPO_CONTENT`` (a function given that repository, which adds its
  starting issues or labels);
- ``EMULATOR``: the emulator's options (by default ``{"limits": "off"}``, so only the client's own
  pacing decides). Two keys are not ``Emulator`` arguments: ``tokens`` (more tokens, each with
  its ``add_token`` options) and a ``clock`` given as a class (``ManualClock``), made anew for
  each test;
- ``EMULATOR_VARIANTS``: test ids and the options each adds (each test runs once per entry;
  ``@pytest.mark.variants(id, ...)`` runs a test under those entries only).

An indirect parameter of ``emu`` (a dict of options) goes over ``EMULATOR`` the same way, and
``make_emulator(**options)`` starts another emulator set up alike within a test.

``workspace``: the test's workspace (``tmp_path``). A module's ``WORK_ITEMS`` is a function given
the workspace's ``.claude`` folder, which writes the work items there. ``in_workspace``: the
same, made the current folder.

``tree``: a ``trees.Tree`` writing files and work items under the workspace.

``clock``: the emulator's ``ManualClock`` (moves only when slept on, and notes each sleep).

``http``: a ``requests`` session sending the module's ``TOKEN`` (any token where it names none),
for tests that speak to the emulator directly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

from batchsync.emulator import Emulator, ManualClock
from emulated import EmulatorFactory
from trees import Tree

T0 = 1_700_000_000.0  # the manual clock's start: a fixed epoch second


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test of a module that sets ``EMULATOR_VARIANTS`` (test ids and the emulator
    options of each) once per entry."""
    variants: Mapping[str, Mapping[str, object]] | None = getattr(
        metafunc.module, "EMULATOR_VARIANTS", None
    )
    if variants is not None and "emu" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("variants")
        if only is not None:
            unknown = set(only.args) - set(variants)
            assert not unknown, f"no such EMULATOR_VARIANTS: {sorted(unknown)}"
            variants = {name: variants[name] for name in only.args}
        metafunc.parametrize("emu", list(variants.values()), indirect=True, ids=list(variants))


def _tokens(module: object, options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The tokens to add: the module's TOKEN and READ_TOKEN, then those ``options`` name."""
    tokens: dict[str, dict[str, Any]] = {}
    write, read = getattr(module, "TOKEN", None), getattr(module, "READ_TOKEN", None)
    if write is not None:
        tokens[write] = {}
    if read is not None:
        tokens[read] = {"permission": "read"}
    tokens.update(options.pop("tokens", {}))
    return tokens


@pytest.fixture
def make_emulator(request: pytest.FixtureRequest) -> Iterator[EmulatorFactory]:
    """``make_emulator(**options)``: a started emulator with the module's tokens and repository,
    ``options`` over the module's ``EMULATOR``; every one is stopped after the test."""
    module = request.module

    with contextlib.ExitStack() as started:

        def make(**changes: object) -> Emulator:
            options: dict[str, Any] = {**getattr(module, "EMULATOR", {"limits": "off"}), **changes}
            tokens = _tokens(module, options)
            if isinstance(options.get("clock"), type):  # a class: each test gets its own clock
                options["clock"] = options["clock"]()
            emulator = started.enter_context(Emulator(**options))
            for token, token_options in tokens.items():
                emulator.add_token(token, **token_options)
            if getattr(module, "REPO", None) is not None:
                repo = emulator.add_repo(module.REPO)
                content = getattr(module, "REPO_CONTENT", None)
                if content is not None:
                    content(repo)
            return emulator

        yield make


@pytest.fixture
def emu(request: pytest.FixtureRequest, make_emulator: EmulatorFactory) -> Emulator:
    """An emulator with the module's TOKEN, READ_TOKEN, REPO and EMULATOR options."""
    return make_emulator(**getattr(request, "param", {}))


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """A writer of work-item files in the test's workspace (``tmp_path``)."""
    return Tree(tmp_path)


@pytest.fixture
def workspace(request: pytest.FixtureRequest, tree: Tree) -> Path:
    """The test's workspace (``tmp_path``), with the module's ``WORK_ITEMS`` under ``.claude``."""
    write = getattr(request.module, "WORK_ITEMS", None)
    if write is not None:
        base = tree.root / ".claude"
        base.mkdir()
        write(base)
    return tree.root


@pytest.fixture
def in_workspace(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The workspace, made the current folder (as a person runs ``batchsync`` in a checkout)."""
    monkeypatch.chdir(workspace)
    return workspace


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when slept on, starting at ``T0``."""
    return ManualClock(T0)


@pytest.fixture
def http(request: pytest.FixtureRequest) -> Iterator[requests.Session]:
    """A session sending the module's ``TOKEN`` (an emulator without tokens accepts any)."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"token {getattr(request.module, 'TOKEN', 't')}"
        yield session
