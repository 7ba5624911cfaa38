"""Talking to a service preview on the loopback interface: a free port for it to bind, and a
JSON ``GET`` that answers (status 0) when nothing listens yet."""

from __future__ import annotations

import json
import socket
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

#: Seconds the proxied ``/ready``, ``/info`` and ``/openapi.json`` reads may take.
PROBE_SECONDS = 2.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the preview binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def get_json(url: str, api_key: str) -> tuple[int, Any]:
    """``GET url`` (with the preview's key, if any): (status, parsed JSON or None); status 0
    when nothing answers."""
    request = HTTPRequest(
        url,
        headers={"X-API-Key": api_key} if api_key else None,
        request_timeout=PROBE_SECONDS,
        connect_timeout=PROBE_SECONDS,
    )
    try:
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
    except (OSError, HTTPClientError):
        return 0, None
    try:
        return response.code, json.loads(response.body or b"null")
    except ValueError:
        return response.code, None
