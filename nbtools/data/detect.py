"""Static detection of the data a notebook uses, read from its code with :mod:`ast`.

- **Declared uses**: ``nbtools.data.path("name")`` / ``nbtools.data.open("name", ...)`` with a
  literal name (first, or as ``name=``), through any of the usual imports: ``import nbtools``,
  ``from nbtools import data [as d]``, ``import nbtools.data as nd``, ``from nbtools.data
  import path [as p], open`` (or ``*``).
- **Undeclared data**: a literal path or URL given as the first argument (or by its keyword:
  ``file=``, ``filepath_or_buffer=``, ``path=``, ``io=``, ``source=``) to a reader —
  ``open``, pandas/polars/pyarrow-style ``read_csv``, ``read_parquet``, ``read_json``,
  ``read_table``, ``read_excel``, ``read_feather``, ``read_orc``, ``scan_csv``,
  ``scan_parquet``, ``read_text``/``read_bytes`` are not covered (``Path("x").read_text()``
  has no argument). :func:`project_location` gives the catalog form of such a path.

Only literal strings are seen: a path built at run time (``f"data/{day}.csv"``, a variable) is
not detected. IPython syntax (``%magic``, ``!cmd``, ``x = %time f()``, ``%%time`` cells,
``obj?``) is read as IPython itself reads it (its ``TransformerManager``, imported only for a
cell Python cannot parse), and the code a magic runs (``%time f()``, a ``%%time`` cell's body,
``{expr}`` in a shell command) is read too. A cell that still cannot be parsed is
*unreadable*: reported, never silently passed over (the check then assumes it may use any
dataset); what its other lines show is still found.
"""

from __future__ import annotations

import ast
import functools
import re
import string
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from nbtools.notebooks import Notebook, cell_source

if TYPE_CHECKING:
    from nbtools.project import Project

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
#: The keywords a reader takes its path by (``open``, pandas, pyarrow, ``read_excel``, polars).
_PATH_KEYWORDS = ("file", "filepath_or_buffer", "path", "io", "source")
#: ``nbtools.data``'s functions taking a dataset's name.
_DECLARING = ("path", "open")
#: An ASCII cell can call a reader (or ``data.path``/``data.open``) only if the name is in its
#: text: cells without one are not parsed (most cells of a long notebook read no data). Python
#: reads identifiers NFKC-normalised (fullwidth letters spell ``open``), so other cells are parsed.
_CALLED_NAMES = re.compile(rf"\b(?:path|{'|'.join(sorted(READERS))})\b")
#: Text every one of those names contains: a plain substring test rules most cells out ten
#: times faster than the pattern (which tries every position of the text).
_NAME_PARTS = ("open", "path", "read_", "scan_")
#: IPython's methods a transformed cell calls, and which of their text arguments hold code:
#: a line magic's line, a cell magic's line and body; a shell command only its ``{expr}``.
_MAGICS = {"run_line_magic": (1,), "run_cell_magic": (1, 2)}
_SHELL = ("system", "getoutput")
#: Magics within magics (``%time %time f()``) are read this deep.
_MAX_DEPTH = 8
#: Lines of an unparseable cell blanked, one at a time, to read the rest.
_MAX_BLANKED = 50
_LEADING_BLANK_LINES = re.compile(r"(?:[ \t\f]*\r?\n)*")


class Found(NamedTuple):
    """A literal in a notebook: a dataset name (declared) or a path (undeclared)."""

    value: str
    cell: int
    line: int
    #: For a path: the catalog dataset whose location it is, if any.
    dataset: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "cell": self.cell, "line": self.line, "dataset": self.dataset}


class Unreadable(NamedTuple):
    """A code cell that is not Python, even read as IPython reads it: ``error`` at ``line``."""

    cell: int
    line: int
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "line": self.line, "error": self.error}


class NotebookData(NamedTuple):
    """What :func:`scan` found: declared dataset names, literal paths read directly, and the
    cells that could not be read."""

    declared: tuple[Found, ...]
    undeclared: tuple[Found, ...]
    unreadable: tuple[Unreadable, ...] = ()


class _Code(NamedTuple):
    """A cell read: each syntax tree with the cell line of its first line (the cell's, then the
    code its magics run), and why the cell itself could not be parsed."""

    trees: tuple[tuple[ast.Module, int], ...]
    error: tuple[int, str] | None = None


