"""jupyter-nbtools: from notebook to production — versions, environments, packages and jobs."""

from __future__ import annotations

from nbtools._version import __version__

#: ``typing.TYPE_CHECKING`` without importing ``typing``: the console script pauses the cyclic
#: garbage collector before its imports (:mod:`nbtools.cli.main`), and this package is imported
#: first (a collection during ``typing``'s import is ≈ 1 % of a short command's instructions).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
