"""The one error hierarchy of nbtools.

Every error carries a message that tells the user what to do, and structured ``details``
that the REST API returns as JSON and the CLI prints with ``--json``. The CLI maps errors
to exit codes and the server maps them to HTTP statuses, each in exactly one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class NbtoolsError(Exception):
    """Base of every error nbtools raises on purpose."""

    #: Process exit code for the CLI: 2 means bad usage or bad input.
    exit_code = 2

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON body shared by the REST API and the CLI's ``--json`` errors."""
        return {"error": type(self).__name__, "message": self.message, "details": self.details}


class InvalidInputError(NbtoolsError, ValueError):
    """A value given by the user is malformed or out of range."""


class FieldChecks:
    """The checks of an input's fields, each of which refuses its own field with an
    :class:`InvalidInputError`, so that one answer names every field refused::

        checks = FieldChecks()
        with checks.field():
            check_name(fields["name"])
        with checks.field():
            check_cron(fields["cron"])
        checks.done()  # raises if any was refused

    or, raising when the block ends (unless it ends with an error of its own)::

        with FieldChecks() as checks:
            ...

    One field refused raises its own error. Several raise one error of the first's class:
    its message is theirs in turn, its ``details`` are the first's (``field`` names the first
    field refused) and ``errors``: each one's ``details`` and ``message``, in the order
    checked. Any other error (a notebook not found, say) ends the checks at once.
    """

    def __init__(self) -> None:
        self._refused: list[InvalidInputError] = []

    def __enter__(self) -> FieldChecks:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.done()

    @contextmanager
    def field(self) -> Iterator[None]:
        """Check one field: a refusal is kept for :meth:`done`, and the checks go on."""
        try:
            yield
        except InvalidInputError as error:
            self._refused.append(error)

    def refused(self, name: str) -> bool:
        """Whether field ``name`` was refused (a check that needs its value is then skipped)."""
        return any(error.details.get("field") == name for error in self._refused)

    def done(self) -> None:
        """Raise what was refused, if anything."""
        if not self._refused:
            return
        first = self._refused[0]
        if len(self._refused) == 1:
            raise first
        raise type(first)(
            " ".join(error.message for error in self._refused),
            **first.details,
            errors=[{**error.details, "message": error.message} for error in self._refused],
        )


class PathOutsideRootError(InvalidInputError):
    """A path resolves outside the project root (``..``, absolute, symlink escape), or holds a
    NUL byte, which no file name can."""


class NotebookError(InvalidInputError):
    """A notebook file is missing, not JSON, truncated or not valid nbformat."""


class PayloadTooLargeError(InvalidInputError):
    """A request or input is larger than the configured limit (HTTP 413)."""


class NotFoundError(NbtoolsError, LookupError):
    """A named object (job, run, version, snapshot, file) does not exist."""


class HiddenPathError(NotFoundError):
    """A path is hidden (a component starts with ``.``) or in the store directory, which
    the server never serves: answered like a file that does not exist."""


class NotAuthorizedError(NbtoolsError, PermissionError):
    """The user may not do this (HTTP 403): e.g. run code without the ``execute`` permission."""


class ConflictError(NbtoolsError):
    """The request conflicts with the current state (already running, already exists)."""


class StoreError(NbtoolsError):
    """The store (database or object files) cannot be opened or is damaged."""


class StoreUnavailableError(StoreError):
    """The store's database server cannot be reached (down, restarting, not at its address):
    no fault of the input, so exit 1 in the CLI (503 over REST, as every store error)."""

    exit_code = 1


class StoreTooNewError(StoreError, ConflictError):
    """The store was written by a newer jupyter-nbtools (a schema revision this one lacks)."""


class CheckFailedError(NbtoolsError):
    """A check, test or run completed and failed: exit code 1 in the CLI."""

    exit_code = 1


class PolicyRefusedError(NbtoolsError, PermissionError):
    """A data-use rule refuses the action (a dataset used outside its allowed purposes): 403
    over REST, exit 2 in the CLI; ``details`` name the dataset, classification and purposes."""


def conversion_refused(error: ValueError) -> str:
    """Why a parser refused a value after reading it (a number longer than Python converts,
    4300 digits), without Python's advice to raise the interpreter's limit."""
    return str(error).split(";")[0]
