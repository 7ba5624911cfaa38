"""Commands stopped at a known point of their work: killed there, or held there for another
command to run meanwhile, in tests of processes killed half-way and of two at once.

The command runs in its own process (``nbtools …`` as the console script runs it, or one of
nbtools' own modules as nbtools starts it: :func:`start_module`) with an
audit hook (:func:`sys.addaudithook`) watching the events Python raises for its file
operations: ``open`` (a file opened, before it is), ``os.rename`` (a rename or a replacement,
before it is made), ``os.remove`` (a file removed). At the ``nth`` such event whose path
contains ``fragment``, the process kills itself with SIGKILL (``fifo`` None) or waits reading
the named pipe ``fifo`` (:func:`tests.conftest.opened_for_writing` finds it there; it goes on
once the pipe is closed). The hook only watches: the code under test runs as it is.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

#: SIGKILL's exit status, as ``subprocess`` reports it.
KILLED = -signal.SIGKILL

_HOOK = """\
import os, signal, sys
def _stop(event, args, seen=[0]):
    if event != {event!r} or seen[0] >= {nth} or {fragment!r} not in str(args[:1]):
        return
    seen[0] += 1
    if seen[0] < {nth}:
        return
    fifo = {fifo!r}
    if fifo is None:
        os.kill(os.getpid(), signal.SIGKILL)
    with open(fifo) as pipe:
        pipe.read()
sys.addaudithook(_stop)
"""


class Stop(NamedTuple):
    """Where a command stops: the ``nth`` ``event`` on a path containing ``fragment``."""

    event: str
    fragment: str
    nth: int = 1
    fifo: Path | None = None


def command(root: Path, *args: str, stop: Stop | None = None) -> list[str]:
    """``nbtools --root ROOT ARGS…`` as a new process's command line, stopping at ``stop``."""
    hook = "" if stop is None else _HOOK.format(**{**stop._asdict(), "fifo": _text(stop.fifo)})
    argv = ["nbtools", "--root", str(root), *args]
    code = f"{hook}from nbtools.cli.main import main\nsys.argv = {argv!r}\nmain()\n"
    return [sys.executable, "-c", f"import sys\n{code}"]


def start_module(
    root: Path, module: str, env: Mapping[str, str], stop: Stop
) -> subprocess.Popen[bytes]:
    """Start ``python -m MODULE`` in ``root``, ``env`` added to its environment, to be held
    at ``stop`` (its ``fifo``): a process nbtools starts of its own modules (the recording of
    a package's lineage) held as a command is."""
    hook = _HOOK.format(**{**stop._asdict(), "fifo": _text(stop.fifo)})
    code = (
        f"{hook}import runpy\nrunpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=root,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def run(
    root: Path, *args: str, stop: Stop | None = None, file_size: int | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``nbtools ARGS…`` in ``root`` to its end (or its kill at ``stop``); with
    ``file_size``, no file it writes may grow beyond that many bytes (a full disk: the write
    fails with EFBIG, Python ignoring SIGXFSZ)."""
    return subprocess.run(
        command(root, *args, stop=stop),
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
        preexec_fn=None if file_size is None else _limited(file_size),
    )


def start(root: Path, *args: str, stop: Stop) -> subprocess.Popen[bytes]:
    """Start ``nbtools ARGS…`` in ``root``, to be held at ``stop`` (its ``fifo``)."""
    return subprocess.Popen(
        command(root, *args, stop=stop),
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def fifo(path: Path) -> Path:
    """A new named pipe at ``path``."""
    os.mkfifo(path)
    return path


def _limited(size: int) -> Any:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit
