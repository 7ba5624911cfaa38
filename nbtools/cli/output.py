"""Printing results: readable tables for people, ``--json`` for scripts (no click here: fast
commands use it too)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from nbtools.jsonvalues import dumps_text, json_default

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from nbtools.cli.table_widths import Kind


class Figure(str):
    """A number's text as a table shows it, rounded or with its unit (``2.1 KiB``,
    ``0.0007043``): kept whole, as a number is (:func:`nbtools.cli.table_widths.kind`)."""

    __slots__ = ()


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to standard output: the command's answer (an error
    after it is not printed as JSON again, :class:`nbtools.cli.app.LazyGroup`), with the
    values the REST API writes (:func:`~nbtools.jsonvalues.dumps_text`)."""
    print_answer(dumps_text(data, indent=2) + "\n")


def print_answer(text: str) -> None:
    """Write ``text``, the command's answer for scripts (``--json``, ``--csv``), to standard
    output as it is: an error after it is not printed as JSON again."""
    sys.stdout.write(text)
    import click  # loaded: this runs inside a command

    from nbtools.cli.context import CliContext

    ctx = click.get_current_context(silent=True)
    cli_ctx = ctx.find_object(CliContext) if ctx is not None else None
    if cli_ctx is not None:
        cli_ctx.answered = True


#: What text a notebook or a person wrote must not bring to a terminal raw: control characters
#: but the line break and the tab (ESC starts the sequences that colour, move the cursor, clear
#: the screen or set the window's title; BEL, CR, the C1 controls), the bidirectional
#: overrides and isolates (which show text in another order than it is) and lone surrogates
#: (which no terminal's encoding writes).
_UNSAFE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


def visible(text: str) -> str:
    """``text`` to show a person: each unsafe character (:data:`_UNSAFE`) escaped as Python
    writes it (``\\x1b``, ``\\u202e``), so that a terminal shows it rather than obeys it.
    Tables, diffs and error messages go through it; ``--json`` keeps every character.

    Printable text (every unsafe character is unprintable) is returned as it is, and the
    pattern is compiled only for text that may hold one (≈ 0.5 ms, not paid by every command's
    start-up). A character standard output's encoding cannot hold (``LC_ALL=C`` with
    ``PYTHONUTF8=0``: ASCII) is escaped so too (``\\u2605``), before a table measures it."""
    if not text.isprintable():
        text = re.sub(_UNSAFE, _escaped, text)
    if text.isascii():
        return text
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding)


def say(text: str) -> None:
    """Print a line for a person (a command's answer without ``--json``), :func:`visible`."""
    print(visible(text))


