"""batchsync: keep markdown work items in step with GitHub issues, in batch, exactly once."""

from importlib.metadata import PackageNotFoundError, version

try:
    # The version is written once, in pyproject.toml; the installed metadata carries it here.
    __version__ = version("batchsync")
except PackageNotFoundError:  # a source tree on sys.path that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
