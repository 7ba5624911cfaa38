"""Printing results: readable tables for people, ``--json`` for scripts (no click here: fast
commands use it too)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from nbtools.jsonvalues import json_default


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to standard output."""
    sys.stdout.write(json.dumps(data, indent=2, default=json_default) + "\n")


def when(moment: datetime | str, zone: str | None = None) -> str:
    """A moment as people read it: to the second, with its time zone's abbreviation, in the
    machine's local time or in ``zone`` (an IANA name). ISO text is read as the JSON models
    write it; a moment without an offset is UTC, as the store keeps them."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if zone is None:
        return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


#: How long a word a narrow table keeps whole, tried in turn (see :func:`_widths`), and how
#: wide a column folded to fit stays at least.
_WHOLE_WORDS, _FOLDED = (16, 10, 0), 6


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):  # as JSON, the form -p values and --json take
        return json.dumps(value, ensure_ascii=False, default=json_default)
    return when(value) if isinstance(value, datetime) else str(value)


def print_table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], empty: str = ""
) -> None:
    """Render rows as a table with a title (moments as :func:`when` writes them); with no
    rows, the line ``empty`` instead (what there is none of, and how to make one)."""
    rows = list(rows)
    if not rows and empty:
        print(empty)
        return
    from rich.console import Console
    from rich.table import Table

    cells = [[_cell(value) for value in row] for row in rows]
    console = Console()
    table = Table(title=title, title_justify="left", header_style="bold")
    for column, width in zip(columns, _widths(columns, cells, console.width)):
        table.add_column(column, overflow="fold", width=width)
    for row in cells:
        table.add_row(*row)
    console.print(table)


def _widths(columns: Sequence[str], cells: list[list[str]], room: int) -> list[int | None]:
    """Each column's width in a table ``room`` wide (borders and padding included), or none
    where the table fits as it is. Too wide, the widest columns give way first, down to
    their longest word while words up to 16 characters can stay whole, then up to 10 (an
    id, a state, a moment's date), then none; lines break between words, and a longer word
    folds, keeping its column ``_FOLDED`` wide at least, and as wide as its header's words."""
    texts = [[column, *(row[index] for row in cells)] for index, column in enumerate(columns)]
    widths = [
        max(len(line) for text in texts[i] for line in text.splitlines() or [""])
        for i in range(len(columns))
    ]
    room -= 3 * len(columns) + 1
    words = [_longest_word(column) for column in texts]
    headers = [_longest_word([column]) for column in columns]  # headers stay whole
    for whole in _WHOLE_WORDS:
        floors = [
            word if word <= whole else max(min(word, _FOLDED), header)
            for word, header in zip(words, headers)
        ]
        while (excess := sum(widths) - room) > 0:
            shrinkable = [index for index, width in enumerate(widths) if width > floors[index]]
            if not shrinkable:
                break
            widest = max(shrinkable, key=widths.__getitem__)
            below = [widths[index] for index in shrinkable if widths[index] < widths[widest]]
            widths[widest] = max(floors[widest], widths[widest] - excess, max(below, default=0))
    return list(widths) if 0 < sum(widths) <= room else [None] * len(columns)


def _longest_word(texts: Iterable[str]) -> int:
    return max((len(word) for text in texts for word in text.split()), default=0)


def print_fields(title: str, fields: dict[str, Any]) -> None:
    """Render a name/value listing for one object."""
    print_table(title, ("field", "value"), fields.items())
