"""A served package's start-up failures: told once, with the reason and the package's own
part of the traceback.

The notebook's module-level code runs when the package is imported: while uvicorn imports
``PACKAGE.service`` (the package's ``__init__`` imports its modules), in the app's lifespan,
or, for ``python -m PACKAGE serve`` and the package's console script, as Python imports the
package before its command runs (:func:`nbtools.serve.import_failed`). Each way the log gets
one entry, ``start-up of churn failed: FileNotFoundError: model.bin is missing``, followed by
the traceback from the package's first line on (where in the notebook's code it failed),
without the frames of the import machinery, uvicorn, Starlette or nbtools in front of it.

What the package writes to ``sys.stdout`` and ``sys.stderr`` while ``nbtools serve`` imports it
is held (:class:`HeldOutput`): written out as it came once the import succeeds, and shown in
the entry, after its first line and indented, when the import fails. Otherwise what the
package printed as it failed would come first, read as nbtools' own words: argparse's usage
message of another program, for module-level code reading the service's command line.
"""

from __future__ import annotations

import io
import logging
import sys
import textwrap
import traceback
from types import TracebackType
from typing import NoReturn, TextIO

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


def exit_failed(package: str, error: BaseException, printed: str = "") -> NoReturn:
    """Tell that importing ``package`` failed (:func:`log_failure`; ``printed``: what it
    wrote meanwhile) and end the process with :attr:`StartupError.exit_code`, uvicorn's code
    for a failed start-up, on which its supervisor stops every worker."""
    log_failure(package, reason(error), error, printed)
    raise SystemExit(StartupError.exit_code)


def log_failure(package: str, told: str, error: BaseException, printed: str = "") -> None:
    """Log that ``package`` failed to start (``told``: why): what it printed as it was
    imported (``printed``, :class:`HeldOutput`), indented, then the part of ``error``'s
    traceback from the package's own code on (none when it never got there)."""
    parts = [f"start-up of {package} failed: {told}"]
    if printed.strip():
        shown = textwrap.indent(printed.rstrip(), "    ")
        parts.append(f"  {package} printed as it was imported:\n{shown}")
    own = _own_frames(error.__traceback__, package)
    if own is not None:
        parts.append("".join(traceback.format_exception(type(error), error, own)).rstrip())
    log.error("%s", "\n".join(parts))


class HeldOutput:
    """While in effect (``with``), what is written to ``sys.stdout`` and ``sys.stderr`` is
    held, in the order it came (:attr:`text`). On leaving, it is written out to each stream
    as it came (:meth:`release`; later, with ``kept``), unless an import failure
    (:data:`IMPORT_FAILURES`) ends the block: the failure's entry shows it then
    (:func:`log_failure`). A log handler keeps the stream it was given: the log's lines are
    not held."""

    def __init__(self, kept: bool = False) -> None:
        self._chunks: list[tuple[TextIO, str]] = []
        self._streams: tuple[TextIO, TextIO] | None = None
        self._kept = kept

    @property
    def text(self) -> str:
        """Everything held, both streams' in the order written."""
        return "".join(text for _, text in self._chunks)

    def __enter__(self) -> HeldOutput:
        self._streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = (_Holding(self._chunks, stream) for stream in self._streams)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        frames: TracebackType | None,
    ) -> None:
        assert self._streams is not None, "entered first"
        sys.stdout, sys.stderr = self._streams
        if not self._kept and (error is None or not isinstance(error, IMPORT_FAILURES)):
            self.release()

    def release(self) -> None:
        """Write out what was held, to each stream as it came (once)."""
        for stream, text in self._chunks:
            stream.write(text)
        for stream in {stream for stream, _ in self._chunks}:
            stream.flush()
        self._chunks.clear()


class _Holding(io.TextIOBase):
    """A stream in place of ``original`` whose writes :class:`HeldOutput` holds."""

    def __init__(self, chunks: list[tuple[TextIO, str]], original: TextIO) -> None:
        super().__init__()
        self._chunks, self._original = chunks, original

    def write(self, text: str) -> int:
        self._chunks.append((self._original, text))
        return len(text)

    @property  # io's is a property too: its stubs call it an attribute
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._original, "encoding", None) or "utf-8"

    def writable(self) -> bool:
        return True


def _own_frames(frames: TracebackType | None, package: str) -> TracebackType | None:
    """The traceback from the first frame of ``package``'s modules on."""
    while frames is not None:
        module = str(frames.tb_frame.f_globals.get("__name__", ""))
        if module == package or module.startswith(f"{package}."):
            return frames
        frames = frames.tb_next
    return None
