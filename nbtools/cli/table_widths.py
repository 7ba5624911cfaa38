"""How a table's columns fit a terminal: what gives way first when a table is too wide
(docs/cli.md, "Tables and narrow terminals"). Widths count terminal columns as rich draws
them: a wide character (日, 😀) takes two."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from itertools import chain
from typing import Literal, NamedTuple

from rich.cells import cell_len

from nbtools.cli.output import Figure

#: What a cell holds, for what may break in it: a moment breaks only between its date and its
#: time, and only once no other cell can give way; a number (an id, a count, a size) never.
Kind = Literal["text", "moment", "number"]

#: A short value (an id, a state, ``1/8 cells``) and a short word: a word this long never
#: breaks in a table. A longer word folds, first one longer than ``_LONG``, its column kept
#: at least ``_FOLDED`` wide.
_SHORT, _LONG, _FOLDED = 10, 16, 6


class _Step(NamedTuple):
    """One step of giving way: what a cell still keeps whole at it."""

    short: int  # a value up to this long stays on one line
    word: int | None  # a word up to this long stays whole (None: every word); a longer one folds
    moment: bool  # a moment's date and time stay on one line


#: What gives way, in this order: text wraps between its words, short values last; words
#: longer than 16 characters fold, then words longer than 10; a moment's time goes below its
#: date. A number, a moment's date and its time, a word of up to 10 characters and a header's
#: words never break.
_STEPS = (
    _Step(_SHORT, None, moment=True),
    _Step(0, None, moment=True),
    _Step(0, _LONG, moment=True),
    _Step(0, _SHORT, moment=True),
    _Step(0, _SHORT, moment=False),
)


def kind(value: object) -> Kind:
    """The kind of cell ``value`` makes (a bool is text: ``True``; a :class:`Figure` is a
    number)."""
    if isinstance(value, datetime):
        return "moment"
    if isinstance(value, Figure) or (
        isinstance(value, (int, float)) and not isinstance(value, bool)
    ):
        return "number"
    return "text"


class _Cell(NamedTuple):
    """What the layout needs of a cell, measured once."""

    width: int  # its widest line
    words: tuple[int, ...]  # its words' widths, narrowest first
    kind: Kind

    @property
    def longest(self) -> int:
        """Its longest word's width."""
        return self.words[-1] if self.words else 0


def column_widths(
    columns: Sequence[str],
    cells: Sequence[Sequence[str]],
    kinds: Sequence[Sequence[Kind]],
    room: int,
    fixed: int = 0,
) -> list[int | None] | None:
    """Each column's width in a table ``room`` wide (borders and padding included), for the
    rows ``cells`` of ``kinds``: ``None`` for each column when the table fits as it is;
    ``None`` alone when even the last of :data:`_STEPS` leaves it too wide. The first
    ``fixed`` columns keep their full width.

    Too wide, the table takes the steps in turn, each only as far as it must, its widest
    columns giving way first. The room a step leaves goes back to the columns that gave way
    before it: a moment on two lines takes 10 columns, not the 19 of its line."""
    room -= 3 * len(columns) + 1
    # Each column's distinct cells and how often each comes (states and dates repeat).
    counted = [
        Counter((row[index], line[index]) for row, line in zip(cells, kinds, strict=True))
        for index in range(len(columns))
    ]
    full = [
        max(_width(text) for text in (column, *(text for text, _ in values)))
        for column, values in zip(columns, counted, strict=True)
    ]
    if sum(full) <= room:
        return [None] * len(columns)
    headers = [_measure(column, "text").longest for column in columns]  # a header's words whole
    measured = [_measured(values) for values in counted]
    floors = [full]
    for step in _STEPS:
        floors.append(
            [
                width
                if index < fixed
                else min(width, max((header, *(_floor(cell, step) for cell in values))))
                for index, (header, width, values) in enumerate(
                    zip(headers, full, measured, strict=True)
                )
            ]
        )
        if sum(floors[-1]) <= room:
            break
    else:
        return None
    widths = floors[-1]
    # A moment is on one line or on two: a column of moments alone has no use for the room
    # between, which goes back to the others.
    two_lines = (
        set()
        if _STEPS[len(floors) - 2].moment
        else {index for index, values in enumerate(measured) if _moments_only(values)}
    )
    longest = [
        sorted(chain.from_iterable([cell.longest] * count for cell, count in values.items()))
        for values in measured
    ]
    for given in range(len(floors) - 1, 0, -1):  # the room left back, the last step first
        ceilings = [
            width if index in two_lines else ceiling
            for index, (width, ceiling) in enumerate(zip(widths, floors[given - 1], strict=True))
        ]
        folded = _STEPS[given - 1].word is not None
        widths = _fill(widths, ceilings, room, longest if folded else None)
    fitted: list[int | None] = [*widths]
    return fitted