def _escaped(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def moment(value: datetime | str) -> datetime:
    """A moment of a model, with its offset: ISO text is read as the JSON models write it;
    a moment without an offset is UTC, as the store keeps them."""
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found if found.tzinfo is not None else found.replace(tzinfo=timezone.utc)


def when(value: datetime | str, zone: str | None = None) -> str:
    """A moment as people read it: to the second, with its time zone's abbreviation, in the
    machine's local time or in ``zone`` (an IANA name); ``value`` as :func:`moment` reads it."""
    at = moment(value)
    if zone is None:
        return at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def _cell(value: Any) -> str:
    """A table's text of ``value`` (:func:`visible`); a moment as :func:`when` writes it: in
    its own zone when it carries a named one (a job's next run, in its schedule's zone), else
    in local time."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):  # as JSON, the form -p values and --json take
        return visible(json.dumps(value, ensure_ascii=False, default=json_default))
    if not isinstance(value, datetime):
        return visible(str(value))
    zone = getattr(value.tzinfo, "key", None)  # a zoneinfo.ZoneInfo names its zone
    return when(value, zone if isinstance(zone, str) else None)


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    empty: str = "",
    fixed: int = 0,
) -> None:
    """Render rows as a table with a title (moments as :func:`when` writes them, their zone
    said once in the title when they share one: ``Runs (times in UTC)``); with no rows, the
    line ``empty`` instead (what there is none of, and how to make one). The first ``fixed``
    columns are never narrowed to fit (the names of a listing's fields).

    The table fits the terminal as :func:`nbtools.cli.table_widths.column_widths` says. When
    it cannot without breaking a moment, a number or a short word, each row is shown as a
    listing of its own (``field │ value``, a rule between rows), unless the table is a
    listing already or has one column; too narrow even for that, the listing is left to
    rich, which folds its cells at the terminal's edge (never the table's many columns, which
    would leave each a character wide, or none)."""
    rows = list(rows)
    if not rows and empty:
        print(visible(empty))
        return
    from rich.console import Console

    from nbtools.cli.table_widths import column_widths, kind

    cells = [[_cell(value) for value in row] for row in rows]
    kinds = [[kind(value) for value in row] for row in rows]
    title = _zone_to_title(visible(title), rows, cells)
    console = Console(markup=False, emoji=False)  # text in brackets or colons is shown as is
    widths = column_widths(columns, cells, kinds, console.width, fixed)
    if widths is None and rows and not fixed and len(columns) > 1:  # a listing per row
        fields = [[name, text] for row in cells for name, text in zip(columns, row, strict=True)]
        fields_kinds: list[list[Kind]] = [["text", what] for line in kinds for what in line]
        listed = column_widths(_LISTING, fields, fields_kinds, console.width, fixed=1)
        console.print(_table(title, _LISTING, listed or [None, None], fields, len(columns)))
        return
    _print_table(console, title, columns, widths or [None] * len(columns), cells)


def _print_table(
    console: Console,
    title: str,
    columns: Sequence[str],
    widths: Sequence[int | None],
    cells: list[list[str]],
) -> None:
    """Print the table in columns of ``widths`` (None: as wide as its widest cell). rich
    takes ≈ 1 ms to draw a row (28 s for a log of 9,400 versions), so it draws the title, the
    header and the first row only, and the other rows are written as it draws them: each
    line of each cell padded to its column's width between the edges rich draws in this
    terminal (:func:`_edges`: ``│``, or ``|`` where it draws an ASCII box). That holds for
    a row whose every line fits on one line of its column, as most do; when a row does not
    (rich folds it), or rich drew the first row otherwise, rich draws the whole table."""
    sized = [
        width if width is not None else _widest(column, [row[index] for row in cells])
        for index, (column, width) in enumerate(zip(columns, widths, strict=True))
    ]
    drawn_first = _table(title, columns, sized, cells[:1])
    edges = _edges(console, drawn_first)
    rest = [_plain_row(row, sized, edges) for row in cells[1:]]
    first = _plain_row(cells[0], sized, edges) if cells else None
    if first is not None and all(lines is not None for lines in rest):
        with console.capture() as captured:
            console.print(drawn_first)
        drawn = captured.get().splitlines(keepends=True)
        if drawn[-1 - len(first) : -1] == [f"{line}\n" for line in first]:
            body = "".join(f"{line}\n" for lines in rest if lines for line in lines)
            console.file.write("".join(drawn[:-1]) + body + drawn[-1])
            return
    console.print(_table(title, columns, widths, cells))


def _widest(column: str, texts: list[str]) -> int:
    """The width of a column as wide as its widest line, header included."""
    from rich.cells import cell_len

    return max(cell_len(line) for text in (column, *texts) for line in text.splitlines() or [""])


def _edges(console: Console, table: Table) -> tuple[str, str, str]:
    """The characters rich draws at a row's left edge, between its cells and at its right edge
    in ``console``: ``│`` in a UTF-8 terminal, ``|`` where rich draws an ASCII box instead (a
    terminal whose encoding has no box-drawing characters: ``LC_ALL=C``)."""
    from rich.box import HEAVY_HEAD

    box = (table.box or HEAVY_HEAD).substitute(console.options, safe=console.safe_box)
    return box.mid_left, box.mid_vertical, box.mid_right


def _plain_row(
    row: Sequence[str], widths: Sequence[int], edges: tuple[str, str, str]
) -> list[str] | None:
    """A row's lines as rich draws them, between the ``edges`` of :func:`_edges`, when each
    line of each cell fits on one line of its column (a cell of fewer lines is blank below
    them); else None."""
    from rich.cells import cell_len

    left, divider, right = edges
    cells = [text.split("\n") for text in row]
    height = max(len(lines) for lines in cells)
    drawn: list[list[str]] = [[] for _ in range(height)]
    for lines, width in zip(cells, widths, strict=True):
        for index, text in enumerate(lines + [""] * (height - len(lines))):
            gap = width - cell_len(text)
            if gap < 0 or not text.isprintable() or text != text.strip():
                return None
            drawn[index].append(f" {text}{' ' * gap} ")
    return [f"{left}{divider.join(parts)}{right}" for parts in drawn]


#: The columns of a listing: the names of an object's fields and their values.
_LISTING = ("field", "value")


def _table(
    title: str,
    columns: Sequence[str],
    widths: Sequence[int | None],
    cells: list[list[str]],
    section: int = 0,
) -> Table:
    """A table of ``cells`` in columns of ``widths`` (``None``: as wide as its cells), a rule
    after every ``section`` rows when it is given."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for column, width in zip(columns, widths, strict=True):
        table.add_column(column, overflow="fold", width=width)
    for index, row in enumerate(cells, start=1):
        table.add_row(*row, end_section=bool(section) and index % section == 0)
    return table


def _zone_to_title(title: str, rows: list[Sequence[Any]], cells: list[list[str]]) -> str:
    """``title``, told the time zone when every moment of the table is written in one: the
    zone then leaves the moments (changed in ``cells``), which keeps them to a line more
    often in a narrow table."""
    moments = [
        (texts, index)
        for row, texts in zip(rows, cells, strict=True)
        for index, value in enumerate(row)
        if isinstance(value, datetime)
    ]
    zones = {texts[index].rpartition(" ")[2] for texts, index in moments}
    if len(zones) != 1:
        return title
    (zone,) = zones
    for texts, index in moments:
        texts[index] = texts[index].removesuffix(f" {zone}")
    if title.endswith(")"):  # a count already in brackets: "Audit (7; times in UTC)"
        return f"{title[:-1]}; times in {zone})"
    return f"{title} (times in {zone})"


def print_fields(title: str, fields: dict[str, Any]) -> None:
    """Render a name/value listing for one object."""
    print_table(title, _LISTING, fields.items(), fixed=1)
