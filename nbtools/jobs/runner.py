"""Executing one claimed run: papermill on a fresh kernel, with heartbeat, timeout and cancel.

The notebook is read from disk when the run starts; the run records the sha256 of exactly
those bytes, and papermill receives that content (not the path), so a save during the run
cannot change what runs. Parameters reach the kernel only through papermill's injection,
after :mod:`nbtools.jobs.parameters` checked every name and type.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtools.errors import NbtoolsError, NotFoundError
from nbtools.jobs import runs
from nbtools.jobs.errors import InvalidParameterError
from nbtools.jobs.kernels import Kernel, KernelSource, kill_kernel_tree
from nbtools.jobs.lineage import LineageCapture, RunStart
from nbtools.jobs.models import CANCELLED, FAILED, SUCCEEDED, TIMED_OUT, Run
from nbtools.jobs.parameters import declared_parameters, parameters_cell_index, resolve_values
from nbtools.notebooks import content_hash, kernel_name, parse_notebook

if TYPE_CHECKING:
    from nbtools.project import Project
    from nbtools.store.database import Store

#: Seconds between a running run's heartbeats (and checks for a cancel request).
HEARTBEAT_SECONDS = 1.0
DEFAULT_KERNEL = "python3"


def worker_id() -> str:
    """This process's name in the ``worker`` column: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


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


@dataclass
class Prepared:
    """A run ready to execute: the notebook node, its typed parameters and kernel."""

    notebook: Any
    parameters: dict[str, Any]
    kernel_name: str
    cwd: Path
    cells: int
    injected_after: int | None
    start: RunStart


class Watchdog(threading.Thread):
    """Beats the heart of a running run and stops its kernel on timeout or cancel."""

    def __init__(
        self,
        store: Store,
        run: Run,
        worker: str,
        kernel: Kernel,
        progress: runs.Progress,
        interval: float,
    ) -> None:
        super().__init__(name=f"nbtools-watchdog-{run.id}", daemon=True)
        self.store, self.run_id, self.worker, self.kernel = store, run.id, worker, kernel
        self.progress, self.interval = progress, interval
        self.deadline = time.monotonic() + run.timeout_seconds if run.timeout_seconds else None
        self.reason: str | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        next_beat = time.monotonic() + self.interval
        while not self._halt.wait(min(0.2, self.interval)):
            now = time.monotonic()
            if self.deadline is not None and now >= self.deadline:
                self._kill("timeout")
                return
            if now >= next_beat:
                next_beat = now + self.interval
                if runs.heartbeat(self.store, self.run_id, self.worker, self.progress):
                    self._kill("cancel")
                    return

    def _kill(self, reason: str) -> None:
        self.reason = reason
        kill_kernel_tree(self.kernel.km)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _prepare(project: Project, run: Run, worker: str) -> Prepared:
    """Read the notebook as it is now, check parameters, record its hash."""
    import nbformat

    path = project.resolve(run.notebook_path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"Notebook not found: {run.notebook_path}.") from None
    except OSError as exc:
        raise NbtoolsError(f"Cannot read {run.notebook_path}: {exc.strerror}.") from None
    nb = parse_notebook(raw, source=run.notebook_path)
    declared = declared_parameters(nb)
    try:
        values = resolve_values(declared, run.parameters)
    except InvalidParameterError as exc:
        raise InvalidParameterError(
            f"{exc.message} The notebook changed since the run was requested; edit the job's "
            "parameters to match it.",
            **exc.details,
        ) from None
    kernel = run.kernel_name or kernel_name(nb) or DEFAULT_KERNEL
    runs.record_start(
        project.store,
        run.id,
        worker,
        notebook_sha256=content_hash(raw),
        cells_total=len(nb["cells"]),
        cells_done=0,
    )
    parameters_at = parameters_cell_index(nb)
    return Prepared(
        notebook=nbformat.reads(raw.decode("utf-8"), as_version=4),
        parameters=values,
        kernel_name=kernel,
        cwd=path.parent,
        cells=len(nb["cells"]),
        injected_after=(parameters_at if parameters_at is not None else -1) if values else None,
        start=RunStart(project, run.id, run.notebook_path, path, raw, kernel),
    )


