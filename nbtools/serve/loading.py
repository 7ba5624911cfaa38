"""uvicorn's configuration of a served package: importing its app is part of start-up.

Importing ``PACKAGE.service`` imports the package, whose ``__init__`` imports the notebook's
modules: their module-level code runs there, before the app's lifespan. uvicorn lets an
exception there escape: a traceback through uvicorn and the command, exit code 1 (or, for
``sys.exit()``, that call's code and no word), and with several workers each worker dying
and started again, for ever. :class:`ServiceConfig` makes
it a start-up failure as one in the lifespan is: told once (:mod:`nbtools.serve.startup`),
with what the package printed meanwhile after nbtools' own line, exit code 3, on which
uvicorn's supervisor stops every worker. uvicorn is imported here, so
this module is imported only once serving starts.
"""

from __future__ import annotations

from typing import Any

import uvicorn

from nbtools.serve.runner import configure_logging
from nbtools.serve.startup import IMPORT_FAILURES, HeldOutput, exit_failed


class ServiceConfig(uvicorn.Config):
    """uvicorn's ``Config`` for ``PACKAGE.service:app`` (picklable: each worker process
    gets it), an import that fails being a start-up failure; the service's log lines in
    the form of the supervising process's, also in each worker."""

    def configure_logging(self) -> None:
        super().configure_logging()
        configure_logging()

    def load_app(self) -> Any:
        held = HeldOutput()  # what the package prints as it fails comes after nbtools' line
        try:
            with held:
                return super().load_app()
        except IMPORT_FAILURES as error:
            exit_failed(str(self.app).split(".", 1)[0], error, held.text)
