"""A warm worker process of the local executor.

It pays the imports (papermill, nbclient, nbformat; less what a run never uses:
:func:`nbtools.unused_imports.lighten_worker_imports`) once, keeps a kernel pre-started, and
executes one run at a time from JSON lines on stdin, answering JSON lines on its original
stdout (its own prints and its kernels' output go to stderr).

    python -m nbtools.jobs.executors.worker --kernel python3 --cwd ROOT [--zygote-fd FD]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import IO, Any

from nbtools.errors import StoreError
from nbtools.jobs.executors.base import RunRequest
from nbtools.processes import release_free_memory
from nbtools.project import Project
from nbtools.unused_imports import lighten_worker_imports


def _channel() -> IO[str]:
    """The message channel (the original stdout); fd 1 then points at stderr."""
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def _send(channel: IO[str], **message: Any) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def serve(kernel: str, cwd: Path, prestart: bool, zygote_fd: int | None = None) -> None:
    """Warm up, then execute requests until stdin closes."""
    owner = os.getppid()  # the scheduler: its runs are lost if it is killed (OwnerGone)
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
            status = execute_run(projects[key], request, kernels, interrupt=owner_gone)
            _send(channel, event="done", run_id=request.run_id, status=status)
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
    args = parser.parse_args()
    try:
        serve(args.kernel, Path(args.cwd).resolve(), not args.no_prestart, args.zygote_fd)
    except StoreError as error:  # a run's end not recorded: one line, as `nbtools run` says it
        sys.exit(f"nbtools worker {os.getpid()}: {error.message}")


if __name__ == "__main__":
    main()
