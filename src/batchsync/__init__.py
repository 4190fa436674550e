"""batchsync: keep markdown work items in step with GitHub issues, in batch, exactly once."""

__version__ = "0.1.0"
__all__ = ["__version__"]
