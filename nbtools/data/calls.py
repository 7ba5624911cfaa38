"""Which calls of a notebook read data: readers (``open``, ``pd.read_csv``, …) and
``nbtools.data.path``/``open``, under whatever names the notebook gives them.

The names are learnt from the whole notebook at once, whatever the order of its cells (they
share one namespace): an import (``import nbtools.data as nd``, ``from nbtools import data as
d``, ``from nbtools.data import path as p``, ``*``) or an assignment of one of these functions
or of ``nbtools.data`` to a name (``p = nbtools.data.path``, ``reader = pd.read_csv``, ``f =
d.path``, ``r2 = reader``), anywhere, makes the name one of them everywhere: a stricter reading,
never a laxer. A function is also reached through ``getattr(obj, "name")`` with the name written
as a literal (it is ``obj.name``) and through ``functools.partial(func, …)``, a call of which
calls ``func``; a function taken by a computed name (``getattr(pd, kind)``) is ``computed``:
whether it may be a reader depends on what it was taken from (:meth:`Callees.holds_readers`).
A data function given to another call to call (``map(pd.read_csv, files)``) is
:meth:`Callees.passed`; :func:`passed_calls` says which calls that makes, when it can.
A ``chdir`` changes the directory relative paths are read from (``directory``).
"""

from __future__ import annotations

import ast
import re
from typing import Literal

#: Every reader's name contains one of :data:`nbtools.data.mentions.NAME_PARTS` (tested).
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
#: Functions changing the working directory (``os.chdir``, ``contextlib.chdir``, ``os.fchdir``).
DIRECTORY = frozenset({"chdir", "fchdir"})
#: Packages (and the builtins) holding readers: a function they give by a computed name may
#: be one. Matched by the top-level package a notebook imports, under any name.
READER_MODULES = frozenset(
    {
        *("pandas", "polars", "pyarrow", "dask", "modin", "cudf", "vaex", "fsspec"),
        *("builtins", "__builtins__", "io", "os", "pathlib", "gzip", "bz2", "lzma", "codecs"),
        *("tarfile", "nbtools"),
    }
)

#: Builtins given a function that never call it (they show or inspect it).
_NEVER_CALLING = frozenset(
    {
        *("print", "repr", "str", "type", "id", "help", "dir", "hash", "callable"),
        *("hasattr", "getattr", "isinstance", "issubclass"),
    }
)

Kind = Literal["reader", "declaring", "directory", "computed"]


