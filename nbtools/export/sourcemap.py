"""Mapping a line of a generated file back to the notebook cell and line it came from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from nbtools.export.model import PARAMETERS, Cell
from nbtools.export.render.common import safe_comment
from nbtools.export.source import python_lines

_MARKER = re.compile(r"^\s*# %% ")
_BLOCK = re.compile(r"^\s*# %% (.*) cell (\d+) \(id .*\)\s*$")
_FRAME = re.compile(
    r"^(?:\s*File \"(?P<file1>[^\"]+)\", line (?P<line1>\d+)|(?P<file2>\S+?\.py):(?P<line2>\d+):)",
    re.M,
)


class Location(NamedTuple):
    """A cell (0-based index) and a 1-based line in it (0: the cell, at no line of it)."""

    cell: int
    cell_id: str
    line: int


def locate(content: str, line: int, cells: Mapping[int, Cell]) -> Location | None:
    """The cell and cell line behind ``line`` (1-based) of a generated file.

    ``cells`` are the extraction's cells by index: a block's lines are its cell's code line
    for line, which :meth:`Cell.notebook_line` maps to the cell as the user sees it (the
    mapping the problems found before writing use). The ``parameters`` cell's block in
    ``run()`` is rebuilt from its imports and computed defaults, not copied: a line there
    names the cell only.
    """
    lines = python_lines(content)
    for number in range(min(line, len(lines)), 0, -1):
        match = _BLOCK.match(lines[number - 1])
        if match:
            cell = _cell_at(cells, match.group(1), int(match.group(2)))
            if cell is None:
                return None
            verbatim = cell.role != PARAMETERS
            return Location(
                cell.index, cell.id, cell.notebook_line(line - number) if verbatim else 0
            )
        if _MARKER.match(lines[number - 1]):
            return None
    return None


def _cell_at(cells: Mapping[int, Cell], notebook: str, number: int) -> Cell | None:
    """The cell a block comment names: cell ``number`` of the notebook, or of ``notebook``
    (as the comment writes its name) in a set of notebooks, whose names are unique (a path
    where two share a file name: :func:`~nbtools.export.notebook_set.member_names`)."""
    cell = cells.get(number - 1)
    if cell is not None and cell.origin is None:
        return cell
    return next(
        (
            c
            for c in cells.values()
            if c.origin and c.number == number and safe_comment(c.origin.name) == notebook
        ),
        None,
    )


def locate_in_traceback(
    text: str, files: Mapping[str, str], cells: Mapping[int, Cell]
) -> Location | None:
    """The innermost frame of ``text`` that points into a generated file, mapped to its cell."""
    found = None
    for match in _FRAME.finditer(text):
        file = (match.group("file1") or match.group("file2")).replace("\\", "/")
        line = int(match.group("line1") or match.group("line2"))
        for path, content in files.items():
            if file == path or file.endswith("/" + path):
                found = locate(content, line, cells) or found
    return found
