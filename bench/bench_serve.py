"""Serving a trivial function: `nbtools serve` beside a hand-written FastAPI app, Jupyter Kernel
Gateway's notebook-http mode, and papermill per request.

The same notebook function (``add(a, b) -> a + b``) is served four ways on loopback:
- ours: the package `nbtools extract` writes, run by `nbtools serve` (uvicorn, one worker);
- FastAPI: a hand-written app calling the same function with a pydantic body, run by the
  `uvicorn` command (same server, same defaults: info log level, access log on, uvloop and
  httptools when installed, as uvicorn picks them by itself) — the floor:
  our overhead goal is ≤ 10% in throughput and p99 latency;
- Kernel Gateway: `jupyter kernelgateway` in notebook-http mode on a copy of the notebook whose
  cell is annotated `# POST /add` (one kernel, as it defaults to) — goal: ours ≥ 20 times its
  throughput; measured only if `jupyter_kernel_gateway` is installed (pip install
  jupyter_kernel_gateway), else the output says so;
- papermill: one `papermill` run of the notebook per request, a few requests, for the record.

The load generator is an asyncio client on raw keep-alive HTTP/1.1 connections (cheaper than an
HTTP library, which matters when client and server share 2 cores): a fixed number of requests at
a fixed concurrency. The servers take turns (ABAB…, bench/figures.py), each turn a full load
run; servers are started once and warmed first (warm: imports done, connections new per turn).
Peak RSS is the server's process tree (the kernel included for Kernel Gateway), sampled.

    python bench/bench_serve.py [--requests 4000] [--turns 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from anchors import PAPERMILL_LEAN, papermill_command
from figures import Goal, Sample, report

BIN = Path(sys.executable).parent
FUNCTION = "def add(a: int, b: int = 1) -> int:\n    return a + b"
BODY = json.dumps({"a": 1, "b": 2}).encode()


def cell(source: str, tags: list[str], index: int) -> dict[str, object]:
    metadata = {"tags": tags} if tags else {}
    return {
        "id": f"c{index}",
        "cell_type": "code",
        "metadata": metadata,
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def notebook(*cells: tuple[str, list[str]]) -> dict[str, object]:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": [cell(source, tags, i) for i, (source, tags) in enumerate(cells)],
    }


#: The served notebook: the function (served), parameters, and a main cell using it.
SERVED = notebook(
    ("#| serve\n" + FUNCTION, []),
    ("a = 1\nb = 2", ["parameters"]),
    ("result = add(a, b)\nprint(result)", ["main"]),
)
#: The same function for Kernel Gateway's notebook-http mode.
GATEWAY = notebook(
    (FUNCTION, []),
    (
        "# POST /add\nimport json\nbody = json.loads(REQUEST)['body']\n"
        "print(json.dumps(add(body['a'], body.get('b', 1))))",
        [],
    ),
)
HANDWRITTEN = """\
from fastapi import FastAPI
from pydantic import BaseModel

from adder.core import add

app = FastAPI()


class AddRequest(BaseModel):
    a: int
    b: int = 1


@app.post("/add")
def call(body: AddRequest) -> int:
    return add(body.a, body.b)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server under test: its command, and the peak RSS seen while it was loaded."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        self.process = subprocess.Popen(
            command,
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{self.port}/add", data=BODY, method="POST"
                )
                request.add_header("content-type", "application/json")
                with urllib.request.urlopen(request, timeout=10) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within 120 s")

    def rss(self) -> int:
        """The resident memory of the server and its children (bytes)."""
        assert self.process is not None
        try:
            root = psutil.Process(self.process.pid)
            return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
        except psutil.Error:
            return 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Turn:
    rate: float  # requests per second
    p50: float  # seconds
    p99: float
    peak_rss: int  # bytes


