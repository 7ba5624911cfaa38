"""The FastAPI app of a served package: start-up, endpoints, and the answers to faults.

Start-up (the app's lifespan) imports the package: the notebook's module-level code runs once
there, never per request. A failure there is logged with its reason and re-raised, so the
ASGI server exits non-zero and ``/ready`` never answers ready. Each served function then gets
``POST /<name>`` (body: its keyword arguments) and ``POST /<name>/batch`` (body: a list of them).

Faults: a body not sent as JSON → 415; invalid input → 422 naming each field (the body is
read by :mod:`nbtools.serve.body`); an exception in the function → 500 with an error id (the
traceback goes to the log under that id, never to the client); a result JSON cannot carry
(NaN, an infinity) → 500 saying what and where, and one over ``max_result_bytes`` → 500
``result-too-large``; over the time limit → 504 while the call
finishes in its thread; a body over the limit → 413; data the service's purpose does not
allow → 403 (:mod:`nbtools.serve.uses`).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import importlib
import inspect
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from nbtools.data.notebook import USE_SINK, hold_process_uses
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.metrics.record import RECORD_SINK
from nbtools.serve.body import served_route
from nbtools.serve.config import ServeSettings, api_key, load_settings
from nbtools.serve.docs import add_docs, document_key
from nbtools.serve.guards import (
    DOCS_PATHS,
    DOCS_PREFIX,
    ERROR_KEY,
    OPEN_PATHS,
    RECORDED_KEY,
    USES_KEY,
    Guard,
    body_too_slow,
    error_body,
    too_large,
)
from nbtools.serve.info import loaded_artifacts, service_info
from nbtools.serve.large import LARGE_BYTES, LargeBody, TrimmedValidationError, counted
from nbtools.serve.problems import invalid_reply
from nbtools.serve.replies import error_responses, result_annotation, streamed
from nbtools.serve.results import InvalidResultError, is_large, large_result_json, result_json
from nbtools.serve.signature import call_arguments, request_model
from nbtools.serve.startup import (
    IMPORT_FAILURES,
    HeldOutput,
    StartupError,
    log_failure,
    reason,
)
from nbtools.serve.telemetry import MinuteAggregates, PrometheusMetrics
from nbtools.serve.uses import REFUSED, CallUses, UsesLog, audit_refusal, hold_threads

if TYPE_CHECKING:
    from nbtools.serve.recorder import ServiceRecorder

log = logging.getLogger("nbtools.serve")

#: Paths the service answers itself; a served function cannot take these names.
BUILTIN_PATHS = ("/", "/health", "/ready", "/info", "/metrics", "/openapi.json", "/docs")
#: How often finished minutes are written to the ``record_to`` store.
FLUSH_SECONDS = 5.0
#: Threads the service's own work (/info, /metrics, writing the recorded minutes) may use at
#: once, besides the pool the calls run on: calls that hang and fill that pool stall none
#: of it (:meth:`Service.in_own_thread`).
OWN_THREADS = 4

T = TypeVar("T")

#: ``(name, value)`` as ``record()`` took them, or as ``run()`` returned them (unchecked).
Recorded = list[tuple[object, Any]]


class Service:
    """One served package: its functions once loaded, its counters and its recorder."""

    def __init__(self, package: str, endpoints: Mapping[str, str], settings: ServeSettings) -> None:
        self.package, self.endpoints, self.settings = package, dict(endpoints), settings
        self.ready = False
        #: Start-up failed and the log says why (the server need not log it again).
        self.failure_told = False
        self.api_key = ""
        #: What /info shows; the recorder reads the same dict (updated in place).
        self.info: dict[str, Any] = {}
        self.module: ModuleType | None = None
        self.prometheus = PrometheusMetrics()
        self.aggregates = MinuteAggregates()
        self.served_paths: frozenset[str] = frozenset()
        self.known_paths: frozenset[str] = frozenset(BUILTIN_PATHS)
        self.recorder: ServiceRecorder | None = None
        #: When it started serving (epoch seconds): its first minute's run starts there.
        self.since = time.time()
        #: The threads of :meth:`in_own_thread`, made in the event loop as it starts.
        self.own_threads: anyio.CapacityLimiter | None = None
        self.uses_log = UsesLog()

    # -- start-up ---------------------------------------------------------------------------
    def start(self, app: FastAPI) -> None:
        """Import the package, add its endpoints, open the recorder; raise StartupError."""
        held = HeldOutput()  # what the package prints as it fails comes after nbtools' line
        try:
            self.api_key = api_key(self.settings, os.environ)
            with held:
                module = importlib.import_module(self.package)
                functions = {name: _resolve(ref) for name, ref in self.endpoints.items()}
            for name, function in functions.items():
                self._add_endpoints(app, name, function)
        except IMPORT_FAILURES as error:
            raise StartupError(reason(error), printed=held.text) from error
        app.version = str(getattr(module, "__version__", app.version))
        app.openapi_schema = None
        self.module = module
        self.info = service_info(module, sorted(functions))
        hold_threads(self.package, self.info.get("purpose"))  # also under other ASGI servers
        paths = {f"/{name}" for name in functions} | {f"/{name}/batch" for name in functions}
        self.served_paths = frozenset(paths)
        self.known_paths = frozenset(BUILTIN_PATHS) | self.served_paths
        if self.settings.record_to:
            self.recorder = self._open_recorder()
        self.since = time.time()
        self.own_threads = anyio.CapacityLimiter(OWN_THREADS)

    async def in_own_thread(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` in a thread of the service's own work (at most
        :data:`OWN_THREADS` at once), not of the pool the calls run on: hung calls filling
        that pool (until their time limit) stalled /info, /metrics and the writing of the
        recorded minutes."""
        return await anyio.to_thread.run_sync(function, *args, limiter=self.own_threads)

    async def refresh_info(self) -> None:
        """While the package's lineage is pending (recorded in the background after the
        extraction), read the manifest again: /info and the recorded traffic name the
        notebook version and environment as soon as the manifest has them."""
        if self.info.get("lineage_pending") and self.module is not None:
            info = await self.in_own_thread(service_info, self.module, self.info["endpoints"])
            self.info.update(info)

    def _open_recorder(self) -> ServiceRecorder:
        from nbtools.serve.recorder import ServiceRecorder

        name = self.settings.service_name or f"service:{self.package}"
        try:
            worker = f"{socket.gethostname()}:{os.getpid()}"
            return ServiceRecorder(self.settings.record_to, name, self.info, worker)
        except Exception as error:
            raise StartupError(
                "cannot open the store traffic is recorded to (ServeSettings.record_to): "
                + reason(error)
            ) from error

    def _add_endpoints(self, app: FastAPI, name: str, function: Callable[..., Any]) -> None:
        model = request_model(name, function)
        tallied = request_model(name, function, element=counted, base=model)
        summary = (inspect.getdoc(function) or f"Call {name}().").splitlines()[0]
        result = result_annotation(function)
        keyed, max_batch = bool(self.api_key), self.settings.max_batch
        is_run = name == "run"

        async def one(body: BaseModel, request: Request) -> Response:
            kwargs = call_arguments(body)
            return await self.call(request, function, [kwargs], single=True, is_run=is_run)

        async def batch(body: list[BaseModel], request: Request) -> Response:
            if len(body) > self.settings.max_batch:
                message = f"At most {self.settings.max_batch} items."
                return invalid_reply(request, [{"loc": ("body",), "msg": message}], body)
            items = [call_arguments(item) for item in body]
            return await self.call(request, function, items, single=False, is_run=is_run)

        results = None if result is None else list[result]  # type: ignore[valid-type]
        for handler, annotation, path, answer, limit in (
            (one, model, f"/{name}", result, None),
            (batch, list[model], f"/{name}/batch", results, max_batch),  # type: ignore[valid-type]
        ):
            large = LargeBody(tallied, batch=limit is not None)
            handler.__signature__ = inspect.Signature(  # type: ignore[union-attr]
                [
                    inspect.Parameter(
                        "body", inspect.Parameter.KEYWORD_ONLY, annotation=annotation
                    ),
                    inspect.Parameter(
                        "request", inspect.Parameter.KEYWORD_ONLY, annotation=Request
                    ),
                ]
            )
            batch_note = " (a list of bodies, one result each)" if path.endswith("/batch") else ""
            app.router.add_api_route(
                path,
                handler,
                route_class_override=served_route(large.read, LARGE_BYTES),
                methods=["POST"],
                summary=summary + batch_note,
                operation_id=path.strip("/").replace("/", "_"),
                # the handlers return their Response: the model only describes the result
                response_model=answer,
                responses=error_responses(keyed=keyed, max_batch=limit),
                tags=["served functions"],
            )

    # -- requests ---------------------------------------------------------------------------
    async def call(
        self,
        request: Request,
        function: Callable[..., Any],
        items: list[dict[str, Any]],
        *,
        single: bool,
        is_run: bool,
    ) -> Response:
        """Call ``function`` once per item (in one thread), within the time limit.

        On time-out the thread is abandoned (it runs on until the function returns) and the
        worker answers other requests meanwhile.
        """
        recorded: Recorded = []

        def sink(name: str, value: Any, _unit: str | None) -> None:
            recorded.append((name, value))

        uses = CallUses(self.info.get("purpose"))
        setattr(request.state, USES_KEY, uses.uses)  # the data used, also by a call that fails
        results: list[Any] | None = None
        try:
            with anyio.move_on_after(self.settings.timeout_seconds):
                results = await _invoke(function, items, sink, uses)
        except Exception as error:
            if uses.refused is not None:
                return await self._refused(request, uses)
            setattr(request.state, ERROR_KEY, type(error).__name__)
            if isinstance(error, NotFoundError):  # what it loads is not there yet (a model)
                log.warning("%s: not available: %s", request.url.path, error.message)
                message = f"The function needs what is not there yet: {error.message}"
                return Response(
                    error_body("not-available", message, **error.details),
                    503,
                    media_type="application/json",
                )
            error_id = uuid.uuid4().hex[:16]
            log.error("error %s in %s", error_id, request.url.path, exc_info=error)
            return Response(
                error_body(
                    "internal-error",
                    "The call failed. The service log has the traceback under this error id.",
                    error_id=error_id,
                ),
                500,
                media_type="application/json",
            )
        finally:
            if uses.uses:  # most calls use no dataset: no URL to build for them
                self.uses_log.tell(request.url.path, uses)
        if uses.refused is not None:  # the function caught the refusal: the call fails anyway
            return await self._refused(request, uses)
        if results is None:  # what it recorded is left out, as for a call that raised
            setattr(request.state, ERROR_KEY, "timeout")
            limit = self.settings.timeout_seconds
            return Response(
                error_body(
                    "timeout",
                    f"The call took longer than the limit of {limit:g} s.",
                    timeout_seconds=limit,
                ),
                504,
                media_type="application/json",
            )
        setattr(request.state, RECORDED_KEY, recorded)
        if is_run:
            for result in results:
                if isinstance(result, Mapping):
                    recorded.extend(result.items())
        answer = results[0] if single else results
        limit = self.settings.max_result_bytes
        try:
            if is_large(answer):  # written in pieces, other requests answered meanwhile
                parts = await anyio.to_thread.run_sync(large_result_json, answer, limit)
                return streamed(parts)
            body = result_json(answer, limit)
        except InvalidResultError as error:  # also ResultTooLargeError, by its own code
            error_id = uuid.uuid4().hex[:16]
            setattr(request.state, ERROR_KEY, error.code)
            log.error("error %s in %s: %s", error_id, request.url.path, error.message)
            return Response(
                error_body(error.code, error.message, error_id=error_id, **error.details),
                500,
                media_type="application/json",
            )
        return Response(body, media_type="application/json")

    async def _refused(self, request: Request, uses: CallUses) -> Response:
        """403 for a call that used data the service's purpose does not allow; the reason
        (dataset, classification, allowed purposes) goes to the log only; the refusal is audited."""
        error_id, path = uuid.uuid4().hex[:16], request.url.path
        setattr(request.state, ERROR_KEY, REFUSED)
        log.error("error %s in %s: data use refused: %s", error_id, path, uses.refused)
        where = {"function": path.strip("/").split("/")[0], "path": path, "error_id": error_id}
        await anyio.to_thread.run_sync(audit_refusal, self.package, uses, f"403 {REFUSED}", where)
        message = (
            f"The call used data that the service's purpose ({uses.purpose or 'none'}) does not "
            "allow. The service log has the reason under this error id."
        )
        body = error_body(REFUSED, message, error_id=error_id, purpose=uses.purpose)
        return Response(body, 403, media_type="application/json")

    # -- live-traffic recording -------------------------------------------------------------
    async def flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self.flush(before=int(time.time() // 60))

    async def flush(self, before: int | None = None) -> None:
        """Write the minutes before epoch minute ``before`` (all when None: at shutdown, the
        minute in progress covered up to now) to the store."""
        minutes = self.aggregates.take(before)
        if not minutes or self.recorder is None:
            return
        until = time.time() if before is None else None
        write = functools.partial(self.recorder.write, minutes, since=self.since, until=until)
        await self.refresh_info()
        try:
            await self.in_own_thread(write)
        except Exception:
            log.exception("cannot write %d minute(s) of traffic to the store", len(minutes))


async def _invoke(
    function: Callable[..., Any],
    items: list[dict[str, Any]],
    sink: Callable[..., None],
    uses: CallUses,
) -> list[Any]:
    if inspect.iscoroutinefunction(function):
        token, used = RECORD_SINK.set(sink), USE_SINK.set(uses)
        try:
            return [await function(**item) for item in items]
        finally:
            RECORD_SINK.reset(token)
            USE_SINK.reset(used)

    def in_thread() -> list[Any]:
        RECORD_SINK.set(sink)
        USE_SINK.set(uses)
        return [function(**item) for item in items]

    return await anyio.to_thread.run_sync(in_thread, abandon_on_cancel=True)


def _resolve(ref: str) -> Callable[..., Any]:
    module_name, _, attribute = ref.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module_name), attribute)
    if not callable(function):
        raise InvalidInputError(f"{ref} is not a function.")
    return function


