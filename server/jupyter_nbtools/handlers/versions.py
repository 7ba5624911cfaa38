"""``/nbtools/api/versions``: a notebook's history, named saves, diffs, restores and gc."""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import RESTORE_ACTION, authorized, authorized_for
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.bodies import body_fields
from jupyter_nbtools.handlers.off_loop import off_loop
from nbtools import versioning


def find_version(handler: NbtoolsHandler, version_id: str) -> versioning.Version:
    """The version a URL names by id."""
    return versioning.get(handler.project, handler.path_id(version_id, "version_id"))


class VersionsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        """``?path=NB[&limit=N]``: the notebook's versions, newest first, each with what uses
        it (runs, pinned jobs, extracted packages), and the last versioning failure of the
        server for it (or ``null``)."""
        path = self.relative_path(self.path_argument())
        limit = self.whole_number_argument("limit", least=1)
        versions = versioning.history(self.project, path, limit)
        used = versioning.references_of(self.project, [version.id for version in versions])
        recorder = self.settings.get("nbtools_versions")
        self.reply(
            {
                "path": path,
                "versions": [
                    {**version.to_dict(), "references": used.get(version.id, [])}
                    for version in versions
                ],
                "failure": recorder.failure(path) if recorder else None,
            }
        )

    @body_fields("path", "message")
    @web.authenticated
    @authorized
    @off_loop
    def post(self) -> None:
        """``{"path", "message"?}``: record the notebook file as a (named) version."""
        body = self.json_body()
        path = self.relative_path(self.body_field(body, "path", str, required=True))
        message = self.body_field(body, "message", str)
        content = versioning.disk_content(self.project, path)
        version = versioning.commit(self.project, path, content, message=message, user=self.actor)
        self.reply(version.to_dict(), status=201 if version.recorded else 200)


class VersionHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, version_id: str) -> None:
        """One version, with what references it."""
        version = find_version(self, version_id)
        references = versioning.references(self.project, version.id)
        self.reply({**version.to_dict(), "references": references})


class VersionNotebookHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, version_id: str) -> None:
        """The notebook content of one version."""
        version = find_version(self, version_id)
        self.reply(versioning.version_notebook(self.project, version))


class VersionDiffHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        """``?path=NB[&a=REF][&b=REF]``: the diff model (refs: number, latest~N, disk)."""
        path = self.relative_path(self.path_argument())
        a, b = self.get_query_argument("a", None), self.get_query_argument("b", None)
        self.reply(versioning.diff_versions(self.project, path, a or None, b or None))


class VersionRestoreHandler(NbtoolsHandler):
    @body_fields("as_path")
    @web.authenticated
    @authorized_for(RESTORE_ACTION)
    @off_loop
    def post(self, version_id: str) -> None:
        """``{"as_path"?}``: put the version back onto its notebook (no ``as_path``, or null),
        or into a new file (an empty ``as_path`` is a 400, never the notebook itself); needs
        what restoring it through Jupyter's checkpoint API needs (``RESTORE_ACTION``)."""
        version = find_version(self, version_id)
        as_path = self.body_field(self.json_body(), "as_path", str)
        if as_path is not None:
            as_path = self.relative_path(as_path, "as_path")
        restored = versioning.restore(self.project, version, as_path, user=self.actor)
        self.reply(restored.to_dict())


class VersionsGcHandler(NbtoolsHandler):
    @body_fields("keep", "dry_run")
    @web.authenticated
    @authorized
    @off_loop
    def post(self) -> None:
        """``{"keep"?, "dry_run"?}``: remove old unnamed, unreferenced versions."""
        body = self.json_body()
        keep = self.body_field(body, "keep", int)
        dry_run = self.body_field(body, "dry_run", bool, False)
        report = versioning.collect_garbage(
            self.project,
            keep=versioning.DEFAULT_KEEP if keep is None else keep,
            dry_run=dry_run,
            user=self.actor,
        )
        self.reply(report.to_dict())


ROUTES = [
    (r"/versions", VersionsHandler),
    (r"/versions/diff", VersionDiffHandler),
    (r"/versions/gc", VersionsGcHandler),
    (r"/versions/(?P<version_id>[^/]+)", VersionHandler),
    (r"/versions/(?P<version_id>[^/]+)/notebook", VersionNotebookHandler),
    (r"/versions/(?P<version_id>[^/]+)/restore", VersionRestoreHandler),
]
