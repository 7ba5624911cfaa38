"""Modules of the package importing each other: an import cycle Python cannot run.

A module imports the package's other modules in two ways. Its file imports the names its cells
use from other modules of the notebook (``from .other import name``) near its top: after its
:meth:`~nbtools.export.modules.Module.head` (the cells up to its last ``from __future__`` import),
before its other cells. And its cells may import them themselves (:mod:`.own_imports`), where
they are written: those that run when the module is imported count (not one inside a function,
under ``if TYPE_CHECKING:`` or in a ``try`` catching its failure).

When importing module ``a`` runs the import of ``b`` and ``b`` takes a name from ``a``, ``a`` is
still being imported and has bound only what it bound before that import: the import fails
("cannot import name … from partially initialized module"), whatever the names are (functions,
classes, constants). Taking ``a`` itself (``from . import a``, ``import pkg.a``, ``import pkg.a
as a``) works, but reading a name of it then (``a.f``) fails the same way, and so does reading
``pkg.a``, which Python sets only once ``a`` is imported; in a function, which runs later, both
are fine. Importing a module first imports the packages holding it (``data`` for
``data.load``) and the package's ``__init__``, which imports the main module and, with a
pipeline, ``pipeline.py``, which imports the names the ``main`` cells use (and ``__main__.py``
imports ``run`` from it).

:func:`import_cycles` follows these imports as Python runs them, from each module a test or
a user may import first, and reports each cycle once, at the cell and line of the import or
the name that cannot be imported.
"""

import ast
from typing import TYPE_CHECKING, NamedTuple

from nbtools.export.model import Cell, Problem
from nbtools.export.modules import Module
from nbtools.export.own_code import (
    generated_names,
    imports_itself,
    module_folder,
    package_modules,
    submodule,
)
from nbtools.export.parse import Parsed
from nbtools.export.plan import PIPELINE_FUNCTION, Plan

if TYPE_CHECKING:  # read only for a module whose cells import the package (most do not)
    from nbtools.export.own_imports import CodeImports, ModuleRead, OwnImport

#: How one module comes to import another (:class:`_Step`).
_FIRST, _PACKAGE, _NAME, _MODULE, _READ, _SUBMODULE = (
    "first",
    "package",
    "name",
    "module",
    "read",
    "submodule",
)


class _Step(NamedTuple):
    """``module`` (``""``: the package's ``__init__``) importing ``target``, or reading names
    of it, by ``kind``: the first import (``module`` empty), ``target`` being a package holding
    ``module`` (imported before it), ``name`` taken from it, the module itself taken, the names
    ``attributes`` read of it (:data:`_READ`; ``name``: how the cell reads them), or
    (:data:`_SUBMODULE`) ``target`` read as an attribute of its package. ``cell`` and ``line``
    (of the notebook) say where, ``written`` that the cell wrote the import, ``bound`` what
    ``module`` has bound when this step runs."""

    module: str
    target: str
    kind: str
    name: str = ""
    cell: Cell | None = None
    line: int = 0
    written: bool = False
    bound: frozenset[str] = frozenset()
    attributes: tuple[str, ...] = ()


