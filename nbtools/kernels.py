"""Fresh kernels for runs: started ahead of need, each used for exactly one run.

Starting a kernel (~0.5 s) and the client handshake (~0.2 s) are the floor of a cold run, so
a worker launches the next kernel right after it reports a result, and the kernel boots while
the worker waits for work. A used kernel is asked to shut down (on its shell channel:
:func:`_ask_to_exit`) and killed (with its children) if it has not exited by a short deadline,
so a kernel that does not stop (a cell still running) never delays a result and a worker holds
one kernel at a time (plus the one booting). One known to be still executing a cell (its run
timed out) is killed at once, never asked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtools.kernel_files import (
    KERNEL_FILES_PREFIX,
    artifacts_dir,
    files_dir,
    output_file,
    sweep_leftovers,
)
from nbtools.kernel_ready import until_ready
from nbtools.notebooks import Notebook, kernel_name
from nbtools.processes import kill_tree
from nbtools.provisioner import launches_locally, watched_provisioner

if TYPE_CHECKING:
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    from nbtools.zygote import Forker

log = logging.getLogger(__name__)

#: The kernel of a notebook that names none.
DEFAULT_KERNEL = "python3"

#: Seconds a used kernel gets to exit after a shutdown request before it is killed.
SHUTDOWN_GRACE_SECONDS = 0.5
#: Seconds :meth:`KernelSource.retire` waits for a used kernel's answer to its shutdown request
#: (an idle kernel answers in a few ms).
SHUTDOWN_REPLY_SECONDS = 0.2
#: Seconds to wait for a new kernel to answer.
STARTUP_TIMEOUT_SECONDS = 60
#: The environment variable naming the kernel's artifacts directory (see :class:`Kernel`).
ARTIFACTS_DIR_ENV = "NBTOOLS_ARTIFACTS_DIR"
#: Options of the IPython kernels (``-m ipykernel_launcher``) nbtools starts: no SQLite input
#: history. A run's history has no use, and every kernel opened the user's
#: ``~/.ipython/profile_default/history.sqlite``; one that could not (out of file
#: descriptors) took it for corrupt and moved it aside (``history-corrupt-….sqlite``).
IPYKERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]


def run_kernel(requested: str | None, nb: Notebook) -> str:
    """The kernel a run of ``nb`` starts: the one ``requested``, else the notebook's own, else
    :data:`DEFAULT_KERNEL`."""
    return requested or kernel_name(nb) or DEFAULT_KERNEL


def _run(coroutine_function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a kernel coroutine on this thread's loop (the one nbclient also uses)."""
    from jupyter_core.utils import run_sync

    return run_sync(coroutine_function)(*args, **kwargs)


def _ipykernel(km: AsyncKernelManager) -> bool:
    """Whether the kernel of ``km`` is IPython's, its spec ``PYTHON -m ipykernel_launcher``
    (or ``-m ipykernel``), which takes IPython's options."""
    argv = km.kernel_spec.argv if km.kernel_spec is not None else []
    return argv[1:2] == ["-m"] and argv[2:3] in (["ipykernel_launcher"], ["ipykernel"])


def kernel_group(km: AsyncKernelManager) -> int | None:
    """The process group of a started kernel (its own session: the kernel's pid)."""
    return getattr(km.provisioner, "pgid", None) if km.provisioner is not None else None


def kill_kernel_tree(km: AsyncKernelManager) -> None:
    """SIGKILL the kernel process and every process it started, even after it died."""
    if km.provisioner is None:
        return
    group = kernel_group(km)
    kill_tree(getattr(km.provisioner, "pid", None), [group] if group is not None else [])


@dataclass
class Kernel:
    """A started kernel with a connected, ready client.

    ``artifacts_dir`` is an empty directory of its own, named to the kernel by
    :data:`ARTIFACTS_DIR_ENV`: files the notebook leaves there are the run's artifacts (a
    kernel runs one notebook only, so the directory needs no run id, and a kernel can be
    started before its run is known). It is removed with the kernel.
    """

    name: str
    cwd: Path
    km: AsyncKernelManager
    kc: AsyncKernelClient
    artifacts_dir: Path
    ready: bool = False

    @property
    def language(self) -> str | None:
        """The language of the code this kernel runs, as its spec names it (``None``: unsaid)."""
        spec = self.km.kernel_spec
        return spec.language.strip() or None if spec is not None else None

    def set_variables(self, values: Mapping[str, str | None]) -> None:
        """Set (``None``: unset) environment variables inside the kernel before it runs a
        notebook, silently and in one request: a kernel started before its run was known has
        the environment of its start. Only Python kernels (by their spec's language) are told."""
        if (self.language or "").lower() != "python":
            return
        environ = "__import__('os').environ"
        code = "\n".join(
            f"{environ}[{name!r}] = {value!r}"
            if value is not None
            else f"{environ}.pop({name!r}, None)"
            for name, value in values.items()
        )
        _run(self.kc.execute_interactive, code, silent=True, store_history=False)


