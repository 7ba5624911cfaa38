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

    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(value) for value in row))
    Console().print(table)


def print_fields(title: str, fields: dict[str, Any]) -> None:
    """Render a name/value listing for one object."""
    print_table(title, ("field", "value"), fields.items())
