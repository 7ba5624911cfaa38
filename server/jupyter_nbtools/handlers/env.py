"""``/nbtools/api/env/…``: kernel environment snapshots, diffs, drift checks, exports, recreate.

Captures, lock-file exports (index look-ups) and recreates take from a moment to minutes, so
they run in a worker thread instead of blocking the server.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_nbtools.handlers.base import NbtoolsHandler, authorized_to_execute, off_loop
from nbtools.envsnap import diff, get_snapshot, list_snapshots, snapshot_kernel
from nbtools.envsnap.files import DEFAULT_NAMES, FORMATS, export, parse_file
from nbtools.envsnap.kernels import list_kernels
from nbtools.envsnap.recreate import recreate
from nbtools.envsnap.snapshots import save_snapshot
from nbtools.errors import InvalidInputError


def _string(handler: NbtoolsHandler, body: dict[str, Any], name: str) -> str:
    text: str = handler.body_field(body, name, str, required=True)
    return text


class KernelsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        kernels = [
            {"name": k.name, "display_name": k.display_name, "language": k.language}
            for k in list_kernels()
        ]
        self.reply(kernels)


class SnapshotsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        self.reply(list_snapshots(self.project))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        kernel = _string(self, self.json_body(), "kernel")
        snapshot = await self.call(snapshot_kernel, self.project, kernel)
        self.reply(snapshot.to_dict(), status=201)


class SnapshotHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, snapshot_id: str) -> None:
        self.reply(get_snapshot(self.project, snapshot_id).to_dict())


class ExportHandler(NbtoolsHandler):
    """A snapshot as a file: ``{filename, format, content, unlocked}`` for the client to save."""

    @web.authenticated
    @authorized
    async def get(self, snapshot_id: str) -> None:
        fmt = self.get_query_argument("format", "requirements")
        if fmt not in FORMATS:
            raise InvalidInputError(
                f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.", field="format"
            )
        snapshot = get_snapshot(self.project, snapshot_id)
        index_url = self.get_query_argument("index_url", None)
        result = await self.call(export, self.project, snapshot, fmt, index_url)
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
    @off_loop
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
        baseline = get_snapshot(self.project, _string(self, body, "snapshot"))
        current = await self.call(snapshot_kernel, self.project, _string(self, body, "kernel"))
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
    @off_loop
    def post(self) -> None:
        body = self.json_body()
        snapshot = parse_file(_string(self, body, "content"), _string(self, body, "name"))
        self.reply(save_snapshot(self.project, snapshot).to_dict(), status=201)


class RecreateHandler(NbtoolsHandler):
    """Recreate a snapshot in a new venv at a path inside the server root."""

    @web.authenticated
    @authorized_to_execute
    async def post(self) -> None:
        body = self.json_body()
        directory = self.resolve(_string(self, body, "path"))
        snapshot = get_snapshot(self.project, _string(self, body, "snapshot"))
        report = await self.call(recreate, snapshot, directory)
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
