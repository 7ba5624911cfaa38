"""``record()`` in ``run()``: what the main cells record goes into the dict ``run()`` returns.

A main cell gets nbtools' ``record`` by importing it by name (``from nbtools import record``)
or by importing nbtools (``import nbtools as nb``, then ``nb.record(...)``), anywhere in the
cell. ``run()`` binds its own recorder in their place: an import of ``record`` becomes an
assignment of it, and a name bound to nbtools becomes nbtools with ``run()``'s ``record``.
Each import is rewritten where it stands, on the same line, so every other statement of the
cell keeps its line (a traceback still leads back to the cell's).
"""

from __future__ import annotations

import ast

from nbtools.export.parse import Parsed
from nbtools.export.plan import GENERATED_PREFIX, Plan
from nbtools.export.render.common import docstring
from nbtools.export.source import replace_statements

#: ``run()``'s own names beside the main cells' code (the planner refuses a cell using one):
#: the values it returns, the ``record`` it gives the main cells, and nbtools with that record.
RESULTS = f"{GENERATED_PREFIX}results"
RECORDER = f"{GENERATED_PREFIX}record"
MODULE = f"{GENERATED_PREFIX}module"
#: The modules whose ``record`` ``run()`` replaces with its own.
RECORD_MODULES = frozenset({"nbtools", "nbtools.metrics.record"})
#: The comment after a rewritten import.
_NOTE = "(run() provides record)"


def in_run(node: ast.stmt) -> str | None:
    """The line replacing ``node`` in ``run()`` when it imports nbtools' ``record`` or a
    module of it (``None`` when it does not): the import of its other names, then
    ``run()``'s recorder bound where it bound ``record``, or its module with that recorder."""
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in RECORD_MODULES:
        records = [alias.asname or alias.name for alias in node.names if alias.name == "record"]
        if not records:
            return None
        others = [alias for alias in node.names if alias.name != "record"]
        imports = [ast.unparse(ast.ImportFrom(node.module, others, 0))] if others else []
        return "; ".join([*imports, *(f"{name} = {RECORDER}" for name in records)])
    if isinstance(node, ast.Import):
        modules = dict.fromkeys(
            alias.asname or alias.name.partition(".")[0]
            for alias in node.names
            if (alias.name if alias.asname else alias.name.partition(".")[0]) in RECORD_MODULES
        )
        if modules:
            bound = [f"{name} = {MODULE}({name})" for name in modules]
            return "; ".join([ast.unparse(node), *bound])
    return None


def _imports(parsed: Parsed) -> list[tuple[ast.stmt, str]]:
    """The imports of a cell that :func:`in_run` rewrites, with their lines."""
    if "nbtools" not in parsed.names.modules:
        return []
    found: list[tuple[ast.stmt, str]] = []
    for node in ast.walk(parsed.tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            line = in_run(node)
            if line is not None:
                found.append((node, line))
    return found


def run_code(parsed: Parsed) -> str:
    """A main cell's code as ``run()`` executes it: its imports of nbtools' ``record`` (or
    of nbtools) bound to ``run()``'s, line for line."""
    imports = _imports(parsed)
    return replace_statements(parsed.cell.code, imports, _NOTE) if imports else parsed.cell.code


def exported_imports(plan: Plan) -> dict[str, ast.stmt]:
    """The imports of nbtools' ``record`` (or of nbtools) of exported cells whose names the
    main cells read: ``run()`` makes them itself (:func:`in_run_line`), not ``pipeline.py``."""
    return {
        name: binding.statement
        for name, binding in plan.main_imports.items()
        if binding.statement is not None and in_run(binding.statement) is not None
    }


def in_run_line(node: ast.stmt) -> str:
    """An import statement ``run()`` makes for the main cells (one of the parameters cell, or
    of :func:`exported_imports`), rewritten by :func:`in_run`."""
    line = in_run(node)
    return ast.unparse(node) if line is None else f"{line}  # {_NOTE}"


def recorder(plan: Plan) -> list[str]:
    """``run()``'s ``record(name, value, unit=None)`` (nbtools.record's signature), keeping
    each value in the results, when a main cell reads or imports ``record`` or nbtools; bound
    to that name unless it is a parameter's; and nbtools with that ``record``, when they
    import nbtools itself."""
    reads = "record" not in {p.name for p in plan.parameters} and any(
        "record" in p.names.free for p in plan.main
    )
    imports = [node for p in plan.main for node, _ in _imports(p)]
    imports += [node for node in plan.parameter_imports if in_run(node) is not None]
    imports += exported_imports(plan).values()
    if not reads and not imports:
        return []
    lines = [
        "",
        f"    def {RECORDER}(name: str, value: Any, unit: str | None = None) -> None:",
        f"        {docstring('record() of the main cells: the value goes into the results.')}",
        f"        {RESULTS}[name] = value",
    ]
    if any(isinstance(node, ast.Import) for node in imports):
        lines += [
            "",
            f"    def {MODULE}(module: Any) -> Any:",
            f"        {docstring('nbtools (or its record module) with the record() of run().')}",
            "        import types",
            "",
            "        seen = types.ModuleType(module.__name__, module.__doc__)",
            "        seen.__getattr__ = lambda name: getattr(module, name)",
            f"        seen.record = {RECORDER}",
            "        return seen",
        ]
    return lines + (["", f"    record = {RECORDER}"] if reads else [])
