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
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from nbtools.config import DATA_USES_FILE, DATA_USES_VARIABLE, PURPOSE_VARIABLE, RUN_ID_VARIABLE
from nbtools.errors import NbtoolsError, NotFoundError
from nbtools.infiles import read_regular
from nbtools.jobs import events, run_files, runs, storage
from nbtools.jobs.engine import register_engine
from nbtools.jobs.errors import RunInterruptedError, RunNotRecordedError
from nbtools.jobs.events import RunStartedInBackground
from nbtools.jobs.executors.base import RunRequest
from nbtools.jobs.outcome import classify, stopped_in_cell
from nbtools.jobs.preparation import Prepared, prepare, source_index
from nbtools.jobs.tables import SUCCEEDED, TIMED_OUT, Run
from nbtools.jobs.watchdog import HEARTBEAT_SECONDS, Interrupt, Watchdog
from nbtools.kernel_files import last_line, output_size
from nbtools.kernels import Kernel, KernelSource
from nbtools.limits import MAX_BYTES_ENV
from nbtools.store.database import store_failure

if TYPE_CHECKING:
    from nbtools.project import Project
    from nbtools.store.database import Store

log = logging.getLogger(__name__)


def worker_id() -> str:
    """This process's name in the ``worker`` column: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _papermill(
    prepared: Prepared,
    output: Path,
    kernel: Kernel,
    progress: runs.Progress,
    cell_timeout: int | None,
    log_output: bool,
    request: RunRequest,
) -> None:
    import papermill

    def on_cell_start(index: int) -> None:
        prepared.started = index
        progress.current_cell = source_index(prepared, index)
        progress.cells_done = progress.current_cell

    papermill.execute_notebook(
        prepared.notebook,
        str(output),
        parameters=prepared.parameters,
        engine_name=register_engine(),
        kernel_name=prepared.kernel_name,
        # the parameters are code for the kernel that runs them, in its language: a notebook
        # whose metadata names none (written by a script, converted from a .py) runs too
        language=kernel.language,
        progress_bar=False,
        request_save_on_cell_execute=True,
        kernel=kernel,
        on_cell_start=on_cell_start,
        execution_timeout=cell_timeout,
        recorded=prepared.recorded,
        log_output=log_output,
        progress_save_seconds=request.progress_save_seconds,
        report_mode=request.report_mode,
    )


def _write_html(notebook_path: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(notebook_path))
    notebook_path.with_suffix(".html").write_text(body, encoding="utf-8")


def _keep_artifacts(run_id: int, source: Path, target: Path) -> None:
    """Move the files the notebook left in its kernel's artifacts directory beside its
    outputs (``nbtools.artifacts`` records them when the run ends). Hidden files (a save in
    progress) and subdirectories stay behind; a file that cannot be moved is logged."""
    import shutil

    for path in sorted(source.iterdir()) if source.is_dir() else ():
        if path.name.startswith(".") or not path.is_file() or path.is_symlink():
            continue
        try:
            target.mkdir(exist_ok=True)
            shutil.move(path, target / path.name)
        except OSError as exc:
            log.warning("nbtools: run %s: cannot keep artifact %s: %s", run_id, path.name, exc)


def _finish(store: Store, run_id: int, worker: str, lease_seconds: float, **fields: Any) -> None:
    """Record the end of a run, retrying while the database is briefly unreachable.

    Past the lease the reaper ends the run anyway (and retries it), so trying longer is moot:
    then :class:`RunNotRecordedError` says so in one line. It is raised only once a whole
    lease has passed since the last heartbeat could have been written, so a reader that finds
    the store back at that moment already sees the lease expired.
    """
    deadline = time.monotonic() + lease_seconds
    delay = 0.5
    while True:
        try:
            runs.finish(store, run_id, worker, **fields)
            return
        except (SQLAlchemyError, OSError) as exc:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunNotRecordedError(
                    f"Run {run_id} ended {fields['status']}, but the store could not record "
                    f"it ({store_failure(exc)}); the run is ended as lost once its lease "
                    "expires and the store is writable again.",
                    run=run_id,
                    status=fields["status"],
                ) from None
            log.warning(
                "nbtools: cannot record the end of run %s yet (%s); retrying",
                run_id,
                store_failure(exc),
            )
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 5.0)


def notebook_bytes(project: Project, run: Run) -> bytes:
    """The notebook a run executes: its pinned version, or the file as it is now."""
    if run.pinned_version_id is not None:
        from nbtools.jobs.pinned import version_content

        return version_content(project, run.pinned_version_id)
    try:
        return read_regular(project.resolve(run.notebook_path), run.notebook_path)
    except FileNotFoundError:
        raise NotFoundError(f"Notebook not found: {run.notebook_path}.") from None
    except OSError as exc:
        raise NbtoolsError(f"Cannot read {run.notebook_path}: {exc.strerror}.") from None


def _read_input(
    project: Project, run: Run, request: RunRequest, remote: str | None
) -> tuple[bytes, Path]:
    """The notebook's bytes (from shared storage when given) and the kernel's directory (the
    request's, else the notebook's folder); ``remote`` names the Dask worker reading it, for
    the error when it is not there."""
    path = project.root / run.notebook_path
    if request.input_url:
        cwd = path.parent if path.parent.is_dir() else Path.cwd()
        return storage.read_bytes(request.input_url), Path(request.cwd or cwd)
    try:
        raw = notebook_bytes(project, run)
        return raw, Path(request.cwd) if request.cwd else _kernel_dir(project, run)
    except NotFoundError:
        if remote is None:
            raise
        raise NotFoundError(
            f"Notebook not found on the Dask worker {remote}: {run.notebook_path} (under "
            f"{project.root}). A worker reads it there unless the runs use shared storage: "
            "mount the project root at the same path on every worker, or set the storage "
            "(JobsSettings.storage, docs/operations.md).",
            path=run.notebook_path,
            worker=remote,
        ) from None


def _kernel_dir(project: Project, run: Run) -> Path:
    """The notebook's folder; for a run of a pinned version whose folder is gone (deleted,
    moved or renamed since), the project root, as the log says."""
    folder = project.resolve(run.notebook_path).parent
    if run.pinned_version_id is None or folder.is_dir():
        return folder
    log.warning(
        "nbtools: run %s: the folder of %s is gone; the pinned version runs in the project root %s",
        run.id,
        run.notebook_path,
        project.root,
    )
    return project.root


def execute_run(
    project: Project,
    request: RunRequest,
    kernels: KernelSource,
    *,
    worker: str | None = None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
    interrupt: Interrupt | None = None,
    progress: runs.Progress | None = None,
    remote: str | None = None,
    log_output: bool = False,
) -> str | None:
    """Start and execute a run; returns its final status, or None if it was not ours to start.

    Outputs go to ``<store>/runs/<id>/``, or to the request's shared storage (written in a
    local scratch directory first when that storage is remote). ``interrupt`` cancels the
    run from outside (its kernel is killed, the run ends ``cancelled``). ``progress``, if
    given, is kept up to date as the cells run (for a progress bar in the same process).
    ``remote`` names the Dask worker executing the run, when one does (for its errors).
    ``log_output``: papermill logs the notebook's outputs as they arrive (``nbtools run
    --log-output`` shows its log).
    """
    worker = worker or worker_id()
    store, run_id, lease = project.store, request.run_id, request.lease_seconds
    run = runs.claim(
        store,
        run_id,
        worker,
        token=request.token,
        lease_seconds=lease,
        metric_max_bytes=request.metric_max_bytes,
    )
    if run is None:
        return None
    shared = storage.Storage(request.storage) if request.storage else None
    progress = runs.Progress() if progress is None else progress
    watchdog = Watchdog(store, run, worker, progress, heartbeat_seconds, lease, interrupt)
    watchdog.start()
    kernel: Kernel | None = None
    with contextlib.ExitStack() as scratch:
        try:
            if shared is None:
                out_dir = run_files.run_dir(project, run_id)
            elif shared.local is not None:
                out_dir = Path(shared.run_dir(run_id))
            else:
                temporary = tempfile.TemporaryDirectory(prefix="nbtools-")
                out_dir = Path(scratch.enter_context(temporary))
            out_dir.mkdir(parents=True, exist_ok=True)
            kept = None if shared is not None and shared.local is None else str(out_dir)
            ended, kernel = _execute(
                project, run, request, kernels, worker, watchdog, out_dir, kept, remote, log_output
            )
        finally:
            watchdog.stop()
        try:
            location = str(out_dir)
            outputs = run_files.written_outputs(out_dir, run.notebook_path)
            if shared is not None and shared.local is None:
                location = shared.upload(out_dir, run_id)
            _finish(store, run_id, worker, lease, output_dir=location, outputs=outputs, **ended)
        finally:
            if kernel is not None:
                # The next run's kernel boots once this run's end is recorded: starting it
                # (its manager, the zygote's fork, the client's sockets) took ≈ 25 ms that
                # every run's result waited for; the next run waits for it only when one is
                # already queued, and the kernel boots in its own process either way. Before
                # the used kernel retires, and not while a run executes: one more kernel
                # then would cost a kernel's memory per worker during a burst
                # (docs/performance.md). A run stopped from outside (a signal to this
                # process, its scheduler gone) has no next run: no kernel boots then.
                if interrupt is None or not interrupt.requested():
                    kernels.warm()
                # A run that did not succeed may have left a cell (and its children)
                # running: its kernel is stopped before the run's command returns; one that
                # timed out is still executing its cell (or was killed): killed, not asked.
                kernels.retire(
                    kernel,
                    wait=True if ended["status"] != SUCCEEDED else None,
                    busy=ended["status"] == TIMED_OUT,
                )
    return str(ended["status"])


def _unless_interrupted(watchdog: Watchdog) -> None:
    """Raise :class:`RunInterruptedError` if the run's interrupt came (while it was queued,
    prepared): then nothing is prepared nor imported for it, and no kernel waited for."""
    if watchdog.interrupt is not None and watchdog.interrupt.requested():
        raise RunInterruptedError(watchdog.interrupt.reason)


def _execute(
    project: Project,
    run: Run,
    request: RunRequest,
    kernels: KernelSource,
    worker: str,
    watchdog: Watchdog,
    out_dir: Path,
    kept: str | None,
    remote: str | None,
    log_output: bool,
) -> tuple[dict[str, Any], Kernel | None]:
    """Execute the notebook into ``out_dir`` (``kept``: its location as the run records it,
    None when it is a scratch directory): the run's final columns and the used kernel."""
    progress = watchdog.progress
    prepared: Prepared | None = None
    kernel: Kernel | None = None
    lineage: RunStartedInBackground | None = None
    output = out_dir / f"{Path(run.notebook_path).stem}.ipynb"
    said_from = 0  # the size of the kernel's own output as the run starts

    def kernel_said() -> str | None:
        return None if kernel is None else last_line(kernel.km.connection_file, said_from)

    try:
        _unless_interrupted(watchdog)
        raw, cwd = _read_input(project, run, request, remote)
        prepared = prepare(project, run, worker, raw, cwd, kept)
        progress.cells_total = prepared.cells
        events.run_requested(
            events.RunRequested(
                project,
                run.notebook_path,
                run.purpose,
                content=prepared.start.content,
                during="run.start",
            )
        )
        lineage = RunStartedInBackground(prepared.start)
        _unless_interrupted(watchdog)
        register_engine()  # imports papermill while the kernel boots (nbtools run), not after
        kernel = kernels.take(
            prepared.kernel_name,
            prepared.cwd,
            attach=watchdog.attach,
            timeout=request.kernel_start_timeout,
        )
        kernel.set_variables(
            {
                # the store of this run's scheduler, however it was set (--db-url, a config
                # file): nbtools.artifacts and nbtools.data in the notebook read it
                **project.environment(),
                PURPOSE_VARIABLE: run.purpose,
                DATA_USES_VARIABLE: str(out_dir / DATA_USES_FILE),
                RUN_ID_VARIABLE: str(run.id),
                MAX_BYTES_ENV: str(request.metric_max_bytes),
            }
        )
        watchdog.executing()
        said_from = output_size(kernel.km.connection_file)  # what it says from here is the run's
        _papermill(
            prepared,
            output,
            kernel,
            progress,
            run.cell_timeout_seconds,
            log_output,
            request,
        )
        error: BaseException | None = None
    except Exception as exc:  # classified into the outcome below; fails this run only
        error = exc
        if kernel is None:
            prepared = None  # failed before executing: no cells were run
    watchdog.stop()
    try:
        outcome = classify(prepared, run, error, watchdog, progress, kernel_said)
        if prepared is not None and prepared.started is not None and stopped_in_cell(error):
            from nbtools.jobs.stopped import mark_stopped  # only a stopped run needs it

            mark_stopped(
                output,
                prepared.started,
                outcome.error["error_name"],
                outcome.error["error_message"],
            )
        if run.output_html and output.is_file():
            _write_html(output)
        if kernel is not None:
            _keep_artifacts(run.id, kernel.artifacts_dir, out_dir / storage.ARTIFACTS)
        ended = {
            "status": outcome.status,
            "cells_done": progress.cells_done,
            "current_cell": progress.current_cell,
            **outcome.error,
            **(lineage.result() if lineage is not None else {}),
        }
    except BaseException:  # the caller never gets the kernel: stop it here
        if kernel is not None:
            kernels.retire(kernel, wait=True)
        raise
    return ended, kernel