class _Importer:
    """The package's imports, run as Python runs them, in one interpreter."""

    def __init__(self, steps: dict[str, list[_Step]]) -> None:
        self.steps = steps
        self.done: set[str] = set()
        #: Each module being imported, with what it has bound so far.
        self.running: dict[str, frozenset[str]] = {}
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
        parts = name.split(".") if name else []
        for package in ("", *(".".join(parts[:n]) for n in range(1, len(parts)))):
            if package != name and self._new(package):
                cycle = self.load(_Step(name, package, _PACKAGE))
                if cycle:
                    return cycle
        if not self._new(name):
            return None
        for step in self.steps[name]:
            self.running[name] = step.bound
            cycle = self._read(step) if step.kind == _READ else self._take(step)
            if cycle:
                return cycle
        self.running.pop(name, None)
        self.done.add(name)
        return None

    def _take(self, step: _Step) -> list[_Step] | None:
        cycle = self.load(step)
        if cycle is None and step.kind == _NAME and self._lacks(step.target, step.name):
            cycle = self._cycle(step.target, step)
        return cycle

    def _read(self, step: _Step) -> list[_Step] | None:
        """``step.attributes`` read of ``step.target``: a module still being imported lacks
        the names it has not bound yet, and its modules until they are imported."""
        module = step.target
        for index, attribute in enumerate(step.attributes):
            inner = submodule(module, attribute)
            if inner not in self.steps:  # a name of ``module``
                if self._lacks(module, attribute):
                    return self._cycle(module, step._replace(target=module, name=attribute))
                return None
            if inner in self.running:  # ``pkg.a`` itself, as the cell reads it
                read = ".".join(step.name.split(".")[: index + 2])
                return self._cycle(inner, step._replace(target=inner, kind=_SUBMODULE, name=read))
            if inner not in self.done:
                return None  # not imported: nothing to do with a cycle
            module = inner
        return None

    def _lacks(self, module: str, name: str) -> bool:
        return module in self.running and name not in self.running[module]

    def _cycle(self, other: str, failing: _Step) -> list[_Step]:
        """The steps from the one that started ``other`` (an outer one may still wait for
        it, having imported its package first) to ``failing``."""
        started = max(i for i, s in enumerate(self.path) if s.target == other)
        return [*self.path[started + 1 :], failing]

    def _new(self, name: str) -> bool:
        return name in self.steps and name not in self.done and name not in self.running


def import_cycles(plan: Plan, main_module: str, serves: bool = False) -> list[Problem]:
    """A problem for each cycle of imports between the package's modules (``serves``: the
    package has a ``service.py``)."""
    steps = _Package(plan, main_module, serves).steps()
    found: dict[frozenset[str], Problem] = {}
    for first in [*plan.modules, *sorted(set(steps) - set(plan.modules))]:
        cycle = _Importer(steps).load(_Step("", first, _FIRST))
        if cycle:
            key = frozenset(step.module for step in cycle)
            if key not in found:
                found[key] = _problem(cycle)
    return list(found.values())


