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

The import is also held to the service's purpose (:func:`~nbtools.serve.uses.start_up_uses`):
data its module-level code uses that the purpose does not allow refuses the start, also when
that code caught the refusal: told once (``start-up of churn failed: data use refused: …``),
audited as ``policy.refuse``, and exit code 2 (:data:`REFUSED_EXIT`), as for any use the
purpose rule refuses. A worker of several exits 3, on which the supervisor stops them all,
having set :attr:`ServiceConfig.refused`, from which the supervising process exits 2.
"""

from __future__ import annotations

import logging
import multiprocessing
from typing import Any, NoReturn

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from nbtools.errors import PolicyRefusedError
from nbtools.serve import release_printed
from nbtools.serve.runner import configure_logging
from nbtools.serve.startup import IMPORT_FAILURES, HeldOutput, exit_failed
from nbtools.serve.uses import CallUses, UsesLog, start_up_refused, start_up_uses

#: The exit code of a service whose package, as it was imported, used data the service's
#: purpose does not allow (the CLI's for a refusal of the purpose rule).
REFUSED_EXIT = PolicyRefusedError.exit_code


#: What uvicorn logs (``uvicorn.error``) as its shutdown timeout cuts the requests in flight.
CUT_MESSAGE = "Cancel %s running task(s), timeout graceful shutdown exceeded"


class CutRequests(logging.Filter):
    """Counts the requests in flight that uvicorn's shutdown timeout cut (they got no answer),
    from uvicorn's own log record of them, in this process or (``shared``) in every worker
    process, for the supervising one to read: the service's last line says how many."""

    def __init__(self, *, shared: bool) -> None:
        super().__init__()
        self._shared = multiprocessing.get_context("spawn").Value("i", 0) if shared else None
        self._here = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != CUT_MESSAGE or not isinstance(record.args, tuple) or not record.args:
            return True
        (tasks,) = record.args
        if self._shared is None:
            self._here += int(str(tasks))
        else:
            with self._shared.get_lock():
                self._shared.value += int(str(tasks))
        return True

    @property
    def count(self) -> int:
        return self._here if self._shared is None else int(self._shared.value)


class ServiceConfig(uvicorn.Config):
    """uvicorn's ``Config`` for ``PACKAGE.service:app`` (picklable as a process is spawned:
    each worker process gets it), an import that fails, or uses data the service's purpose
    does not allow, being a start-up failure; the service's log lines in the form of the
    supervising process's, also in each worker."""

    def __init__(self, app: str, **options: Any) -> None:
        #: The requests in flight the shutdown timeout cut (uvicorn's ``__init__`` already
        #: configures the logging: it is there first).
        self.cut = CutRequests(shared=options.get("workers", 1) > 1)
        super().__init__(app, **options)
        #: Set by a worker process whose import of the package was refused its data (with
        #: one worker there is none: making it would start multiprocessing's resource
        #: tracker, a process more, which spawning workers starts anyway).
        self.refused = multiprocessing.get_context("spawn").Event() if self.workers > 1 else None

    def configure_logging(self) -> None:
        super().configure_logging()
        configure_logging()
        logging.getLogger("uvicorn.error").addFilter(self.cut)

    def load_app(self) -> Any:
        package = str(self.app).split(".", 1)[0]
        held = HeldOutput()  # what the package prints as it fails comes after nbtools' line
        with start_up_uses(package) as uses:
            try:
                with held:
                    app = super().load_app()
                    release_printed(package)  # printed first: as its serve command imported it
            except IMPORT_FAILURES as error:
                if uses.refused is None:
                    exit_failed(package, error, held.text)
                self._refuse(package, uses, error, held.text)
        if uses.refused is not None:  # the module-level code caught the refusal
            self._refuse(package, uses, PolicyRefusedError(uses.refused), "")
        UsesLog().tell("start-up", uses)
        return app

    def _refuse(self, package: str, uses: CallUses, error: BaseException, printed: str) -> NoReturn:
        start_up_refused(package, uses, error, printed, REFUSED_EXIT)
        if self.refused is None:  # one worker: this process is the service
            raise SystemExit(REFUSED_EXIT)
        self.refused.set()
        raise SystemExit(STARTUP_FAILURE)
