"""A served package's start-up failures: told once, with the reason and the package's own
part of the traceback.

The notebook's module-level code runs when the package is imported: while uvicorn imports
``PACKAGE.service`` (the package's ``__init__`` imports its modules), in the app's lifespan,
or, for ``python -m PACKAGE serve`` and the package's console script, as Python imports the
package before its command runs (:func:`nbtools.serve.import_failed`). Each way the log gets
one entry, ``start-up of churn failed: FileNotFoundError: model.bin is missing``, followed by
the traceback from the package's first line on (where in the notebook's code it failed),
without the frames of the import machinery, uvicorn, Starlette or nbtools in front of it.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType
from typing import NoReturn

from nbtools.errors import NbtoolsError

log = logging.getLogger("nbtools.serve")


class StartupError(NbtoolsError):
    """The package could not be loaded; the message says why (the ASGI server then exits)."""

    exit_code = 3


#: What importing the package may raise that is its failed start-up: any error, and
#: ``SystemExit`` (module-level code calling ``sys.exit()``, or argparse's ``parse_args()``
#: reading the service's own command line), which would otherwise end a worker with its own
#: code, 0 included, and uvicorn would start it again. ``KeyboardInterrupt`` is not: it is a
#: stop asked for, not a failure.
IMPORT_FAILURES: tuple[type[BaseException], ...] = (Exception, SystemExit)


def reason(error: BaseException) -> str:
    """``Type: message``, and what to do when a module is missing or does not compile."""
    if isinstance(error, SystemExit):
        return (
            f"SystemExit: {error.code} (the package's module-level code ended the process: "
            "sys.exit(), or argparse's parse_args() reading the service's command line; do "
            'that only under `if __name__ == "__main__":`)'
        )
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, ModuleNotFoundError):
        text += " (install the package's dependencies: pip install <package dir>)"
    elif isinstance(error, SyntaxError):
        version = "{}.{}".format(*sys.version_info)
        text += (
            f" (Python {version} cannot compile the package's code: extract it again from its "
            "notebook, or serve it with the Python the notebook's code is written for)"
        )
    return text


def exit_failed(package: str, error: BaseException) -> NoReturn:
    """Tell that importing ``package`` failed (:func:`log_failure`) and end the process with
    :attr:`StartupError.exit_code`, uvicorn's code for a failed start-up, on which its
    supervisor stops every worker."""
    log_failure(package, reason(error), error)
    raise SystemExit(StartupError.exit_code)


def log_failure(package: str, told: str, error: BaseException) -> None:
    """Log that ``package`` failed to start (``told``: why), with the part of ``error``'s
    traceback from the package's own code on (none when it never got there)."""
    own = _own_frames(error.__traceback__, package)
    if own is None:
        log.error("start-up of %s failed: %s", package, told)
        return
    lines = traceback.format_exception(type(error), error, own)
    log.error("start-up of %s failed: %s\n%s", package, told, "".join(lines).rstrip())


def _own_frames(frames: TracebackType | None, package: str) -> TracebackType | None:
    """The traceback from the first frame of ``package``'s modules on."""
    while frames is not None:
        module = str(frames.tb_frame.f_globals.get("__name__", ""))
        if module == package or module.startswith(f"{package}."):
            return frames
        frames = frames.tb_next
    return None
