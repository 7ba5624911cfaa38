"""The generated package's own names: what ``import <package>`` binds besides the notebook's.

``__init__.py`` imports the main module's public names (its ``__all__``) and, with a
pipeline, ``run`` from ``pipeline.py``; importing a submodule (``pipeline``, ``service``, a
module of the notebook) binds its name in the package too. A public name of the main module
that is one of these would replace it or be replaced by it, depending on what was imported
first, so it is refused at the cell defining it.
"""

from nbtools.export.model import Problem
from nbtools.export.modules import Module
from nbtools.export.names import binding_line
from nbtools.export.plan import PIPELINE_FUNCTION, Plan

_HINT = "Rename it, or keep it out of __all__ (a name starting with _, or #| exporti)."


def _taken(plan: Plan, serves: bool) -> dict[str, str]:
    """The package's names the generated code binds, and what each is."""
    taken = {top: f"the package's module {top}" for top in (m.split(".")[0] for m in plan.modules)}
    if plan.has_pipeline:
        taken["pipeline"] = "the generated module pipeline.py"
        taken[PIPELINE_FUNCTION] = "the pipeline's run()"
    if serves:
        taken["service"] = "the generated module service.py"
    return taken


def namespace_problems(plan: Plan, main_module: str, serves: bool) -> list[Problem]:
    """A problem for each public name of ``main_module`` the package binds to something else
    (``serves``: the package has a ``service.py``)."""
    module = plan.modules.get(main_module)
    if module is None:
        return []
    taken = _taken(plan, serves)
    return [
        _at_definition(module, name, f"'{plan.package}.{name}' is {taken[name]}")
        for name in module.public
        if name in taken
    ]


def _at_definition(module: Module, name: str, what: str) -> Problem:
    public = [p for p in module.cells if p.cell.public]
    defining = [p for p in public if name in p.names.bound]
    parsed = (defining or [p for p in public if name in p.outline.listed])[0]
    cell, line = parsed.cell, binding_line(parsed.tree, name)
    return Problem(
        cell.index,
        cell.id,
        cell.notebook_line(line) if line else 0,
        "reserved-name",
        f"The package cannot export '{name}' from its main module {module.name}: {what}.",
        _HINT,
    )