class Callees:
    """The names under which the notebook calls a reader or ``nbtools.data``'s functions."""

    def __init__(self) -> None:
        self.modules: set[str] = set()  # names given to nbtools.data
        self.functions: set[str] = set()  # nbtools.data's path/open
        self.readers: set[str] = set()  # other names of a reader: ``reader = pd.read_csv``
        self.directories: set[str] = set()  # other names of a chdir
        #: Names given a function by a computed name, with the objects it was taken from.
        self.computed: dict[str, list[ast.expr]] = {}
        #: Names given a ``partial`` of a data function (what it binds is in the value).
        self.partials: set[str] = set()
        #: The names of ``functools.partial`` itself (``from functools import partial as p``).
        self.partial_names = {"partial"}
        #: Names given a package holding readers (:data:`READER_MODULES`) or a part of one.
        self.reader_modules: set[str] = set()
        #: Names an import gives ``nbtools.artifacts`` and its ``load``.
        self.artifact_modules: set[str] = set()
        self.artifact_loads: set[str] = set()
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
                self.artifact_modules.update(
                    alias.asname
                    for alias in node.names
                    if alias.name == "nbtools.artifacts" and alias.asname
                )
                self.reader_modules.update(
                    alias.asname or alias.name.partition(".")[0]
                    for alias in node.names
                    if alias.name.partition(".")[0] in READER_MODULES
                )
            elif isinstance(node, ast.ImportFrom) and not node.level:
                if node.module == "functools":
                    self.partial_names.update(
                        alias.asname or alias.name
                        for alias in node.names
                        if alias.name == "partial"
                    )
                if (node.module or "").partition(".")[0] in READER_MODULES:
                    self.reader_modules.update(
                        alias.asname or alias.name for alias in node.names if alias.name != "*"
                    )
                for alias in node.names:
                    if node.module == "nbtools" and alias.name == "data":
                        self.modules.add(alias.asname or alias.name)
                    elif node.module == "nbtools" and alias.name == "artifacts":
                        self.artifact_modules.add(alias.asname or alias.name)
                    elif node.module == "nbtools.artifacts" and alias.name == "load":
                        self.artifact_loads.add(alias.asname or alias.name)
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
                if kind == "computed" and name not in self.computed:
                    self.computed[name] = self.owners(value)
                    changed = True
                found = (
                    self.functions
                    if kind == "declaring"
                    else self.readers
                    if kind == "reader"
                    else self.directories
                    if kind == "directory"
                    else self.modules
                    if self.is_module(value)
                    else self.reader_modules
                    if self.holds_readers(value)
                    else None
                )
                if found is not None and name not in found:
                    found.add(name)
                    changed = True
                if kind is not None and self.partial_of(value) is not None:
                    self.partials.add(name)

    def renamed(self) -> re.Pattern[str] | None:
        """The names a cell may call a callee by, other than their own, or give
        ``nbtools.data`` another name by (``d = data``), to look for in its text."""
        names = sorted(
            (self.functions | self.readers | self.directories | self.modules | set(self.computed))
            - {*DECLARING, *READERS, *DIRECTORY}
        )
        return re.compile(rf"\b(?:{'|'.join(map(re.escape, names))})\b") if names else None

    def kind(self, func: ast.expr) -> Kind | None:
        """Whether the called ``func`` is ``nbtools.data.path``/``open`` under a known name
        (``declaring``), a reader (by its name, ``pd.read_csv`` → read_csv, a name given to one,
        or a path's ``read_text``/``read_bytes``), a ``chdir`` (``directory``), a function taken
        by a computed name (``computed``), or none of them; a ``partial`` is of its function's
        kind."""
        func = attribute(func)
        if isinstance(func, ast.Name):
            if func.id in self.functions:
                return "declaring"
            if func.id in READERS or func.id in self.readers:
                return "reader"
            if func.id in DIRECTORY or func.id in self.directories:
                return "directory"
            return "computed" if func.id in self.computed else None
        if isinstance(func, ast.Attribute):
            if func.attr in DECLARING and self.is_module(func.value):
                return "declaring"
            if func.attr in READERS or func.attr in METHODS:
                return "reader"
            return "directory" if func.attr in DIRECTORY else None
        if isinstance(func, ast.Call):
            wrapped = self.partial_of(func)
            if wrapped is not None:
                return self.kind(wrapped)
            return "computed" if _is_getattr(func) else None
        return None

    def passed(self, call: ast.Call) -> list[ast.expr]:
        """The data functions ``call`` is given to call, not called there: a reader or
        ``nbtools.data.path``/``open`` (or a ``partial`` of one) as an argument
        (``map(pd.read_csv, files)``, ``pool.submit(open, loc)``, ``df.apply(open)``). The
        function a ``partial`` wraps is not: the partial is followed itself."""
        func = call.func
        if self.partial_of(call) is not None or (
            isinstance(func, ast.Name) and func.id in _NEVER_CALLING
        ):
            return []
        given = [*call.args, *(keyword.value for keyword in call.keywords)]
        return [
            argument
            for argument in given
            if not isinstance(argument, ast.Starred)
            and self.kind(argument) in ("reader", "declaring", "computed")
        ]

    def partial_of(self, node: ast.expr) -> ast.expr | None:
        """The function ``node`` wraps when it is ``functools.partial(func, …)`` (``partial``
        of any owner, or a name an import gives it)."""
        if not isinstance(node, ast.Call) or not node.args or isinstance(node.args[0], ast.Starred):
            return None
        func = node.func
        partial = (isinstance(func, ast.Name) and func.id in self.partial_names) or (
            isinstance(func, ast.Attribute) and func.attr == "partial"
        )
        return node.args[0] if partial else None

    def owners(self, func: ast.expr) -> list[ast.expr]:
        """The objects a ``computed`` function was taken from (``pd`` of ``getattr(pd, k)``)."""
        func = attribute(func)
        while isinstance(func, ast.Call) and (wrapped := self.partial_of(func)) is not None:
            func = attribute(wrapped)
        if isinstance(func, ast.Name):
            return self.computed.get(func.id, [])
        return [func.args[0]] if isinstance(func, ast.Call) and _is_getattr(func) else []

    def holds_readers(self, node: ast.expr) -> bool:
        """Whether ``node`` is a package holding readers (:data:`READER_MODULES`, under the name
        an import or an assignment gives it) or a part of one (``pd.io``, ``nbtools.data``)."""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and (
            node.id in self.reader_modules
            or node.id in self.modules
            or node.id in ("builtins", "__builtins__")
        )

    def loads_artifact(self, func: ast.expr) -> bool:
        """Whether the called ``func`` is ``nbtools.artifacts.load`` (under a name an import
        gives it or its module): what it returns is a file of the store, no dataset's."""
        func = attribute(func)
        if isinstance(func, ast.Name):
            return func.id in self.artifact_loads
        if not (isinstance(func, ast.Attribute) and func.attr == "load"):
            return False
        owner = func.value
        return (isinstance(owner, ast.Name) and owner.id in self.artifact_modules) or (
            isinstance(owner, ast.Attribute)
            and owner.attr == "artifacts"
            and isinstance(owner.value, ast.Name)
            and owner.value.id == "nbtools"
        )

    def is_module(self, node: ast.expr) -> bool:
        """Whether ``node`` names ``nbtools.data``: a name given to it, ``data`` (as after
        ``from nbtools import data``, which the check assumes), or ``….data``."""
        return (isinstance(node, ast.Name) and (node.id == "data" or node.id in self.modules)) or (
            isinstance(node, ast.Attribute) and node.attr == "data"
        )


