"""The service's one ASGI middleware: API key, body size, HEAD, and counting every request;
a failed start-up told once.

Pure ASGI (no per-request objects beyond what the check needs), so the cost over a bare
FastAPI app stays small (bench/bench_serve.py measures it).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from nbtools.serve.telemetry import MinuteAggregates, PrometheusMetrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Paths answered without the API key: probes must work without secrets.
OPEN_PATHS = frozenset({"/health", "/ready"})
#: The API description: the docs page and the OpenAPI document (the page's files are under
#: ``/docs/``), answered without the key with ``public_docs`` (ServeSettings).
DOCS_PATHS, DOCS_PREFIX = frozenset({"/docs", "/openapi.json"}), "/docs/"
#: The ``request.state`` keys a handler sets for the middleware: the error's type, the values
#: ``record()``ed, the datasets used (:mod:`nbtools.serve.uses`).
ERROR_KEY, RECORDED_KEY, USES_KEY = "nbtools_error", "nbtools_recorded", "nbtools_uses"
#: Status codes counted as errors of the service (and in its error rate).
SERVER_ERRORS = 500


def error_body(error: str, message: str, **details: Any) -> bytes:
    """The JSON every error reply carries: ``{"error", "message", "details"}``."""
    return json.dumps({"error": error, "message": message, "details": details}).encode()


def too_large(limit: int) -> bytes:
    """The 413 reply's body, for a declared length and a streamed body alike."""
    message = f"The request body is over the limit of {limit} bytes."
    return error_body("payload-too-large", message, limit=limit)


def body_too_slow(seconds: float) -> bytes:
    """The 408 reply's body: the request's body did not arrive within ``seconds``."""
    message = f"The request body did not arrive within the time limit of {seconds:g} s."
    return error_body("request-timeout", message, timeout_seconds=seconds)


