"""``GET /nbtools/api/notebook?path=…``: a notebook's cells, tags and kernel."""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.off_loop import off_loop
from nbtools.notebooks import read_notebook, summarize


class NotebookHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        path = self.path_argument()
        notebook = read_notebook(self.resolve(path))
        self.reply(summarize(notebook, path).to_dict())


ROUTES = [(r"/notebook", NotebookHandler)]
