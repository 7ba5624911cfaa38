"""``GET /nbtools/api/status``: version, root, store and schema revision."""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.off_loop import off_loop
from nbtools.status import project_status


class StatusHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        self.reply(project_status(self.project))


ROUTES = [(r"/status", StatusHandler)]
