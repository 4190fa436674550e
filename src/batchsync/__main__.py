"""``python -m batchsync``: the action's entry point and the CLI."""

import sys

from batchsync.cli import main

sys.exit(main())
