"""How a run ended: its final status and the error columns stored with it (:func:`classify`),
from what stopped it (a cancel, a timeout, a lost lease), papermill's error or its kernel's
death. Papermill and nbclient are imported only to tell their errors apart."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nbtools.errors import NbtoolsError
from nbtools.jobs import runs
from nbtools.jobs.preparation import Prepared, source_index
from nbtools.jobs.tables import CANCELLED, FAILED, SUCCEEDED, TIMED_OUT, Run
from nbtools.jobs.watchdog import INTERRUPTED, Watchdog
from nbtools.kernel_ready import died_saying


@dataclass
class Outcome:
    """How a run ended: its final status and the error columns to store."""

    status: str
    error: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def failed(
        cls, name: str, message: str, cell: int | None = None, status: str = FAILED
    ) -> Outcome:
        return cls(status, {"error_name": name, "error_message": message, "error_cell": cell})


def classify(
    prepared: Prepared | None,
    run: Run,
    error: BaseException | None,
    watchdog: Watchdog,
    progress: runs.Progress,
    kernel_said: Callable[[], str | None],
) -> Outcome:
    """Classify how the run ended (``prepared`` is None when it failed before executing);
    ``kernel_said``: the last line its kernel wrote to its own output while it ran, read
    when the kernel died."""
    cell = progress.current_cell
    reason, interrupt = watchdog.reason, watchdog.interrupt
    if error is not None and reason is None and interrupt is not None and interrupt.requested():
        reason = INTERRUPTED  # the kernel died of what interrupted the run, before it was seen
    if error is not None and reason is not None:
        if reason == "timeout":
            return Outcome.failed(
                "TimeoutError",
                f"The run exceeded its timeout of {run.timeout_seconds} s; its kernel was stopped.",
                cell,
                status=TIMED_OUT,
            )
        if reason == runs.STOP_LEASE_LOST:
            return Outcome.failed(
                "WorkerLost",
                "This worker lost the run's lease (the database was unreachable for longer "
                "than the lease, or the run was ended elsewhere); its kernel was stopped so "
                "that a retry never runs beside it.",
                cell,
            )
        # shown after the error's name ("Cancelled: nbtools run received SIGTERM."): the
        # messages do not repeat it
        if reason == INTERRUPTED and interrupt is not None:
            if interrupt.lost:
                return Outcome.failed("WorkerLost", interrupt.reason, cell)
            return Outcome.failed("Cancelled", f"{interrupt.reason}.", cell, status=CANCELLED)
        return Outcome.failed(
            "Cancelled", "A cancel was requested; its kernel was stopped.", cell, status=CANCELLED
        )
    if prepared is None or error is None:
        if prepared is not None:
            progress.cells_done, progress.current_cell = prepared.cells_run(), None
            return Outcome(SUCCEEDED)
        message = error.message if isinstance(error, NbtoolsError) else str(error)
        return Outcome.failed(type(error).__name__, message)
    # not before: a run stopped before its kernel answered imports no papermill to end
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        return Outcome.failed(
            error.ename, _without_cell_file(error.evalue), source_index(prepared, error.cell_index)
        )
    if isinstance(error, CellTimeoutError):
        return Outcome.failed(
            "CellTimeoutError",
            f"A cell ran longer than the run's cell timeout of {run.cell_timeout_seconds} s; "
            "its kernel was stopped.",
            cell,
            status=TIMED_OUT,
        )
    if isinstance(error, DeadKernelError):
        return Outcome.failed("DeadKernelError", died_saying(kernel_said()), cell)
    if isinstance(error, RecursionError):
        return Outcome.failed(
            "RecursionError",
            "The notebook holds a value nested too deeply (hundreds of levels: an output or a "
            "metadata value) for nbformat and papermill to check, copy or save it: flatten or "
            "remove it, and run again.",
            cell,
        )
    message = error.message if isinstance(error, NbtoolsError) else str(error)
    return Outcome.failed(type(error).__name__, message, cell)


def stopped_in_cell(error: BaseException | None) -> bool:
    """Whether ``error`` stopped the run in a cell it did not fail (a timeout, a cancel, its
    kernel's death): papermill marks a cell that failed, not one so stopped."""
    from papermill.exceptions import PapermillExecutionError

    return error is not None and not isinstance(error, PapermillExecutionError)


#: The kernel compiles each cell into a temporary file (``/tmp/ipykernel_42/123456.py``) whose
#: name a SyntaxError's text repeats: ``invalid syntax (123456.py, line 2)``.
_CELL_FILE = re.compile(r"\((?:[^()\s]*/)?\d+\.py, (line \d+)\)")


def _without_cell_file(message: str) -> str:
    """The error's text without the kernel's temporary file name: ``... (line 2)``."""
    return _CELL_FILE.sub(r"(\1)", message)