def _source_index(prepared: Prepared, executed_index: int) -> int:
    """Map a cell index of the executed notebook (with injected parameters) to the source's."""
    if prepared.injected_after is not None and executed_index > prepared.injected_after:
        return executed_index - 1
    return executed_index


def _papermill(prepared: Prepared, output: Path, kernel: Kernel, progress: runs.Progress) -> None:
    import papermill

    from nbtools.jobs.engine import register_engine

    def on_cell_start(index: int) -> None:
        progress.current_cell = _source_index(prepared, index)
        progress.cells_done = progress.current_cell

    papermill.execute_notebook(
        prepared.notebook,
        str(output),
        parameters=prepared.parameters,
        engine_name=register_engine(),
        kernel_name=prepared.kernel_name,
        progress_bar=False,
        request_save_on_cell_execute=True,
        kernel=kernel,
        on_cell_start=on_cell_start,
    )


def _outcome(
    prepared: Prepared,
    run: Run,
    error: BaseException | None,
    watchdog: Watchdog,
    progress: runs.Progress,
) -> Outcome:
    """Classify how execution ended."""
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if watchdog.reason == "timeout" and error is not None:
        return Outcome.failed(
            "TimeoutError",
            f"The run exceeded its timeout of {run.timeout_seconds} s; its kernel was stopped.",
            progress.current_cell,
            status=TIMED_OUT,
        )
    if watchdog.reason == "cancel" and error is not None:
        return Outcome.failed(
            "Cancelled", "Cancelled on request.", progress.current_cell, status=CANCELLED
        )
    if error is None:
        progress.cells_done, progress.current_cell = prepared.cells, None
        return Outcome(SUCCEEDED)
    if isinstance(error, PapermillExecutionError):
        return Outcome.failed(error.ename, error.evalue, _source_index(prepared, error.cell_index))
    if isinstance(error, DeadKernelError):
        return Outcome.failed("DeadKernelError", "kernel died", progress.current_cell)
    return Outcome.failed(type(error).__name__, str(error), progress.current_cell)


def _write_html(notebook_path: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(notebook_path))
    notebook_path.with_suffix(".html").write_text(body, encoding="utf-8")


def execute_run(
    project: Project,
    run_id: int,
    kernels: KernelSource,
    *,
    worker: str | None = None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> str | None:
    """Claim and execute run ``run_id``; returns its final status, or None if not claimed."""
    worker = worker or worker_id()
    store = project.store
    run = runs.claim(store, run_id, worker)
    if run is None:
        return None
    out_dir = runs.run_dir(project, run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / f"{Path(run.notebook_path).stem}.ipynb"
    try:
        prepared = _prepare(project, run, worker)
        lineage = LineageCapture(prepared.start)
        kernel = kernels.take(prepared.kernel_name, prepared.cwd)
    except Exception as exc:  # a bad notebook or an unknown kernel fails this run only
        message = exc.message if isinstance(exc, NbtoolsError) else str(exc)
        outcome = Outcome.failed(type(exc).__name__, message)
        runs.finish(store, run_id, worker, outcome.status, output_dir=str(out_dir), **outcome.error)
        return outcome.status
    progress = runs.Progress(cells_total=prepared.cells)
    watchdog = Watchdog(store, run, worker, kernel, progress, heartbeat_seconds)
    watchdog.start()
    error: BaseException | None = None
    try:
        _papermill(prepared, output, kernel, progress)
    except Exception as exc:  # classified into the outcome below
        error = exc
    finally:
        watchdog.stop()
    outcome = _outcome(prepared, run, error, watchdog, progress)
    if run.output_html and output.is_file():
        _write_html(output)
    runs.finish(
        store,
        run_id,
        worker,
        outcome.status,
        output_dir=str(out_dir),
        cells_done=progress.cells_done,
        current_cell=progress.current_cell,
        **outcome.error,
        **lineage.result(),
    )
    kernels.retire(kernel)
    kernels.warm()  # the next run's kernel boots while the worker waits for work
    return outcome.status