class _Package:
    """The steps of each module of the package, in the order its file runs them."""

    def __init__(self, plan: Plan, main_module: str, serves: bool) -> None:
        self.plan, self.main_module = plan, main_module
        self.modules = package_modules(plan, serves)
        #: What the packages nbtools writes the ``__init__.py`` of bind once imported.
        self.given = generated_names(plan, main_module)

    def steps(self) -> dict[str, list[_Step]]:
        plan = self.plan
        steps: dict[str, list[_Step]] = {name: [] for name in self.modules}
        bound = {"__version__"}
        main = plan.modules.get(self.main_module)
        if main is not None and main.public:
            steps[""].append(_Step("", main.name, _MODULE, bound=frozenset(bound)))
            bound |= set(main.public)
        if plan.has_pipeline:
            steps[""].append(_Step("", "pipeline", _MODULE, bound=frozenset(bound)))
            steps["pipeline"] = self._pipeline()
            # ``__main__.py`` imports ``run`` from it at its top (``python -m PKG``)
            steps["__main__"] = [_Step("__main__", "pipeline", _NAME, PIPELINE_FUNCTION)]
        for module in plan.modules.values():
            steps[module.name] = self._module(module)
        return steps

    def _pipeline(self) -> list[_Step]:
        """``pipeline.py``'s imports: the names ``main`` cells use, each from its module, or
        by the import the exported cell wrote."""
        plan, steps = self.plan, []
        for name, binding in sorted(plan.main_imports.items()):
            if binding.statement is None:
                steps.append(_Step("pipeline", binding.module, _NAME, name))
        written = [b.statement for b in plan.main_imports.values() if b.statement is not None]
        if not written:
            return steps
        from nbtools.export.own_imports import read_imports

        code = ast.Module(body=written, type_ignores=[])
        for found in read_imports(code, plan.package, "").imports:
            steps += self._taking("pipeline", found, None, frozenset())
        return steps

    def _module(self, module: Module) -> list[_Step]:
        """The generated imports after the head cells, and the imports and reads the cells
        write, in order; each with the names the module bound before it."""
        written = self._written(module)
        generated = [
            _Step(module.name, other, _NAME, name, *_use(module, name))
            for name, other in sorted(module.siblings.items())
        ]
        head = len(module.head())
        last = max([head if generated else -1, *written])
        steps: list[_Step] = []
        bound: set[str] = set()
        for index, parsed in enumerate(module.cells[: last + 1]):
            if index == head:
                steps += self._generated(generated, bound)
            steps += [step._replace(bound=step.bound | bound) for step in written.get(index, [])]
            bound |= parsed.names.bound
        if head == len(module.cells):
            steps += self._generated(generated, bound)
        return steps

    @staticmethod
    def _generated(generated: list[_Step], bound: set[str]) -> list[_Step]:
        """The generated imports, each binding its name (``bound`` grows)."""
        steps = []
        for step in generated:
            steps.append(step._replace(bound=frozenset(bound)))
            bound.add(step.name)
        return steps

    def _written(self, module: Module) -> dict[int, list[_Step]]:
        """The imports of the package that run when the module is imported, and the reads
        of names of the modules they take whole, of each cell (by index) that has some, in
        the cell's order."""
        plan = self.plan
        cells: dict[int, list[_Step]] = {}
        writing = [i for i, p in enumerate(module.cells) if imports_itself(p, plan.package)]
        if not writing:  # most modules: nothing more to read
            return cells
        from nbtools.export.own_imports import read_imports, read_module_reads

        folder = module_folder(module.name, set(plan.modules))
        codes = {i: read_imports(module.cells[i].tree, plan.package, folder) for i in writing}
        roots = self._roots(module, codes)
        future = bool(roots) and any(
            _future_annotations(parsed) for parsed in module.head() if parsed.outline.future
        )
        for index, parsed in enumerate(module.cells):
            found = codes[index].imports if index in codes else []
            located: list[tuple[int, int, list[_Step]]] = [
                (i.line, i.column, self._taking(module.name, i, parsed, i.before))
                for i in found
                if i.at_import
            ]
            names = parsed.names
            if roots.keys() & (names.free.keys() | names.bound):
                for read in read_module_reads(parsed.tree, set(roots), future):
                    steps = self._reading(module, read, roots, parsed)
                    located.append((read.line, read.column, steps))
            located.sort(key=lambda found: found[:2])
            if located:
                cells[index] = [step for _, _, steps in located for step in steps]
        return cells

    def _taking(
        self, module: str, found: "OwnImport", parsed: Parsed | None, before: frozenset[str]
    ) -> list[_Step]:
        """The steps of an import of the package that runs: none if a ``try`` catches its
        failure, or it imports what the package does not have (another problem)."""
        if found.module is None or found.module not in self.modules or found.guarded(ImportError):
            return []
        where = _where(parsed, found.line)
        if found.binds is not None:
            return [_Step(module, found.module, _MODULE, "", *where, True, before)]
        steps = []
        for name, _ in found.names:
            inner = submodule(found.module, name)
            if name == "*":  # what the module has bound, whatever it is
                steps.append(_Step(module, found.module, _MODULE, "", *where, True, before))
            elif inner in self.modules:
                steps.append(_Step(module, inner, _MODULE, "", *where, True, before))
            elif name in self.given.get(found.module, {name}):  # else it fails in any order
                steps.append(_Step(module, found.module, _NAME, name, *where, True, before))
        return steps

    def _reading(
        self, module: Module, read: "ModuleRead", roots: dict[str, str], parsed: Parsed
    ) -> list[_Step]:
        if read.guarded(AttributeError):
            return []
        chain = ".".join((read.root, *read.attributes))
        where = _where(parsed, read.line)
        step = _Step(module.name, roots[read.root], _READ, chain, *where, True)
        return [step._replace(attributes=read.attributes)]

    def _roots(self, module: Module, codes: dict[int, "CodeImports"]) -> dict[str, str]:
        """The names the module binds to a module of the package, by the imports its cells
        write (``codes``, by cell); a name bound otherwise too, or to two modules, is left
        out."""
        roots: dict[str, str] = {}
        ambiguous: set[str] = set()
        for code in codes.values():
            for own in code.imports:
                for name, target in self._bound_modules(own):
                    if roots.setdefault(name, target) != target:
                        ambiguous.add(name)
        if roots:
            for index, parsed in enumerate(module.cells):
                written = codes.get(index)
                assigned = parsed.names.bound if written is None else written.assigned
                ambiguous |= roots.keys() & assigned
        return {name: target for name, target in roots.items() if name not in ambiguous}

    def _bound_modules(self, found: "OwnImport") -> list[tuple[str, str]]:
        """The names ``found`` binds to modules of the package, with those modules."""
        if found.module is None or not found.at_import:
            return []
        if found.binds is not None:
            return [found.binds] if found.binds[1] in self.modules else []
        inner = [(alias, submodule(found.module, name)) for name, alias in found.names]
        return [(alias, target) for alias, target in inner if target in self.modules]


