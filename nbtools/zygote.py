"""The kernel zygote: fresh Python kernels forked from a process that has imported ipykernel.

Starting a kernel is mostly importing ipykernel, IPython, zmq and tornado (≈0.5 CPU-s here).
A zygote pays those imports once (the local executor keeps one for all its workers:
:mod:`nbtools.zygote_link`); each kernel is then a ``fork`` of it that creates
its own zmq context and sockets, reads its connection file and runs ``IPKernelApp`` exactly
as ``python -m ipykernel_launcher -f FILE`` would. Nothing is shared with the zygote but the
imported code (copy-on-write), and nothing of the user's is ever imported before the fork, so
every run still gets a fresh kernel (docs/performance.md, "The kernel zygote").

Only the default ``python3`` kernel of this interpreter qualifies, and only when the run's
environment equals the worker's apart from the variables set per kernel (:data:`PER_KERNEL`):
anything else starts as a normal process. The zygote exits when its owner does (end of its
stdin), killing what it forked; it is replaced when it died, when one of the packages it
imported (:data:`PRELOADED`) changed on disk, or when asked for another environment.

The zygote process itself, and the protocol between the two, are in
:mod:`nbtools.zygote_process`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nbtools.processes import alive, kill_tree, own_module_command
from nbtools.provisioner import watched_provisioner, watched_provisioner_class

if TYPE_CHECKING:
    from jupyter_client.connect import KernelConnectionInfo
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

#: Packages whose files on disk are watched: a change (an upgrade) replaces the zygote.
PRELOADED = (
    "ipykernel",
    "IPython",
    "jupyter_client",
    "jupyter_core",
    "zmq",
    "tornado",
    "traitlets",
    "comm",
    "debugpy",
)
#: Variables a kernel's environment may have beyond the worker's: set per kernel by nbtools
#: (the artifacts directory) and Jupyter (session name, parent pid).
PER_KERNEL = frozenset({"NBTOOLS_ARTIFACTS_DIR", "JPY_SESSION_NAME", "JPY_PARENT_PID"})
#: Seconds a zygote may take to start (its imports) and fork a kernel.
FORK_TIMEOUT_SECONDS = 60.0
#: Seconds :meth:`Zygote.close` waits for a request in progress before it kills the zygote
#: that request waits for (a zygote answers in milliseconds; one that does not has hung).
CLOSE_WAIT_SECONDS = 2.0


def fingerprint(packages: Iterable[str] = PRELOADED) -> tuple[tuple[str, int, int, int], ...]:
    """The identity on disk of ``packages`` (those the zygote imports): their ``__init__``
    files' inode and change time and their directories' change time (an upgrade changes them)."""
    from importlib.util import find_spec

    found = []
    for name in packages:
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        with contextlib.suppress(OSError):
            file, folder = origin.stat(), origin.parent.stat()
            found.append((name, file.st_ino, file.st_ctime_ns, folder.st_ctime_ns))
    return tuple(found)


def worker_environment(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without the variables set per kernel (:data:`PER_KERNEL`)."""
    return {key: value for key, value in env.items() if key not in PER_KERNEL}


def _same_file(command: str, path: str) -> bool:
    import shutil

    found = shutil.which(command)
    return found is not None and os.path.realpath(found) == os.path.realpath(path)


def qualifies(kernel_name: str, argv: list[str], env: Mapping[str, str]) -> bool:
    """Whether the zygote can fork this kernel: the default ``python3`` kernel of this very
    interpreter, launched as ``-m ipykernel_launcher``, in the worker's environment."""
    return (
        kernel_name == "python3"
        and len(argv) >= 3
        and argv[1:3] == ["-m", "ipykernel_launcher"]
        and _same_file(argv[0], sys.executable)
        and worker_environment(env) == worker_environment(os.environ)
    )


class Forker(Protocol):
    """What a kernel provisioner forks from: a :class:`Zygote`, or a worker's link to the
    zygote its executor shares between its workers (:mod:`nbtools.zygote_link`)."""

    def fork(self, argv: list[str], env: Mapping[str, str], cwd: str, output: str) -> int: ...

    def exit_code(self, zygote: int, pid: int) -> int | None: ...

    def close(self) -> None: ...