async def _load(port: int, requests: int, concurrency: int) -> tuple[float, list[float]]:
    head = (
        f"POST /add HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    latencies: list[float] = []
    remaining = requests

    async def connection() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                writer.write(head)
                status = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in status.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                if not status.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(status.split(b"\r\n", 1)[0].decode())
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def load(server: Server, requests: int, concurrency: int) -> Turn:
    """One turn: ``requests`` at ``concurrency``, with the server's RSS sampled meanwhile."""
    peak = server.rss()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, server.rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        elapsed, latencies = asyncio.run(_load(server.port, requests, concurrency))
    finally:
        done.set()
        sampler.join()
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return Turn(len(latencies) / elapsed, statistics.median(ordered), p99, peak)


def papermill_requests(directory: Path, count: int) -> list[float]:
    """Seconds per request when each request executes the notebook with papermill."""
    times = []
    for index in range(count):
        command = papermill_command(
            PAPERMILL_LEAN, "adder.ipynb", f"out-{index}.ipynb", "-p", "a", "1", "-p", "b", "2"
        )
        started = time.perf_counter()
        subprocess.run(command, cwd=directory, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def servers(directory: Path) -> tuple[list[Server], str]:
    """The servers to compare, and a note when Kernel Gateway is not installed."""
    from nbtools.export.api import ExtractRequest, run_extract

    (directory / "adder.ipynb").write_text(json.dumps(SERVED))
    (directory / "gateway.ipynb").write_text(json.dumps(GATEWAY))
    package = directory / "adder-pkg"
    run_extract(ExtractRequest(directory / "adder.ipynb", package, mode="write"))
    (directory / "handwritten.py").write_text(HANDWRITTEN)
    pythonpath = os.pathsep.join(
        [str(package / "src"), str(directory), os.environ.get("PYTHONPATH", "")]
    )
    found = [
        Server(
            "ours", [str(BIN / "nbtools"), "serve", str(package), "--port", "{port}"], directory
        ),
        Server(
            "FastAPI",
            [sys.executable, "-m", "uvicorn", "handwritten:app", "--port", "{port}"],
            directory,
            {"PYTHONPATH": pythonpath},
        ),
    ]
    gateway = shutil.which("jupyter-kernelgateway", path=str(BIN)) or shutil.which(
        "jupyter-kernelgateway"
    )
    note = ""
    if gateway is None:
        note = (
            "Kernel Gateway: not measured, jupyter_kernel_gateway is not installed "
            "(pip install jupyter_kernel_gateway)"
        )
    else:
        found.append(
            Server(
                "Kernel Gateway",
                [
                    gateway,
                    "--KernelGatewayApp.api=kernel_gateway.notebook_http",
                    "--KernelGatewayApp.seed_uri=gateway.ipynb",
                    "--KernelGatewayApp.ip=127.0.0.1",
                    "--KernelGatewayApp.port={port}",
                ],
                directory,
            )
        )
    return found, note


def figures(
    turns: dict[str, list[Turn]], metric: Callable[[Turn], float], scale: float = 1.0
) -> dict[str, Sample]:
    return {name: Sample.of([metric(t) * scale for t in found]) for name, found in turns.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000, help="Requests per turn.")
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--papermill", type=int, default=3, help="Papermill requests (0: no papermill row)."
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nbtools-bench-serve-") as scratch:
        directory = Path(scratch)
        found, note = servers(directory)
        turns: dict[str, list[Turn]] = {server.name: [] for server in found}
        try:
            for server in found:
                server.start()
                load(server, min(options.requests, 500), options.concurrency)  # warm-up
            for _ in range(options.turns):
                for server in found:
                    # Kernel Gateway answers serially: a tenth of the requests keeps turns short
                    count = options.requests
                    if server.name == "Kernel Gateway":
                        count = max(options.concurrency, count // 10)
                    turns[server.name].append(load(server, count, options.concurrency))
        finally:
            for server in found:
                server.stop()
        papermill = papermill_requests(directory, options.papermill)
    print(
        f"bench_serve: a trivial served function, {options.requests} requests per turn at "
        f"concurrency {options.concurrency}, {options.turns} turns (ABAB)"
    )
    from nbtools.serve.runner import describe_stack

    state = (
        f"warm: servers started once and warmed with {min(options.requests, 500)} requests; "
        f"asyncio keep-alive client, concurrency {options.concurrency}, one uvicorn worker, "
        f"ours and FastAPI alike {describe_stack()} (uvicorn's auto choice); "
        "ours as configured by default: Prometheus metrics on, access log on, no API key, "
        "no --record-to"
    )
    rate = figures(turns, lambda t: t.rate)
    p50 = figures(turns, lambda t: t.p50, 1000)
    p99 = figures(turns, lambda t: t.p99, 1000)
    rss = figures(turns, lambda t: t.peak_rss, 1 / 2**20)
    report("serve: throughput vs hand-written FastAPI", rate["ours"], unit="req/s",
           anchor=rate["FastAPI"], anchor_name="FastAPI", goals=[Goal("ratio", ">=", 0.9)],
           state=state)  # fmt: skip
    report("serve: p99 latency vs hand-written FastAPI", p99["ours"], unit="ms",
           anchor=p99["FastAPI"], anchor_name="FastAPI", goals=[Goal("ratio", "<=", 1.1)],
           state=state)  # fmt: skip
    report("serve: p50 latency vs hand-written FastAPI", p50["ours"], unit="ms",
           anchor=p50["FastAPI"], anchor_name="FastAPI", state=state)  # fmt: skip
    report("serve: peak RSS vs hand-written FastAPI", rss["ours"], unit="MiB",
           anchor=rss["FastAPI"], anchor_name="FastAPI", state=state)  # fmt: skip
    if "Kernel Gateway" in turns:
        kg_state = (
            f"{state}; Kernel Gateway: one kernel, tornado on asyncio as it ships, a tenth of "
            "the requests per turn"
        )
        report("serve: throughput vs Kernel Gateway notebook-http", rate["ours"], unit="req/s",
               anchor=rate["Kernel Gateway"], anchor_name="Kernel Gateway",
               goals=[Goal("ratio", ">=", 20)], state=kg_state)  # fmt: skip
        report("serve: p99 latency vs Kernel Gateway notebook-http", p99["ours"], unit="ms",
               anchor=p99["Kernel Gateway"], anchor_name="Kernel Gateway",
               state=kg_state)  # fmt: skip
        report("serve: peak RSS vs Kernel Gateway notebook-http", rss["ours"], unit="MiB",
               anchor=rss["Kernel Gateway"], anchor_name="Kernel Gateway",
               state=kg_state)  # fmt: skip
    else:
        print(f"  {note}")
    if not papermill:  # --papermill 0: that row left out
        return
    report("serve: one request vs papermill per request (for the record)",
           Sample.of([statistics.median(t.p50 for t in turns["ours"])]), unit="s",
           anchor=Sample.of(papermill), anchor_name="papermill-lean",
           state=f"papermill: {options.papermill} sequential runs, a new kernel each; "
           "ours: the median p50 above")  # fmt: skip


if __name__ == "__main__":
    main()