def _future_annotations(parsed: Parsed) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in parsed.tree.body
    )


def _where(parsed: Parsed | None, line: int) -> tuple[Cell | None, int]:
    if parsed is None:
        return None, 0
    return parsed.cell, parsed.cell.notebook_line(line)


def _use(module: Module, name: str) -> tuple[Cell, int]:
    """The cell where ``module`` first uses ``name``, and the line in the notebook's cell."""
    for parsed in module.cells:
        line = parsed.names.external().get(name)
        if line is not None:
            return parsed.cell, parsed.cell.notebook_line(line)
    return module.cells[0].cell, 0


def _shown(module: str) -> str:
    return module or "__init__"


def _describe(step: _Step) -> str:
    module, target = _shown(step.module), _shown(step.target)
    where = f" ({step.cell.label})" if step.cell is not None else ""
    if step.kind == _PACKAGE:
        return f"{module} is inside {target}, which is imported first"
    if step.kind == _NAME:
        return f"{module}{where} imports '{step.name}' from {target}"
    if step.kind == _MODULE:
        return f"{module}{where} imports the module {target}"
    if step.kind == _READ:
        return f"{module}{where} reads '{step.name}' of {target}"
    return f"{module}{where} reads {step.name}, the module {target}"


def _problem(cycle: list[_Step]) -> Problem:
    """The cycle, reported where the last step a cell holds runs (the cell using the name
    that cannot be imported, or the import it wrote)."""
    described = "; ".join(_describe(step) for step in cycle)
    last = cycle[-1]
    if last.kind == _SUBMODULE:
        end = f", which is still being imported: Python sets {last.name} only once it is"
    else:
        end = f", which is still being imported and has not defined '{last.name}' yet"
    located = next(step for step in reversed(cycle) if step.cell is not None)
    assert located.cell is not None
    names = sorted({_shown(step.module) for step in cycle})
    if len(names) == 1:
        who = f"Module {names[0]} imports a name from itself"
    else:
        who = f"Modules {', '.join(names[:-1])} and {names[-1]} import names from each other"
    hint = (
        "Export the cells defining these names to one module (the same export tag), or move "
        "what they share into a module that imports from none of them."
    )
    if any(step.written for step in cycle):
        hint = (
            "Import (or read the module's names) inside the functions that use them, which "
            "run once the package is imported, export the cells defining these names to one "
            "module (the same export tag), or move what they share into a module that imports "
            "from none of them."
        )
    return Problem(
        located.cell.index,
        located.cell.id,
        located.line,
        "import-cycle",
        f"{who}, so the package cannot be imported: {described}{end}.",
        hint,
    )
