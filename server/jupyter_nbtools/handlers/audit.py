"""The audit trail: ``GET /audit`` (JSON, or ``?format=csv`` a CSV file), readable with the
``admin`` action only."""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import ADMIN, authorized_for
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.off_loop import off_loop
from nbtools.audit import MAX_LIMIT, entries_csv, list_entries, parse_since
from nbtools.ids import MAX_ID


class AuditHandler(NbtoolsHandler):
    """Entries newest first, a page at a time (``?limit=N``, ``?before=ID``), filtered by
    ``actor``, ``action`` (``job.*`` for a family), ``object`` (the target) and ``since``;
    ``?format=csv``: the same entries as ``nbtools-audit.csv`` (:mod:`nbtools.audit.csvfile`)."""

    @web.authenticated
    @authorized_for(ADMIN)
    @off_loop
    def get(self) -> None:
        fmt = self.choice_argument("format", ("json", "csv"))
        since = self.get_query_argument("since", None)
        entries = list_entries(
            self.project,
            since=parse_since(since) if since else None,
            actor=self.get_query_argument("actor", None),
            action=self.get_query_argument("action", None),
            target=self.get_query_argument("object", None),
            before=self.whole_number_argument("before", least=1, most=MAX_ID),
            limit=self.whole_number_argument("limit", 100, least=1, most=MAX_LIMIT) or 100,
        )
        if fmt == "csv":
            self.reply_file(entries_csv(entries), "text/csv", "nbtools-audit.csv")
        else:
            self.reply([entry.to_dict() for entry in entries])


ROUTES = [(r"/audit", AuditHandler)]
