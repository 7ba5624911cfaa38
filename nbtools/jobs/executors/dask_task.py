"""What runs on a Dask worker: one run, executed like the local executor's workers do.

Each worker thread keeps its own kernel source (a kernel pre-started after every run), and
each worker process one project per store; both live as long as the worker process.

The kernel calls of a run (jupyter_client's, nbclient's) run on an asyncio event loop that
jupyter_core keeps per context; Dask runs every task in a new context, so each task gets a loop
of its own, which the task closes as it ends (:func:`_close_task_loop`): left open, every run
held its loop's selector and wake-up pipe (three file descriptors) for the worker's life.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from pathlib import Path

from nbtools.jobs.executors.base import KERNEL_START_SETTING, RunRequest
from nbtools.kernels import KernelSource
from nbtools.project import Project

_local = threading.local()
_projects: dict[tuple[str, str, str], Project] = {}
_sources: list[KernelSource] = []
_lock = threading.Lock()


def _project(request: RunRequest) -> Project:
    key = (request.root, request.store_dir, request.db_url)
    with _lock:
        if key not in _projects:
            _projects[key] = Project(Path(request.root), Path(request.store_dir), request.db_url)
        return _projects[key]


def _kernels() -> KernelSource:
    source: KernelSource | None = getattr(_local, "kernels", None)
    if source is None:
        source = _local.kernels = KernelSource(prestart=True, timeout_setting=KERNEL_START_SETTING)
        with _lock:
            _sources.append(source)
    return source


@atexit.register
def _close() -> None:
    for source in _sources:
        source.close()
    for project in _projects.values():
        project.close()


def run_on_worker(request: RunRequest) -> str | None:
    """Start and execute the run (Dask task); its final status, or None if not ours."""
    from distributed import get_worker

    from nbtools.jobs.runner import execute_run, worker_id

    project, worker = _project(request), worker_id()
    remote = f"{get_worker().address} ({worker})"
    try:
        status = execute_run(project, request, _kernels(), worker=worker, remote=remote)
    finally:
        _close_task_loop()
    if status is None:
        return _end_lost_attempt(project, request, worker)
    return status


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def _close_task_loop() -> None:
    """Close the event loop this task's kernel calls ran on, as ``asyncio.run`` closes its
    own: what is still pending on it cancelled, its async generators finalized. The kernel
    pre-started for the next run has no task or reader on it (started, not yet awaited)."""
    from jupyter_core.utils import run_sync

    loop = run_sync(_running_loop)()
    try:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:  # (an empty gather would look for a loop of its own)
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _end_lost_attempt(project: Project, request: RunRequest, worker: str) -> str | None:
    """Dask runs a task again when the worker executing it was lost: if this very claim's
    run is still marked running on another worker, that worker is gone — end the attempt as
    lost (the job's retry policy queues the next one)."""
    from nbtools.jobs.reaper import end_run_of_dead_worker
    from nbtools.jobs.runs import get_run
    from nbtools.jobs.tables import RUNNING

    if request.token is None:
        return None
    with project.store.session() as session:
        run = get_run(session, request.run_id)
    if run.status != RUNNING or run.lease_owner != request.token or run.worker == worker:
        return None
    reason = (
        f"The Dask worker executing this run ({run.worker}) was lost mid-run; "
        f"Dask handed the task to {worker}."
    )
    if end_run_of_dead_worker(project.store, run.id, request.token, reason):
        return "failed"
    return None
