"""The kernel zygote process: ``python -m nbtools.zygote_process`` (without the directory it
starts in on ``sys.path``: :func:`nbtools.processes.own_module_command`), started by
:class:`nbtools.zygote.Zygote` (the worker's side, which decides when one is needed).

It imports what a kernel imports (:data:`PRELOAD`) once, then forks a kernel per request read
on its stdin. Each fork leads its own session, enters the run's directory and environment,
writes its standard output and error to the file it is given (the kernel's own, never the
worker's: :data:`nbtools.kernel_files.OUTPUT_FILE`) and runs ``ipykernel_launcher`` exactly as
``python -m ipykernel_launcher -f FILE`` would, with nothing of nbtools loaded. The process
exits when its stdin ends (its owner is gone), killing what it forked, or, once retired, after
its last kernel has exited; it ignores SIGINT and SIGTERM (a terminal's Ctrl-C, ``timeout`` or
systemd's stop reach it with its owner, which stops it).

Protocol (JSON lines): the owner writes ``{"argv", "env", "cwd", "output"}`` and reads
``{"pid"}`` or ``{"error"}``; ``{"exit": PID}`` reads ``{"code"}``, the exit code of a kernel
the zygote reaped (null if unknown, or still running); ``{"retire": true}`` lets the zygote
exit once its last kernel has.

A kernel is seen ended (``ps``, :mod:`psutil`: a zombie) as soon as its main thread has
exited, while its other threads (ipykernel's heartbeat, IOPub, control) may still be ending:
until they have, it cannot be reaped. Asked for the code of such a kernel, the zygote waits
for that end and reaps it (:func:`_exiting`), instead of answering null for a kernel its asker
saw end.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import signal
import sys
import time
from typing import IO, Any

from nbtools.processes import LIMIT_ERRORS, START_ADVICE, release_free_memory

#: The modules a kernel imports at start, imported once by the zygote (in this order).
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "IPython.core.oinspect",
    "IPython.core.logger",
    "IPython.utils.wildcard",
    "tornado.platform.asyncio",
    "faulthandler",
    "runpy",
)

#: Exit codes a zygote keeps for kernels nobody asked about (the oldest are forgotten).
KEPT_EXIT_CODES = 256


def serve() -> None:
    """Import what a kernel imports, then fork a kernel per request until stdin ends."""
    # Its owner ends it (by closing its stdin). A terminal's Ctrl-C reaches every process of
    # the foreground group, this one too, and `timeout` or systemd's stop sends SIGTERM to
    # every process of the scheduler: the owner stops on it, and stops this process. Ended by
    # SIGTERM itself, it left its kernels to notice it gone (ipykernel's watch of
    # $JPY_PARENT_PID, kept for a zygote killed), each writing "Parent appears to have exited"
    # into the scheduler's log.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # ipykernel reads its parent's pid at import: every kernel's parent is this process.
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    # debugpy, imported for ipykernel's debugger, warns at import that this interpreter's
    # standard library is frozen, a warning for someone stepping through it that lands in the
    # scheduler's log instead. Only this process's imports see the variable: the kernels get
    # their run's environment.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    before = dict(os.environ)
    # Memory shared with the kernels (copy-on-write) stays shared only while nobody writes
    # to it: no collection during the imports (it would leave holes that later allocations
    # fill), then every object imported is frozen out of the collector, whose passes would
    # otherwise write to each one's header in every kernel. Collection goes on for new objects.
    gc.disable()
    for name in PRELOAD:
        importlib.import_module(name)
    gc.freeze()
    gc.enable()
    release_free_memory()
    # Variables the imports set (debugpy's), set again in every kernel as its imports would.
    imported = {key: value for key, value in os.environ.items() if before.get(key) != value}
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # its own stray prints go to the worker's stderr (each kernel has its own)
    children: set[int] = set()
    codes: dict[int, int] = {}  # exit codes of reaped kernels, until asked for
    retiring = False

    def reaped(pid: int, status: int) -> None:
        if pid in children:
            children.discard(pid)
            codes[pid] = os.waitstatus_to_exitcode(status)
            if len(codes) > KEPT_EXIT_CODES:
                del codes[next(iter(codes))]

    def reap(*_: object) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            reaped(pid, status)
        if retiring and not children:
            os._exit(0)

    def exit_code(pid: int) -> int | None:
        """Kernel ``pid``'s exit code, once reaped; one whose main thread has exited is
        waited for (its other threads are ending), one still running is not."""
        reap()  # a kernel that has just ended may still wait for its SIGCHLD's handler
        if pid in children and _exiting(pid):
            # a handler run meanwhile (its signal came before the block) reaped it: recorded
            with contextlib.suppress(ChildProcessError):
                reaped(*os.waitpid(pid, 0))
        return codes.pop(pid, None)

    signal.signal(signal.SIGCHLD, reap)
    for line in sys.stdin.buffer:
        request = json.loads(line)
        if request.get("retire"):
            retiring = True
            reap()
            continue
        if "exit" in request:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
            try:
                code = exit_code(request["exit"])
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            replies.write(json.dumps({"code": code}).encode() + b"\n")
            continue
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        try:
            pid = _fork({**request, "env": {**request["env"], **imported}}, replies)
            children.add(pid)
            answer: dict[str, Any] = {"pid": pid}
        except OSError as error:
            answer = {"error": str(error)}
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        replies.write(json.dumps(answer).encode() + b"\n")
    # The worker is gone: so are its kernels. Each one killed (or exiting on its own) would
    # run the SIGCHLD handler, which changes ``children``, in the middle of the loop.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    for pid in list(children):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)


def _exiting(pid: int) -> bool:
    """Whether process ``pid``'s main thread has exited (its state a zombie's, ``Z``, or dead,
    ``X``): a kernel's does as the whole process ends (its interpreter's exit, ``os._exit``,
    a signal), which takes its other threads with it, so it is reapable once they are gone.
    False where ``/proc`` cannot tell (another system, or the process is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rpartition(b")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state in (b"Z", b"X")


def _fork(request: dict[str, Any], replies: IO[bytes]) -> int:
    """Fork a kernel; returns its pid once it leads its own session."""
    ready_read, ready_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_read)
        _become_kernel(request, ready_write, replies)
    os.close(ready_write)
    try:
        if os.read(ready_read, 1) != b"x":
            raise OSError(f"the forked kernel could not enter {request['cwd']}")
    finally:
        os.close(ready_read)
    return pid


def _become_kernel(request: dict[str, Any], ready: int, replies: IO[bytes]) -> None:
    """In the forked child: become ``python -m ipykernel_launcher ...`` in the run's session,
    directory, environment and output file, then exit as that interpreter would (never
    returns). A limit of the machine hit on the way is said in one line on the zygote's
    stderr (the scheduler's log); anything else the kernel says is its own output's."""
    import runpy

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as a new interpreter has it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    code: int | str | None = 1
    said, own = 2, False  # where nbtools' line goes (the zygote's stderr); the kernel's own?
    try:
        os.setsid()
        os.chdir(request["cwd"])
        os.write(ready, b"x")
        os.close(ready)
        replies.close()
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.close(stdin)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - the process's stdin, kept open
        said = os.dup(2)
        output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        own = True
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        time.tzset()
        # As ``-m`` would: the kernel's directory first on the path (the zygote's own has no
        # such entry: own_module_command), nothing of nbtools loaded.
        sys.path.insert(0, request["cwd"])
        for name in [name for name in sys.modules if name.partition(".")[0] == "nbtools"]:
            del sys.modules[name]
        sys.argv = ["ipykernel_launcher", *request["argv"][3:]]
        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit:
        code = exit.code
    except BaseException as error:
        if getattr(error, "errno", None) in LIMIT_ERRORS:  # an OSError, or zmq's ZMQError
            # a limit of the machine, not a bug: one line in the scheduler's log, as for a
            # worker, where each kernel wrote a traceback of a dozen lines
            reason = getattr(error, "strerror", None) or error
            line = f"nbtools: kernel {os.getpid()} failed: {reason}. {START_ADVICE}\n"
            with contextlib.suppress(OSError):
                os.write(said, line.encode())
            if own:  # and the reason in its own output, for its run's error
                with contextlib.suppress(OSError):
                    os.write(2, f"{reason}\n".encode())
            # and no more: the interpreter's exit would collect what the kernel half made
            # (an event loop without its sockets), each with an "Exception ignored" traceback
            os._exit(1)
        else:
            import traceback

            traceback.print_exc()
    raise SystemExit(code)


if __name__ == "__main__":
    serve()
