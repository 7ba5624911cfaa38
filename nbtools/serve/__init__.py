"""Serving an extracted package over HTTP: its ``#| serve`` functions and ``run()``.

The package's generated ``service`` module is one call::

    from nbtools.serve import create_app

    app = create_app("churn", {"predict": "churn.core:predict", "run": "churn.pipeline:run"})

``app`` is an ASGI application (FastAPI): its lifespan imports the package once (the
notebook's module-level code runs there, e.g. loading a model), then each served function is
``POST /<name>`` and ``POST /<name>/batch``, beside ``/health``, ``/ready``, ``/info``,
``/metrics``, ``/openapi.json`` and ``/docs``. :class:`~nbtools.serve.config.ServeSettings` holds the limits, the
API key and where live-traffic aggregates go; ``nbtools serve`` runs it with uvicorn.
FastAPI is imported only by :mod:`nbtools.serve.app` and the modules only it imports (``body``,
``docs``), never on the CLI's start-up path.

A serving package's ``__init__`` hands a failure importing its modules to
:func:`import_failed`: Python imports the package before its ``__main__`` or its console script
reads the command, so when that command is ``serve`` the failure is told there, as every
failed start-up is (:mod:`nbtools.serve.command`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fastapi import FastAPI

    from nbtools.serve.config import ServeSettings

__all__ = ["create_app", "import_failed"]


def create_app(
    package: str, endpoints: Mapping[str, str], settings: ServeSettings | None = None
) -> FastAPI:
    """The ASGI app serving ``endpoints`` (``{name: "module:function"}``) of ``package``."""
    from nbtools.serve.app import build_app

    return build_app(package, endpoints, settings)


def import_failed(package: str, error: BaseException) -> None:
    """``package``'s modules raised ``error`` as the package was imported. When this process
    is the package's serve command (``python -m PACKAGE serve``, or its console script with
    ``serve``), that is the service's failed start-up: told once in its log, ``start-up of
    PACKAGE failed: ...`` with the package's own part of the traceback, and the process exits
    3, as for ``nbtools serve``. Otherwise this returns and the package raises ``error``."""
    from nbtools.serve.command import serving_itself

    if not serving_itself(package):
        return
    from nbtools.serve.runner import configure_logging
    from nbtools.serve.startup import exit_failed

    configure_logging()
    exit_failed(package, error)
