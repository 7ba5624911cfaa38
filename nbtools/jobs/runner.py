"""Executing one claimed run: papermill on a fresh kernel, with heartbeat, timeout and cancel.

The notebook is read from disk when the run starts (or, for a run pinned to a notebook
version, rebuilt from that version); the run records the sha256 of exactly those bytes, and
papermill receives that content (not the path), so a save during the run cannot change what
runs. Parameters reach the kernel only through papermill's injection, after
:mod:`nbtools.jobs.parameters` checked every name and type.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from nbtools.errors import NbtoolsError, NotFoundError
from nbtools.jobs import events, runs, storage
from nbtools.jobs.errors import InvalidParameterError
from nbtools.jobs.events import RunStarted, RunStartedInBackground
from nbtools.jobs.executors.base import RunRequest
from nbtools.jobs.kernels import Kernel, KernelSource, kill_kernel_tree
from nbtools.jobs.leases import LEASE_SECONDS
from nbtools.jobs.parameters import declared_parameters, parameters_cell_index, resolve_values
from nbtools.jobs.tables import CANCELLED, FAILED, SUCCEEDED, TIMED_OUT, Run
from nbtools.notebooks import content_hash, kernel_name, parse_notebook

if TYPE_CHECKING:
    from nbtools.project import Project
    from nbtools.store.database import Store

log = logging.getLogger(__name__)

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
    start: RunStarted


class Watchdog(threading.Thread):
    """Beats the heart of a running run and stops its kernel on timeout, cancel or lost lease.

    A heartbeat that cannot reach the database is retried at the next beat; once the lease
    has run out without a renewal, the run may be retried elsewhere, so its kernel stops.
    """

    def __init__(
        self,
        store: Store,
        run: Run,
        worker: str,
        kernel: Kernel,
        progress: runs.Progress,
        interval: float,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        super().__init__(name=f"nbtools-watchdog-{run.id}", daemon=True)
        self.store, self.run_id, self.worker, self.kernel = store, run.id, worker, kernel
        self.progress, self.interval, self.lease_seconds = progress, interval, lease_seconds
        self.deadline = time.monotonic() + run.timeout_seconds if run.timeout_seconds else None
        self.reason: str | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        next_beat = time.monotonic() + self.interval
        renewed = time.monotonic()
        while not self._halt.wait(min(0.2, self.interval)):
            now = time.monotonic()
            if self.deadline is not None and now >= self.deadline:
                self._kill("timeout")
                return
            if now < next_beat:
                continue
            next_beat = now + self.interval
            try:
                reply = runs.heartbeat(
                    self.store, self.run_id, self.worker, self.progress, self.lease_seconds
                )
            except SQLAlchemyError as exc:
                log.warning("nbtools: run %s heartbeat failed: %s", self.run_id, exc)
                reply = (
                    runs.STOP_LEASE_LOST if now - renewed > self.lease_seconds else runs.CONTINUE
                )
            else:
                renewed = now
            if reply in (runs.STOP_CANCELLED, runs.STOP_LEASE_LOST):
                self._kill(reply)
                return

    def _kill(self, reason: str) -> None:
        self.reason = reason
        kill_kernel_tree(self.kernel.km)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _prepare(project: Project, run: Run, worker: str, raw: bytes, cwd: Path) -> Prepared:
    """Check the notebook's parameters, record its hash."""
    import nbformat

    nb = parse_notebook(raw, source=run.notebook_path)
    declared = declared_parameters(nb)
    try:
        values = resolve_values(declared, run.parameters, for_kernel=True)
    except InvalidParameterError as exc:
        raise InvalidParameterError(
            f"{exc.message} The notebook changed since the run was requested; edit the job's "
            "parameters to match it.",
            **exc.details,
        ) from None
    kernel = run.kernel_name or kernel_name(nb) or DEFAULT_KERNEL
    path = project.root / run.notebook_path
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
        cwd=cwd,
        cells=len(nb["cells"]),
        injected_after=(parameters_at if parameters_at is not None else -1) if values else None,
        start=RunStarted(
            project, run.id, run.notebook_path, path, raw, kernel, run.pinned_version_id
        ),
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
    if watchdog.reason == runs.STOP_LEASE_LOST and error is not None:
        return Outcome.failed(
            "WorkerLost",
            "This worker lost the run's lease (the database was unreachable for longer than the "
            "lease, or the run was ended elsewhere); its kernel was stopped so that a retry "
            "never runs beside it.",
            progress.current_cell,
        )
    if watchdog.reason == runs.STOP_CANCELLED and error is not None:
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