class _Names:
    """How the notebook's imports name ``nbtools.data`` (a notebook's cells share one
    namespace, so an import anywhere counts everywhere: a stricter reading, never a laxer)."""

    def __init__(self) -> None:
        self.modules = {"data"}  # ``data.path``: after ``from nbtools import data``
        self.functions: set[str] = set()

    def learn(self, tree: ast.Module) -> None:
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
                        self.functions.update(_DECLARING)
                    elif node.module == "nbtools.data" and alias.name in _DECLARING:
                        self.functions.add(alias.asname or alias.name)

    def renamed(self) -> re.Pattern[str] | None:
        """The names ``path``/``open`` were imported as, other than their own, to look for in
        a cell's text as ``_CALLED_NAMES`` are."""
        names = sorted(self.functions - {*_DECLARING, *READERS})
        return re.compile(rf"\b(?:{'|'.join(map(re.escape, names))})\b") if names else None

    def declares(self, func: ast.expr) -> bool:
        """Whether the call's function is ``nbtools.data.path``/``open`` under a known name."""
        if isinstance(func, ast.Name):
            return func.id in self.functions
        if not isinstance(func, ast.Attribute) or func.attr not in _DECLARING:
            return False
        owner = func.value
        return (isinstance(owner, ast.Name) and owner.id in self.modules) or (
            isinstance(owner, ast.Attribute) and owner.attr == "data"  # nbtools.data.path
        )


def scan(nb: Notebook) -> NotebookData:
    """Every declared use and literal data path of the notebook's code cells, in order, and
    the cells that cannot be read."""
    sources = [
        (index, cell_source(cell))
        for index, cell in enumerate(nb.get("cells", []))
        if cell.get("cell_type") == "code"
    ]
    read: dict[int, _Code] = {}
    names = _Names()
    for index, source in sources:  # imports first: they name nbtools.data for every cell
        if "nbtools" in source or not source.isascii():
            read[index] = _read_top(source)
            for tree, _ in read[index].trees:
                names.learn(tree)
    declared: list[Found] = []
    undeclared: list[Found] = []
    unreadable: list[Unreadable] = []
    renamed = names.renamed()
    for index, source in sources:
        if (
            source.isascii()
            and not (any(part in source for part in _NAME_PARTS) and _CALLED_NAMES.search(source))
            and not (renamed and renamed.search(source))
        ):
            continue
        code = read[index] if index in read else _read_top(source)
        if code.error is not None:
            unreadable.append(Unreadable(index, *code.error))
        for kind, value, line in _literals(code, names):
            (declared if kind == "dataset" else undeclared).append(Found(value, index, line))
    return NotebookData(
        tuple(sorted(declared, key=_order)),
        tuple(sorted(undeclared, key=_order)),
        tuple(unreadable),
    )


def _order(found: Found) -> tuple[int, int]:
    return found.cell, found.line


def project_location(project: Project, notebook_path: str, literal: str) -> str:
    """The catalog form of a literal path read by a notebook at root-relative
    ``notebook_path`` (from the notebook's directory, where its runs execute): what the
    catalog stores for that location (:func:`nbtools.data.fields.parse_location`: a ``file:``
    URL's path, root-relative, symlinks resolved). Other URLs, and paths outside the root,
    are returned as written (no catalog location is either)."""
    from nbtools.data.fields import parse_location  # not at import: extraction's path
    from nbtools.urls import local_path

    try:
        path = local_path(literal)
        if path is None:
            return literal
        absolute = project.root / notebook_path.rpartition("/")[0] / path  # absolute path wins
        return parse_location(project, str(absolute))
    except (ValueError, OSError, RuntimeError):  # outside the root, a NUL, a symlink loop
        return literal


def _read_top(source: str) -> _Code:
    try:
        return _read_cell(source)
    except _TooDeep:
        return _Code((), (1, f"magics nested more than {_MAX_DEPTH} deep"))