async def _ask_to_exit(kc: AsyncKernelClient) -> None:
    """Ask the kernel to shut down on its shell channel and wait for its answer, at most
    :data:`SHUTDOWN_REPLY_SECONDS` (a kernel still executing a cell answers only after it).

    Not on the control channel, which jupyter_client's ``request_shutdown`` uses: ipykernel
    (7.4 here) then answers in its control thread and flushes its output there afterwards,
    while its main thread, its loops stopped, already closes the thread that flush waits for;
    about a third of the kernels so asked then stalled, after their exit handlers, for the
    flush's 10 s timeout (upstream's race), and each was killed at the grace instead, holding
    its memory until then (a burst's peak counted 2-3 such kernels). Asked on the shell
    channel, the main thread answers and flushes before it stops anything: every kernel exits
    by itself in ≈ 50 ms. The answer is awaited because closing the client's sockets (linger
    0) could drop the request still queued.
    """
    from queue import Empty

    request = kc.session.msg("shutdown_request", {"restart": False})
    kc.shell_channel.send(request)
    deadline = time.monotonic() + SHUTDOWN_REPLY_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        try:
            reply = await kc.shell_channel.get_msg(timeout=left)
        except Empty:
            return
        if reply["parent_header"].get("msg_id") == request["header"]["msg_id"]:
            return


