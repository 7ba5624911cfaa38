"""Killing what a run started: a process, its descendants and their process groups; running
a Python tool (pytest, pip) so that nothing it started outlives the command that started it,
and, unless told where, in a new empty directory; starting nbtools' own processes so that
they import nothing from the directory they start in;
giving a long-lived process's freed memory back to the system; ending this process without
tearing the interpreter down; handling signals for a while (:func:`signal_handlers`).

Kernels run in sessions of their own (jupyter_client starts them with ``setsid``), so a
kernel's process group holds the kernel and whatever the notebook started. A child whose
kernel already died (SIGKILL, the OOM killer) is no longer anyone's descendant, but it is
still in the group: killing the group as well as the tree leaves nothing behind.
"""

from __future__ import annotations

import _signal  # signal's numbers without its enums, which nbtools extract would build
import contextlib
import errno
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import subprocess
    from types import FrameType

#: The program of nbtools' own processes (a scheduler's worker, the kernel zygote, the
#: background lineage recorder, a service preview), ``python -c OWN_MODULE MODULE ARGS...``: it
#: runs MODULE as ``python -m`` does, except that the directory it was started in is not on
#: ``sys.path``. ``-m`` (and ``-c``) put that directory first, so a ``json.py`` someone wrote
#: into a project root the server was started in would be imported in place of the standard
#: library's: code run by a user allowed to write files but not to run code. Python's own
#: ``-P`` does the same from 3.11 on only. The program runs before anything is imported from
#: that entry (``sys`` is built in); it leaves ``PYTHONPATH`` and the user's site-packages on
#: the path.
OWN_MODULE = """\
import sys
if not getattr(sys.flags, "safe_path", False):
    del sys.path[0]
import runpy
runpy.run_module(sys.argv.pop(1), run_name="__main__", alter_sys=True)
"""


def own_module_command(module: str, *args: str) -> list[str]:
    """The command line running ``python -m module args`` in this interpreter without the
    working directory on ``sys.path`` (:data:`OWN_MODULE`): how nbtools starts a process of
    its own modules."""
    return [sys.executable, "-c", OWN_MODULE, module, *args]


#: The program of a watched child, ``python -c WATCHED GRACE MODULE ARGS...``: it runs MODULE
#: as ``python -m`` does, and kills its own process group (itself and everything it started)
#: GRACE seconds after it finds the process that started it gone (it looks twice a second),
#: even killed by SIGKILL.
WATCHED = """\
import os, runpy, signal, sys, threading, time
parent = os.getppid()
def watch(grace):
    while os.getppid() == parent:
        time.sleep(0.5)
    time.sleep(grace)
    os.killpg(0, signal.SIGKILL)
grace, module, sys.argv = float(sys.argv[1]), sys.argv[2], sys.argv[2:]
threading.Thread(target=watch, args=(grace,), name="nbtools-parent-watch", daemon=True).start()
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def watched_command(command: Sequence[str], *, grace: float = 0.0) -> list[str]:
    """``command``, ``[python, *options, "-m", module, *args]``, as a watched child's
    (:data:`WATCHED`): started in a session of its own, it kills that session's process group
    ``grace`` seconds after the process that started it is gone. ``ValueError`` for a command
    that runs no Python module."""
    at = list(command).index("-m", 1) if "-m" in command[1:-1] else None
    if at is None:
        raise ValueError(f"not a 'python -m' command: {list(command)}")
    return [*command[:at], "-c", WATCHED, f"{grace:g}", *command[at + 1 :]]


#: The program of a supervised command, ``python -I -S -c SUPERVISED GRACE COMMAND...``, for a
#: command that runs no Python module (a wrapper script, another language's kernel): it runs
#: COMMAND as its child, in its own process group, ends as COMMAND ends (with its exit code,
#: or killed by the signal that killed it), and kills that group GRACE seconds after it finds
#: the process that started it gone, as :data:`WATCHED` does. It ignores SIGINT and SIGTERM,
#: which reach COMMAND through the group (how jupyter_client interrupts and stops a kernel).
SUPERVISED = """\
import os, signal, sys, threading, time
parent = os.getppid()
grace, command = float(sys.argv[1]), sys.argv[2:]
kept = [(number, signal.getsignal(number)) for number in (signal.SIGINT, signal.SIGTERM)]
for number, _ in kept:
    signal.signal(number, signal.SIG_IGN)
