"""``python -m batchsync``: the action's entry point and the CLI."""

import sys

from batchsync.cli import entry

sys.exit(entry())
