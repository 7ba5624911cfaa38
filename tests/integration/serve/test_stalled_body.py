"""A client that sends a request's headers and stalls in its body (a slow or broken client,
a slowloris): ``nbtools serve`` for real, a raw socket as the client."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from tests.integration.serve.conftest import RunningService

Serve = Callable[..., RunningService]


def test_a_body_that_stops_arriving_is_answered_408_at_the_time_limit(
    scorer_package: Path, serve: Serve
) -> None:
    """The connection was held, unanswered, for as long as the client kept it open (80 s and
    more: a few hundred such clients hold a worker's every connection), though a call takes at
    most ``--timeout``."""
    service = serve(scorer_package, "--timeout", "1")
    address = urlsplit(service.url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as stalled:
        stalled.sendall(
            b"POST /predict HTTP/1.1\r\nHost: service\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        # answered (and closed) at the time limit: without, recv waits past the socket's 20 s
        answer = b"".join(iter(lambda: stalled.recv(65536), b""))
    head, _, body = answer.partition(b"\r\n\r\n")
    with service.client() as client:
        fine = client.post("/predict", json={"x": 2})
        metrics = client.get("/metrics").text
    service.stop()
    assert head.startswith(b"HTTP/1.1 408 "), head
    assert b"connection: close" in head.lower()
    assert json.loads(body) == {
        "error": "request-timeout",
        "message": "The request body did not arrive within the time limit of 1 s.",
        "details": {"timeout_seconds": 1.0},
    }
    assert fine.json() == {"score": 4.0}
    assert 'nbtools_serve_errors_total{endpoint="/predict",type="request-timeout"} 1.0' in metrics