class Zygote:
    """A handle on a zygote process, started on first use with the environment of the first
    kernel asked for (without the variables set per kernel).

    Before each fork the zygote is replaced if it died, if a preloaded package changed on
    disk, or if the kernel asked for has another environment; a replaced zygote that still has
    kernels running is retired (it exits after its last kernel), not killed. Forks are made
    one at a time (several threads may ask). :meth:`close` ends every zygote and what it forked,
    without waiting behind a request to a zygote that hangs.
    """

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._started_with: tuple[Any, ...] = ()
        self._retired: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()
        #: The zygote a request (under the lock) waits for, if any.
        self._asked: subprocess.Popen[bytes] | None = None
        self._closed = False

    def fork(self, argv: list[str], env: Mapping[str, str], cwd: str, output: str) -> int:
        """Fork a kernel running ``argv`` (a ``-m ipykernel_launcher`` command) in ``cwd``
        with ``env``, its standard output and error appended to the file ``output``; returns
        its pid (the leader of its own session). Raises OSError when no zygote could fork it
        (one replacement is tried if the zygote died meanwhile)."""
        request = json.dumps({"argv": argv, "env": dict(env), "cwd": cwd, "output": output})
        with self._lock:
            for _ in range(2):
                if self._closed:
                    raise OSError("the kernel zygote was closed (its executor is shutting down)")
                process = self._running(env)
                reply = self._ask(process, request.encode() + b"\n")
                if reply is not None:
                    if "pid" in reply:
                        return int(reply["pid"])
                    raise OSError(f"the kernel zygote could not fork: {reply['error']}")
                self._stop(process, retire=False)
        raise OSError("the kernel zygote exited before it forked a kernel")

    def exit_code(self, zygote: int, pid: int) -> int | None:
        """The exit code of kernel ``pid`` as reaped by zygote ``zygote``, asked once the
        kernel is seen ended (a zombie, or gone): one whose other threads are still ending is
        waited for (:mod:`nbtools.zygote_process`). None: unknown (that zygote is gone, the
        code was asked before, or the kernel still runs)."""
        with self._lock:
            for process in [*self._retired, *([self._process] if self._process else [])]:
                if process.pid == zygote and process.poll() is None:
                    reply = self._ask(process, json.dumps({"exit": pid}).encode() + b"\n")
                    code = reply.get("code") if reply is not None else None
                    return int(code) if code is not None else None
        return None

    def _ask(self, process: subprocess.Popen[bytes], line: bytes) -> dict[str, Any] | None:
        """:func:`_exchange` with ``process``, which :meth:`close` may kill meanwhile."""
        self._asked = process
        try:
            return _exchange(process, line)
        finally:
            self._asked = None

    def _running(self, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        state = (fingerprint(), worker_environment(env))
        self._retired = [old for old in self._retired if not _ended(old)]
        process = self._process
        if process is not None and (process.poll() is not None or state != self._started_with):
            self._stop(process, retire=process.poll() is None)
            process = None
        if process is None:
            process = subprocess.Popen(
                own_module_command("nbtools.zygote_process"),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=worker_environment(env),
            )
            self._process, self._started_with = process, state
        return process

    def _stop(self, process: subprocess.Popen[bytes], *, retire: bool) -> None:
        """Forget ``process``: retired (it exits after its kernels) or ended now."""
        self._process = None
        if retire and _exchange(process, b'{"retire": true}\n', reply=False) is not None:
            self._retired.append(process)
        else:
            _end(process)

    def close(self) -> None:
        """End every zygote: each kills the kernels it forked and exits (end of its stdin).

        A request still unanswered after :data:`CLOSE_WAIT_SECONDS` waits for a zygote that
        hangs: that zygote is killed with the kernels it forked, which ends the request (with
        an error) at once instead of at its timeout. No zygote starts after this.
        """
        self._closed = True
        if not self._lock.acquire(timeout=CLOSE_WAIT_SECONDS):
            hung = self._asked
            if hung is not None:
                _kill(hung)
            self._lock.acquire()
        try:
            processes = [*self._retired, *([self._process] if self._process else [])]
            self._process, self._retired = None, []
        finally:
            self._lock.release()
        for process in processes:
            _end(process)


def _exchange(
    process: subprocess.Popen[bytes], line: bytes, *, reply: bool = True
) -> dict[str, Any] | None:
    """Send ``line`` to a zygote and read its one-line reply (``{}`` when none is expected);
    None if the zygote is gone or did not answer in time."""
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        process.stdin.write(line)
        process.stdin.flush()
        if not reply:
            return {}
        # poll, not select: a worker among many holds descriptors past select's 1024
        waiting = select.poll()
        waiting.register(process.stdout, select.POLLIN)
        ready = waiting.poll(FORK_TIMEOUT_SECONDS * 1000)
        answer = process.stdout.readline() if ready else b""
    except OSError:
        return None
    return json.loads(answer) if answer else None


def _ended(process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is None:
        return False
    _end(process)
    return True


def _end(process: subprocess.Popen[bytes]) -> None:
    """Close a zygote's pipes (it kills its kernels and exits) and reap it."""
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a zygote that does not answer, with the kernels it forked (each the leader of
    its own session, so their process groups too)."""
    import psutil

    try:
        kernels = [child.pid for child in psutil.Process(process.pid).children()]
    except psutil.NoSuchProcess:
        kernels = []
    kill_tree(process.pid, kernels)


def zygote_provisioner(km: AsyncKernelManager, zygote: Forker, grace: float) -> LocalProvisioner:
    """A provisioner for ``km`` that forks its kernel from ``zygote`` when it qualifies, and
    launches any other watched (:func:`nbtools.provisioner.watched_provisioner`, ``grace``)."""
    provisioner = watched_provisioner(km, grace, _provisioner_class())
    provisioner.zygote = zygote  # type: ignore[attr-defined]
    return provisioner


@functools.cache
def _provisioner_class() -> Any:
    """The provisioner class, defined on first use (jupyter_client imports tornado)."""
    if TYPE_CHECKING:  # a class mypy can check it against (the watched one adds no API)
        from jupyter_client.provisioning.local_provisioner import LocalProvisioner as Watched
    else:
        Watched = watched_provisioner_class()

    class ZygoteProvisioner(Watched):
        """Launches a qualifying kernel as a fork of the worker's zygote, any other normally
        (watched: :mod:`nbtools.provisioner`).

        A forked kernel writes its output to the file its launch names for it (``stderr``,
        the same as ``stdout``: :data:`nbtools.kernel_files.OUTPUT_FILE`), which it opens
        itself; a launch naming no such file starts the kernel normally.

        A forked kernel is not this process's child: it is tracked by pid and start time
        (:mod:`psutil`, safe against pid reuse), signalled through its process group (its own
        session, like a normal kernel's), and its exit code is read from the file its zygote
        writes when it reaps it. A kernel whose zygote is gone is killed and reported dead: it
        would stop by itself within a second (ipykernel exits when its parent changes).
        """

        zygote: Forker | None = None
        _child: Any = None
        _zygote_process: Any = None

        @property
        def has_process(self) -> bool:
            return self._child is not None or bool(super().has_process)

        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
            env, cwd = kwargs.get("env") or dict(os.environ), str(kwargs.get("cwd") or os.getcwd())
            output = getattr(kwargs.get("stderr"), "name", None)
            km = self.parent
            if (
                self.zygote is None
                or km is None
                or not Path(cwd).is_dir()
                or not isinstance(output, str)
                or kwargs.get("stdout") is not kwargs.get("stderr")
                or not qualifies(km.kernel_name, cmd, env)
            ):
                return await super().launch_kernel(cmd, **kwargs)
            import psutil

            try:
                pid = self.zygote.fork(cmd, env, cwd, output)
                self._child = psutil.Process(pid)
                self._zygote_process = self._child.parent()
            except (OSError, psutil.Error) as error:
                self.log.warning(
                    "nbtools: kernel zygote unavailable (%s); starting normally", error
                )
                return await super().launch_kernel(cmd, **kwargs)
            self.pid = self.pgid = pid
            self.cwd = cwd
            return self.connection_info

        async def poll(self) -> int | None:
            if self._child is None:
                return await super().poll()
            if alive(self._child):
                if self._zygote_process is not None and alive(self._zygote_process):
                    return None
                await self.send_signal(signal.SIGKILL)
            return self._exit_code()

        def _exit_code(self) -> int:
            """The code its zygote reaped; -SIGKILL when unknown (its zygote is gone, and it
            was killed or exits with it)."""
            code = None
            if self.zygote is not None and self._zygote_process is not None:
                code = self.zygote.exit_code(self._zygote_process.pid, self._child.pid)
            return -signal.SIGKILL if code is None else code

        async def wait(self) -> int | None:
            if self._child is None:
                return await super().wait()
            while (code := await self.poll()) is None:
                await _sleep(0.05)
            self._child = None
            return code

        async def send_signal(self, signum: int) -> None:
            if self._child is None:
                return await super().send_signal(signum)
            try:
                os.killpg(self._child.pid, signum)
            except OSError:
                if alive(self._child):
                    self._child.send_signal(signum)

        async def kill(self, restart: bool = False) -> None:
            if self._child is None:
                return await super().kill(restart)
            with contextlib.suppress(OSError):
                await self.send_signal(signal.SIGKILL)

        async def terminate(self, restart: bool = False) -> None:
            if self._child is None:
                return await super().terminate(restart)
            with contextlib.suppress(OSError):
                await self.send_signal(signal.SIGTERM)

        async def cleanup(self, restart: bool = False) -> None:
            await super().cleanup(restart)

    return ZygoteProvisioner


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
