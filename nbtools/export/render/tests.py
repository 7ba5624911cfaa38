"""Rendering ``tests/test_<package>.py``: one pytest function per ``test`` cell."""

from __future__ import annotations

import ast

from nbtools.export.model import Source
from nbtools.export.modules import Binding
from nbtools.export.parameters import default_code
from nbtools.export.plan import GENERATED_PREFIX, Plan
from nbtools.export.render.common import block_comment, opening
from nbtools.export.render.pipeline import import_lines
from nbtools.export.source import indent
from nbtools.parameters import Parameter

#: The start of the names pytest collects as tests: functions (its ``python_functions``) and
#: classes (``python_classes``), at the defaults the generated ``pyproject.toml`` keeps.
COLLECTED = ("test", "Test")


def render_tests(plan: Plan, source: Source) -> str:
    """One pytest function per ``test`` cell, importing what each cell uses from the package.

    A name of the notebook's code that pytest would collect as a test (``test_quality``, an
    exported function; ``TestData``) is no global of the file: it is imported under the
    name ``_nbtools_<name>``, and each test using it takes it as a default argument, which
    pytest does not read as a fixture.
    """
    bindings: dict[str, Binding] = {}
    parameters: dict[str, Parameter] = {}
    for test in plan.tests:
        bindings.update(plan.test_imports[test.cell.index])
        parameters.update((p.name, p) for p in plan.test_parameters[test.cell.index])
    lines = [
        *opening(
            source, f"Tests from the 'test' cells of {source.name}: one function per cell.", False
        ),
        *import_lines(bindings, plan.package, ""),
    ]
    collected = sorted(name for name in bindings if name.startswith(COLLECTED))
    if collected:
        lines += [
            "",
            "# Names of the notebook's code pytest would collect as tests: the tests using",
            "# them take them as default arguments",
            *(f"{GENERATED_PREFIX}{name} = {name}" for name in collected),
            f"del {', '.join(collected)}",
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
        taken = [name for name in collected if name in plan.test_imports[test.cell.index]]
        lines += [
            "",
            "",
            *_signature(test.cell.test_name, taken),
            f"    {block_comment(source, test.cell)}",
            body,
        ]
    return "\n".join(lines) + "\n"


def _signature(name: str, taken: list[str]) -> list[str]:
    """A test function's ``def`` line(s): ``taken`` names as default arguments, one line when
    it fits in 100 characters."""
    arguments = [f"{taken_name}={GENERATED_PREFIX}{taken_name}" for taken_name in taken]
    one_line = f"def {name}({', '.join(arguments)}) -> None:"
    if len(one_line) <= 100:
        return [one_line]
    return [f"def {name}(", *(f"    {argument}," for argument in arguments), ") -> None:"]