def _allowed(methods: str) -> str:
    """The ``Allow`` header of a route taking ``methods`` (FastAPI's): HEAD wherever GET (the
    middleware answers it), and OPTIONS, which this header answers."""
    allowed = {method.strip() for method in methods.split(",") if method.strip()}
    if "GET" in allowed:
        allowed.add("HEAD")
    return ", ".join(sorted(allowed | {"OPTIONS"}))


def build_app(
    package: str, endpoints: Mapping[str, str], settings: ServeSettings | None = None
) -> FastAPI:
    """The app of :func:`nbtools.serve.create_app`."""
    service = Service(package, endpoints, settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            service.start(app)
        except StartupError as error:
            printed = str(error.details.get("printed", ""))
            log_failure(package, error.message, error.__cause__ or error, printed)
            service.failure_told = True
            raise
        # Start-up objects (the app, its libraries, the notebook's model) live as long as the
        # process: kept out of the collector's full passes, whose pauses would otherwise grow
        # with them and stall every request in flight (the p99 in bench/bench_serve.py).
        frozen = service.settings.freeze_gc
        if frozen:
            gc.freeze()
        service.ready = True
        service.prometheus.ready.set(1)
        recorder = service.recorder
        flusher = asyncio.create_task(service.flush_loop()) if recorder else None
        try:
            yield
        finally:
            service.ready = False
            hold_process_uses(None)  # the threads' uses: as in a script again
            service.prometheus.ready.set(0)
            if flusher is not None and recorder is not None:
                flusher.cancel()
                await service.flush()
                recorder.close()
            if frozen:
                gc.unfreeze()

    app = FastAPI(title=package, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.service = service
    add_docs(app, package, sorted(service.endpoints))
    document_key(app, lambda: bool(service.api_key), OPEN_PATHS)
    public_docs = service.settings.public_docs
    app.add_middleware(
        Guard,
        api_key=lambda: service.api_key,
        open_paths=OPEN_PATHS | DOCS_PATHS if public_docs else OPEN_PATHS,
        open_prefixes=(DOCS_PREFIX,) if public_docs else (),
        max_body_bytes=service.settings.max_body_bytes,
        body_seconds=service.settings.timeout_seconds,
        served=lambda: service.served_paths,
        known=lambda: service.known_paths,
        prometheus=service.prometheus,
        aggregates=service.aggregates if service.settings.record_to else None,
        failure_told=lambda: service.failure_told,
    )
    _add_builtin_routes(app, service)
    return app


def _add_builtin_routes(app: FastAPI, service: Service) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        counted = error.unlisted if isinstance(error, TrimmedValidationError) else 0
        return invalid_reply(request, error.errors(), error.body, counted)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        headers = dict(error.headers or {})
        path = request.url.path
        if error.status_code == 405:  # the path's route, with the methods it takes
            headers["Allow"] = allow = _allowed(headers.get("Allow", ""))
            if request.method == "OPTIONS":
                return Response(status_code=204, headers=headers)
            message = f"{path} takes {allow}, not {request.method}."
            allowed = allow.split(", ")
            body = error_body("method-not-allowed", message, method=request.method, allowed=allowed)
        elif error.status_code == 404:
            message = (
                f"No endpoint at {path}: GET / lists this service's endpoints, and /docs "
                "describes them."
            )
            body = error_body("not-found", message, path=path)
        elif error.status_code == 413:  # a streamed body over the limit (guards.Guard)
            setattr(request.state, ERROR_KEY, "body-too-large")
            body = too_large(service.settings.max_body_bytes)
        elif error.status_code == 408:  # a body that stopped arriving (guards.Guard)
            setattr(request.state, ERROR_KEY, "request-timeout")
            body = body_too_slow(service.settings.timeout_seconds)
        else:
            body = error_body("http-error", str(error.detail))
        return Response(body, error.status_code, headers, media_type="application/json")

    @app.get("/health", tags=["service"], summary="Liveness: the process answers.")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", tags=["service"], summary="Readiness: start-up (loading) is done.")
    async def ready() -> JSONResponse:
        return JSONResponse({"ready": service.ready}, status_code=200 if service.ready else 503)

    @app.get("/info", tags=["service"], summary="What is served and where it came from.")
    async def info() -> dict[str, Any]:
        await service.refresh_info()
        artifacts = await service.in_own_thread(loaded_artifacts)
        return {**service.info, "artifacts": artifacts}

    @app.get("/metrics", tags=["service"], summary="Prometheus metrics (text format).")
    async def metrics() -> Response:
        text = await service.in_own_thread(generate_latest, service.prometheus.registry)
        return Response(text, media_type=CONTENT_TYPE_LATEST)