child = os.fork()
if child == 0:
    for number, handler in kept:
        signal.signal(number, signal.SIG_IGN if handler == signal.SIG_IGN else signal.SIG_DFL)
    try:
        os.execvp(command[0], command)
    except OSError as error:
        os.write(2, (command[0] + ": " + str(error.strerror) + "\\n").encode())
    os._exit(127)
def watch(grace):
    while os.getppid() == parent:
        time.sleep(0.5)
    time.sleep(grace)
    os.killpg(0, signal.SIGKILL)
threading.Thread(target=watch, args=(grace,), name="nbtools-parent-watch", daemon=True).start()
status = os.waitpid(child, 0)[1]
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def supervised_command(command: Sequence[str], *, grace: float = 0.0) -> list[str]:
    """``command``, any program, as a supervised child's (:data:`SUPERVISED`, run by this
    interpreter): started in a session of its own, its process group is killed ``grace``
    seconds after the process that started it is gone. A ``python -m`` command is cheaper
    watched by its own interpreter (:func:`watched_command`)."""
    return [sys.executable, "-I", "-S", "-c", SUPERVISED, f"{grace:g}", *command]


#: What to do about a worker, or a kernel of a worker, that cannot be started for want of a
#: resource (file descriptors, processes, memory).
START_ADVICE = (
    "Start fewer workers (JobsSettings.workers) or raise the system limit it hit (ulimit)."
)
#: The errors (``errno``) of a resource the system limits: out of file descriptors (the
#: process's, the system's), of processes or threads, of memory.
LIMIT_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.EAGAIN, errno.ENOMEM})
#: Seconds a watched tool stopped early (:func:`run_watched`) has, from its Ctrl-C, to remove
#: its temporary files (pip's ``pip-build-env-*``, ``pip-unpack-*``) before it is killed.
CLEAN_UP_SECONDS = 2.0


