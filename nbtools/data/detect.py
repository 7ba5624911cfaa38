"""Static detection of the data a notebook uses, read from its code with :mod:`ast`.

- **Declared uses**: ``nbtools.data.path("name")`` / ``nbtools.data.open("name", ...)``,
  through any of the usual imports or a name given to them (:mod:`nbtools.data.calls`).
- **Undeclared data**: a path or URL given as the first argument (or by its keyword:
  ``file=``, ``filepath_or_buffer=``, ``path=``, ``io=``, ``source=``) to a reader — ``open``,
  pandas/polars/pyarrow-style ``read_csv``, ``read_parquet``, ``read_json``, ``read_table``,
  ``read_excel``, ``read_feather``, ``read_orc``, ``scan_csv``, ``scan_parquet``, … — or the
  path a ``pathlib`` path's ``read_text``/``read_bytes``/``open`` reads.
  :func:`project_location` gives the catalog form of such a path.
- **Unresolved calls**: a reader or ``nbtools.data.path`` given a location the check cannot
  know before the run (:mod:`nbtools.data.values` folds literals and follows names, and the
  working directory, as far as that is sound), a function taken by a computed name from a
  package holding readers (``getattr(pd, kind)``), or a call given a reader to call with what
  the check cannot know (``map(pd.read_csv, files)``, ``df.apply(open)``): the call could
  read any dataset.

IPython syntax (``%magic``, ``!cmd``, ``x = %time f()``, ``%%time`` cells, ``obj?``) is read as
IPython itself reads it (its ``TransformerManager``, imported only for a cell Python cannot
parse), and the code a magic runs (``%time f()``, a ``%%time`` cell's body, ``{expr}`` in a
shell command) is read too. A cell that still cannot be parsed is *unreadable*: reported,
never silently passed over (the check then assumes it may use any dataset); what its other
lines show is still found. A notebook whose kernel language is not Python is not read at all
(``language``): the check cannot tell which data it uses.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from nbtools.data.calls import DIRECTORY, METHODS, READERS, Callees
from nbtools.data.mentions import code_sources, names_a_call, names_nothing, other_language
from nbtools.notebooks import Notebook
from nbtools.pycode import parse_code

if TYPE_CHECKING:
    from nbtools.project import Project

#: An ASCII cell can call a reader (or ``data.path``/``data.open``, a ``chdir``, a function
#: taken by a computed name; or give ``partial`` another name) only if the name is in its
#: text: cells without one are not parsed (most cells of a long notebook read no data).
#: Python reads identifiers NFKC-normalised (fullwidth letters spell ``open``), so other
#: cells are parsed. Only a notebook naming one needs the pattern: re's cache compiles it on
#: first use.
_CALLED_NAMES = (
    rf"\b(?:{'|'.join(sorted({'path', 'getattr', 'partial', *READERS, *METHODS, *DIRECTORY}))})\b"
)
#: What a cell changing the working directory otherwise holds: a magic (``%cd``, ``%run``),
#: ``exec``/``eval``; or, a cell of one line, a magic without its ``%`` (IPython's automagic).
_MOVING_PARTS = ("%", "exec", "eval")
_AUTOMAGIC = r"\s*(?:cd|pushd|popd|run)\b[^\n]*\s*"
#: IPython's methods a transformed cell calls, and which of their text arguments hold code:
#: a line magic's line, a cell magic's line and body; a shell command only its ``{expr}``.
_MAGICS = {"run_line_magic": (1,), "run_cell_magic": (1, 2)}
_SHELL = ("system", "getoutput")
_IPYTHON_CALLS = (*_MAGICS, *_SHELL)
#: Magics within magics (``%time %time f()``) are read this deep.
_MAX_DEPTH = 8
#: Lines of an unparseable cell blanked, one at a time, to read the rest.
_MAX_BLANKED = 50
#: For a cell Python cannot parse (compiled on first use, as ``_CALLED_NAMES``).
_LEADING_BLANK_LINES = r"(?:[ \t\f]*\r?\n)*"


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


class Unresolved(NamedTuple):
    """A data call whose location (or dataset name) the check cannot know before the run:
    ``call`` as written, at ``line`` of ``cell``."""

    cell: int
    line: int
    call: str

    def to_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "line": self.line, "call": self.call}


class NotebookData(NamedTuple):
    """What :func:`scan` found: declared dataset names, literal paths read directly, the cells
    that could not be read, the data calls whose location is not known, and the notebook's
    kernel language when it is not Python (then nothing was read)."""

    declared: tuple[Found, ...]
    undeclared: tuple[Found, ...]
    unreadable: tuple[Unreadable, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()
    language: str | None = None

    @property
    def read_whole(self) -> bool:
        """Whether the check read every cell and knows what each data call reads."""
        return not (self.unreadable or self.unresolved or self.language)


class _Code:
    """A cell read: each syntax tree with the cell line of its first line (the cell's, then the
    code its magics run), and why the cell itself could not be parsed."""

    __slots__ = ("error", "trees")

    def __init__(
        self, trees: tuple[tuple[ast.Module, int], ...], error: tuple[int, str] | None = None
    ) -> None:
        self.trees, self.error = trees, error


def _learn(
    indices: list[int], sources: dict[int, str], read: dict[int, _Code], callees: Callees
) -> None:
    """Read the cells at `indices` into `read`, and learn what their code calls the data
    functions (imports, assignments)."""
    for index in indices:
        read[index] = _read_top(sources[index])
        for tree, _ in read[index].trees:
            callees.learn(tree)
    callees.settle()


def scan(nb: Notebook) -> NotebookData:
    """Every declared use, literal data path and unresolved data call of the notebook's code
    cells, in order, and the cells that cannot be read; nothing but its language when that is
    not Python."""
    language = other_language(nb)
    if language is not None:
        return NotebookData((), (), language=language)
    sources = code_sources(nb)
    if names_nothing("\n".join(sources.values())):
        # the tests below, on all the code at once: no cell names nbtools or a data call, and
        # all are ASCII (most notebooks): no cell is read
        return NotebookData((), ())
    read: dict[int, _Code] = {}
    callees = Callees()
    # The cells that may call a data function, and the imports and names giving one another
    # name, first: they name it for every cell (a cell can give a callee another name only
    # if its text names it).
    wanted = [i for i, source in sources.items() if "nbtools" in source or _calls(source, None)]
    while wanted:
        _learn(wanted, sources, read, callees)
        renamed = callees.renamed()
        wanted = [i for i in sources if i not in read and _calls(sources[i], renamed)]
    if not read:
        return NotebookData((), ())
    from nbtools.data.bindings import Bindings  # not at import: most notebooks name no data
    from nbtools.data.values import follow

    facts = Bindings(callees)
    reads, named, relative = follow(_cells(read), facts)
    # A name may be bound in any cell (an import naming a package of readers too); a relative
    # path is read from the working directory, which a cell naming no data call may change.
    more = [i for i in sources if i not in read and (named or (relative and _moves(sources[i])))]
    if more:
        _learn(more, sources, read, callees)
        reads, named, relative = follow(_cells(read), facts)
    found: dict[str, list[Found]] = {"dataset": [], "path": []}
    unresolved = []
    for kind, value, cell, line in sorted(reads, key=lambda read: read[2:]):
        if kind == "unresolved":
            unresolved.append(Unresolved(cell, line, value))
        else:
            found[kind].append(Found(value, cell, line))
    return NotebookData(
        tuple(found["dataset"]),
        tuple(found["path"]),
        tuple(  # a cell that names no data call is read only for the names it binds
            Unreadable(index, *code.error)
            for index, code in sorted(read.items())
            if code.error is not None
            and (_calls(sources[index], renamed) or (relative and _moves(sources[index])))
        ),
        tuple(unresolved),
    )


def _calls(source: str, renamed: re.Pattern[str] | None) -> bool:
    """Whether ``source`` may call a reader or ``nbtools.data`` (also by a name ``renamed``
    finds)."""
    return (
        not source.isascii()
        or (names_a_call(source) and re.search(_CALLED_NAMES, source) is not None)
        or (renamed is not None and renamed.search(source) is not None)
    )


def _moves(source: str) -> bool:
    """Whether ``source``, naming no data call, may change the working directory."""
    return any(part in source for part in _MOVING_PARTS) or (
        re.fullmatch(_AUTOMAGIC, source) is not None
    )


def _cells(read: dict[int, _Code]) -> list[tuple[int, tuple[tuple[ast.Module, int], ...], bool]]:
    """The cells read, in order, as :func:`nbtools.data.values.follow` takes them."""
    return [(index, code.trees, code.error is not None) for index, code in sorted(read.items())]


def project_location(project: Project, notebook_path: str, literal: str) -> str:
    """The catalog form of a literal path read by a notebook at root-relative
    ``notebook_path`` (from the notebook's directory, where its runs execute): what the
    catalog stores for that location (:func:`nbtools.data.fields.parse_location`: a ``file:``
    URL's path, root-relative, symlinks resolved; another URL in its one spelling,
    :func:`nbtools.urls.normalized_url`). Paths outside the root, and what is not a location
    the catalog takes (a chain ``a::b``), are returned as written (no catalog location is)."""
    from nbtools.data.fields import parse_location  # not at import: extraction's path
    from nbtools.urls import local_path, normalized_url

    try:
        path = local_path(literal)
        if path is None:
            return normalized_url(literal)
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
        return _Code(tuple(_with_magics(parse_code(source), source, first_line, depth)))
    except SyntaxError:
        pass
    except RecursionError as failure:  # nested deeper than Python parses or we walk
        return _Code((), (first_line, _reason(failure)))
    blank = re.match(_LEADING_BLANK_LINES, source)  # IPython drops them: count them back
    start = first_line + (source[: blank.end()].count("\n") if blank else 0)
    code, error = _ipython(source[blank.end() if blank else 0 :])
    if error is None:
        return _Code(tuple(_with_magics(parse_code(code), code, start, depth)))
    line, reason = error
    lines = code.split("\n")  # as Python counts lines (str.splitlines also splits at \f, …)
    for _ in range(_MAX_BLANKED):
        if not 0 < line <= len(lines):
            break
        lines[line - 1] = ""
        try:
            tree = parse_code(code := "\n".join(lines))
        except SyntaxError as next_error:
            line = next_error.lineno or 0
        except RecursionError:
            break
        else:
            return _Code(
                tuple(_with_magics(tree, code, start, depth)), (start + error[0] - 1, reason)
            )
    return _Code((), (start + error[0] - 1, reason))


def _ipython(source: str) -> tuple[str, tuple[int, str] | None]:
    """The cell as IPython runs it, and where and why that is no Python (``None``: it is)."""
    try:
        code = _transformer().transform_cell(source)
    except ImportError:
        return source, (1, "IPython, which reads its syntax, is not installed here")
    try:
        parse_code(code)
    except SyntaxError as error:
        lines = max(1, code.count("\n"))
        return code, (min(max(error.lineno or 1, 1), lines), _reason(error))
    except RecursionError as error:
        return code, (1, _reason(error))
    return code, None


@functools.cache
def _transformer() -> Any:
    from IPython.core.inputtransformer2 import TransformerManager  # ≈ 0.1 s: only when needed

    return TransformerManager()


def _reason(error: SyntaxError | RecursionError) -> str:
    if isinstance(error, SyntaxError):
        return error.msg
    return "nested too deeply to be compiled"


def _with_magics(
    tree: ast.Module, code: str, first_line: int, depth: int
) -> Iterator[tuple[ast.Module, int]]:
    """The tree (of ``code``), then the trees of the code its IPython calls run (a magic's
    line or body, a shell command's ``{expr}``) that parse; what does not parse is not Python
    (``%pip install x``, a ``%%bash`` body) and has no data call to find."""
    yield tree, first_line
    if not any(method in code for method in _IPYTHON_CALLS):  # most cells: no walk
        return
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
    import string  # only for a shell command or magic: not imported on every extraction

    try:
        return [field for _, field, _, _ in string.Formatter().parse(text) if field]
    except ValueError:  # an unbalanced brace: IPython leaves such text as it is
        return []


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
