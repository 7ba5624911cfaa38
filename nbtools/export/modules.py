"""The modules of a package: which exported cells each one holds, and where each name lives.

``export`` cells go to the module their ``#| export NAME`` or the notebook's ``#| default_exp``
names, else :data:`DEFAULT_MODULE`; each module's public names are its cells', in notebook
order (a set's notebooks each adding theirs after the earlier ones', as nbdev does). Every
name an exported cell binds is a :class:`Binding` of its module, which the planner
(:mod:`nbtools.export.plan`) resolves the cells' names against::

    modules = export_modules(parsed, classified.default_module)
    exported = exported_names(modules)          # name -> Binding(module, import statement)
"""

import ast
from itertools import groupby

from nbtools.export.model import EXPORT, Cell
from nbtools.export.outline import public_names
from nbtools.export.parse import Parsed

#: The module ``export`` cells go to when the notebook names no ``#| default_exp``.
DEFAULT_MODULE = "core"


class Binding:
    """Where an exported name lives: its module, and the import statement if it was imported."""

    __slots__ = ("module", "statement")

    def __init__(self, module: str, statement: ast.stmt | None = None) -> None:
        self.module, self.statement = module, statement


class Star:
    """A ``from SOURCE import *`` of an exported cell: it may bind any name in MODULE."""

    __slots__ = ("cell", "module", "source")

    def __init__(self, cell: Cell, module: str, source: str) -> None:
        self.cell, self.module, self.source = cell, module, source


class Module:
    """One module of the package: its cells in notebook order and what it exports.

    ``siblings``: the names its cells use from other modules of the notebook (name → module),
    which its file imports after its :meth:`head`, before its other cells.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.cells: list[Parsed] = []
        self.public: list[str] = []
        self.siblings: dict[str, str] = {}

    def head(self) -> list[Parsed]:
        """The cells that open the module's file, before ``__all__`` and the imports of its
        siblings' names: up to the last one holding a ``from __future__`` import, which must
        come before any other statement."""
        last = max((i + 1 for i, p in enumerate(self.cells) if p.outline.future), default=0)
        return self.cells[:last]


def export_modules(parsed: list[Parsed], default_module: str | None) -> dict[str, Module]:
    """The modules the ``export`` cells of ``parsed`` make (``default_module``: the
    notebook's ``#| default_exp``), in the order their first cell comes."""
    default = default_module or DEFAULT_MODULE
    modules: dict[str, Module] = {}
    for cell in (p for p in parsed if p.cell.role == EXPORT):
        name = cell.cell.module or default
        modules.setdefault(name, Module(name)).cells.append(cell)
    for module in modules.values():
        # a set's notebooks each add their names after the earlier ones', as nbdev does
        by_notebook = groupby(module.cells, key=lambda p: p.cell.origin)
        module.public = [
            name
            for _, cells in by_notebook
            for name in public_names([p.outline for p in cells if p.cell.public])
        ]
    return modules


def exported_names(modules: dict[str, Module]) -> dict[str, Binding]:
    """Every name the modules' cells bind, by the module binding it last in notebook order
    (with its import statement when an absolute import binds it)."""
    cells = sorted(
        ((p, m.name) for m in modules.values() for p in m.cells), key=lambda x: x[0].cell.index
    )
    exported: dict[str, Binding] = {}
    for parsed, module in cells:
        for name in parsed.names.bound:
            statement = parsed.names.imports.get(name)
            absolute = statement if _is_absolute(statement) else None
            exported[name] = Binding(module, absolute)
    return exported


def _is_absolute(statement: ast.stmt | None) -> bool:
    return isinstance(statement, ast.Import) or (
        isinstance(statement, ast.ImportFrom) and statement.level == 0
    )


def read_by_exports(modules: dict[str, Module]) -> frozenset[str]:
    """The names exported code reads that its module binds: from another cell, or in a
    function or class of the cell binding it."""
    read: set[str] = set()
    for module in modules.values():
        for parsed in module.cells:
            read.update(parsed.names.free, parsed.names.inner)
    return frozenset(read)


def star_imports(modules: dict[str, Module]) -> list[Star]:
    """The star imports of exported cells, in notebook order (the name analysis found them)."""
    found = [
        Star(parsed.cell, module.name, star.source)
        for module in modules.values()
        for parsed in module.cells
        for star in parsed.names.star_imports
    ]
    return sorted(found, key=lambda star: star.cell.index)