def _kill_group_later(group: int, delay: float) -> None:
    """SIGKILL process group ``group`` after ``delay`` seconds, from a detached shell."""
    import subprocess

    subprocess.Popen(
        ["/bin/sh", "-c", f"sleep {delay:g}; kill -KILL -{int(group)} 2>/dev/null"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _discard(km: AsyncKernelManager, kc: AsyncKernelClient | None = None) -> None:
    """Kill a kernel that ran nothing (or half started) and free what connects to it: the
    client's channels and context, the manager's control socket, context and files."""
    if kc is not None:
        kc.stop_channels()
    with contextlib.suppress(Exception):  # whatever failed to start is still cleaned up
        kill_kernel_tree(km)
    _clean_up(km)


def _clean_up(km: AsyncKernelManager) -> None:
    """Free the manager's control socket and context, and remove the kernel's files."""
    with contextlib.suppress(Exception):
        _run(km.cleanup_resources)
    files = Path(km.connection_file).parent
    if files.name.startswith(KERNEL_FILES_PREFIX):  # made by files_dir
        shutil.rmtree(files, ignore_errors=True)


def _kill(kernel: Kernel) -> None:
    """Kill a started kernel (one that ran nothing, or one still executing a cell: asked to
    shut down, neither would answer soon), wait until it is gone and remove its files."""
    shutil.rmtree(kernel.artifacts_dir, ignore_errors=True)
    _discard(kernel.km, kernel.kc)


#: Milliseconds between a client socket's attempts to connect to a kernel that has not bound
#: its sockets yet (zmq's default, 100 ms, made a kernel seem to start up to 0.1 s late).
RECONNECT_INTERVAL_MS = 10


def _retry_connecting_often(kc: AsyncKernelClient) -> None:
    """Make the client's sockets, created by ``start_channels``, retry connecting to the
    kernel every :data:`RECONNECT_INTERVAL_MS`.

    The client connects right after the kernel's process is launched, usually before the
    kernel has bound its sockets (Unix sockets: a connection to a path nobody listens on
    fails at once), and zmq tries again only after its reconnect interval: with zmq's 100 ms,
    a kernel forked from the zygote and taken at once first answered 0.19 to 0.2 s after its
    launch; with 10 ms, 0.12 to 0.13 s (and 0.06 instead of 0.11 s when taken 50 ms later).
    """
    import zmq

    kc.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_INTERVAL_MS)


def kernel_dirs() -> list[Path]:
    """Where kernel specs are looked up, highest priority first: Jupyter's data path, then
    IPython's own ``kernels`` directory (``$IPYTHONDIR``, else ``~/.ipython``), the
    directories jupyter_client's default ``KernelSpecManager`` searches.

    jupyter_client finds IPython's directory by importing IPython (≈40 ms of CPU, before a
    kernel can be launched); these two rules are IPython's own for that directory.
    """
    from jupyter_core.paths import jupyter_path

    ipython = os.environ.get("IPYTHONDIR") or os.path.join("~", ".ipython")
    return [Path(path) for path in jupyter_path("kernels")] + [
        Path(ipython).expanduser() / "kernels"
    ]


class KernelSource:
    """Hands out started kernels; with ``prestart``, keeps one waiting like the last used.

    ``on_start`` is told of each kernel as soon as its process exists (before it answers),
    so a supervisor can kill its process group even if this process dies. With a ``zygote``
    (:mod:`nbtools.zygote`), the kernels that qualify are forked from it instead of started
    as new interpreters; the source owns it and ends it on :meth:`close`. A kernel silent
    for the ``timeout`` of its :meth:`take` fails its start, the error naming
    ``timeout_setting`` (the option that sets it, e.g. ``--start-timeout``) when given.
    """

    def __init__(
        self,
        prestart: bool = True,
        on_start: Callable[[Kernel], None] | None = None,
        *,
        wait_for_exit: bool = True,
        zygote: Forker | None = None,
        timeout_setting: str | None = None,
    ) -> None:
        self.prestart, self.on_start = prestart, on_start
        self.timeout_setting = timeout_setting
        self.zygote = zygote
        #: Whether :meth:`retire` waits for the kernel to exit (else a detached shell kills
        #: its group after the grace).
        self.wait_for_exit = wait_for_exit
        self._ready: Kernel | None = None
        self._last: tuple[str, Path] = ("python3", Path.cwd())

    def _start(self, kernel_name: str, cwd: Path) -> Kernel:
        """Launch a kernel process and connect a client; readiness is awaited in :meth:`take`."""
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager

        specs = KernelSpecManager(kernel_dirs=[str(path) for path in kernel_dirs()])
        files = files_dir()
        km = AsyncKernelManager(
            kernel_name=kernel_name,
            transport="ipc",
            ip=str(files / "k"),
            connection_file=str(files / "kernel.json"),
            kernel_spec_manager=specs,
        )
        artifacts = artifacts_dir()
        try:
            options: dict[str, Any] = {"env": {**os.environ, ARTIFACTS_DIR_ENV: str(artifacts)}}
            if _ipykernel(km):  # reads the spec: an unknown kernel fails here
                options["extra_arguments"] = IPYKERNEL_ARGUMENTS
            # its own output (kernel_files.OUTPUT_FILE): nothing of the kernel's in this
            # process's output, nor a one-shot command's pipe held open by a kernel shutting down
            with output_file(km.connection_file).open("ab") as output:
                if launches_locally(km):  # a spec naming a provisioner of its own keeps it
                    km.provisioner = self._provisioner(km)
                _run(km.start_kernel, cwd=str(cwd), stdout=output, stderr=output, **options)
        except BaseException:
            shutil.rmtree(artifacts, ignore_errors=True)
            _discard(km)
            raise
        kernel = Kernel(kernel_name, cwd, km, km.client(), artifacts)
        try:
            _retry_connecting_often(kernel.kc)
            # No heartbeat channel: the client asks its manager whether the kernel lives (a
            # process poll), so the heartbeat's thread would only cost a thread and a socket
            # per kernel; and jupyter_client's heartbeat thread, stopped before it has set
            # itself running (a start that fails at once), spins opening sockets until zmq
            # refuses with "Too many open files".
            kernel.kc.start_channels(hb=False)
            if self.on_start is not None:
                self.on_start(kernel)
        except BaseException:
            shutil.rmtree(artifacts, ignore_errors=True)
            _discard(km, kernel.kc)
            raise
        return kernel

    def _provisioner(self, km: AsyncKernelManager) -> LocalProvisioner:
        """The kernel's provisioner: it forks the kernel from the zygote, if any, when it
        qualifies; any other kernel is launched watched, so that its process group goes
        :data:`SHUTDOWN_GRACE_SECONDS` after this process (:mod:`nbtools.provisioner`)."""
        if self.zygote is None:
            return watched_provisioner(km, SHUTDOWN_GRACE_SECONDS)
        from nbtools.zygote import zygote_provisioner

        return zygote_provisioner(km, self.zygote, SHUTDOWN_GRACE_SECONDS)

    def take(
        self,
        kernel_name: str,
        cwd: Path,
        attach: Callable[[Kernel], None] | None = None,
        timeout: float = STARTUP_TIMEOUT_SECONDS,
    ) -> Kernel:
        """A started kernel of ``kernel_name`` in ``cwd``, never used before, that answered
        within ``timeout`` seconds (counted from now for a kernel started ahead).

        ``attach`` receives the kernel before it is known to answer (a watchdog that may
        have to kill it while it starts).
        """
        self._last = (kernel_name, cwd)
        ready, self._ready = self._ready, None
        if ready is not None and (
            (ready.name, ready.cwd) != (kernel_name, cwd) or not _run(ready.km.is_alive)
        ):
            self.retire(ready)
            ready = None
        kernel = ready or self._start(kernel_name, cwd)
        try:
            if attach is not None:
                attach(kernel)
            if not kernel.ready:
                _run(until_ready, kernel.name, kernel.km, kernel.kc, timeout, self.timeout_setting)
                kernel.ready = True
        except BaseException:
            # it ran nothing: killed now, not asked to shut down (a kernel stuck starting
            # would not answer, and the command would return before it was gone)
            _kill(kernel)
            raise
        return kernel

    def warm(self, kernel_name: str | None = None, cwd: Path | None = None) -> None:
        """With ``prestart``, pre-start a kernel like the last one taken (or as given).

        Pre-starting only saves time, so it never fails its caller: a kernel that cannot be
        started now (its notebook's folder was deleted since, its spec removed) is logged and
        left to the next :meth:`take`, which reports the error on the run that needs it.
        """
        if self.prestart:
            name, folder = kernel_name or self._last[0], cwd or self._last[1]
            try:
                self.boot(name, folder)
            except Exception as error:  # any start failure: see above
                log.warning("nbtools: cannot pre-start kernel %s in %s: %s", name, folder, error)

    def boot(self, kernel_name: str, cwd: Path) -> None:
        """Start a kernel now for the next :meth:`take` (unless one is waiting already).

        The kernel boots in its own process while this one goes on (readiness is checked at
        take): a worker waiting for work, or ``nbtools run`` importing and queueing its run.
        """
        if self._ready is None:
            self._last = (kernel_name, cwd)
            self._ready = self._start(kernel_name, cwd)

    def retire(self, kernel: Kernel, *, wait: bool | None = None, busy: bool = False) -> None:
        """Stop a used kernel: a shutdown request, a short grace, then SIGKILL of its group.

        A kernel usually exits within ≈ 50 ms of the request (its exit handlers run, what the
        notebook left open is flushed: :func:`_ask_to_exit`); one that does not (a cell still
        running) is killed at the deadline, and so is anything it started. Without ``wait``
        (default: :attr:`wait_for_exit`) the grace runs off this process's path: a detached
        ``sh`` kills the group when it is over, so nothing waits for the exit. A kernel known
        to be ``busy`` still executing a cell (its run timed out) would answer only after that
        cell: it is killed at once, never asked, and this waits until it is gone.
        """
        if busy:
            _kill(kernel)
            return
        wait = self.wait_for_exit if wait is None else wait
        shutil.rmtree(kernel.artifacts_dir, ignore_errors=True)
        group = kernel_group(kernel.km)
        alive = False
        with contextlib.suppress(Exception):  # a kernel that cannot be asked is killed
            alive = _run(kernel.km.is_alive)
            if alive:
                _run(_ask_to_exit, kernel.kc)
        kernel.kc.stop_channels()
        if alive:
            if not wait and group is not None:
                with contextlib.suppress(Exception):  # if the shell cannot start: killed now
                    _kill_group_later(group, SHUTDOWN_GRACE_SECONDS)
                    _clean_up(kernel.km)
                    return
            else:
                deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
                with contextlib.suppress(Exception):
                    while time.monotonic() < deadline and _run(kernel.km.is_alive):
                        time.sleep(0.01)
        kill_kernel_tree(kernel.km)
        _clean_up(kernel.km)

    def close(self) -> None:
        """Kill the waiting kernel, if any, and wait until it is gone: it ran nothing, so
        there is nothing to flush (a refused ``nbtools run`` leaves no kernel behind).
        The zygote, if any, ends too, with any kernel it forked that is still running."""
        if self._ready is not None:
            kernel, self._ready = self._ready, None
            _kill(kernel)
        if self.zygote is not None:
            self.zygote.close()
        sweep_leftovers()
