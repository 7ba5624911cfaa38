"""Static detection of the data a notebook uses, read from its code with :mod:`ast`.

- **Declared uses**: ``nbtools.data.path("name")`` / ``nbtools.data.open("name", ...)`` (also
  ``data.path``/``data.open`` after ``from nbtools import data``) with a literal name.
- **Undeclared data**: a literal path or URL given as the first argument to a reader —
  ``open``, pandas/polars/pyarrow-style ``read_csv``, ``read_parquet``, ``read_json``,
  ``read_table``, ``read_excel``, ``read_feather``, ``read_orc``, ``scan_csv``,
  ``scan_parquet``, ``read_text``/``read_bytes`` are not covered (``Path("x").read_text()``
  has no argument). A relative path is resolved against the notebook's directory (the run's
  working directory) and matched to a catalog entry with that location.

Only literal strings are seen: a path built at run time (``f"data/{day}.csv"``, a variable) is
not detected. Cells that do not parse (IPython syntax aside, which is blanked) are skipped.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from nbtools.notebooks import Notebook, cell_source

#: Every reader's name contains one of ``_NAME_PARTS`` (tested).
READERS = frozenset(
    {
        "open",
        "read_csv",
        "read_parquet",
        "read_json",
        "read_table",
        "read_excel",
        "read_feather",
        "read_orc",
        "read_fwf",
        "scan_csv",
        "scan_parquet",
        "scan_ndjson",
    }
)
_IPYTHON = re.compile(r"^\s*([%!]|\w+\s*=\s*!)|\?\s*$")
#: An ASCII cell can call a reader (or ``data.path``/``data.open``) only if the name is in its
#: text: cells without one are not parsed (most cells of a long notebook read no data). Python
#: reads identifiers NFKC-normalised (fullwidth letters spell ``open``), so other cells are parsed.
_CALLED_NAMES = re.compile(rf"\b(?:path|{'|'.join(sorted(READERS))})\b")
#: Text every one of those names contains: a plain substring test rules most cells out ten
#: times faster than the pattern (which tries every position of the text).
_NAME_PARTS = ("open", "path", "read_", "scan_")


class Found(NamedTuple):
    """A literal in a notebook: a dataset name (declared) or a path (undeclared)."""

    value: str
    cell: int
    line: int
    #: For a path: the catalog dataset whose location it is, if any.
    dataset: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "cell": self.cell, "line": self.line, "dataset": self.dataset}


class NotebookData(NamedTuple):
    """What :func:`scan` found: declared dataset names, and literal paths read directly."""

    declared: tuple[Found, ...]
    undeclared: tuple[Found, ...]


def scan(nb: Notebook) -> NotebookData:
    """Every declared use and literal data path of the notebook's code cells, in order."""
    declared: list[Found] = []
    undeclared: list[Found] = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        for kind, value, line in _literals(cell_source(cell)):
            (declared if kind == "dataset" else undeclared).append(Found(value, index, line))
    return NotebookData(tuple(sorted(declared, key=_order)), tuple(sorted(undeclared, key=_order)))


def _order(found: Found) -> tuple[int, int]:
    return found.cell, found.line


def project_location(notebook_path: str, literal: str) -> str:
    """The catalog form of a literal path read by a notebook at root-relative
    ``notebook_path``: root-relative and normalised (URLs are kept as written)."""
    from nbtools.errors import InvalidInputError  # not at import: extraction's path
    from nbtools.urls import local_path

    try:
        path = local_path(literal)
    except InvalidInputError:  # a file: URL of another machine: no catalog location
        return literal
    if path is None:
        return literal
    if posixpath.isabs(path):
        return posixpath.normpath(path)
    return posixpath.normpath(posixpath.join(posixpath.dirname(notebook_path), path))


def _literals(source: str) -> Iterator[tuple[str, str, int]]:
    if source.isascii() and not (
        any(part in source for part in _NAME_PARTS) and _CALLED_NAMES.search(source)
    ):
        return
    code = "\n".join("" if _IPYTHON.search(line) else line for line in source.splitlines())
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):  # nested deeper than Python compiles
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
            continue
        name, owner = _called(node.func)
        if name in ("path", "open") and owner == "data":
            yield "dataset", first.value, node.lineno
        elif name in READERS:
            yield "path", first.value, node.lineno


def _called(func: ast.expr) -> tuple[str | None, str | None]:
    """``(function name, the name it is an attribute of)``: ``pd.read_csv`` → read_csv, pd."""
    if isinstance(func, ast.Name):
        return func.id, None
    if isinstance(func, ast.Attribute):
        owner = func.value
        owner_name = (
            owner.id
            if isinstance(owner, ast.Name)
            else owner.attr
            if isinstance(owner, ast.Attribute)
            else None
        )
        return func.attr, owner_name
    return None, None
