"""The data catalog, read-only: ``/datasets``, ``/datasets/search?q=``, ``/datasets/<name>``
and ``/datasets/<name>/usage`` (what was derived from it).

Changes to the catalog go through the CLI or ``datasets.yaml`` (docs/governance.md). The
search route comes first: a dataset named ``search`` is listed by ``/datasets``.
"""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.off_loop import off_loop
from jupyter_nbtools.handlers.seen import seen_usage
from nbtools import data


class DatasetsHandler(NbtoolsHandler):
    """A page of the catalog by name, with the ``total``: ``?offset=`` (default 0),
    ``?limit=`` (1 to ``data.MAX_PAGE``, default 50); ``?tag=`` and ``?classification=``
    filter."""

    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        page = data.page_datasets(
            self.project,
            tag=self.get_query_argument("tag", None) or None,
            classification=self.get_query_argument("classification", None) or None,
            offset=self.whole_number_argument("offset", 0) or 0,
            limit=self.whole_number_argument("limit", 50, least=1, most=data.MAX_PAGE) or 50,
        )
        self.reply(page.to_dict())


class DatasetSearchHandler(NbtoolsHandler):
    """``?q=words[&limit=N]``: the datasets matching every word, best first, with ``rank``."""

    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        found = data.search_datasets(
            self.project,
            self.required_text_argument("q"),
            self.whole_number_argument("limit", 20, least=1, most=data.MAX_SEARCH_LIMIT) or 20,
            field="q",
        )
        self.reply([{**dataset.to_dict(), "rank": dataset.rank} for dataset in found])


class DatasetHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, name: str) -> None:
        self.reply(data.get_dataset(self.project, data.parse_name(name)).to_dict())


class DatasetUsageHandler(NbtoolsHandler):
    """The runs, jobs, extracted packages and notebook versions derived from the dataset
    (also after it left the catalog)."""

    @web.authenticated
    @authorized
    @off_loop
    def get(self, name: str) -> None:
        report = data.usage_report(self.project, name).to_dict()
        self.reply(seen_usage(self.project.root, report))


ROUTES = [
    (r"/datasets", DatasetsHandler),
    (r"/datasets/search", DatasetSearchHandler),
    (r"/datasets/(?P<name>[^/]+)", DatasetHandler),
    (r"/datasets/(?P<name>[^/]+)/usage", DatasetUsageHandler),
]
