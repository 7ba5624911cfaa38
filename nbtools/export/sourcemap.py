"""Mapping a line of a generated file back to the notebook cell and line it came from."""

from __future__ import annotations

import re
from typing import NamedTuple

_MARKER = re.compile(r"^\s*# %% ")
_BLOCK = re.compile(r"^\s*# %% .* cell (\d+) \(id (.*)\)\s*$")
_FRAME = re.compile(
    r"^(?:\s*File \"(?P<file1>[^\"]+)\", line (?P<line1>\d+)|(?P<file2>\S+?\.py):(?P<line2>\d+):)",
    re.M,
)


class Location(NamedTuple):
    """A cell (0-based index) and a 1-based line in it."""

    cell: int
    cell_id: str
    line: int


def locate(content: str, line: int) -> Location | None:
    """The cell and cell line behind ``line`` (1-based) of a generated file."""
    lines = content.splitlines()
    for number in range(min(line, len(lines)), 0, -1):
        match = _BLOCK.match(lines[number - 1])
        if match:
            return Location(int(match.group(1)) - 1, match.group(2), line - number)
        if _MARKER.match(lines[number - 1]):
            return None
    return None


def locate_in_traceback(text: str, files: dict[str, str]) -> Location | None:
    """The innermost frame of ``text`` that points into a generated file, mapped to its cell."""
    found = None
    for match in _FRAME.finditer(text):
        file = (match.group("file1") or match.group("file2")).replace("\\", "/")
        line = int(match.group("line1") or match.group("line2"))
        for path, content in files.items():
            if file == path or file.endswith("/" + path):
                found = locate(content, line) or found
    return found
