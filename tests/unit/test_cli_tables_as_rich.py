"""CLI tables written without rich (the fast path of :func:`~nbtools.cli.output.print_table`)
are what rich draws: row by row and whole, in UTF-8 and ASCII terminals, coloured or not, at
widths where rows fit, fold, or the table is empty (docs/cli.md)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from nbtools.cli.output import print_table


def _drawn_by_rich(width: int, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    """The table as rich draws it whole, in the widths print_table gives its columns."""
    from rich.console import Console

    from nbtools.cli.output import _table
    from nbtools.cli.table_widths import column_widths, kind

    cells = [[str(value) for value in row] for row in rows]
    kinds = [[kind(value) for value in row] for row in rows]
    widths = column_widths(columns, cells, kinds, width)
    console = Console(markup=False, emoji=False, width=width)
    with console.capture() as captured:
        console.print(_table("Versions", columns, widths or [None] * len(columns), cells))
    return captured.get()


@pytest.mark.parametrize("width", [200, 60])
@pytest.mark.parametrize("odd_row", [None, ("x", "two\nlines", 3), ("y", "a long text " * 9, 4)])
def test_a_long_table_is_drawn_as_rich_draws_it(
    capsys: pytest.CaptureFixture[str], width: int, odd_row: tuple[Any, ...] | None
) -> None:
    """Rows past the first are written without rich (≈ 1 ms a row), exactly as it draws them;
    a row that does not fit on one line has rich draw the whole table."""
    columns = ("version", "message", "size")
    rows: list[tuple[Any, ...]] = [
        (f"v{index}", ["saved", "日本語のノート", "", "a b  c"][index % 4], index * 1000)
        for index in range(300)
    ]
    if odd_row is not None:
        rows.insert(150, odd_row)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", str(width))
        print_table("Versions", columns, rows)
    assert capsys.readouterr().out == _drawn_by_rich(width, columns, rows)


#: Rows rich might lay out otherwise than one padded line a cell: wide characters (CJK, an
#: emoji, a flag), a combining accent, inner spaces, an empty cell, a cell of two lines, a
#: path, a word wider than a narrow terminal.
ODD_COLUMNS = ("version", "message", "detail")
ODD_ROWS = [
    ("v1", "日本語のノート", "😀 ok"),
    ("v2", "e\u0301te", "🇯🇵"),
    ("v3", "a b  c", ""),
    ("v4", "two\nlines", "/a/very/long/path/to/a/notebook.ipynb"),
    ("v5", "x" * 70, "saved"),
]
#: Terminals: a file (a pipe, CI), a terminal in colour, one with NO_COLOR.
TERMINALS: dict[str, dict[str, bool]] = {
    "file": {},
    "colour": {"force_terminal": True},
    "NO_COLOR": {"force_terminal": True, "no_color": True},
}


class _Terminal:
    """A terminal ``width`` columns wide writing ``encoding`` (``ascii``: ``LC_ALL=C``), its
    cells escaped as :func:`~nbtools.cli.output.visible` escapes what it cannot hold."""

    def __init__(self, encoding: str, width: int, kind: str) -> None:
        from rich.console import Console

        self.encoding = encoding
        self.stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding, newline="")
        self.console = Console(
            file=self.stream, width=width, markup=False, emoji=False, **TERMINALS[kind]
        )

    def cells(self, rows: list[tuple[str, ...]]) -> list[list[str]]:
        return [
            [text.encode(self.encoding, "backslashreplace").decode() for text in row]
            for row in rows
        ]

    def written(self) -> str:
        self.stream.flush()
        return self.stream.buffer.getvalue().decode(self.encoding)  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", TERMINALS)
@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])
def test_each_row_written_without_rich_is_the_row_rich_draws(encoding: str, kind: str) -> None:
    """The rows past the first that fit their columns are written without rich (a long
    table's speed): each is the row rich draws in those columns, in a UTF-8 terminal and in
    one whose encoding has no box-drawing characters (rich draws ``|``), in colour or not.
    Was: written between ``│`` whatever rich drew, so that in an ASCII terminal the first
    row never matched and rich drew every table whole (≈ 1 ms a row)."""
    from nbtools.cli.output import _edges, _plain_row, _table

    terminal = _Terminal(encoding, 200, kind)
    widths = [7, 44, 40]  # the escaped CJK of an ASCII terminal fits too
    fitting = []
    for row in terminal.cells(ODD_ROWS):
        table = _table("T", ODD_COLUMNS, widths, [row])
        ours = _plain_row(row, widths, _edges(terminal.console, table))
        with terminal.console.capture() as captured:
            terminal.console.print(table)
        if ours is not None:
            fitting.append(row[0])
            assert captured.get().splitlines()[-1 - len(ours) : -1] == ours
    assert fitting == ["v1", "v2", "v3", "v4"]  # v5's 70 x's fold: rich draws that table


@pytest.mark.parametrize("kind", TERMINALS)
@pytest.mark.parametrize("encoding", ["utf-8", "ascii"])
@pytest.mark.parametrize("width", [20, 40, 200])
@pytest.mark.parametrize(
    "rows",
    [ODD_ROWS[:4], ODD_ROWS, [], [("v1", "x" * 300, "")], ODD_ROWS[:1]],
    ids=["fitting", "one-folds", "empty", "one-long-cell", "one-row"],
)
def test_a_table_is_written_as_rich_draws_it_whole(
    rows: list[tuple[str, ...]], width: int, encoding: str, kind: str
) -> None:
    """Whatever rich makes of the rows (columns narrowed for a narrow terminal, a cell
    folded, no row at all, an ASCII box), the table written is the one rich draws whole in
    the same columns."""
    from nbtools.cli.output import _print_table, _table
    from nbtools.cli.table_widths import column_widths

    ours, theirs = _Terminal(encoding, width, kind), _Terminal(encoding, width, kind)
    cells = ours.cells(rows)
    widths = column_widths(ODD_COLUMNS, cells, [["text"] * 3 for _ in cells], width)
    sized = widths or [None, None, None]
    _print_table(ours.console, "Versions", ODD_COLUMNS, sized, cells)
    theirs.console.print(_table("Versions", ODD_COLUMNS, sized, cells))
    assert ours.written() == theirs.written()