def _finish(store: Store, run_id: int, worker: str, lease_seconds: float, **fields: Any) -> None:
    """Record the end of a run, retrying while the database is briefly unreachable.

    Past the lease the reaper ends the run anyway (and retries it), so trying longer is moot.
    """
    deadline = time.monotonic() + lease_seconds
    delay = 0.5
    while True:
        try:
            runs.finish(store, run_id, worker, **fields)
            return
        except SQLAlchemyError:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("nbtools: cannot record the end of run %s yet; retrying", run_id)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def notebook_bytes(project: Project, run: Run) -> bytes:
    """The notebook a run executes: its pinned version, or the file as it is now."""
    if run.pinned_version_id is not None:
        from nbtools.jobs.pinned import version_content

        return version_content(project, run.pinned_version_id)
    try:
        return project.resolve(run.notebook_path).read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"Notebook not found: {run.notebook_path}.") from None
    except OSError as exc:
        raise NbtoolsError(f"Cannot read {run.notebook_path}: {exc.strerror}.") from None


def _read_input(project: Project, run: Run, input_url: str) -> tuple[bytes, Path]:
    """The notebook's bytes (from shared storage when given) and the kernel's directory."""
    path = project.root / run.notebook_path
    if input_url:
        cwd = path.parent if path.parent.is_dir() else Path.cwd()
        return storage.read_bytes(input_url), cwd
    return notebook_bytes(project, run), project.resolve(run.notebook_path).parent


def execute_run(
    project: Project,
    request: RunRequest,
    kernels: KernelSource,
    *,
    worker: str | None = None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> str | None:
    """Start and execute a run; returns its final status, or None if it was not ours to start.

    Outputs go to ``<store>/runs/<id>/``, or to the request's shared storage (written in a
    local scratch directory first when that storage is remote).
    """
    worker = worker or worker_id()
    store, run_id, lease = project.store, request.run_id, request.lease_seconds
    run = runs.claim(store, run_id, worker, token=request.token, lease_seconds=lease)
    if run is None:
        return None
    shared = storage.Storage(request.storage) if request.storage else None
    with contextlib.ExitStack() as scratch:
        if shared is None:
            out_dir = runs.run_dir(project, run_id)
        elif shared.local is not None:
            out_dir = Path(shared.run_dir(run_id))
        else:
            out_dir = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="nbtools-")))
        out_dir.mkdir(parents=True, exist_ok=True)
        ended, kernel = _execute(project, run, request, kernels, worker, heartbeat_seconds, out_dir)
        location = str(out_dir)
        if shared is not None and shared.local is None:
            location = shared.upload(out_dir, run_id)
        _finish(store, run_id, worker, lease, output_dir=location, **ended)
    if kernel is not None:
        kernels.retire(kernel)
        kernels.warm()  # the next run's kernel boots while the worker waits for work
    return str(ended["status"])


def _execute(
    project: Project,
    run: Run,
    request: RunRequest,
    kernels: KernelSource,
    worker: str,
    heartbeat_seconds: float,
    out_dir: Path,
) -> tuple[dict[str, Any], Kernel | None]:
    """Execute the notebook into ``out_dir``: the run's final columns and the used kernel."""
    try:
        raw, cwd = _read_input(project, run, request.input_url)
        prepared = _prepare(project, run, worker, raw, cwd)
        events.run_requested(
            events.RunRequested(
                project, run.notebook_path, run.purpose, content=prepared.start.content
            )
        )
        lineage = RunStartedInBackground(prepared.start)
        kernel = kernels.take(prepared.kernel_name, prepared.cwd)
    except Exception as exc:  # a bad notebook or an unknown kernel fails this run only
        message = exc.message if isinstance(exc, NbtoolsError) else str(exc)
        return {"status": FAILED, **Outcome.failed(type(exc).__name__, message).error}, None
    output = out_dir / f"{Path(run.notebook_path).stem}.ipynb"
    progress = runs.Progress(cells_total=prepared.cells)
    watchdog = Watchdog(
        project.store, run, worker, kernel, progress, heartbeat_seconds, request.lease_seconds
    )
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
    ended = {
        "status": outcome.status,
        "cells_done": progress.cells_done,
        "current_cell": progress.current_cell,
        **outcome.error,
        **lineage.result(),
    }
    return ended, kernel
