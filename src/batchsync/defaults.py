"""Every default of a run, written once: ``config.Settings`` shows them to users as the inputs'
defaults, and the lower layers (``ratelimit.Limits``, ``plan.PlanOptions``,
``engine.EngineOptions``, ``processor.BatchProcessor``) use them when built directly.

A leaf of plain constants: the pure core may import it, where importing the settings model would
pull pydantic and the environment reader into it. Each value is safe on github.com.
"""

from __future__ import annotations

__all__ = [
    "API_URL",
    "BLOCKED_BY",
    "CLOSE_REMOVED",
    "CREATES_PER_HOUR",
    "CREATES_PER_MINUTE",
    "ISSUE_TYPES",
    "MAX_CLOSE",
    "MAX_CONCURRENT",
    "MAX_RETRIES",
    "PATH",
    "PULL",
    "RATE_LIMIT_THRESHOLD",
    "RETRY_DELAY",
    "SUB_ISSUES",
    "TIME_BUDGET",
    "WRITE_INTERVAL",
]

PATH = ".claude"  # the work items' folder, relative to the workspace
API_URL = "https://api.github.com"
MAX_CONCURRENT = 10  # items in flight at once: well below GitHub's 100 concurrent requests
MAX_RETRIES = 3  # retries after the first attempt
RETRY_DELAY = 1.0  # base seconds of exponential backoff (5xx, connection errors)
RATE_LIMIT_THRESHOLD = 10  # pause every lane until the reset when this few requests are left
WRITE_INTERVAL = 1.0  # seconds between the starts of two writes (GitHub asks for 1 s)
CREATES_PER_MINUTE = 80  # GitHub's content-creation limit
CREATES_PER_HOUR = 500
TIME_BUDGET = 300.0  # minutes a run may take (a job's limit is 360)
SUB_ISSUES = True  # link the hierarchy with sub-issues
CLOSE_REMOVED = False  # closing issues whose file was removed is opt-in
PULL = False  # writing GitHub's open/closed state back into the files is opt-in
BLOCKED_BY = False  # dependencies as "blocked by" relationships: one read per such item a run
ISSUE_TYPES = "false"  # issue types per kind: one read a run when on (issuetypes.py)
MAX_CLOSE = 10  # most issues one run may close
