"""Printing results: readable tables for people, ``--json`` for scripts (no click here: fast
commands use it too)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from nbtools.jsonvalues import json_default


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to standard output: the command's answer (an error
    after it is not printed as JSON again, :class:`nbtools.cli.app.LazyGroup`). JSON has no
    NaN or infinity: a model holding one is a bug, refused (``ValueError``) rather than
    written as the ``NaN`` strict parsers refuse."""
    sys.stdout.write(json.dumps(data, indent=2, default=json_default, allow_nan=False) + "\n")
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
    start-up)."""
    if text.isprintable():
        return text
    return re.sub(_UNSAFE, _escaped, text)


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


#: How long a word, and a short value, a narrow table keeps whole while it can, and how wide
#: a column folded to fit stays at least (see :func:`_widths`).
_WHOLE, _SHORT, _FOLDED = 16, 10, 6


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
    columns are never narrowed to fit (the names of a listing's fields)."""
    rows = list(rows)
    if not rows and empty:
        print(visible(empty))
        return
    from rich.console import Console
    from rich.table import Table

    cells = [[_cell(value) for value in row] for row in rows]
    title = _zone_to_title(visible(title), rows, cells)
    console = Console(markup=False, emoji=False)  # text in brackets or colons is shown as is
    table = Table(title=title, title_justify="left", header_style="bold")
    moments = frozenset(
        index
        for index in range(len(columns))
        if any(isinstance(row[index], datetime) for row in rows)
    )
    widths: Sequence[int | None] = _widths(columns, cells, console.width, fixed, moments) or [
        None
    ] * len(columns)
    for column, width in zip(columns, widths, strict=True):
        table.add_column(column, overflow="fold", width=width)
    for row in cells:
        table.add_row(*row)
    console.print(table)


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


def _widths(
    columns: Sequence[str],
    cells: list[list[str]],
    room: int,
    fixed: int = 0,
    moments: frozenset[int] = frozenset(),
) -> list[int] | None:
    """Each column's width in a table ``room`` wide (borders and padding included), or none
    if the table fits as it is, or cannot fit even with every word folded; the first
    ``fixed`` columns keep their full width.

    Too wide, the widest columns give way first, down to what the table can keep whole, the
    first of: every header word, short value (up to 10 characters: an id, a state, a cron
    expression), word (a path) and moment (the columns ``moments``: a date and its time on
    one line); the same with short values wrapping between words (``1/8`` above ``cells``);
    the same with a moment's time below its date; words up to 16 characters; words up to 10
    characters; headers only. A longer word folds, its column at least ``_FOLDED`` wide."""
    texts = [[row[index] for row in cells] for index in range(len(columns))]
    widths = [
        max(len(line) for text in (column, *values) for line in text.splitlines() or [""])
        for column, values in zip(columns, texts, strict=True)
    ]
    room -= 3 * len(columns) + 1
    if sum(widths) <= room:
        return None
    headers = [_longest_word([column]) for column in columns]
    shorts = [max((len(v) for v in values if len(v) <= _SHORT), default=0) for values in texts]
    words = [_longest_word(values) for values in texts]

    def kept(whole: int, short: bool, moment: bool = True) -> list[int]:
        return [
            width
            if i < fixed or (moment and i in moments)
            else min(width, max(header, shorts[i] if short else 0, w if w <= whole else _FOLDED))
            for i, (width, header, w) in enumerate(zip(widths, headers, words, strict=True))
        ]

    choices = (
        kept(max(words), True),
        kept(max(words), False),  # a moment stays on its line while other text wraps
        kept(max(words), False, moment=False),
        kept(_WHOLE, False, moment=False),
        kept(_SHORT, False, moment=False),
        kept(0, False, moment=False),
    )
    if sum(choices[-1]) > room:
        return None
    # Each choice in turn, as far as it goes: words are broken only once every column that
    # can wrap between words does (prose wraps before a path folds).
    for floors in choices:
        while (excess := sum(widths) - room) > 0:
            shrinkable = [index for index, width in enumerate(widths) if width > floors[index]]
            if not shrinkable:
                break
            widest = max(shrinkable, key=widths.__getitem__)
            below = [widths[index] for index in shrinkable if widths[index] < widths[widest]]
            widths[widest] = max(floors[widest], widths[widest] - excess, max(below, default=0))
        if excess <= 0:
            break
    return widths


def _longest_word(texts: Iterable[str]) -> int:
    return max((len(word) for text in texts for word in text.split()), default=0)


def print_fields(title: str, fields: dict[str, Any]) -> None:
    """Render a name/value listing for one object."""
    print_table(title, ("field", "value"), fields.items(), fixed=1)
