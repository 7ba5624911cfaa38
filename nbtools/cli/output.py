"""Printing results: readable tables for people, ``--json`` for scripts (no click here: fast
commands use it too)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from nbtools.jsonvalues import json_default


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to standard output."""
    sys.stdout.write(json.dumps(data, indent=2, default=json_default) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Render rows as a table with a title."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    Console().print(table)


def print_fields(title: str, fields: dict[str, Any]) -> None:
    """Render a name/value listing for one object."""
    print_table(title, ("field", "value"), fields.items())
