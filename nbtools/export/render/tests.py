"""Rendering ``tests/test_<package>.py``: one pytest function per ``test`` cell."""

from __future__ import annotations

import ast

from nbtools.export.model import Source
from nbtools.export.parameters import default_code
from nbtools.export.plan import Binding, Plan
from nbtools.export.render.common import block_comment, opening
from nbtools.export.render.pipeline import import_lines
from nbtools.export.source import indent
from nbtools.parameters import Parameter


def render_tests(plan: Plan, source: Source) -> str:
    """One pytest function per ``test`` cell, importing what each cell uses from the package."""
    bindings: dict[str, Binding] = {}
    parameters: dict[str, Parameter] = {}
    for test in plan.tests:
        bindings.update(plan.test_imports[test.cell.index])
        parameters.update((p.name, p) for p in plan.test_parameters[test.cell.index])
    lines = [
        *opening(source, f"Tests from the 'test' cells of {source.name}: one function per cell."),
        *import_lines(bindings, plan.package, ""),
    ]
    if parameters:
        lines += ["", "# Parameters the tests read, with the notebook's defaults"]
        if any(p.computed is not None for p in parameters.values()):
            lines += map(ast.unparse, plan.parameter_imports)
        lines += [f"{name} = {default_code(p)}" for name, p in sorted(parameters.items())]
    while lines[-1] == "":
        lines.pop()
    for test in plan.tests:
        code = test.cell.code.rstrip()
        body = indent(code) if test.tree.body else "    pass"
        if not test.tree.body and code:
            body = indent(code) + "\n    pass"
        lines += [
            "",
            "",
            f"def test_cell_{test.cell.number}() -> None:",
            f"    {block_comment(source, test.cell)}",
            body,
        ]
    return "\n".join(lines) + "\n"
