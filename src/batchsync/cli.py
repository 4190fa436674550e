"""Command line: ``batchsync sync|validate|demo|emulator``, and action mode under GitHub Actions."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from batchsync import __version__

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="batchsync", description=__doc__)
    parser.add_argument("--version", action="version", version=f"batchsync {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    build_parser().parse_args(argv)
    return 0
