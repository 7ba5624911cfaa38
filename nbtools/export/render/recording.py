"""``record()`` in ``run()``: what the main cells record goes into the dict ``run()`` returns.

A main cell gets nbtools' ``record`` by importing it (``from nbtools import record``),
anywhere in the cell. ``run()`` binds its own recorder in its place: the import becomes an
assignment of it, where it stands, on the same line, so every other statement of the cell
keeps its line (a traceback still leads back to the cell's).
"""

from __future__ import annotations

import ast

from nbtools.export.parse import Parsed
from nbtools.export.plan import GENERATED_PREFIX, Plan
from nbtools.export.render.common import docstring
from nbtools.export.source import replace_statements

#: ``run()``'s own names beside the main cells' code (the planner refuses a cell using one):
#: the values it returns, and the ``record`` it gives the main cells.
RESULTS = f"{GENERATED_PREFIX}results"
RECORDER = f"{GENERATED_PREFIX}record"
#: The modules whose ``record`` ``run()`` replaces with its own.
RECORD_MODULES = frozenset({"nbtools", "nbtools.metrics.record"})
#: The comment after a rewritten import.
_NOTE = "(run() provides record)"


def in_run(node: ast.stmt) -> str | None:
    """The line replacing ``node`` in ``run()`` when it imports nbtools' ``record`` (``None``
    when it does not): the import of its other names, then ``run()``'s recorder bound where
    it bound ``record``."""
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in RECORD_MODULES:
        records = [alias.asname or alias.name for alias in node.names if alias.name == "record"]
        if not records:
            return None
        others = [alias for alias in node.names if alias.name != "record"]
        imports = [ast.unparse(ast.ImportFrom(node.module, others, 0))] if others else []
        return "; ".join([*imports, *(f"{name} = {RECORDER}" for name in records)])
    return None


def _imports(parsed: Parsed) -> list[tuple[ast.stmt, str]]:
    """The imports of a cell that :func:`in_run` rewrites, with their lines."""
    if "nbtools" not in parsed.names.modules:
        return []
    found: list[tuple[ast.stmt, str]] = []
    for node in ast.walk(parsed.tree):
        if isinstance(node, ast.ImportFrom):
            line = in_run(node)
            if line is not None:
                found.append((node, line))
    return found


def run_code(parsed: Parsed) -> str:
    """A main cell's code as ``run()`` executes it: its imports of nbtools' ``record`` bound
    to ``run()``'s, line for line."""
    imports = _imports(parsed)
    return replace_statements(parsed.cell.code, imports, _NOTE) if imports else parsed.cell.code


def recorder(plan: Plan) -> list[str]:
    """``run()``'s ``record(name, value, unit=None)`` (nbtools.record's signature), keeping
    each value in the results, when a main cell reads or imports ``record``; bound to that
    name unless it is a parameter's."""
    reads = "record" not in {p.name for p in plan.parameters} and any(
        "record" in p.names.free for p in plan.main
    )
    if not reads and not any(_imports(p) for p in plan.main):
        return []
    lines = [
        "",
        f"    def {RECORDER}(name: str, value: Any, unit: str | None = None) -> None:",
        f"        {docstring('record() of the main cells: the value goes into the results.')}",
        f"        {RESULTS}[name] = value",
    ]
    return lines + (["", f"    record = {RECORDER}"] if reads else [])