def run_watched(
    command: Sequence[str], *, timeout: float | None = None, **options: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``[python, "-m", module, *args]`` to its end, its output captured as text: in a
    session of its own, watching this process (:func:`watched_command`), so that it goes, with
    all it started, when this process dies; and stopped with all it started if this call ends
    by an exception (a timeout, Ctrl-C, a signal turned into ``SystemExit``), which then goes
    on. Stopped as Ctrl-C stops a tool: its process group gets SIGINT, and what is left of it
    after :data:`CLEAN_UP_SECONDS` (or at once, when a second stop cuts the wait short)
    SIGKILL; pip and pytest unwind on SIGINT, removing their temporary files.

    Without a ``cwd`` among ``options``, the tool starts in a new empty directory of its own
    (mode 0700, removed when it ends), never in this process's: ``-c``/``-m`` put the working
    directory first on ``sys.path``, and a server's (often the project root) may hold a
    ``venv.py`` or ``threading.py`` a user allowed only to write files saved there. So give it
    absolute paths."""
    import subprocess
    import tempfile

    with contextlib.ExitStack() as stack:  # the process reaped before its directory goes
        if options.get("cwd") is None:
            options["cwd"] = stack.enter_context(tempfile.TemporaryDirectory(prefix="nbtools-"))
        process = stack.enter_context(  # its pipes closed and the process reaped on the way out
            subprocess.Popen(
                watched_command(command),
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                encoding="utf-8",
                errors="replace",  # a tool's output in another locale's encoding
                **options,
            )
        )
        with _watched_lock:
            _watched.add(process)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            _stop_watched(process)
            raise
        finally:
            with _watched_lock:
                _watched.discard(process)
    return subprocess.CompletedProcess(list(command), process.returncode, stdout, stderr)


#: The tools :func:`run_watched` runs now, in any thread of this process.
_watched: set[subprocess.Popen[str]] = set()
_watched_lock = threading.Lock()


def stop_watched() -> None:
    """Stop every tool :func:`run_watched` runs now in this process (and all it started), as
    Ctrl-C stops one: what a server does as it stops, so that its worker threads, which wait
    for them (a recreate's pip), end instead of holding the server up until pip is done (a
    supervisor's SIGKILL would then leave a half-made venv). Each of those calls then returns
    the tool's exit, which its caller reports as the failure it is."""
    with _watched_lock:
        running = list(_watched)
    for process in running:
        _stop_watched(process)


def _stop_watched(process: subprocess.Popen[str]) -> None:
    """SIGINT to ``process``'s group; what is left of it after :data:`CLEAN_UP_SECONDS` (or
    at once, when a second stop cuts the wait short), SIGKILL; ``process`` is reaped before
    this returns (on Ctrl-C, ``subprocess`` itself waits for a child a quarter of a second
    only: one killed later was left a zombie, there when the command had exited)."""
    import subprocess

    try:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, _signal.SIGINT)
            process.wait(timeout=CLEAN_UP_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    finally:  # also when a second stop interrupts the wait
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, _signal.SIGKILL)
        process.wait()


def kill_tree(pid: int | None, groups: Iterable[int] = ()) -> None:
    """SIGKILL ``pid``, every process it started, and every process of ``groups``.

    Waits (up to 2 s) until every process found is gone, or a zombie its parent has still to
    reap, so the caller can rely on it: this process reaps its own children among them, and
    never waits for another parent's reaping. A supervised kernel's own process, killed with
    its supervisor (this process's child), is orphaned to init, which may look only seconds
    later (≈ 2 s in some VMs and containers): the kill does not wait for that.
    """
    import psutil

    tree: list[psutil.Process] = []
    if pid is not None:
        with contextlib.suppress(psutil.NoSuchProcess):
            root = psutil.Process(pid)
            tree = [*root.children(recursive=True), root]
    ours = [process for process in tree if _parent(process) == os.getpid()]
    killed = {group for group in groups if group > 1 and group != os.getpgrp()}
    members = [process for process in _members(killed) if process not in tree]
    for group in killed:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, _signal.SIGKILL)
    for process in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(ours, timeout=2)
    _wait_ended([process for process in tree if process not in ours] + members, timeout=2.0)


def _parent(process: Any) -> int | None:
    """The pid of the parent of a :class:`psutil.Process` (None: it is gone)."""
    import psutil

    try:
        return int(process.ppid())
    except psutil.Error:
        return None


def _members(groups: set[int]) -> list[Any]:
    """The processes of ``groups`` (a child whose kernel died is no one's descendant)."""
    import psutil

    if not groups:
        return []
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(OSError):
            if os.getpgid(process.pid) in groups:
                found.append(process)
    return found


def alive(process: Any) -> bool:
    """Whether a :class:`psutil.Process` still runs: not gone, not a zombie."""
    import psutil

    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _wait_ended(processes: list[Any], *, timeout: float) -> None:
    """Wait until every process is gone or a zombie (reaping none: its parent does that)."""
    deadline = time.monotonic() + timeout
    waiting = [process for process in processes if alive(process)]
    while waiting and time.monotonic() < deadline:
        time.sleep(0.005)
        waiting = [process for process in waiting if alive(process)]


def release_free_memory() -> None:
    """Give the C allocator's free memory back to the system (glibc's ``malloc_trim``).

    Python frees the objects a warm-up created (imports, a compiled validator), but glibc
    keeps the freed pages mapped, so a long-lived worker or zygote would go on counting them
    (≈ 7 MiB after a worker's warm-up). Elsewhere than glibc this does nothing.
    """
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return
    trim(0)


@contextlib.contextmanager
def signal_handlers(
    handlers: Mapping[int, Callable[[int, FrameType | None], Any]],
) -> Iterator[None]:
    """While the block runs, each signal of ``handlers`` goes to its handler (``nbtools run``
    cancelling its run, ``nbtools serve`` stopping gracefully); the handlers the signals had
    before come back afterwards, whatever the block raised."""
    previous = {number: _signal.signal(number, handler) for number, handler in handlers.items()}
    try:
        yield
    finally:
        for number, handler in previous.items():
            _signal.signal(number, handler)
