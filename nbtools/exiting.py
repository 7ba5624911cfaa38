"""Ending a process at once, its output flushed and its exit handlers run.

Kept apart from :mod:`nbtools.processes`, which imports ``signal`` (its enums cost ≈ 0.4 ms):
every command's console script ends through :func:`exit_now`, ``nbtools --help`` included.
"""

from __future__ import annotations

import os
import sys


def exit_now(code: int | str | None, *, wait_for_threads: bool = True) -> None:
    """End the process with ``code`` without tearing the interpreter down.

    A command that ran a notebook has imported SQLAlchemy, jupyter_client, nbformat and
    papermill; freeing every module and object at exit costs a tenth of a second or more that
    nobody waits for usefully. Output is flushed and the exit handlers run (logging, temporary
    files, executors); then the process ends. While a thread that is not a daemon still runs
    (nothing of ours leaves one, but a plugin might), this returns and the caller exits the
    usual way, which waits for it; unless not ``wait_for_threads``: threads that cannot be
    joined (a served call past its time limit runs until its function returns, maybe never)
    are left to end with the process.
    """
    import atexit
    import contextlib
    import threading

    main_thread = threading.main_thread()
    running = (t for t in threading.enumerate() if not t.daemon and t is not main_thread)
    if wait_for_threads and any(running):
        return
    status = code if isinstance(code, int) else (0 if code is None else 1)
    if isinstance(code, str):
        print(code, file=sys.stderr)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe takes nothing more
            stream.flush()
    os._exit(status)
