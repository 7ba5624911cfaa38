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
``docs``, ``replies``), never on the CLI's start-up path.

A serving package's ``__init__`` imports its modules inside :func:`importing`: Python imports
the package before its ``__main__`` or its console script reads the command, so when that
command is ``serve``, what they print is held for after the service's first lines, and their
failure is told there, as every failed start-up is (:mod:`nbtools.serve.command`), and the
data they use is held to the service's purpose, as ``nbtools serve`` holds it
(:func:`nbtools.serve.uses.start_up_uses`). A package generated before hands the failure to
:func:`import_failed`.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from fastapi import FastAPI

    from nbtools.serve.config import ServeSettings
    from nbtools.serve.startup import HeldOutput
    from nbtools.serve.uses import CallUses

__all__ = ["create_app", "import_failed", "importing", "release_printed"]

#: What a package printed as its serve command imported it, until the service writes it out.
_PRINTED: dict[str, HeldOutput] = {}


def create_app(
    package: str, endpoints: Mapping[str, str], settings: ServeSettings | None = None
) -> FastAPI:
    """The ASGI app serving ``endpoints`` (``{name: "module:function"}``) of ``package``."""
    from nbtools.serve.app import build_app

    return build_app(package, endpoints, settings)


@contextlib.contextmanager
def importing(package: str) -> Iterator[None]:
    """The imports of ``package``'s ``__init__`` (the notebook's module-level code runs
    there). When this process is the package's serve command (``python -m PACKAGE serve``, or
    its console script with ``serve``), what they print is held until the service has
    started, then written where ``nbtools serve`` writes it (:func:`release_printed`), and
    their failure is the service's failed start-up (:func:`import_failed`, with what they
    printed in its entry), and the data they use is held to the service's purpose (one it
    does not allow refuses the start: exit 2). Otherwise they run as Python runs them."""
    from nbtools.serve.command import serving_itself

    if not serving_itself(package):
        yield
        return
    from nbtools.serve.startup import IMPORT_FAILURES, HeldOutput
    from nbtools.serve.uses import start_up_uses

    held = HeldOutput(kept=True)
    with start_up_uses(package, _purpose(package)) as uses:
        try:
            with held:
                yield
        except IMPORT_FAILURES as error:
            if uses.refused is not None:
                _start_up_refused(package, uses, error, held.text)
            _start_up_failed(package, error, held.text)
    if uses.refused is not None:  # the module-level code caught the refusal
        from nbtools.errors import PolicyRefusedError

        _start_up_refused(package, uses, PolicyRefusedError(uses.refused), "")
    _PRINTED[package] = held


def release_printed(package: str) -> None:
    """Write out what ``package`` printed as its serve command imported it (:func:`importing`),
    if it did: the service calls this where it has imported the package itself."""
    held = _PRINTED.pop(package, None)
    if held is not None:
        held.release()


def import_failed(package: str, error: BaseException) -> None:
    """``package``'s modules raised ``error`` as the package was imported. When this process
    is the package's serve command (``python -m PACKAGE serve``, or its console script with
    ``serve``), that is the service's failed start-up: told once in its log, ``start-up of
    PACKAGE failed: ...`` with the package's own part of the traceback, and the process exits
    3, as for ``nbtools serve``. Otherwise this returns and the package raises ``error``."""
    from nbtools.serve.command import serving_itself

    if serving_itself(package):
        _start_up_failed(package, error, "")


def _purpose(package: str) -> str | None:
    """The purpose ``package`` (being imported) is served for: ``$NBTOOLS_PURPOSE``, else the
    one it was extracted for (:func:`nbtools.serve.uses.service_purpose`)."""
    import os
    import sys

    from nbtools.serve.info import find_manifest
    from nbtools.serve.uses import service_purpose

    return service_purpose(find_manifest(sys.modules[package]), os.environ)


def _start_up_refused(package: str, uses: CallUses, error: BaseException, printed: str) -> NoReturn:
    """The serve command's start-up refused the data its module-level code used: one log
    entry, an audit entry, exit 2, as ``nbtools serve``'s (:mod:`nbtools.serve.loading`)."""
    from nbtools.errors import PolicyRefusedError
    from nbtools.serve.runner import configure_logging
    from nbtools.serve.uses import start_up_refused

    configure_logging()
    start_up_refused(package, uses, error, printed, PolicyRefusedError.exit_code)
    raise SystemExit(PolicyRefusedError.exit_code)


def _start_up_failed(package: str, error: BaseException, printed: str) -> NoReturn:
    """The serve command's failed start-up: one log entry (what the package ``printed`` in
    it), exit 3 (:func:`nbtools.serve.startup.exit_failed`)."""
    from nbtools.serve.runner import configure_logging
    from nbtools.serve.startup import exit_failed

    configure_logging()
    exit_failed(package, error, printed)
