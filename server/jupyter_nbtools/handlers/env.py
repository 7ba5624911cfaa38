"""``/nbtools/api/env/…``: kernel environment snapshots, diffs, drift checks, exports, recreate.

Captures, lock-file exports (index look-ups) and recreates take from a moment to minutes, so
they run in a worker thread instead of blocking the server.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized, authorized_to_execute
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.bodies import body_fields
from jupyter_nbtools.handlers.off_loop import off_loop
from jupyter_nbtools.handlers.seen import seen_from_root
from nbtools import envsnap
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
            for k in envsnap.list_kernels()
        ]
        self.reply(kernels)


class SnapshotsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        self.reply(envsnap.list_snapshots(self.project))

    @body_fields("kernel")
    @web.authenticated
    @authorized
    async def post(self) -> None:
        kernel = _string(self, self.json_body(), "kernel")
        with self.naming("kernel"):  # its interpreter failing to report
            snapshot = await self.call(envsnap.snapshot_kernel, self.project, kernel)
        self.reply(snapshot.to_dict(), status=201)


class SnapshotHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, snapshot_id: str) -> None:
        self.reply(envsnap.get_snapshot(self.project, snapshot_id, "snapshot_id").to_dict())


class ExportHandler(NbtoolsHandler):
    """A snapshot as a file: ``{filename, format, content, unlocked}`` for the client to save."""

    @web.authenticated
    @authorized
    async def get(self, snapshot_id: str) -> None:
        fmt = self.get_query_argument("format", "requirements")
        if self.get_query_argument("index_url", None) is not None:
            # the server fetches from the index: its operator chooses it, not a request
            raise InvalidInputError(
                "index_url is the server's setting (c.EnvSettings.index_url), not a request's.",
                field="index_url",
            )
        settings = self.settings["nbtools_env"]
        found = await self.call(
            envsnap.export_file, self.project, snapshot_id, fmt, settings, "snapshot_id"
        )
        self.reply(found)


class DiffHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        old = envsnap.get_snapshot(self.project, self.required_argument("old"), "old")
        new = envsnap.get_snapshot(self.project, self.required_argument("new"), "new")
        self.reply(envsnap.diff(old, new).to_dict())


class CheckHandler(NbtoolsHandler):
    """Drift of a kernel's current environment from a snapshot (``empty`` when none)."""

    @body_fields("kernel", "snapshot")
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        baseline = await self.call(
            envsnap.get_snapshot, self.project, _string(self, body, "snapshot")
        )
        kernel = _string(self, body, "kernel")
        with self.naming("kernel"):  # its interpreter failing to report
            current = await self.call(envsnap.snapshot_kernel, self.project, kernel)
        self.reply(
            {
                **envsnap.diff(baseline, current).to_dict(),
                "baseline": baseline.summary(),
                "current": current.summary(),
            }
        )


class ImportHandler(NbtoolsHandler):
    """Store what a pylock.toml or requirements.txt (sent as text) pins."""

    @body_fields("content", "name")
    @web.authenticated
    @authorized
    @off_loop
    def post(self) -> None:
        body = self.json_body()
        content: str = self.body_field(body, "content", str, required=True, empty=True)
        name = _string(self, body, "name")
        with self.naming("content"):  # a line of it that pins nothing, or not TOML
            snapshot, created = envsnap.import_text(self.project, content, name)
        self.reply(snapshot.to_dict(), status=201 if created else 200)


class RecreateHandler(NbtoolsHandler):
    """Recreate a snapshot in a new venv at a path inside the server root; with ``dry_run``,
    only the checks made before the work starts (204: it would start), so that a form can
    show a refused folder at its field at once."""

    @body_fields("dry_run", "path", "snapshot")
    @web.authenticated
    @authorized_to_execute
    async def post(self) -> None:
        body = self.json_body()
        directory = self.resolve(_string(self, body, "path"))
        snapshot = await self.call(
            envsnap.get_snapshot, self.project, _string(self, body, "snapshot")
        )
        if self.body_field(body, "dry_run", bool, False):
            await self.call(envsnap.check_recreate, snapshot, directory, self.project)
            self.reply(None, status=204)
            return
        with self.naming("snapshot"):  # what it pins failing to install, or to report
            report = await self.call(
                envsnap.recreate_snapshot,
                snapshot,
                directory,
                project=self.project,
                actor=self.actor,
            )
        self.reply(seen_from_root(self.project.root, report.to_dict()))  # its venv's path


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