def _read_cell(source: str, first_line: int = 1, depth: int = 0) -> _Code:
    """The syntax trees of a cell (or of the code a magic runs, from line ``first_line`` of
    the cell): Python's reading, else IPython's, else what remains once the lines that still
    do not parse are blanked one by one (then with the first error)."""
    try:
        return _Code(tuple(_with_magics(ast.parse(source), first_line, depth)))
    except SyntaxError:
        pass
    except (ValueError, RecursionError) as failure:  # a NUL; nested deeper than Python compiles
        return _Code((), (first_line, _reason(failure)))
    blank = _LEADING_BLANK_LINES.match(source)  # IPython drops them: count them back
    start = first_line + (source[: blank.end()].count("\n") if blank else 0)
    code, error = _ipython(source[blank.end() if blank else 0 :])
    if error is None:
        return _Code(tuple(_with_magics(ast.parse(code), start, depth)))
    line, reason = error
    lines = code.split("\n")  # as Python counts lines (str.splitlines also splits at \f, …)
    for _ in range(_MAX_BLANKED):
        if not 0 < line <= len(lines):
            break
        lines[line - 1] = ""
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError as next_error:
            line = next_error.lineno or 0
        except (ValueError, RecursionError):
            break
        else:
            return _Code(tuple(_with_magics(tree, start, depth)), (start + error[0] - 1, reason))
    return _Code((), (start + error[0] - 1, reason))


def _ipython(source: str) -> tuple[str, tuple[int, str] | None]:
    """The cell as IPython runs it, and where and why that is no Python (``None``: it is)."""
    try:
        code = _transformer().transform_cell(source)
    except ImportError:
        return source, (1, "IPython, which reads its syntax, is not installed here")
    try:
        ast.parse(code)
    except SyntaxError as error:
        lines = max(1, code.count("\n"))
        return code, (min(max(error.lineno or 1, 1), lines), _reason(error))
    except (ValueError, RecursionError) as error:
        return code, (1, _reason(error))
    return code, None


@functools.cache
def _transformer() -> Any:
    from IPython.core.inputtransformer2 import TransformerManager  # ≈ 0.1 s: only when needed

    return TransformerManager()


def _reason(error: Exception) -> str:
    if isinstance(error, SyntaxError):
        return error.msg
    if isinstance(error, RecursionError):
        return "nested too deeply to be compiled"
    return str(error)


def _with_magics(tree: ast.Module, first_line: int, depth: int) -> Iterator[tuple[ast.Module, int]]:
    """The tree, then the trees of the code its IPython calls run (a magic's line or body, a
    shell command's ``{expr}``) that parse; what does not parse is not Python (``%pip
    install x``, a ``%%bash`` body) and has no data call to find."""
    yield tree, first_line
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        texts = [text for arg in node.args if (text := _text(arg)) is not None]
        if len(texts) != len(node.args):  # IPython's calls take text only
            continue
        method, line = node.func.attr, first_line + node.lineno - 1
        nested: list[tuple[str, int]] = []
        if method in _MAGICS:
            nested += [
                # a cell magic's body starts on the line below its own
                (texts[position], line + 1 if position == 2 else line)
                for position in _MAGICS[method]
                if position < len(texts)
            ]
            nested += [(field, line) for text in texts[1:2] for field in _expanded(text)]
        elif method in _SHELL:
            nested += [(field, line) for text in texts[:1] for field in _expanded(text)]
        if nested and depth >= _MAX_DEPTH:
            raise _TooDeep
        for text, at in nested:
            yield from _read_cell(text, at, depth + 1).trees


class _TooDeep(Exception):
    """Magics nested past ``_MAX_DEPTH`` (``%time %time …``): the cell is not read."""


def _expanded(text: str) -> Iterable[str]:
    """The ``{expr}`` IPython evaluates in a shell command or magic line."""
    try:
        return [field for _, field, _, _ in string.Formatter().parse(text) if field]
    except ValueError:  # an unbalanced brace: IPython leaves such text as it is
        return []


def _literals(code: _Code, names: _Names) -> Iterator[tuple[str, str, int]]:
    for tree, first_line in code.trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if names.declares(node.func):
                name = _argument(node, ("name",))
                if name is not None:
                    yield "dataset", name, first_line + node.lineno - 1
            elif _called(node.func) in READERS:
                path = _argument(node, _PATH_KEYWORDS)
                if path is not None:
                    yield "path", path, first_line + node.lineno - 1


def _argument(call: ast.Call, keywords: tuple[str, ...]) -> str | None:
    """The call's literal text first argument, or given by one of ``keywords``."""
    if call.args:
        return _text(call.args[0])
    return _text(next((k.value for k in call.keywords if k.arg in keywords), None))


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _called(func: ast.expr) -> str | None:
    """The called function's name: ``pd.read_csv`` → read_csv."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None
