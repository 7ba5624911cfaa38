"""The local executor: a pool of warm worker processes, each with a pre-started kernel.

Concurrency is bounded by the pool size (default: the number of cores); further requests
wait in a queue. Workers are plain subprocesses speaking JSON lines (no fork of the server,
no re-import of its ``__main__``). A worker that dies is replaced, and its run is reported
lost so the caller can end it (the reaper would, later, from the missing heartbeat). A
replacement that cannot start (the machine's limits: no file descriptor, memory, process or
thread left) is said once and tried again every :data:`RESPAWN_SECONDS`, while the workers
left go on serving runs.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import functools
import json
import logging
import os
import selectors
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from nbtools.jobs.errors import ExecutorStartError
from nbtools.jobs.executors.base import DoneCallback, Executor, RunRequest
from nbtools.processes import START_ADVICE, kill_tree, own_module_command
from nbtools.zygote import Zygote
from nbtools.zygote_link import answer

log = logging.getLogger(__name__)

#: How long a worker whose pipe closed may take to exit before it is killed.
EXIT_WAIT_SECONDS = 1.0
#: Seconds between two attempts to start a worker in place of one that died, while they fail.
RESPAWN_SECONDS = 1.0


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    current: int | None = None
    idle_since: float = 0.0
    buffer: bytes = b""
    #: Process groups of the worker's live kernels (killed with the worker: a kernel whose
    #: worker died exits by itself, but what its notebook started would stay).
    kernel_groups: list[int] = field(default_factory=list)
    #: The thread answering the worker's requests to the executor's zygote, if any.
    link: threading.Thread | None = None
    #: Set when the worker is found dead: a kernel forked for it afterwards is killed at once.
    ended: bool = False
    pid: int = field(init=False)

    def __post_init__(self) -> None:
        self.pid = self.process.pid

    def add_kernel(self, group: int) -> None:
        """Note a kernel's process group (the worker holds at most the used and the next)."""
        if group not in self.kernel_groups:
            self.kernel_groups = [*self.kernel_groups[-1:], group]


