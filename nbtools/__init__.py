"""jupyter-nbtools: from notebook to production — versions, environments, packages and jobs."""

from __future__ import annotations

from nbtools._version import __version__
from nbtools.metrics.record import record

__all__ = ["__version__", "record"]
