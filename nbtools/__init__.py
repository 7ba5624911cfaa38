"""jupyter-nbtools: from notebook to production — versions, environments, packages and jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtools._version import __version__

if TYPE_CHECKING:
    from nbtools import artifacts, data
    from nbtools.metrics.record import record

__all__ = ["__version__", "artifacts", "data", "record"]


def __getattr__(name: str) -> Any:
    """``nbtools.record``, ``nbtools.data`` and ``nbtools.artifacts`` are imported on first
    use: the CLI's start-up does not pay for them."""
    if name == "record":
        from nbtools.metrics.record import record

        return record
    if name == "data":
        import nbtools.data

        return nbtools.data
    if name == "artifacts":
        import nbtools.artifacts

        return nbtools.artifacts
    raise AttributeError(f"module 'nbtools' has no attribute {name!r}")