def _measured(counted: Counter[tuple[str, Kind]]) -> Counter[_Cell]:
    """A column's distinct cells, measured, and how often each comes."""
    measured: Counter[_Cell] = Counter()
    for (text, kind), count in counted.items():
        measured[_measure(text, kind)] += count
    return measured


def _measure(text: str, kind: Kind) -> _Cell:
    return _Cell(_width(text), tuple(sorted(cell_len(word) for word in text.split())), kind)


def _width(text: str) -> int:
    """How many terminal columns the widest line of ``text`` takes."""
    return max((cell_len(line) for line in text.splitlines()), default=0)


def _floor(cell: _Cell, step: _Step) -> int:
    """How narrow ``cell`` may get at ``step``, keeping whole what ``step`` keeps whole."""
    if cell.kind == "number" or (cell.kind == "moment" and step.moment) or cell.width <= step.short:
        return cell.width
    if cell.kind == "moment" or step.word is None or cell.longest <= step.word:
        return cell.longest
    kept = bisect_right(cell.words, step.word)  # the words still whole
    return max(cell.words[kept - 1] if kept else 0, _FOLDED)


def _moments_only(cells: Counter[_Cell]) -> bool:
    """Whether a column's filled cells are all moments (and it has one)."""
    kinds = {cell.kind for cell in cells if cell.width}
    return kinds == {"moment"}


def _fill(
    widths: Sequence[int],
    ceilings: Sequence[int],
    room: int,
    longest: Sequence[list[int]] | None = None,
) -> list[int]:
    """``widths`` raised toward ``ceilings`` within ``room``. Given each column's cells'
    longest words (sorted), first to the widths that keep the most cells' words whole for the
    room they take; then the narrowest first: where the widest columns giving way first
    leave them."""
    filled = list(widths)
    spare = room - sum(filled)
    while longest is not None and (kept := _keeping(filled, ceilings, spare, longest)):
        index, width = kept
        spare -= width - filled[index]
        filled[index] = width
    while spare > 0:
        growing = [index for index, width in enumerate(filled) if width < ceilings[index]]
        if not growing:
            break
        low = min(filled[index] for index in growing)
        lowest = [index for index in growing if filled[index] == low]
        top = min(
            [ceilings[index] for index in lowest]
            + [filled[index] for index in growing if filled[index] > low]
        )
        rise = min(top - low, spare // len(lowest))
        if rise == 0:  # less room than columns to share it: one more each, the first ones
            for index in lowest[:spare]:
                filled[index] += 1
            break
        for index in lowest:
            filled[index] += rise
        spare -= rise * len(lowest)
    return filled


def _keeping(
    widths: list[int], ceilings: Sequence[int], spare: int, longest: Sequence[list[int]]
) -> tuple[int, int] | None:
    """The column, and its width, that keeps the most cells' words whole for each column of
    room it takes (the least room on a tie); none when ``spare`` keeps no more whole."""
    best: tuple[tuple[float, int], int, int] | None = None
    for index, words in enumerate(longest):
        now, most = widths[index], min(ceilings[index], widths[index] + spare)
        whole_now = bisect_right(words, now)
        for width in sorted(set(words[whole_now : bisect_right(words, most)])):
            whole = bisect_right(words, width) - whole_now
            rank = (whole / (width - now), now - width)
            if best is None or rank > best[0]:
                best = (rank, index, width)
    return None if best is None else best[1:]
