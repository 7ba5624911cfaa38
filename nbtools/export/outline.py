"""What rendering reads of a cell's top-level statements, kept apart from its syntax tree.

A module's ``__all__`` (nbdev's rules), whether a cell holds a ``from __future__`` import, and
its absolute ``from X import`` statements (rewritten as relative ones inside the package) come
from the top level of each exported cell. They are read once, right after parsing, into an
:class:`Outline`: a few strings per cell, which another process can send back without the tree
(:mod:`nbtools.export.parallel`).
"""

import ast
from typing import NamedTuple


class FromImport(NamedTuple):
    """A top-level ``from MODULE import …`` without leading dots: where it starts."""

    module: str
    line: int
    column: int


class Outline(NamedTuple):
    """A cell's top level, as rendering and ``__all__`` need it."""

    #: Top-level assignment targets, in order (nbdev exports those not starting with ``_``).
    targets: tuple[str, ...]
    #: Functions and classes defined at the top level, except ``@patch``-decorated ones.
    definitions: tuple[str, ...]
    #: The names an ``_all_ = [...]`` assignment lists.
    listed: tuple[str, ...]
    #: A ``from __future__ import`` statement is at the top level.
    future: bool
    from_imports: tuple[FromImport, ...]


_ASSIGNMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def outline(tree: ast.Module) -> Outline:
    """The outline of a parsed cell."""
    targets: list[str] = []
    definitions: list[str] = []
    listed: list[str] = []
    future = False
    from_imports: list[FromImport] = []
    for statement in tree.body:
        if isinstance(statement, _ASSIGNMENTS):
            assigned = _targets(statement)
            first = assigned[0]
            if isinstance(first, ast.Name) and first.id == "_all_":
                value = statement.value
                if isinstance(value, (ast.List, ast.Tuple)):
                    listed += [_listed_name(item) for item in value.elts]
            for target in assigned:
                elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
                targets += [element.id for element in elements if isinstance(element, ast.Name)]
        elif isinstance(statement, _DEFINITIONS):
            if not any(_decorator_name(d).startswith("patch") for d in statement.decorator_list):
                definitions.append(statement.name)
        elif isinstance(statement, ast.ImportFrom):
            if statement.module == "__future__":
                future = True
            if not statement.level and statement.module:
                from_imports.append(
                    FromImport(statement.module, statement.lineno, statement.col_offset)
                )
    return Outline(tuple(targets), tuple(definitions), tuple(listed), future, tuple(from_imports))


def public_names(outlines: list[Outline]) -> list[str]:
    """The ``__all__`` of exported code, by nbdev's rules.

    Top-level assignment targets, then functions and classes (not ``@patch``-decorated), none
    starting with ``_``, then the names listed in an ``_all_ = [...]`` assignment; each once.
    """
    targets = [name for cell in outlines for name in cell.targets]
    definitions = [name for cell in outlines for name in cell.definitions]
    names = [n for n in targets + definitions if n and not n.startswith("_")]
    listed = [name for cell in outlines for name in cell.listed]
    return list(dict.fromkeys(names + [n for n in listed if n]))


def _targets(statement: ast.Assign | ast.AnnAssign | ast.AugAssign) -> list[ast.expr]:
    if isinstance(statement, ast.Assign):
        return statement.targets
    return [statement.target]


def _decorator_name(decorator: ast.expr) -> str:
    if isinstance(decorator, ast.Name):
        return decorator.id
    if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name):
        return decorator.func.id
    return ""


def _listed_name(item: ast.expr) -> str:
    if isinstance(item, ast.Constant) and isinstance(item.value, str):
        return item.value
    return item.id if isinstance(item, ast.Name) else ""
