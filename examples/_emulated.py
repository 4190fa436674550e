"""Shared set-up for the examples: a workspace of work items and the GitHub emulator in-process.

Nothing here talks to github.com: every example syncs into ``batchsync.emulator``, which speaks
the same REST endpoints with GitHub's shapes and enforces GitHub's limits on a clock that can run
faster than real time. Point the same code at GitHub by giving a real token, repository and
``api_url`` instead.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from batchsync.config import Settings, load_settings
from batchsync.emulator import Emulator, LimitConfig
from batchsync.render import parse_marker

SAMPLE_TREE = Path(__file__).resolve().parents[1] / "src" / "batchsync" / "sample_tree"
REPO = "demo/tree"
TOKEN = "ghs_example"  # the emulator's; a real run reads GITHUB_TOKEN


@contextmanager
def workspace(tree: Path | None = SAMPLE_TREE) -> Iterator[Path]:
    """A temporary checkout holding ``tree`` (default: the bundled sample) as ``.claude``."""
    with tempfile.TemporaryDirectory(prefix="batchsync-example-") as folder:
        root = Path(folder)
        if tree is not None:
            shutil.copytree(tree, root / ".claude")
        else:
            (root / ".claude").mkdir()
        yield root


@contextmanager
def emulator(
    *, limits: str | LimitConfig = "github", scale: float = 60.0, **options: Any
) -> Iterator[Emulator]:
    """The emulator on loopback with ``demo/tree`` and one accepted token.

    ``scale`` is emulated seconds per real second: GitHub's 1-second write interval and minute
    windows pass 60 times faster by default, so a run that takes a minute on GitHub takes a
    second here.
    """
    with Emulator(limits=limits, scale=scale, **options) as emu:
        emu.add_token(TOKEN)
        emu.add_repo(REPO)
        yield emu


def settings(root: Path, emu: Emulator, **overrides: object) -> Settings:
    """Settings for a run against ``emu``, as flags would give them (no environment read)."""
    given: dict[str, object] = {
        "github_token": TOKEN,
        "repository": REPO,
        "workspace": root,
        "path": ".claude",
        "api_url": emu.url,
    }
    given.update(overrides)
    return load_settings(given, env={})


def duplicates(emu: Emulator) -> list[str]:
    """Keys that more than one issue carries the marker of (the answer should be none)."""
    keys = Counter(
        marker.key
        for issue in emu.issues(REPO)
        if (marker := parse_marker(issue.get("body") or "")) is not None
    )
    return sorted(key for key, count in keys.items() if count > 1)
