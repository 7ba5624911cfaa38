"""The audit trail as CSV (``nbtools audit list --csv``, ``GET /audit?format=csv``): one row
an entry, newest first, under the header :data:`CSV_COLUMNS`; the summary as JSON text.

A spreadsheet opening the file runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (a
tab or a carriage return, too) as a formula, and an entry's text comes from users (a
dataset's name, a notebook's path). Such a cell is written with a ``'`` before it, as is a
cell that starts with ``'`` itself, so that the file runs nothing and every value comes back
whole: a reader takes one leading ``'`` off a cell that has one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from nbtools.jsonvalues import dumps_text

if TYPE_CHECKING:
    from nbtools.audit import AuditEntry

#: The columns, in order: ``at`` in ISO 8601, ``summary`` a JSON object.
CSV_COLUMNS = ("id", "at", "actor", "action", "target", "summary")

#: What a cell may start with that a spreadsheet would run, and the ``'`` that marks a cell
#: written with one before it.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def entries_csv(entries: Iterable[AuditEntry]) -> str:
    """``entries`` as CSV text (RFC 4180: every line ends ``\\r\\n``, a cell holding a comma,
    a quote or a line break quoted); no entries: the header alone."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        cells = (
            str(entry.id),
            entry.at.isoformat(),
            entry.actor,
            entry.action,
            entry.target,
            dumps_text(entry.summary, ensure_ascii=False),
        )
        writer.writerow([neutralised(cell) for cell in cells])
    return out.getvalue()


def neutralised(cell: str) -> str:
    """``cell`` with a ``'`` before it if a spreadsheet would run it (or it starts with ``'``)."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell
