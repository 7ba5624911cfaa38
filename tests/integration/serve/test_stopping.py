"""Stopping ``nbtools serve`` (a real process, a real signal) while something still holds it:
a call past the time limit, a client that stalled in its request. The stop is graceful and
exits 0, and the process ends, in bounded time."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.integration.serve.conftest import RunningService

Serve = Callable[..., RunningService]


def test_a_stop_does_not_wait_for_a_call_past_the_time_limit(
    scorer_package: Path, serve: Serve
) -> None:
    """With one worker the process said "exit code 0" and then stayed alive until the call
    its 504 answered returned (for ever, had it hung); a second SIGTERM ended it with a
    traceback."""
    service = serve(scorer_package, "--timeout", "0.5")
    with service.client() as client:
        assert client.post("/predict", json={"x": 60_000}).status_code == 504  # sleeps 60 s
    service.process.send_signal(signal.SIGTERM)
    service.output, _ = service.process.communicate(timeout=30)
    assert service.process.returncode == 0, service.output
    assert (
        "INFO: nbtools.serve: not waiting for 1 thread(s) still running (calls past the time "
        "limit)\nINFO: nbtools.serve: stopped by SIGTERM, the requests in flight were "
        "answered: exit code 0\n"
    ) in service.output
    assert "Traceback" not in service.output
    assert "Exception ignored" not in service.output


def read_by_the_service(client: socket.socket) -> bool:
    """Whether the service has read all that ``client`` sent it: the service's end of their
    connection (in /proc/net/tcp, from the service's port to the client's) holds nothing
    unread. Before, the stop came half a second after the request was sent, read or not."""
    client_port, service_port = client.getsockname()[1], client.getpeername()[1]
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        _, local, remote, _, queues, *_ = line.split()
        ports = (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16))
        if ports == (service_port, client_port):
            return int(queues.split(":")[1], 16) == 0
    return False


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_client_stalled_in_its_request_holds_a_stop_only_until_the_shutdown_timeout(
    scorer_package: Path, serve: Serve, workers: str
) -> None:
    """It held the stop until it gave up (70 s), and a supervisor would have killed the
    service first (exit code 137, the last recorded minute lost). The last line says the
    request was cut, where it said the requests in flight were answered."""
    service = serve(scorer_package, "--shutdown-timeout", "1", "--workers", workers)
    address = urlsplit(service.url)
    with socket.create_connection((address.hostname, address.port)) as stalled:
        stalled.sendall(
            b"POST /predict HTTP/1.1\r\nHost: service\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        deadline = time.monotonic() + 60
        while not read_by_the_service(stalled):  # then the request is in flight
            assert time.monotonic() < deadline, "the service never read the request"
            time.sleep(0.05)
        service.process.send_signal(signal.SIGTERM)
        service.output, _ = service.process.communicate(timeout=30)
    assert service.process.returncode == 0, service.output
    assert "Cancel 1 running task(s), timeout graceful shutdown exceeded" in service.output
    # it said "the requests in flight were answered"
    assert service.output.endswith(
        "INFO: nbtools.serve: stopped by SIGTERM, 1 request(s) in flight cut unanswered at the "
        "shutdown timeout (--shutdown-timeout), the others answered: exit code 0\n"
    )
