"""Processes the benchmarks start and watch: free ports, a Jupyter server with a token,
peak memory of a process tree, waiting for results, stopping a tree."""

from __future__ import annotations

import ctypes
import json
import platform
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import psutil

TOKEN = "nbtools-bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MemorySampler(threading.Thread):
    """Peak memory of a process and all its descendants: the sum of their proportional set
    sizes (PSS, a page shared by n processes counted 1/n in each, so forked kernels and the
    process they were forked from are not counted twice, as summed RSS would).

    RSS is summed every 20 ms (cheap); PSS, which the kernel computes by walking page tables,
    is read whenever that sum reaches a new peak, and the largest PSS sum is the figure.

    Each address space is counted once: a child made by ``vfork`` (what ``subprocess`` does on
    Linux) runs in its parent's memory until it executes its program, and its ``/proc`` files
    report that memory whole, so a tree caught in that instant would count the parent twice
    (a worker starting a shell: +55 MiB in one sample; its summed RSS too, which would then
    hide the real peaks below it from the PSS reads).
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self._stop_event = psutil.Process(pid), 0, threading.Event()
        self._peak_rss = 0

    def _tree(self) -> list[psutil.Process]:
        """The root and its descendants, less any that runs in its parent's address space."""
        tree = [self.root, *self.root.children(recursive=True)]
        return [process for process in tree if not _in_parents_memory(process)]

    def run(self) -> None:
        while not self._stop_event.wait(0.02):
            tree, rss = self._tree(), 0
            for process in tree:
                with suppress(psutil.NoSuchProcess):
                    rss += process.memory_info().rss
            if rss > self._peak_rss:
                self._peak_rss = rss
                self.peak = max(self.peak, sum(_pss(process) for process in tree))

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


#: kcmp(2)'s number on the architectures it is known here for, and its KCMP_VM type.
KCMP = {"x86_64": 312, "aarch64": 272}.get(platform.machine())
_KCMP_VM = 1
_LIBC = ctypes.CDLL(None, use_errno=True)


def same_address_space(pid: int, other: int) -> bool:
    """Whether two processes (or threads) run in one address space (kcmp(2); False where it
    is unknown or refused, or either has exited)."""
    if KCMP is None:
        return False
    return int(_LIBC.syscall(KCMP, pid, other, _KCMP_VM, 0, 0)) == 0


def _in_parents_memory(process: psutil.Process) -> bool:
    try:
        return same_address_space(process.pid, process.ppid())
    except psutil.Error:
        return False


def _pss(process: psutil.Process) -> int:
    """Bytes of ``process``'s proportional set size (0 once it has exited)."""
    try:
        with open(f"/proc/{process.pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


class Server:
    """A Jupyter server subprocess with a token, and JSON calls to it."""

    def __init__(self, jupyter: Path, root: Path, *args: str) -> None:
        self.port, self.root = free_port(), root
        self.process = subprocess.Popen(
            [
                str(jupyter),
                "server",
                "--no-browser",
                "--allow-root",
                f"--port={self.port}",
                f"--ServerApp.token={TOKEN}",
                f"--ServerApp.root_dir={root}",
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=(root / "server.log").open("wb"),
            cwd=root,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                self.call("GET", "/api/status")
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{jupyter} server did not start") from None
                time.sleep(0.1)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def stop(self) -> None:
        stop_tree(self.process)


#: What a poll learns of the handles it was asked about that have ended: each one's final state
#: and the ``time.perf_counter()`` at which it was seen.
Ended = dict[Any, tuple[str, float]]


def each(state: Callable[[Any], str | None]) -> Callable[[list[Any]], Ended]:
    """A poll of many handles made of a question about one (an HTTP call per run, say)."""

    def poll(handles: list[Any]) -> Ended:
        ended = {}
        for handle in handles:
            final = state(handle)
            if final is not None:
                ended[handle] = (final, time.perf_counter())
        return ended

    return poll


def wait_all(poll: Callable[[list[Any]], Ended], handles: list[Any], start: float) -> list[float]:
    """Poll every 20 ms until every handle has a final state; returns seconds to each result."""
    pending = list(handles)
    times = []
    while pending:
        for handle, (state, seen) in poll(pending).items():
            if state not in ("succeeded", "COMPLETED"):
                raise RuntimeError(f"run ended {state}")
            times.append(seen - start)
            pending.remove(handle)
        if pending:
            time.sleep(0.02)
    return sorted(times)


def _tree_cpu_seconds(pid: int) -> float:
    root = psutil.Process(pid)
    used = 0.0
    for process in [root, *root.children(recursive=True)]:
        with suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            used += times.user + times.system
    return used


def settle(pid: int, timeout: float = 120.0, busy: float = 0.05, every: float = 0.5) -> float:
    """Wait until ``pid``'s process tree is idle (it used less than ``busy`` of a core over
    ``every`` seconds), at most ``timeout`` seconds; returns the seconds waited. Taking turns,
    what one tool still does after it reported its results must not load the machine while
    the other is measured."""
    start = time.monotonic()
    used = _tree_cpu_seconds(pid)
    while time.monotonic() - start < timeout:
        time.sleep(every)
        now_used = _tree_cpu_seconds(pid)
        if now_used - used < busy * every:
            break
        used = now_used
    return time.monotonic() - start


def stop_tree(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started, then kill whatever of its tree is left."""
    children = psutil.Process(process.pid).children(recursive=True)
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
    for child in children:
        with suppress(psutil.NoSuchProcess):
            child.kill()
