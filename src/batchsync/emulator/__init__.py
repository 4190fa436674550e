"""A GitHub REST emulator for tests, benchmarks and the demo: GitHub's shapes, limits and faults.

Use it in-process (``with Emulator() as emu: ...``) or as a process
(``python -m batchsync.emulator --port 0``, which prints its URL on the first line).
"""

from batchsync.emulator.cli import main
from batchsync.emulator.clock import Clock, ManualClock, ScaledClock
from batchsync.emulator.faults import FaultConfig, FaultKind, ListingFault, ScheduledFault
from batchsync.emulator.graphql import GraphQLConfig
from batchsync.emulator.limits import LimitConfig
from batchsync.emulator.server import Emulator
from batchsync.emulator.state import Repo
from batchsync.emulator.stats import RequestRecord, Stats

__all__ = [
    "Clock",
    "Emulator",
    "FaultConfig",
    "FaultKind",
    "GraphQLConfig",
    "LimitConfig",
    "ListingFault",
    "ManualClock",
    "Repo",
    "RequestRecord",
    "ScaledClock",
    "ScheduledFault",
    "Stats",
    "main",
]
