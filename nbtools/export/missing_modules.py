"""Imports of the package that point at nothing: a module no cell is exported to.

A cell may import the package's other modules (:mod:`.own_imports`): ``from pkg.load import
f``, ``from .load import f``, ``import pkg.load``, ``from pkg import load``. The package holds
only the modules the notebook's cells are exported to and those nbtools generates
(``pipeline``, ``__main__``, ``service``), so an import of any other module of it (one the
notebook never exports, or another notebook would) fails wherever it runs: when the package
is imported, or when the function holding it is called. :func:`missing_modules` refuses each
such import at its cell and line, naming the module, and so does a name taken from a module
whose names nbtools knows (the package's ``__init__``, a folder holding only other modules)
that it does not bind. An import under ``if TYPE_CHECKING:`` never runs, and one inside a
``try`` catching ``ImportError`` handles its failure: both pass.

Only cells whose names show an import of the package are read again (:func:`own_code`), and
the caller imports this module only when there are some: a notebook that never imports its
own package pays nothing.
"""

from nbtools.export.model import Problem
from nbtools.export.own_code import OwnCode, generated_names, package_modules, submodule
from nbtools.export.own_imports import OwnImport, read_imports
from nbtools.export.plan import Plan

#: Why the package lacks a module nbtools generates only for some notebooks.
_GENERATED = {
    "pipeline": "nbtools writes it only for a notebook with main cells or parameters",
    "__main__": "nbtools writes it only for a notebook with main cells, parameters or a "
    "served function",
    "service": "nbtools writes it only for a notebook that serves a function",
}


def missing_modules(
    plan: Plan, codes: list[OwnCode], main_module: str, serves: bool
) -> list[Problem]:
    """A problem at each import of a module (or a name) the package does not have in
    ``codes`` (:func:`own_code`; ``serves``: the package has a ``service.py``)."""
    modules = package_modules(plan, serves)
    given = generated_names(plan, main_module)
    problems = []
    for cell, tree, folder in codes:
        for found in read_imports(tree, plan.package, folder).imports:
            if found.guarded(ImportError):
                continue
            problem = _missing(plan.package, found, modules, given)
            if problem is not None:
                message, hint = problem
                line = cell.notebook_line(found.line)
                problems.append(Problem(cell.index, cell.id, line, "missing-module", message, hint))
    return problems


def _missing(
    package: str, found: OwnImport, modules: set[str], given: dict[str, frozenset[str]]
) -> tuple[str, str] | None:
    """The message and hint refusing ``found``, or ``None`` when what it imports exists."""
    shown = ", ".join(sorted(f"{package}.{m}" if m else package for m in modules))
    if found.module is None:
        return (
            f"'{found.text}' climbs above the package {package}: its dots name no module.",
            f"Import the package's modules from {package} itself ({package}.<module>).",
        )
    if found.module not in modules:
        target = f"{package}.{found.module}"
        why = _GENERATED.get(found.module, f"no cell is exported to '{found.module}'")
        return (
            f"'{found.text}' imports {target}, a module the package does not have: {why}, so "
            f"the import fails. The package's modules: {shown}.",
            f"Export the cells that define what it imports to that module (the tag "
            f"export:{found.module}), or import them from the module their cells are exported "
            "to.",
        )
    known = given.get(found.module)
    if known is None:  # a module of the notebook or generated: its names are its own
        return None
    for name, _ in found.names:
        if name != "*" and name not in known and submodule(found.module, name) not in modules:
            where = f"{package}.{found.module}" if found.module else package
            return (
                f"'{found.text}' takes '{name}' from {where}, which has no module or name "
                f"'{name}', so the import fails. The package's modules: {shown}.",
                f"Import '{name}' from the module the cell defining it is exported to "
                f"({package}.<module>), or export that cell to '{submodule(found.module, name)}'.",
            )
    return None
