"""Modules of the package taking names from each other: an import cycle Python cannot run.

A module takes the names it uses from other modules of the notebook with ``from .other import
name`` near its top: after its :meth:`~nbtools.export.plan.Module.head` (the cells up to its
last ``from __future__`` import), before its other cells. When importing module ``a`` runs
the import of ``b`` and ``b`` takes a name from ``a``, ``a`` is still being imported and has
bound only what its head binds: the import fails ("cannot import name … from partially
initialized module"), whatever the names are (functions, classes, constants). Importing a
module first imports the packages holding it (``data`` for ``data.load``) and the package's
``__init__``, which imports the main module and, with a pipeline, the modules the pipeline
takes names from.

:func:`import_cycles` follows these imports as Python runs them, from each module a test or
a user may import first, and reports each cycle once, at the cell and line using the name
that cannot be imported.
"""

from typing import NamedTuple

from nbtools.export.model import Cell, Problem
from nbtools.export.plan import Module, Plan


class _Step(NamedTuple):
    """``module`` importing ``target``: to take ``name`` from it, or (``name`` empty) because
    ``target`` is a package holding ``module``, imported before it. The first module imported
    is imported by no module (``module`` empty)."""

    module: str
    target: str
    name: str = ""


class _Importer:
    """The package's imports, run as Python runs them, in one interpreter."""

    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self.done: set[str] = set()
        self.running: list[str] = []
        #: How each running module came to be imported, from the first one imported.
        self.path: list[_Step] = []

    def load(self, step: _Step) -> list[_Step] | None:
        """Import ``step.target``; the steps of the cycle if an import fails."""
        self.path.append(step)
        try:
            return self._load(step.target)
        finally:
            self.path.pop()

    def _load(self, name: str) -> list[_Step] | None:
        parts = name.split(".")
        for package in (".".join(parts[:n]) for n in range(1, len(parts))):
            if package in self.modules and self._new(package):
                cycle = self.load(_Step(name, package))
                if cycle:
                    return cycle
        if not self._new(name):
            return None
        self.running.append(name)
        for taken, other in sorted(self.modules[name].siblings.items()):
            step = _Step(name, other, taken)
            cycle = self.load(step)
            if cycle is None and other in self.running and taken not in self._early(other):
                # the step that started ``other`` (an outer one may still wait for it,
                # having imported its package first)
                started = max(i for i, s in enumerate(self.path) if s.target == other)
                cycle = [*self.path[started + 1 :], step]
            if cycle:
                return cycle
        self.running.remove(name)
        self.done.add(name)
        return None

    def _early(self, name: str) -> set[str]:
        """What module ``name`` binds before it imports its siblings' names."""
        return {bound for parsed in self.modules[name].head() for bound in parsed.names.bound}

    def _new(self, name: str) -> bool:
        return name not in self.done and name not in self.running


def import_cycles(plan: Plan, main_module: str) -> list[Problem]:
    """A problem for each cycle of imports between the package's modules."""
    modules = plan.modules
    main = modules.get(main_module)
    package_init = [main_module] if main is not None and main.public else []
    package_init += sorted(
        {b.module for b in plan.main_imports.values() if b.statement is None} & set(modules)
    )
    found: dict[frozenset[str], Problem] = {}
    for first in modules:
        importer = _Importer(modules)
        for name in [*package_init, first]:
            cycle = importer.load(_Step("", name))
            if cycle:
                key = frozenset(step.module for step in cycle)
                if key not in found:
                    found[key] = _problem(modules, cycle)
                break
    return list(found.values())


def _use(module: Module, name: str) -> tuple[Cell, int]:
    """The cell where ``module`` first uses ``name``, and the line in the notebook's cell."""
    for parsed in module.cells:
        line = parsed.names.external().get(name)
        if line is not None:
            return parsed.cell, parsed.cell.notebook_line(line)
    return module.cells[0].cell, 0


def _problem(modules: dict[str, Module], cycle: list[_Step]) -> Problem:
    """The cycle, reported where its last step's module uses the name it cannot import."""
    described = [
        f"{step.module} (cell {_use(modules[step.module], step.name)[0].number}) imports "
        f"'{step.name}' from {step.target}"
        if step.name
        else f"{step.module} is inside {step.target}, which is imported first"
        for step in cycle
    ]
    last = cycle[-1]
    cell, line = _use(modules[last.module], last.name)
    names = sorted({step.module for step in cycle})
    return Problem(
        cell.index,
        cell.id,
        line,
        "import-cycle",
        f"Modules {', '.join(names[:-1])} and {names[-1]} import names from each other, so the "
        f"package cannot be imported: {'; '.join(described)}, which is still being imported "
        f"and has not defined '{last.name}' yet.",
        "Export the cells defining these names to one module (the same export tag), or move "
        "what they share into a module that imports from none of them.",
    )
