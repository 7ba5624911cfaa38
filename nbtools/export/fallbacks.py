"""Imports that only stand in for a standard-library module on Pythons the package does not
run on, such as ``tomli`` in::

    try:
        import tomllib
    except ImportError:
        import tomli as tomllib

A standard-library module newer than the oldest Python supported (``tomllib``:
:data:`~nbtools.export.deps.ADDED_IN`) makes the package's ``requires-python`` the version
adding it (``>=3.11``: :func:`~nbtools.export.deps.python_range`), where the ``except``
branch never runs: ``tomli`` is no dependency, and its not being installed is no reason for a
warning. Imported by the extraction only for a package that needs such a Python.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from nbtools.export.deps import ADDED_IN
from nbtools.export.parse import Parsed

#: The exceptions an ``except`` clause catching a missing module's error names.
_CATCHING = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def unused_fallbacks(cells: Iterable[Parsed], candidates: set[str]) -> set[str]:
    """The modules of ``candidates`` that ``cells`` import only in an ``except`` branch
    catching ``ImportError`` of a ``try`` whose body imports a standard-library module of
    :data:`~nbtools.export.deps.ADDED_IN`: never imported on the Pythons the package is for."""
    in_fallback: set[str] = set()
    elsewhere: set[str] = set()
    for parsed in cells:
        if candidates.isdisjoint(parsed.names.modules):
            continue
        fallback = _fallback_imports(parsed.tree)
        for node in ast.walk(parsed.tree):
            found = _imported(node) & candidates
            (in_fallback if id(node) in fallback else elsewhere).update(found)
    return in_fallback - elsewhere


def _imported(node: ast.AST) -> set[str]:
    """The top-level modules an import statement imports (none for another node, or for a
    relative import)."""
    if isinstance(node, ast.Import):
        return {alias.name.partition(".")[0] for alias in node.names}
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return {node.module.partition(".")[0]}
    return set()


def _fallback_imports(tree: ast.Module) -> set[int]:
    """The ids of the import statements in the ``except`` branches catching ``ImportError``
    of ``tree``'s ``try`` statements whose body imports a module of ``ADDED_IN``."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            module in ADDED_IN for statement in node.body for module in _imported(statement)
        ):
            for handler in node.handlers:
                if _catches_import_error(handler.type):
                    found.update(id(inner) for inner in ast.walk(handler) if _imported(inner))
    return found


def _catches_import_error(caught: ast.expr | None) -> bool:
    """Whether an ``except`` clause of type ``caught`` catches a missing module's error: a
    bare ``except``, or one naming a class of :data:`_CATCHING` (alone or in a tuple)."""
    if caught is None:
        return True
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(isinstance(name, ast.Name) and name.id in _CATCHING for name in names)
