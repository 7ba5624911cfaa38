"""A warm worker process of the local executor.

It pays the imports (papermill, nbclient, nbformat; less what a run never uses:
:func:`nbtools.unused_imports.lighten_worker_imports`) once, keeps a kernel pre-started, and
executes one run at a time from JSON lines on stdin, answering JSON lines on its original
stdout (its own prints and its kernels' output go to stderr).

    python -m nbtools.jobs.executors.worker --kernel python3 --cwd ROOT [--zygote-fd FD]
        [--owner PID]

(started by :func:`nbtools.processes.own_module_command`: the directory it starts in is not on
``sys.path``; its kernels run in the run's directory).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from nbtools.errors import StoreError
from nbtools.jobs.executors.base import KERNEL_START_SETTING, RunRequest
from nbtools.processes import release_free_memory
from nbtools.project import Project
from nbtools.unused_imports import lighten_worker_imports

#: Seconds between two looks at whether the scheduler that started this worker is still there.
OWNER_CHECK_SECONDS = 0.5


def _channel() -> int:
    """The message channel (the original stdout, unbuffered: a message the scheduler can no
    longer read is never left to flush at exit); fd 1 then points at stderr."""
    channel = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def _send(channel: int, **message: Any) -> bool:
    """Send one message; False when the scheduler is gone (it closed the pipe as it died)."""
    data = (json.dumps(message) + "\n").encode()
    try:
        while data:
            data = data[os.write(channel, data) :]
    except BrokenPipeError:
        return False
    return True


def _leave_with(owner: int, busy: threading.Lock) -> None:
    """(A thread) End this worker, silently, once ``owner``, the scheduler that started it,
    is no longer its parent (killed or crashed: it can no longer stop the worker), unless a
    run executes (``busy`` held): that run ends as lost first (``OwnerGone``). A worker
    still warming up (imports, a kernel pre-starting) would otherwise go on for minutes on a
    loaded machine; its kernel, watched, goes after it (:mod:`nbtools.provisioner`)."""
    while os.getppid() == owner:
        time.sleep(OWNER_CHECK_SECONDS)
    with busy:
        os._exit(0)


def serve(
    kernel: str, cwd: Path, prestart: bool, zygote_fd: int | None = None, owner: int | None = None
) -> None:
    """Warm up, then execute requests until stdin closes or the scheduler is gone.

    ``owner`` is the scheduler's pid (default: the parent's; given, a scheduler that died
    before this process looked is seen gone): its runs are lost if it is killed (OwnerGone).
    """
    owner = owner or os.getppid()
    busy = threading.Lock()
    threading.Thread(
        target=_leave_with, args=(owner, busy), name="nbtools-owner-watch", daemon=True
    ).start()
    channel = _channel()
    # papermill validates the output notebook on every save (~14 times a run); the compiled
    # validator is several times faster than jsonschema's.
    os.environ.setdefault("NBFORMAT_VALIDATOR", "fastjsonschema")
    lighten_worker_imports()
    import nbclient  # noqa: F401 - warm the imports once, off every run's path
    import nbformat
    import papermill  # noqa: F401

    from nbtools.jobs.engine import register_engine
    from nbtools.jobs.runner import execute_run
    from nbtools.jobs.watchdog import OwnerGone
    from nbtools.kernels import Kernel, KernelSource, kernel_group

    def report(kernel: Kernel) -> None:
        group = kernel_group(kernel.km)
        if group is not None:
            _send(channel, event="kernel", group=group)

    register_engine()
    nbformat.validate(nbformat.v4.new_notebook())  # compile the validator now
    release_free_memory()  # what the warm-up freed (≈ 7 MiB)
    from nbtools.zygote_link import ZygoteLink

    kernels = KernelSource(
        prestart=prestart,
        on_start=report,
        wait_for_exit=False,
        zygote=None if zygote_fd is None else ZygoteLink(zygote_fd),
        timeout_setting=KERNEL_START_SETTING,
    )
    kernels.warm(kernel, cwd)
    owner_gone = OwnerGone(owner)
    projects: dict[tuple[str, str, str], Project] = {}
    try:
        while True:
            line = sys.stdin.readline()
            if not line:
                return
            request = RunRequest(**json.loads(line))
            key = (request.root, request.store_dir, request.db_url)
            if key not in projects:
                projects[key] = Project(Path(request.root), Path(request.store_dir), request.db_url)
            with busy:
                status = execute_run(projects[key], request, kernels, interrupt=owner_gone)
            if not _send(channel, event="done", run_id=request.run_id, status=status):
                return  # the scheduler is gone: the run ended as lost (OwnerGone)
            kernels.warm()  # after a run that failed before taking a kernel
    finally:
        kernels.close()
        for project in projects.values():
            project.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kernel", default="python3", help="Kernel to keep pre-started.")
    parser.add_argument("--cwd", default=".", help="Directory of the pre-started kernel.")
    parser.add_argument("--no-prestart", action="store_true", help="Start kernels on demand.")
    parser.add_argument(
        "--zygote-fd",
        type=int,
        help="Socket to the executor's kernel zygote; without it every kernel is a new interpreter.",
    )
    parser.add_argument("--owner", type=int, help="The scheduler's pid (default: the parent's).")
    args = parser.parse_args()
    try:
        serve(
            args.kernel, Path(args.cwd).resolve(), not args.no_prestart, args.zygote_fd, args.owner
        )
    except StoreError as error:  # a run's end not recorded: one line, as `nbtools run` says it
        sys.exit(f"nbtools worker {os.getpid()}: {error.message}")


if __name__ == "__main__":
    main()
