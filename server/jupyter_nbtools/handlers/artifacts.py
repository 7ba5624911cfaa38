"""A run's artifacts: ``/runs/<id>/artifacts`` (list) and ``/runs/<id>/artifacts/<name>``
(download)."""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.download import attachment
from jupyter_nbtools.handlers.off_loop import off_loop
from jupyter_nbtools.handlers.seen import seen_artifacts
from nbtools.artifacts.stored import get_artifact, list_artifacts, open_artifact

#: Bytes sent at a time: an artifact (up to 1 GiB) never sits whole in the server's memory.
CHUNK_BYTES = 1 << 20


class RunArtifactsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, run_id: str) -> None:
        found = list_artifacts(self.project, self.path_id(run_id, "run_id"))
        self.reply(seen_artifacts(self.project.root, [artifact.to_dict() for artifact in found]))


class RunArtifactDownloadHandler(NbtoolsHandler):
    """One artifact as an attachment, sandboxed by CSP like the run's other outputs."""

    @property
    def content_security_policy(self) -> str:
        return super().content_security_policy + "; sandbox"

    @web.authenticated
    @authorized
    async def get(self, run_id: str, name: str) -> None:
        # Same-site downloads only, as for the run's outputs (see RunDownloadHandler).
        self.check_xsrf_cookie()
        run_number = self.path_id(run_id, "run_id")
        artifact = await self.call(get_artifact, self.project, run_number, name)
        file = await self.call(open_artifact, artifact)
        try:
            self.set_header("Content-Type", "application/octet-stream")
            self.set_header("Content-Disposition", attachment(artifact.name))
            self.set_header("X-Content-Type-Options", "nosniff")
            while chunk := await self.call(file.read, CHUNK_BYTES):
                self.write(chunk)
                await self.flush()
        finally:
            await self.call(file.close)
        self.finish()


ROUTES = [
    (r"/runs/(?P<run_id>[^/]+)/artifacts", RunArtifactsHandler),
    (r"/runs/(?P<run_id>[^/]+)/artifacts/(?P<name>[^/]+)", RunArtifactDownloadHandler),
]
