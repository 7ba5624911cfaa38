"""Which calls of a notebook read data: readers (``open``, ``pd.read_csv``, …) and
``nbtools.data.path``/``open``, under whatever names the notebook gives them.

The names are learnt from the whole notebook at once, whatever the order of its cells (they
share one namespace): an import (``import nbtools.data as nd``, ``from nbtools import data as
d``, ``from nbtools.data import path as p``, ``*``) or an assignment of one of these functions
or of ``nbtools.data`` to a name (``p = nbtools.data.path``, ``reader = pd.read_csv``, ``f =
d.path``, ``r2 = reader``), anywhere, makes the name one of them everywhere: a stricter reading,
never a laxer.
"""

from __future__ import annotations

import ast
import re
from typing import Literal

#: Every reader's name contains one of ``detect._NAME_PARTS`` (tested).
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
#: Readers of a path object, which is what they read (``Path("data/x.csv").read_text()``).
METHODS = frozenset({"read_text", "read_bytes"})
#: The keywords a reader takes its path by (``open``, pandas, pyarrow, ``read_excel``, polars).
PATH_KEYWORDS = ("file", "filepath_or_buffer", "path", "io", "source")
#: ``nbtools.data``'s functions taking a dataset's name.
DECLARING = ("path", "open")

Kind = Literal["reader", "declaring"]


class Callees:
    """The names under which the notebook calls a reader or ``nbtools.data``'s functions."""

    def __init__(self) -> None:
        self.modules: set[str] = set()  # names given to nbtools.data
        self.functions: set[str] = set()  # nbtools.data's path/open
        self.readers: set[str] = set()  # other names of a reader: ``reader = pd.read_csv``
        self._aliases: list[tuple[str, ast.expr]] = []

    def learn(self, tree: ast.Module) -> None:
        """The imports naming ``nbtools.data`` and the assignments naming a callee in ``tree``
        (then :meth:`settle`)."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                self.modules.update(
                    alias.asname
                    for alias in node.names
                    if alias.name == "nbtools.data" and alias.asname
                )
            elif isinstance(node, ast.ImportFrom) and not node.level:
                for alias in node.names:
                    if node.module == "nbtools" and alias.name == "data":
                        self.modules.add(alias.asname or alias.name)
                    elif node.module == "nbtools.data" and alias.name == "*":
                        self.functions.update(DECLARING)
                    elif node.module == "nbtools.data" and alias.name in DECLARING:
                        self.functions.add(alias.asname or alias.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    self._aliases += _pairs(target, node.value)

    def settle(self) -> None:
        """Follow the assignments learnt so far, also through one another (``r2 = r``)."""
        changed = True
        while changed:
            changed = False
            for name, value in self._aliases:
                kind = self.kind(value)
                found = (
                    self.functions
                    if kind == "declaring"
                    else self.readers
                    if kind == "reader"
                    else self.modules
                    if self.is_module(value)
                    else None
                )
                if found is not None and name not in found:
                    found.add(name)
                    changed = True

    def renamed(self) -> re.Pattern[str] | None:
        """The names a cell may call a callee by, other than their own, or give
        ``nbtools.data`` another name by (``d = data``), to look for in its text."""
        names = sorted((self.functions | self.readers | self.modules) - {*DECLARING, *READERS})
        return re.compile(rf"\b(?:{'|'.join(map(re.escape, names))})\b") if names else None

    def kind(self, func: ast.expr) -> Kind | None:
        """Whether the called ``func`` is ``nbtools.data.path``/``open`` under a known name
        (``declaring``), a reader (by its name, ``pd.read_csv`` → read_csv, a name given to one,
        or a path's ``read_text``/``read_bytes``), or neither."""
        if isinstance(func, ast.Name):
            if func.id in self.functions:
                return "declaring"
            return "reader" if func.id in READERS or func.id in self.readers else None
        if isinstance(func, ast.Attribute):
            if func.attr in DECLARING and self.is_module(func.value):
                return "declaring"
            return "reader" if func.attr in READERS or func.attr in METHODS else None
        return None

    def is_module(self, node: ast.expr) -> bool:
        """Whether ``node`` names ``nbtools.data``: a name given to it, ``data`` (as after
        ``from nbtools import data``, which the check assumes), or ``….data``."""
        return (isinstance(node, ast.Name) and (node.id == "data" or node.id in self.modules)) or (
            isinstance(node, ast.Attribute) and node.attr == "data"
        )


def _pairs(target: ast.expr, value: ast.expr) -> list[tuple[str, ast.expr]]:
    """The names ``target`` binds to an expression of ``value`` (``a, b = x, y`` pairwise)."""
    if isinstance(target, ast.Name):
        return [(target.id, value)]
    if (
        isinstance(target, (ast.Tuple, ast.List))
        and isinstance(value, (ast.Tuple, ast.List))
        and len(target.elts) == len(value.elts)
    ):
        return [pair for t, v in zip(target.elts, value.elts, strict=True) for pair in _pairs(t, v)]
    return []


def argument(call: ast.Call, keywords: tuple[str, ...]) -> ast.expr | None:
    """The call's first argument, or the one given by one of ``keywords``: what a reader reads
    (``None``: no argument gives it). A ``*args`` first, or ``**options`` without the keyword,
    could hold it: then a starred expression, which has no value known before the run."""
    if call.args:
        return call.args[0]
    given = next((k.value for k in call.keywords if k.arg in keywords), None)
    options = next((k.value for k in call.keywords if k.arg is None), None)
    if given is None and options is not None:
        return ast.Starred(options, ast.Load())
    return given


def location(call: ast.Call) -> ast.expr | None:
    """What a reader's ``call`` reads: its path argument (:func:`argument`), or, for a method
    of a path (``Path(p).read_text()``, ``Path(p).open()``, ``.open("rb")``), the path."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in METHODS:
        return func.value
    given = argument(call, PATH_KEYWORDS)
    if isinstance(func, ast.Attribute) and func.attr == "open" and (given is None or _mode(given)):
        return func.value
    return given


def _mode(node: ast.expr) -> bool:
    """Whether ``node`` is a file mode (``"rb"``), which no reader takes for a path."""
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[rwxabtU+]{1,4}", node.value) is not None
    )