async def reply(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", b"application/json"), *headers]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Refuses requests without the API key (but to ``open_paths`` and the paths under
    ``open_prefixes``) or over the body limit, or whose body has not
    arrived ``body_seconds`` after they came (a 408: a client that stalled); answers HEAD as
    GET without the body (what load balancers' health checks send); times and counts all.

    ``aggregates`` (the per-minute figures of ``--record-to``) is None when nothing records
    them: they would only grow. Once ``failure_told()`` (the app logged why its start-up
    failed: :mod:`nbtools.serve.startup`), the traceback Starlette hands the server with the
    failure is left out, not logged a second time.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        api_key: Callable[[], str],
        max_body_bytes: int,
        body_seconds: float,
        served: Callable[[], frozenset[str]],
        known: Callable[[], frozenset[str]],
        prometheus: PrometheusMetrics,
        aggregates: MinuteAggregates | None,
        failure_told: Callable[[], bool],
        open_paths: frozenset[str] = OPEN_PATHS,
        open_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.api_key, self.max_body_bytes = api_key, max_body_bytes
        self.open_paths, self.open_prefixes = open_paths, open_prefixes
        self.body_seconds = body_seconds
        self.served, self.known = served, known
        self.prometheus, self.aggregates = prometheus, aggregates
        self.failure_told = failure_told
        self._waits = _BodyWaits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._lifespan_send(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":  # routed as a GET, its answer sent without the body
            scope, send = {**scope, "method": "GET"}, _headers_only(send)
        started = time.perf_counter()
        path: str = scope["path"]
        endpoint = path if path in self.known() else "other"
        status = 500
        state = scope.setdefault("state", {})

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            refusal = self._refusal(scope)
            if refusal is not None:
                state[ERROR_KEY] = refusal[1]
                await reply(send_counted, *refusal[0])
            else:
                await self.app(scope, self._limited(receive), send_counted)
        finally:
            seconds = time.perf_counter() - started
            self.prometheus.requests.labels(endpoint, str(status)).inc()
            self.prometheus.latency.labels(endpoint).observe(seconds)
            error = state.get(ERROR_KEY)
            if error is None and status == 422:
                error = "validation"
            if error is not None:
                self.prometheus.errors.labels(endpoint, error).inc()
            numbers = self.prometheus.observe_recorded(state.get(RECORDED_KEY, ()))
            if self.aggregates is not None and path in self.served():
                failed = status >= SERVER_ERRORS
                uses = state.get(USES_KEY, ())
                self.aggregates.add(time.time(), seconds, failed, numbers, uses)

    def _lifespan_send(self, send: Send) -> Send:
        async def lifespan_send(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed" and self.failure_told():
                message = {**message, "message": ""}
            await send(message)

        return lifespan_send

    def _refusal(
        self, scope: Scope
    ) -> tuple[tuple[int, bytes, list[tuple[bytes, bytes]]], str] | None:
        """The reply (status, body, headers) and error type refusing this request, if any."""
        key = self.api_key()
        headers = dict(scope["headers"])
        presented = _presented_key(headers)
        path: str = scope["path"]
        if (
            key
            and path not in self.open_paths
            and not path.startswith(self.open_prefixes)
            and not hmac.compare_digest(presented[1] if presented else b"", key.encode())
        ):
            message = (
                f"The API key sent {presented[0]} is not this service's key: check it (a key "
                "changed at the service needs its new value)."
                if presented
                else "This service needs an API key: send 'X-API-Key: <key>' or "
                "'Authorization: Bearer <key>'."
            )
            if path in DOCS_PATHS or path.startswith(DOCS_PREFIX):  # a browser's, likely
                message += (
                    " Its docs (/docs, /openapi.json) need it too unless it is served with "
                    "--public-docs."
                )
            body = error_body("unauthorized", message)
            return (401, body, [(b"www-authenticate", b"Bearer")]), "unauthorized"
        length = headers.get(b"content-length", b"")
        if length.isdigit() and _over(length, self.max_body_bytes):
            return (413, too_large(self.max_body_bytes), []), "body-too-large"
        return None

    def _limited(self, receive: Receive) -> Receive:
        """``receive`` that stops a streamed body at the limit (no Content-Length given),
        and a body not whole ``body_seconds`` after the request came (:class:`_BodyWaits`):
        the app's handler of the 413 answers with :func:`too_large`, of the 408 with
        :func:`body_too_slow`."""
        received, whole = 0, False
        deadline = time.monotonic() + self.body_seconds

        async def limited() -> Message:
            nonlocal received, whole
            if whole:  # the body is in: what comes now is the client's disconnect
                return await receive()
            message = await self._waits.by(deadline, receive)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                whole = not message.get("more_body", False)
                if received > self.max_body_bytes:
                    raise HTTPException(413)
            return message

        return limited


class _BodyWaits:
    """The tasks waiting for a request's body, each with the moment it gives up: checked once
    a second while any waits (one timer for all), a task past its moment is cancelled and
    its wait raises a 408 (``HTTPException``, the connection closed). So a stalled body is
    answered between its time limit and a second later. A timer per wait cost ≈ 7 µs of each
    request (``loop.call_at`` on uvloop), a cancel scope per wait (anyio's ``move_on_after``)
    ≈ 12 µs: 3-4 % of the service's throughput; this ≈ 1.6 µs, a dict's insert and delete
    (docs/performance.md, "Where a served request's time goes")."""

    def __init__(self) -> None:
        self.waiting: dict[asyncio.Task[Any], float] = {}
        self.expired: set[asyncio.Task[Any]] = set()
        #: The loop the check runs on, if it runs (an app may serve on several loops in turn:
        #: test clients).
        self.ticking: asyncio.AbstractEventLoop | None = None

    async def by(self, deadline: float, receive: Receive) -> Message:
        """``receive()``, or the 408 once ``deadline`` (``time.monotonic``) has passed."""
        task = asyncio.current_task()
        assert task is not None, "an ASGI app runs in a task"
        self.waiting[task] = deadline
        loop = asyncio.get_running_loop()
        if self.ticking is not loop:
            self.ticking = loop
            loop.call_later(1, self._tick, loop)
        try:
            return await receive()
        except asyncio.CancelledError:
            if task in self.expired and _uncancelled(task):  # ours, not the server's
                raise HTTPException(408, headers={"Connection": "close"}) from None
            raise
        finally:
            self.waiting.pop(task, None)
            self.expired.discard(task)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.ticking is not loop:  # the check moved to another loop
            return
        now = time.monotonic()
        for task, deadline in list(self.waiting.items()):
            if deadline <= now and task.get_loop() is loop:
                del self.waiting[task]
                self.expired.add(task)
                task.cancel()
        if self.waiting:
            loop.call_later(1, self._tick, loop)
        else:
            self.ticking = None


def _uncancelled(task: asyncio.Task[Any]) -> bool:
    """Take back the check's cancellation of ``task``: True when no other one is pending
    (Python 3.11 and later count them, ``Task.uncancel``; 3.10 does not)."""
    uncancel = getattr(task, "uncancel", None)
    return uncancel is None or uncancel() == 0


def _headers_only(send: Send) -> Send:
    """``send`` dropping the body (its Content-Length stays, as HTTP wants for HEAD)."""

    async def headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return headers_only


def _over(length: bytes, limit: int) -> bool:
    """Whether a Content-Length of ASCII digits is over ``limit``; one of more than 19
    significant digits is, without converting it (Python refuses 4300 digits and more)."""
    digits = length.lstrip(b"0")
    return len(digits) > 19 or int(digits or b"0") > limit


def _presented_key(headers: dict[bytes, bytes]) -> tuple[str, bytes] | None:
    """The key the request presents, with where (``None``: none, or an empty one): its
    ``X-API-Key`` when it sends one (a wrong one refuses it whatever else it sends; its
    ``Authorization`` is then not read, and may be a proxy's), else its ``Authorization:
    Bearer`` token."""
    given = headers.get(b"x-api-key")
    if given is not None:
        return ("in X-API-Key", given) if given else None
    scheme, _, token = headers.get(b"authorization", b"").partition(b" ")
    token = token.strip()
    if scheme.lower() == b"bearer" and token:
        return "as the Authorization: Bearer token", token
    return None
