"""The service's guard as an ASGI application: the body limit read from Content-Length, the
API key read from the headers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from nbtools.serve.guards import Guard
from nbtools.serve.telemetry import PrometheusMetrics

LIMIT = 1000


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def _status(content_length: bytes) -> tuple[int, dict[str, Any]]:
    return _answer([(b"content-length", content_length)])


def _answer(headers: list[tuple[bytes, bytes]], key: str = "") -> tuple[int, dict[str, Any]]:
    guard = Guard(
        _inner,
        api_key=lambda: key,
        max_body_bytes=LIMIT,
        body_seconds=30.0,
        served=lambda: frozenset({"/score"}),
        known=lambda: frozenset({"/score"}),
        prometheus=PrometheusMetrics(),
        aggregates=None,
        failure_told=lambda: False,
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/score",
        "headers": headers,
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(guard(scope, receive, send))
    return sent[0]["status"], json.loads(sent[1]["body"])


@pytest.mark.parametrize(
    ("length", "status"),
    [
        (b"1000", 200),  # at the limit
        (b"0000001000", 200),  # leading zeros count for nothing
        (b"1001", 413),
        (b"9" * 19, 413),
        (b"1" + b"0" * 4999, 413),  # beyond what Python converts to an int
        (b"0" * 5000, 200),
    ],
)
def test_a_declared_length_over_the_limit_is_413_however_long(length: bytes, status: int) -> None:
    found, body = _status(length)
    assert found == status
    if status == 413:
        assert body["error"] == "payload-too-large"
        assert body["details"] == {"limit": LIMIT}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ([(b"x-api-key", b"k3y")], 200),
        ([(b"authorization", b"Bearer k3y")], 200),
        ([(b"authorization", b"bearer k3y")], 200),
        # a wrong X-API-Key is refused whatever else the request presents
        ([(b"x-api-key", b"wrong"), (b"authorization", b"Bearer k3y")], 401),
        # with X-API-Key, Authorization is not read: it may be another service's (a proxy's)
        ([(b"x-api-key", b"k3y"), (b"authorization", b"Bearer proxy-token")], 200),
        ([(b"x-api-key", b"k3y"), (b"authorization", b"Basic dTpw")], 200),
        ([(b"authorization", b"Basic k3y")], 401),
        ([], 401),
    ],
)
def test_the_key_is_x_api_key_when_sent_else_the_bearer_token(
    headers: list[tuple[bytes, bytes]], status: int
) -> None:
    assert _answer(headers, key="k3y")[0] == status


NEEDS_KEY = (
    "This service needs an API key: send 'X-API-Key: <key>' or 'Authorization: Bearer <key>'."
)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([], NEEDS_KEY),
        ([(b"x-api-key", b"")], NEEDS_KEY),
        ([(b"authorization", b"Basic k3y")], NEEDS_KEY),
        (
            [(b"x-api-key", b"old-k3y")],
            "The API key sent in X-API-Key is not this service's key: check it (a key changed "
            "at the service needs its new value).",
        ),
        (
            [(b"authorization", b"Bearer old-k3y")],
            "The API key sent as the Authorization: Bearer token is not this service's key: "
            "check it (a key changed at the service needs its new value).",
        ),
    ],
)
def test_a_wrong_key_is_told_apart_from_a_missing_one(
    headers: list[tuple[bytes, bytes]], message: str
) -> None:
    """A client sending a wrong (an old, rotated) key was told to send a key, the one thing
    it did."""
    status, body = _answer(headers, key="k3y")
    assert status == 401
    assert body == {"error": "unauthorized", "message": message, "details": {}}
