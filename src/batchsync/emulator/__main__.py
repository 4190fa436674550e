"""``python -m batchsync.emulator``."""

import sys

from batchsync.emulator.cli import main

sys.exit(main())
