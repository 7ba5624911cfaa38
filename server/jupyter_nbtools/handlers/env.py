"""``/nbtools/api/env/…``: kernel environment snapshots, diffs, drift checks, exports, recreate.

Captures, lock-file exports (index look-ups) and recreates take from a moment to minutes, so
they run in a worker thread instead of blocking the server.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_nbtools.handlers.base import NbtoolsHandler
from nbtools.envsnap import diff, get_snapshot, list_snapshots, snapshot_kernel
from nbtools.envsnap.files import DEFAULT_NAMES, FORMATS, export, parse_file
from nbtools.envsnap.kernels import list_kernels
from nbtools.envsnap.recreate import recreate
from nbtools.envsnap.snapshots import save_snapshot
from nbtools.errors import InvalidInputError

T = TypeVar("T")


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run blocking core work off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(
        None, functools.partial(function, *args)
    )


def _string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"The request body needs {name!r} as a non-empty string.")
    return value


class KernelsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        kernels = [
            {"name": k.name, "display_name": k.display_name, "language": k.language}
            for k in list_kernels()
        ]
        self.reply(kernels)


class SnapshotsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(list_snapshots(self.project))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        kernel = _string(self.json_body(), "kernel")
        snapshot = await in_thread(snapshot_kernel, self.project, kernel)
        self.reply(snapshot.to_dict(), status=201)


class SnapshotHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self, snapshot_id: str) -> None:
        self.reply(get_snapshot(self.project, snapshot_id).to_dict())


class ExportHandler(NbtoolsHandler):
    """A snapshot as a file: ``{filename, format, content, unlocked}`` for the client to save."""

    @web.authenticated
    @authorized
    async def get(self, snapshot_id: str) -> None:
        fmt = self.get_query_argument("format", "requirements")
        if fmt not in FORMATS:
            raise InvalidInputError(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
        snapshot = get_snapshot(self.project, snapshot_id)
        index_url = self.get_query_argument("index_url", None)
        result = await in_thread(export, self.project, snapshot, fmt, index_url)
        self.reply(
            {
                "filename": DEFAULT_NAMES[fmt],
                "format": fmt,
                "snapshot": snapshot.id,
                "content": result.text,
                "unlocked": result.unlocked,
            }
        )


class DiffHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        old = get_snapshot(self.project, self.required_argument("old"))
        new = get_snapshot(self.project, self.required_argument("new"))
        self.reply(diff(old, new).to_dict())


class CheckHandler(NbtoolsHandler):
    """Drift of a kernel's current environment from a snapshot (``empty`` when none)."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        baseline = get_snapshot(self.project, _string(body, "snapshot"))
        current = await in_thread(snapshot_kernel, self.project, _string(body, "kernel"))
        self.reply(
            {
                **diff(baseline, current).to_dict(),
                "baseline": baseline.summary(),
                "current": current.summary(),
            }
        )


class ImportHandler(NbtoolsHandler):
    """Store what a pylock.toml or requirements.txt (sent as text) pins."""

    @web.authenticated
    @authorized
    def post(self) -> None:
        body = self.json_body()
        snapshot = parse_file(_string(body, "content"), _string(body, "name"))
        self.reply(save_snapshot(self.project, snapshot).to_dict(), status=201)


class RecreateHandler(NbtoolsHandler):
    """Recreate a snapshot in a new venv at a path inside the server root."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        snapshot = get_snapshot(self.project, _string(body, "snapshot"))
        directory = self.resolve(_string(body, "path"))
        report = await in_thread(recreate, snapshot, directory)
        self.reply(report.to_dict())


ROUTES = [
    (r"/env/kernels", KernelsHandler),
    (r"/env/snapshots", SnapshotsHandler),
    (r"/env/snapshots/(?P<snapshot_id>[^/]+)", SnapshotHandler),
    (r"/env/snapshots/(?P<snapshot_id>[^/]+)/export", ExportHandler),
    (r"/env/diff", DiffHandler),
    (r"/env/check", CheckHandler),
    (r"/env/import", ImportHandler),
    (r"/env/recreate", RecreateHandler),
]
