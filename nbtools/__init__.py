"""jupyter-nbtools: from notebook to production — versions, environments, packages and jobs."""

from __future__ import annotations

from nbtools._version import __version__

__all__ = ["__version__"]