class LocalExecutor(Executor):
    """Runs requests in ``size`` warm worker processes on this machine.

    With ``zygote`` (the default), the workers fork their python3 kernels from one kernel
    zygote the executor keeps for them all (:mod:`nbtools.zygote_link`).
    """

    options = ("zygote",)

    def __init__(
        self,
        size: int | None = None,
        on_done: DoneCallback | None = None,
        *,
        kernel: str = "python3",
        cwd: Path | None = None,
        prestart: bool = True,
        zygote: bool = True,
    ) -> None:
        super().__init__(size, on_done, cwd=cwd)
        self.kernel, self.prestart, self.zygote = kernel, prestart, zygote
        self._zygote = Zygote() if zygote else None  # its process starts on the first fork
        #: The workers' environment, the same for all (their kernels share one zygote, which
        #: is replaced when asked for another environment): this process's when it started.
        self._environment: dict[str, str] = {}
        self._lock = threading.Lock()
        self._queue: collections.deque[RunRequest] = collections.deque()
        self._workers: list[_Worker] = []
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = os.pipe()
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._thread: threading.Thread | None = None
        self._stopping = False
        #: Held while :meth:`start` starts the workers, one at a time (``_lock`` is free
        #: between two, so :meth:`shutdown` never waits for all of them).
        self._starting = threading.Lock()
        #: (The loop's) when a replacement worker may be tried again, and whether the last
        #: attempt failed (said once until one succeeds).
        self._respawn_at = 0.0
        self._short = False

    def start(self, stop: threading.Event | None = None) -> None:
        """Start the workers one after another, then the thread serving them; a second call
        does nothing. Once ``stop`` is set (a stop signal while the scheduler starts) or
        :meth:`shutdown` was called, no other worker starts: those started are left to
        :meth:`shutdown`. A worker that cannot be started (no file descriptor or process left)
        stops those started and raises :class:`ExecutorStartError`; a later call tries again."""
        with self._starting:
            failure: OSError | None = None
            while failure is None:
                with self._lock:
                    if self._thread is not None or self._stopping:
                        return
                    if stop is not None and stop.is_set():
                        return
                    if len(self._workers) >= self.size:
                        self._thread = threading.Thread(
                            target=self._loop, name="nbtools-executor", daemon=True
                        )
                        self._thread.start()
                        return
                    if not self._workers:
                        self._environment = dict(os.environ)
                    try:
                        self._spawn()
                    except OSError as error:
                        failure = error
                        started, self._workers = self._workers, []
                        for worker in started:
                            assert worker.process.stdout is not None
                            self._selector.unregister(worker.process.stdout)
            for worker in started:
                self._end(worker)
        count = len(started)
        stopped = (
            f"; the {count} started {'was' if count == 1 else 'were'} stopped" if count else ""
        )
        raise ExecutorStartError(
            f"Cannot start worker {count + 1} of {self.size}: {_reason(failure)}{stopped}. "
            + START_ADVICE,
            field="workers",
        )

    def _spawn(self) -> None:
        """Start a worker (with the thread answering its requests to the zygote); one that
        cannot start is an :class:`OSError`: no file descriptor, memory or process left, or
        no thread (``EAGAIN``, the worker just started killed again)."""
        command = own_module_command(
            "nbtools.jobs.executors.worker",
            *("--kernel", self.kernel, "--cwd", str(self.cwd), "--owner", str(os.getpid())),
        )
        if not self.prestart:
            command.append("--no-prestart")
        ours: socket.socket | None = None
        theirs: socket.socket | None = None
        if self._zygote is not None:
            ours, theirs = socket.socketpair()
            command += ["--zygote-fd", str(theirs.fileno())]
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                start_new_session=True,
                env=self._environment,
                pass_fds=() if theirs is None else (theirs.fileno(),),
            )
        except BaseException:
            if ours is not None:
                ours.close()
            raise
        finally:
            if theirs is not None:
                theirs.close()
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        worker = _Worker(process)
        if self._zygote is not None and ours is not None:
            worker.link = threading.Thread(
                target=answer,
                args=(self._zygote, ours, functools.partial(self._forked, worker)),
                name=f"nbtools-zygote-{worker.pid}",
                daemon=True,
            )
            try:
                worker.link.start()
            except RuntimeError as error:  # "can't start new thread": the system's limit
                ours.close()
                kill_tree(worker.pid)  # no kernel of its own yet
                process.wait()
                _close_pipes(process)
                raise OSError(errno.EAGAIN, f"no thread can be started for it ({error})") from None
        self._workers.append(worker)
        self._selector.register(process.stdout, selectors.EVENT_READ, worker)

    def _forked(self, worker: _Worker, pid: int) -> None:
        """A kernel was forked for ``worker`` (it leads its own process group)."""
        with self._lock:
            if not worker.ended:
                worker.add_kernel(pid)
                return
        kill_tree(None, [pid])  # its worker died while the zygote forked it

    def submit(self, request: RunRequest) -> None:
        with self._lock:
            self._queue.append(request)
        os.write(self._wake_write, b"x")
        self.start()

    def pending(self) -> set[int]:
        with self._lock:
            queued = {request.run_id for request in self._queue}
            return queued | {w.current for w in self._workers if w.current is not None}

    def free_slots(self) -> int:
        """How many more runs could start now: once the workers started, those alive (a
        worker that died and could not be replaced yet takes no run)."""
        with self._lock:
            workers = self.size if self._thread is None else len(self._workers)
        return max(0, workers - len(self.pending()))

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers."""
        with self._lock:
            return [worker.pid for worker in self._workers]

    def _assign(self) -> None:
        """Give queued requests to idle workers, longest idle first (its kernel is warmest)."""
        with self._lock:
            for worker in sorted(self._workers, key=lambda w: w.idle_since):
                if not self._queue:
                    return
                if worker.current is None:
                    request = self._queue.popleft()
                    worker.current = request.run_id
                    assert worker.process.stdin is not None
                    try:
                        worker.process.stdin.write(json.dumps(request.to_dict()).encode() + b"\n")
                        worker.process.stdin.flush()
                    except BrokenPipeError:
                        pass  # the worker died; its run is reported lost when its pipe closes

    def _loop(self) -> None:
        while not self._stopping:
            self._refill()
            self._assign()
            for key, _ in self._selector.select(timeout=RESPAWN_SECONDS):
                if key.data is None:
                    os.read(self._wake_read, 4096)
                else:
                    self._read(key.data)

    def _read(self, worker: _Worker) -> None:
        assert worker.process.stdout is not None
        try:
            chunk = os.read(worker.process.stdout.fileno(), 65536)
        except BlockingIOError:
            return
        if not chunk:
            self._replace(worker)
            return
        worker.buffer += chunk
        *lines, worker.buffer = worker.buffer.split(b"\n")
        for line in lines:
            message = json.loads(line)
            if message["event"] == "kernel":
                with self._lock:
                    worker.add_kernel(message["group"])
            elif message["event"] == "done":
                with self._lock:
                    worker.current = None
                    worker.idle_since = time.monotonic()
                self._report(message["run_id"], message["status"])

    def _replace(self, worker: _Worker) -> None:
        """A worker's pipe closed: it died. Kill what it left, report its run lost, replace it."""
        assert worker.process.stdout is not None
        self._selector.unregister(worker.process.stdout)
        # Its status is read first (kill_tree reaps what it kills, leaving Popen a code of 0):
        # a worker's pipe closes as it exits, an instant before its status can be read.
        code: int | None = None
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = worker.process.wait(timeout=EXIT_WAIT_SECONDS)
        self._end(worker)
        with self._lock:
            self._workers.remove(worker)
            lost = worker.current
        log.warning("nbtools: executor worker %s %s", worker.pid, _ending(code))
        self._refill()
        if lost is not None:
            self._report(lost, None)

    def _refill(self) -> None:
        """(The loop) Start workers in place of those that died, up to :attr:`size`. One that
        cannot start (no file descriptor, memory, process or thread left) is said once, in one line,
        and tried again every :data:`RESPAWN_SECONDS`, while the workers left serve runs."""
        failure: OSError | None = None
        with self._lock:
            if self._stopping or time.monotonic() < self._respawn_at:
                return
            while failure is None and len(self._workers) < self.size:
                try:
                    self._spawn()
                except OSError as error:
                    failure = error
            live = len(self._workers)
        if failure is None:
            if self._short:
                log.warning("nbtools: executor workers started again: %d of %d", live, self.size)
            self._short = False
            return
        self._respawn_at = time.monotonic() + RESPAWN_SECONDS
        if not self._short:
            log.warning(
                "nbtools: cannot start a worker in place of one that ended: %s. %d of %d "
                "workers serve runs meanwhile; it is tried again every %g s. %s",
                _reason(failure),
                live,
                self.size,
                RESPAWN_SECONDS,
                START_ADVICE,
            )
        self._short = True

    def _end(self, worker: _Worker) -> None:
        """Kill ``worker`` with its kernels' process groups, reap it and close its pipes.

        Its link's thread is not waited for: it may be waiting on a zygote that hangs. A
        kernel it is still forking is killed when it is told of it (:meth:`_forked`).
        """
        with self._lock:
            worker.ended = True
            groups = list(worker.kernel_groups)
        kill_tree(worker.pid, groups)
        worker.process.wait()
        _close_pipes(worker.process)

    def shutdown(self) -> None:
        """Stop the workers and the zygote; a second call does nothing."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            workers = list(self._workers)
            self._queue.clear()
        os.write(self._wake_write, b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
        lost = []
        for worker in workers:
            if worker.current is None and worker.process.stdin is not None:
                worker.process.stdin.close()  # an idle worker exits, closing its kernels
            else:
                kill_tree(worker.pid, worker.kernel_groups)
                lost.append(worker.current)
        for worker in workers:
            try:
                worker.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                kill_tree(worker.pid, worker.kernel_groups)
                worker.process.wait()
            _close_pipes(worker.process)
        if self._zygote is not None:
            # it kills any kernel still running and exits; a fork it hangs in ends with it
            self._zygote.close()
        for worker in workers:
            if worker.link is not None:
                worker.link.join(timeout=5)
        self._selector.close()
        os.close(self._wake_read)
        os.close(self._wake_write)
        for run_id in lost:
            if run_id is not None:
                self._report(run_id, None)


def _reason(error: OSError) -> str:
    """What the system said, without Python's decoration (``Too many open files``)."""
    return error.strerror or str(error)


def _ending(code: int | None) -> str:
    """How a worker ended, from its exit status (None: alive when its pipe closed)."""
    if code is None:
        return "closed its output and was killed"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
        return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _close_pipes(process: subprocess.Popen[bytes]) -> None:
    """Close the pipes to a finished worker (each dead worker would leak two descriptors)."""
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