def attribute(func: ast.expr) -> ast.expr:
    """``func``, with ``getattr(obj, "name")`` (a literal name, with or without a default) read
    as ``obj.name``."""
    if not (_is_getattr(func) and isinstance(func, ast.Call)):
        return func
    name = func.args[1]
    if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
        return func
    return ast.copy_location(ast.Attribute(func.args[0], name.value, ast.Load()), func)


def _is_getattr(node: ast.expr) -> bool:
    """Whether ``node`` is ``getattr(obj, name[, default])``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and 2 <= len(node.args) <= 3
        and not node.keywords
        and not any(isinstance(arg, ast.Starred) for arg in node.args)
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
    func = attribute(call.func)
    if isinstance(func, ast.Attribute) and func.attr in METHODS:
        return func.value
    given = argument(call, PATH_KEYWORDS)
    if isinstance(func, ast.Attribute) and func.attr == "open" and (given is None or _mode(given)):
        return func.value
    return given


def _mode(node: ast.expr) -> bool:
    """Whether ``node`` is a file mode (``"rb"``) written as a literal."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and is_mode(node.value)


def is_mode(text: str) -> bool:
    """Whether ``text`` is a file mode (``"rb"``), which no reader takes for a path."""
    return re.fullmatch(r"[rwxabtU+]{1,4}", text) is not None


#: Methods calling the function given first with each item of the iterable given next
#: (``concurrent.futures``' and ``multiprocessing``'s pools, dask's client).
_MAPS = frozenset({"map", "imap", "imap_unordered"})
#: Methods calling the function given first with the arguments that follow it.
_SUBMITS = frozenset({"submit"})


def passed_calls(call: ast.Call, func: ast.expr, items: list[ast.expr] | None) -> list[ast.Call]:
    """The calls ``call`` makes of ``func``, a data function it was given (:meth:`Callees.
    passed`): ``map(func, iterable)`` (also a pool's or a client's ``.map``, ``.imap``,
    ``.imap_unordered``) calls it with each of ``items``, the items of its (first) iterable,
    when they are known; ``executor.submit(func, *args, **kwargs)`` calls ``func(*args,
    **kwargs)``. Any other call (``df.apply(open)``, a ``map`` over what is not known) is
    taken to call it with what the check cannot know: its reading is unresolved."""
    callee, name = call.func, called_name(call.func)
    first = bool(call.args) and call.args[0] is func
    plain = first and not any(isinstance(argument, ast.Starred) for argument in call.args)
    if plain and isinstance(callee, ast.Attribute) and name in _SUBMITS:
        made = [ast.Call(func, call.args[1:], call.keywords)]
    elif (
        plain
        and len(call.args) >= 2
        and items is not None
        and (
            (isinstance(callee, ast.Name) and name == "map" and not call.keywords)
            or (isinstance(callee, ast.Attribute) and name in _MAPS)
        )
    ):
        made = [ast.Call(func, [item], []) for item in items]
    else:  # an argument no one can know before the run
        made = [ast.Call(func, [ast.Starred(ast.Constant(None), ast.Load())], [])]
    return [ast.copy_location(one, call) for one in made]


def called_name(func: ast.expr) -> str:
    """The called function's name: ``pathlib.Path`` → Path."""
    return (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else ""
    )
