"""Service previews: ``nbtools serve`` of an extracted package, as processes the server
extension starts, watches and stops (the Productionize wizard's Serve step).

Each preview is ``python -m nbtools.cli.main serve PACKAGE_DIR`` on a free loopback port, in
its own process group (stopping it signals the whole group, so nothing is left behind), with
its output kept in a bounded buffer. The server's own lifetime bounds every preview:
:meth:`ServicePreviews.stop_all` runs when the extension stops.

A start waits for the preview to be ready (:meth:`ServicePreviews.started`), at most
:data:`START_WAIT_SECONDS`: one that ends first is answered with why (:meth:`Preview.failure`,
read from its start-up's entry in its log: 403 for data its purpose refuses, 400 for another
refusal of ``nbtools serve``, exit 2; 409 for a start-up that failed), and a preview still
starting then (a model loading) shows that same failure in ``failure`` should it end so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from jupyter_nbtools.loopback import free_port, get_json
from jupyter_nbtools.preview_log import DATA_REFUSED, LOG_LINE_CHARS, LOG_LINES, OutputLog
from nbtools import audit
from nbtools.errors import (
    ConflictError,
    InvalidInputError,
    NbtoolsError,
    NotFoundError,
    PolicyRefusedError,
)
from nbtools.export.writer import read_manifest
from nbtools.processes import own_module_command
from nbtools.project import Project
from nbtools.serve.config import ServeSettings
from nbtools.settings import environment_variable

__all__ = ["LOG_LINES", "LOG_LINE_CHARS", "OutputLog", "Preview", "ServicePreviews"]

#: Seconds a preview gets to stop after SIGTERM before its process group is killed.
STOP_GRACE_SECONDS = 5.0
#: A preview's id: 12 lowercase hex digits.
PREVIEW_ID = re.compile(r"[0-9a-f]{12}")
#: While a ready preview's ``/info`` says its lineage is still being recorded
#: (``lineage_pending``: ``nbtools extract`` records it in the background), a refresh reads it
#: again, at most every INFO_RETRY_SECONDS, for INFO_PENDING_SECONDS after the first read;
#: then it stays as last read (a restart of the preview reads it anew).
INFO_RETRY_SECONDS = 0.5
INFO_PENDING_SECONDS = 300.0
#: Seconds a start waits for its preview to be ready or to end (:meth:`ServicePreviews.started`).
START_WAIT_SECONDS = 15.0
#: The variable a preview started with an API key reads it from (``--api-key-env``): the key
#: reaches the process through its environment, never its command line.
PREVIEW_KEY_VARIABLE = "NBTOOLS_PREVIEW_API_KEY"
#: The variables of the settings giving ``nbtools serve`` its API key.
KEY_SETTING_VARIABLES = tuple(
    environment_variable(ServeSettings, name) for name in ("api_key_env", "api_key_file")
)
#: The longest API key a preview takes; printable ASCII without spaces (a header value).
MAX_KEY_CHARS = 256
API_KEY = re.compile(rf"[!-~]{{1,{MAX_KEY_CHARS}}}")


@dataclass
class Preview:
    """One running (or ended) ``nbtools serve`` process."""

    id: str
    package: str
    package_dir: str
    port: int
    process: subprocess.Popen[str]
    started_by: str
    started: datetime
    log: OutputLog
    reader: threading.Thread
    #: The key the service needs (kept for the server's own reads of /info and
    #: /openapi.json; never answered, never logged); empty when it needs none.
    api_key: str = field(default="", repr=False)
    recording: bool = False
    ready: bool = False
    info: dict[str, Any] | None = None
    #: When ``info`` was first and last read (monotonic seconds).
    info_first: float = 0.0
    info_last: float = 0.0
    openapi: dict[str, Any] | None = field(default=None, repr=False)

    def info_due(self) -> bool:
        """Whether a refresh reads ``/info``: never read yet, or its lineage still pending
        (within :data:`INFO_PENDING_SECONDS`, every :data:`INFO_RETRY_SECONDS`)."""
        if self.info is None:
            return True
        now = time.monotonic()
        return (
            self.info.get("lineage_pending") is True
            and now - self.info_first < INFO_PENDING_SECONDS
            and now - self.info_last >= INFO_RETRY_SECONDS
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def needs_api_key(self) -> bool:
        return bool(self.api_key)

    @property
    def state(self) -> str:
        """``starting``, ``ready`` or ``exited``."""
        if self.process.poll() is not None:
            return "exited"
        return "ready" if self.ready else "starting"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "package": self.package,
            "package_dir": self.package_dir,
            "port": self.port,
            "url": self.url,
            "pid": self.process.pid,
            "started": self.started.isoformat(),
            "started_by": self.started_by,
            "state": self.state,
            "exit_code": self.process.poll(),
            "info": self.info,
            "needs_api_key": self.needs_api_key,
            "recording": self.recording,
            "failure": None if (failure := self.failure()) is None else failure.to_dict(),
        }

    def failure(self) -> NbtoolsError | None:
        """Why the preview ended, if it ended with an exit code other than 0 (as a stop ends
        it): the reason its log gives, as the error a start answers."""
        code = self.process.poll()
        if not code:
            return None
        reason = self.log.told(self.package).rstrip(".")
        details = {
            "field": "package_dir",
            "id": self.id,
            "state": "exited",
            "exit_code": code,
            "log": f"/services/{self.id}/log",  # its whole log, a path of this API
        }
        if code == 2 and reason.startswith(DATA_REFUSED):
            message = (
                f"The preview of {self.package} was refused at start-up: {reason}. Change what "
                "it names, then start the preview again."
            )
            return PolicyRefusedError(message, **details)
        if code == 2:
            message = (
                f"The preview of {self.package} could not start: {reason}. Change what it "
                "names, then start the preview again."
            )
            return InvalidInputError(message, **details)
        message = (
            f"The preview of {self.package} failed at start-up: {reason}. Its log shows the "
            "whole start-up: fix what failed, then start the preview again."
        )
        return ConflictError(message, **details)


class ServicePreviews:
    """The previews of one server: start, list (with their readiness), call, stop."""

    def __init__(self, project: Project, limit: int) -> None:
        self.project = project
        self.limit = limit
        self._previews: dict[str, Preview] = {}
        self._lock = threading.Lock()

    # -- start and stop ----------------------------------------------------------------

    def start(
        self, package_dir: Path, started_by: str, *, api_key: str = "", record: bool = False
    ) -> tuple[Preview, bool]:
        """Serve the package extracted into ``package_dir``; ``(preview, created)``. A
        package already previewed (and still running) answers its running preview. A new
        one is audited as ``service.start`` by ``started_by`` before its process starts.

        ``api_key``: the service then refuses calls without it (``--api-key-env``).
        ``record``: its traffic is recorded in this project's store (``--record-to``).
        """
        if api_key and not API_KEY.fullmatch(api_key):
            raise InvalidInputError(
                f"'api_key' must be 1 to {MAX_KEY_CHARS} printable ASCII characters without "
                "spaces (it is sent as a header).",
                field="api_key",
            )
        relative = self.project.relative(package_dir)
        package = self._served_package(package_dir, relative)
        with self._lock:
            for preview in self._previews.values():
                if preview.package_dir == relative and preview.state != "exited":
                    return preview, False
            running = [p for p in self._previews.values() if p.state != "exited"]
            if len(running) >= self.limit:
                raise ConflictError(
                    f"{len(running)} previews are running already (the limit, "
                    "NbtoolsApp.max_service_previews): stop one first.",
                    running=[p.id for p in running],
                )
            port = free_port()
            # As `nbtools serve` from a shell: the root is the service's directory, not a
            # place its imports are searched (own_module_command).
            command = own_module_command("nbtools.cli.main", "serve", str(package_dir))
            # --stop-on-eof: the service stops when this server is gone, even killed
            # (the pipe's end it holds closes with it), so no preview outlives it.
            command += ["--host", "127.0.0.1", "--port", str(port), "--stop-on-eof"]
            environment = self._environment()
            if api_key:
                environment[PREVIEW_KEY_VARIABLE] = api_key
                command += ["--api-key-env", PREVIEW_KEY_VARIABLE]
            if record:
                self.project.store.revision()  # made and migrated before the service opens it
                command += ["--record-to", self.project.db_url]
            preview_id = secrets.token_hex(6)
            summary = {
                "preview": preview_id,
                "package": package,
                "port": port,
                "api_key": bool(api_key),
                "record": record,
            }
            audit.record_now(
                self.project.store, started_by, "service.start", f"service {relative}", summary
            )
            process = subprocess.Popen(
                command,
                cwd=self.project.root,
                env=environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                encoding="utf-8",
                errors="replace",
                start_new_session=True,  # its own process group: stopped as a whole
            )
            assert process.stdout is not None
            log = OutputLog()
            preview = Preview(
                id=preview_id,
                package=package,
                package_dir=relative,
                port=port,
                process=process,
                started_by=started_by,
                started=datetime.now(timezone.utc),
                log=log,
                reader=log.follow(process.stdout),
                api_key=api_key,
                recording=record,
            )
            self._previews[preview.id] = preview
        return preview, True

    async def started(self, preview: Preview) -> None:
        """Wait until the new ``preview`` is ready, or ended (then raise its
        :meth:`~Preview.failure`), at most :data:`START_WAIT_SECONDS`."""
        deadline = time.monotonic() + START_WAIT_SECONDS
        while time.monotonic() < deadline:
            await self.refresh(preview)
            if preview.state == "ready":
                return
            if preview.state == "exited":
                # it may have ended after refresh() looked: its last lines, which tell why, are
                # read to the end first (else the reason was whatever line came before them)
                await self.refresh(preview)
                failure = preview.failure()
                if failure is not None:
                    raise failure
                return
            await asyncio.sleep(0.1)

    def stop(self, preview_id: str, actor: str | None = None) -> None:
        """Stop a preview (SIGTERM, then SIGKILL of its group after the grace) and forget it;
        audited as ``service.stop`` by ``actor``."""
        with self._lock:
            preview = self._get(preview_id)
            summary = {
                "preview": preview.id,
                "package": preview.package,
                "started_by": preview.started_by,
                "state": preview.state,
            }
            target = f"service {preview.package_dir}"
            audit.record_now(self.project.store, actor, "service.stop", target, summary)
            del self._previews[preview_id]
        _stop_group(preview)

    def stop_all(self) -> None:
        with self._lock:
            previews = list(self._previews.values())
            self._previews.clear()
        for preview in previews:
            _stop_group(preview)

    # -- reading -----------------------------------------------------------------------

    def get(self, preview_id: str) -> Preview:
        with self._lock:
            return self._get(preview_id)

    def all(self) -> list[Preview]:
        with self._lock:
            return sorted(self._previews.values(), key=lambda p: p.started)

    async def refresh(self, preview: Preview) -> Preview:
        """Ask a live preview's ``/ready`` (and ``/info`` once ready, again while its lineage is
        still being recorded: :meth:`Preview.info_due`)."""
        if preview.state == "exited":
            preview.ready = False
            for _ in range(20):  # its last lines, which tell why it ended, read to the end
                if not preview.reader.is_alive():
                    break
                await asyncio.sleep(0.05)
            return preview
        status, _ = await get_json(f"{preview.url}/ready", preview.api_key)
        preview.ready = status == 200
        if preview.ready and preview.info_due():
            status, info = await get_json(f"{preview.url}/info", preview.api_key)
            if status == 200 and isinstance(info, dict):  # else: as last read
                preview.info_last = time.monotonic()
                preview.info_first = preview.info_first or preview.info_last
                preview.info = info
        return preview

    async def openapi(self, preview: Preview) -> dict[str, Any]:
        """The preview's OpenAPI document (read once it is ready)."""
        if preview.openapi is None:
            await self.refresh(preview)
            self._require_ready(preview)
            status, document = await get_json(f"{preview.url}/openapi.json", preview.api_key)
            if status != 200 or not isinstance(document, dict):
                raise ConflictError(
                    f"The preview of {preview.package} did not answer its OpenAPI document.",
                    id=preview.id,
                )
            preview.openapi = document
        return preview.openapi

    def admit_call(self, preview: Preview, endpoint: str, actor: str | None) -> None:
        """Check that a call of ``endpoint`` can be passed on to the preview (the name of a
        served function, the preview ready), then audit it as ``service.call`` by ``actor``:
        it runs the package's code with what the caller sent (which the entry never holds),
        so it is entered before it is passed on, whatever comes of it."""
        if not endpoint.isidentifier():
            raise InvalidInputError(
                f"'endpoint' must be the name of a served function, got {endpoint!r:.80}.",
                field="endpoint",
            )
        self._require_ready(preview)
        summary = {"preview": preview.id, "package": preview.package, "endpoint": endpoint}
        target = f"service {preview.package_dir}"
        audit.record_now(self.project.store, actor, "service.call", target, summary)

    async def call(
        self, preview: Preview, endpoint: str, body: dict[str, Any], api_key: str | None = None
    ) -> dict[str, Any]:
        """``POST /<endpoint>`` of the preview with ``body`` (and ``api_key`` as its
        ``X-API-Key`` header), a call :meth:`admit_call` admitted: its status, JSON and
        latency."""
        request = HTTPRequest(
            f"{preview.url}/{endpoint}",
            method="POST",
            headers={
                "Content-Type": "application/json",
                **({"X-API-Key": api_key} if api_key else {}),
            },
            body=json.dumps(body),
            request_timeout=600,
        )
        began = time.perf_counter()
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except (OSError, HTTPClientError) as error:
            raise ConflictError(
                f"The preview of {preview.package} did not answer: {error}.", id=preview.id
            ) from None
        latency = time.perf_counter() - began
        text = response.body.decode("utf-8", "replace") if response.body else ""
        try:
            answer: Any = json.loads(text) if text else None
        except ValueError:
            answer = text
        return {"status": response.code, "body": answer, "latency_ms": round(latency * 1000, 3)}

    # -- helpers -----------------------------------------------------------------------

    def _served_package(self, package_dir: Path, relative: str) -> str:
        if not package_dir.is_dir():
            raise InvalidInputError(
                f"'package_dir' {relative!r} is not a directory: write the package first.",
                field="package_dir",
            )
        try:
            package = read_manifest(package_dir).get("package")
        except InvalidInputError as error:
            raise InvalidInputError(error.message, field="package_dir") from None
        if not isinstance(package, str):
            raise InvalidInputError(
                f"'package_dir' {relative!r} holds no extracted package: write the package "
                "(Productionize, or nbtools extract) first.",
                field="package_dir",
            )
        if not (package_dir / "src" / package / "service.py").is_file():
            raise InvalidInputError(
                f"Package {package} serves nothing: mark a function with '#| serve' (or tag "
                "its cell 'serve') and write the package again.",
                field="package_dir",
            )
        return package

    def _environment(self) -> dict[str, str]:
        """The server's environment, pointing the service at this project and its store
        (:meth:`~nbtools.project.Project.environment`, as a run's kernel is: so
        ``nbtools.artifacts.load`` finds the runs), without the server's token nor an API
        key setting of its own (``$NBTOOLS_SERVE_API_KEY_FILE``): the preview's key is the
        one it was started with, or none."""
        dropped = {"JUPYTER_TOKEN", *KEY_SETTING_VARIABLES}
        environment = {k: v for k, v in os.environ.items() if k not in dropped}
        environment.update(self.project.environment())
        environment["PYTHONUNBUFFERED"] = "1"
        return environment

    def _get(self, preview_id: str) -> Preview:
        if not PREVIEW_ID.fullmatch(preview_id):
            raise InvalidInputError(
                f"'preview_id' must be a preview's id (12 hex digits), got {preview_id!r:.40}.",
                field="preview_id",
            )
        preview = self._previews.get(preview_id)
        if preview is None:
            raise NotFoundError(f"No service preview {preview_id!r}.", field="preview_id")
        return preview

    @staticmethod
    def _require_ready(preview: Preview) -> None:
        if preview.state != "ready":
            raise ConflictError(
                f"The preview of {preview.package} is {preview.state}, not ready: see its log.",
                id=preview.id,
                state=preview.state,
            )


def _stop_group(preview: Preview) -> None:
    """SIGTERM to the preview's process group, SIGKILL after the grace; wait for it."""
    process = preview.process
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(STOP_GRACE_SECONDS)
    # the leader may be gone while a child it started lives on
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if process.stdin is not None:
        process.stdin.close()  # the pipe that would have stopped it with this server
    preview.reader.join(STOP_GRACE_SECONDS)
