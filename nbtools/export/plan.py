"""From classified cells to a package plan: modules, pipeline, tests, and where names come from.

Every name a module, ``main`` cell or ``test`` cell reads is resolved here: bound by the code
itself, a parameter, a builtin, or exported by some module of the notebook (then imported where
it is needed). Whatever is left is reported at its cell and line, with where the notebook does
define it when that is an untagged cell.
"""

import ast
from typing import TYPE_CHECKING

from nbtools.export.cells import check_exportable
from nbtools.export.model import (
    MAIN,
    PARAMETERS,
    TEST,
    Cell,
    Classified,
    Problem,
    cell_label,
)
from nbtools.export.modules import (
    Binding,
    Module,
    Star,
    export_modules,
    exported_names,
    read_by_exports,
    star_imports,
)
from nbtools.export.names import Names, binding_line
from nbtools.export.parallel import parse_cells
from nbtools.export.parse import NOTEBOOK_ONLY_NAMES, Parsed, parse_untagged
from nbtools.export.toplevel import cell_problems, rebinding_problems
from nbtools.notebooks import Notebook, cell_source

if TYPE_CHECKING:  # the parameters' reader is loaded for a notebook with a parameters cell
    from nbtools.parameters import Parameter

#: The function the generated ``pipeline.py`` defines around the ``main`` cells' code.
PIPELINE_FUNCTION = "run"
#: Names ``run()`` provides to ``main`` cells: ``record(name, value)`` adds to its results.
PIPELINE_NAMES = frozenset({"record"})
#: The start of the names the generated ``run()`` binds for itself beside the ``main`` cells'
#: code (its results, its ``record``): a ``parameters`` or ``main`` cell using one is refused.
GENERATED_PREFIX = "_nbtools_"


class Plan:
    """Everything the renderer needs, and the problems found while planning.

    ``parameters_cell`` is the ``parameters`` cell, if any, and ``parameter_imports`` its
    imports (as written), which computed defaults may need. ``summaries``: each module's
    docstring, for a set of notebooks (:attr:`Classified.summaries`).
    """

    __slots__ = (
        "main",
        "main_imports",
        "markdown",
        "modules",
        "package",
        "parameter_imports",
        "parameters",
        "parameters_cell",
        "problems",
        "summaries",
        "test_imports",
        "test_parameters",
        "tests",
    )

    def __init__(
        self,
        package: str,
        modules: dict[str, Module],
        parameters: "list[Parameter]",
        parameters_cell: Cell | None,
        parameter_imports: list[ast.Import | ast.ImportFrom],
        main: list[Parsed],
        main_imports: dict[str, Binding],
        tests: list[Parsed],
        test_imports: dict[int, dict[str, Binding]],
        test_parameters: "dict[int, list[Parameter]]",
        problems: list[Problem],
        markdown: list[str],
        summaries: dict[str, str] | None = None,
    ) -> None:
        self.package, self.modules, self.markdown = package, modules, markdown
        self.summaries = summaries
        self.parameters, self.parameters_cell = parameters, parameters_cell
        self.parameter_imports = parameter_imports
        self.main, self.main_imports = main, main_imports
        self.tests, self.test_imports, self.test_parameters = tests, test_imports, test_parameters
        self.problems = problems

    @property
    def has_pipeline(self) -> bool:
        return bool(self.parameters or self.main)

    @property
    def cells(self) -> dict[int, Cell]:
        """The cells whose code the package's files hold, by index."""
        parsed = [p for module in self.modules.values() for p in module.cells]
        cells = {p.cell.index: p.cell for p in [*parsed, *self.main, *self.tests]}
        if self.parameters_cell is not None:
            cells[self.parameters_cell.index] = self.parameters_cell
        return cells

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class _Planner:
    def __init__(self, nb: Notebook, classified: Classified, package: str, processes: int) -> None:
        self.nb = nb
        self.processes = processes
        self.classified = classified
        self.package = package
        self.problems = list(classified.problems)
        self._untagged: dict[int, Names | None] | None = None
        #: Tagged cells left out for a problem of their own (an invalid module name, ...).
        self._refused = {p.cell for p in classified.problems} - {c.index for c in classified.cells}
        self._stars: list[Star] = []
        #: Names exported code reads from the top level of its modules (:func:`~nbtools.export.modules.read_by_exports`).
        self._read_by_exports: frozenset[str] = frozenset()

    # ------------------------------------------------------------------------------------
    def run(self) -> Plan:
        parsed = self._parse_all()
        parameter_cells = self._parameter_cells(parsed)
        parameters = self._parameters(parameter_cells)
        modules = export_modules(parsed, self.classified.default_module)
        self._stars = star_imports(modules)
        exported = exported_names(modules)
        params = {p.name: p for p in parameters}
        for module in modules.values():
            self._resolve_module(module, exported, params)
        main = [p for p in parsed if p.cell.role == MAIN]
        tests = [p for p in parsed if p.cell.role == TEST]
        if main or tests:
            self._read_by_exports = read_by_exports(modules)
        # computed defaults run first in run(): their names resolve as a main cell's do
        main_imports = self._resolve_main([*parameter_cells, *main], exported, params)
        self.problems += rebinding_problems(main, exported, self._read_by_exports)
        parameter_imports = [
            node
            for cell in parameter_cells
            for node in cell.tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))
        ]
        has_pipeline = bool(parameters or main)
        main_names = {name for p in main for name in p.names.bound}
        test_imports: dict[int, dict[str, Binding]] = {}
        test_parameters: dict[int, list[Parameter]] = {}
        for test in tests:
            imports, used = self._resolve_test(test, exported, params, main_names, has_pipeline)
            test_imports[test.cell.index] = imports
            test_parameters[test.cell.index] = used
        self.problems.sort(key=lambda p: (p.cell, p.line, p.code))
        return Plan(
            self.package,
            modules,
            parameters,
            parameter_cells[0].cell if parameter_cells else None,
            parameter_imports,
            main,
            main_imports,
            tests,
            test_imports,
            test_parameters,
            self.problems,
            self.classified.markdown,
            self.classified.summaries,
        )

    def _parse_all(self) -> list[Parsed]:
        parsed: list[Parsed] = []
        for result, problems in parse_cells(self.classified.cells, self.processes):
            self.problems += problems
            if result is not None:
                parsed.append(result)
        return parsed

    def _parameter_cells(self, parsed: list[Parsed]) -> list[Parsed]:
        """The ``parameters`` cell: the first one, as for papermill (and jobs), which injects
        a run's values after it; a later one is reported."""
        cells = [p for p in parsed if p.cell.role == PARAMETERS]
        for later in cells[1:]:
            self._report(
                later.cell,
                1,
                "parameters-cell-twice",
                f"Only the first 'parameters' cell ({cells[0].cell.label}) declares "
                "parameters: a run's values are injected after it, so this one would "
                "overwrite them.",
                f"Move these assignments into {cells[0].cell.label}, or untag this cell.",
            )
        return cells[:1]

    def _parameters(self, cells: list[Parsed]) -> "list[Parameter]":
        found: list[Parameter] = []
        if not cells:
            return found
        from nbtools.export.parameters import cell_parameters

        for cell in cells:
            parameters, problems = cell_parameters(cell)
            self.problems += problems
            found += parameters
        return found

    # ------------------------------------------------------------------------------------
    def _resolve_module(
        self, module: Module, exported: dict[str, Binding], params: "dict[str, Parameter]"
    ) -> None:
        bound = {name for p in module.cells for name in p.names.bound}
        # a library's name another module imports, this one's own star import may give too:
        # taken from there, never from that module (a needless import, perhaps a false cycle)
        stars = [star for star in self._stars if star.module == module.name]
        for parsed in module.cells:
            for name, line in parsed.names.external().items():
                if name in bound or name in NOTEBOOK_ONLY_NAMES:
                    continue
                if name in exported and not (stars and self._library_name(exported[name])):
                    module.siblings[name] = exported[name].module
                elif name in params:
                    self._report(
                        parsed.cell,
                        line,
                        "parameter-in-export",
                        f"'{name}' is a notebook parameter; exported code cannot read parameters.",
                        f"Pass {name} to the function as an argument; 'main' cells can read it.",
                    )
                elif stars:
                    self._maybe_from_star(parsed.cell, name, line, stars[0])
                else:
                    self._undefined(parsed.cell, name, line, "'export'")

    def _library_name(self, binding: Binding) -> bool:
        """Whether ``binding`` is a name its module imports from outside the package."""
        statement = binding.statement
        if not isinstance(statement, ast.ImportFrom):
            return statement is not None
        top = (statement.module or "").split(".")[0]
        return top != self.package

    def _resolve_main(
        self, main: list[Parsed], exported: dict[str, Binding], params: "dict[str, Parameter]"
    ) -> dict[str, Binding]:
        known = set(params) | PIPELINE_NAMES
        imports: dict[str, Binding] = {}
        for parsed in main:
            known |= parsed.names.bound
            self._no_star_imports(parsed)
            self._no_generated_names(parsed)
            self.problems += cell_problems(parsed)
            for name, line in parsed.names.external().items():
                if (
                    name in known
                    or name in NOTEBOOK_ONLY_NAMES
                    or name.startswith(GENERATED_PREFIX)
                ):
                    continue
                if name == PIPELINE_FUNCTION and (name in exported or self._stars):
                    self._pipeline_function(parsed.cell, line)
                elif name in exported:
                    imports[name] = exported[name]
                elif self._stars:
                    imports[name] = self._maybe_from_star(parsed.cell, name, line, self._stars[0])
                else:
                    self._undefined(parsed.cell, name, line, "'main' or 'export'")
        return dict(sorted(imports.items()))

    def _resolve_test(
        self,
        test: Parsed,
        exported: dict[str, Binding],
        params: "dict[str, Parameter]",
        main_names: set[str],
        has_pipeline: bool,
    ) -> "tuple[dict[str, Binding], list[Parameter]]":
        imports: dict[str, Binding] = {}
        used: list[Parameter] = []
        self._no_star_imports(test)
        self.problems += cell_problems(test)
        self.problems += rebinding_problems([test], exported, self._read_by_exports, set(params))
        for name, line in test.names.external().items():
            if name in NOTEBOOK_ONLY_NAMES:
                continue
            if name in exported:
                imports[name] = exported[name]
            elif name in params:
                used.append(params[name])
            elif name == PIPELINE_FUNCTION and has_pipeline:
                imports[name] = Binding("pipeline")
            elif name in main_names:
                self._report(
                    test.cell,
                    line,
                    "main-name-in-test",
                    f"'{name}' is defined by a 'main' cell; tests see exported code and "
                    "parameters only.",
                    f"Record it in the main cell with record('{name}', {name}) and test "
                    f"run()['{name}'], or compute it in the test.",
                )
            elif self._stars:
                imports[name] = self._maybe_from_star(test.cell, name, line, self._stars[0])
            else:
                self._undefined(test.cell, name, line, "'export'")
        return dict(sorted(imports.items())), sorted(used, key=lambda p: p.name)

    # ------------------------------------------------------------------------------------
    def _report(self, cell: Cell, line: int, code: str, message: str, hint: str) -> None:
        self.problems.append(
            Problem(cell.index, cell.id, cell.notebook_line(line), code, message, hint)
        )

    def _no_star_imports(self, parsed: Parsed) -> None:
        for star in parsed.names.star_imports:
            self._report(
                parsed.cell,
                star.line,
                "star-import",
                f"'from … import *' cannot run inside a function, and this {parsed.cell.role} "
                "cell becomes one.",
                "Import the names the cell uses explicitly.",
            )

    def _no_generated_names(self, parsed: Parsed) -> None:
        """A ``parameters`` or ``main`` cell may not use a name of ``run()``'s own."""
        names = parsed.names
        used = {n: line for n, line in names.free.items() if n.startswith(GENERATED_PREFIX)}
        for name in names.bound:
            if name.startswith(GENERATED_PREFIX):
                used[name] = binding_line(parsed.tree, name)
        for name, line in sorted(used.items()):
            self._report(
                parsed.cell,
                line,
                "reserved-name",
                f"'{name}' is a name of the generated run() itself, which keeps its own "
                f"variables under names starting with {GENERATED_PREFIX}.",
                "Rename it.",
            )

    def _pipeline_function(self, cell: Cell, line: int) -> None:
        """A main cell reading an exported ``run``: in ``pipeline.py`` that name is the
        generated ``run()`` whose body the cell becomes."""
        self._report(
            cell,
            line,
            "reserved-name",
            f"The main cells become the body of the generated {PIPELINE_FUNCTION}() in "
            f"pipeline.py, where '{PIPELINE_FUNCTION}' is that function, not the exported "
            f"one this cell reads.",
            f"Import it under another name in the exported cell (from subprocess import "
            f"{PIPELINE_FUNCTION} as run_command), or rename the function.",
        )

    def _maybe_from_star(self, cell: Cell, name: str, line: int, star: Star) -> Binding:
        """A warning for a name only a star import may define; it is taken from that
        import's module (the first exported star import, in notebook order)."""
        self.problems.append(
            Problem(
                cell.index,
                cell.id,
                cell.notebook_line(line),
                "name-from-star-import",
                f"'{name}' is not defined in the notebook; 'from {star.source} import *' "
                f"({star.cell.label}) may provide it.",
                "Import it by name, so the package does not depend on what a star import "
                "happens to provide.",
                severity="warning",
            )
        )
        return Binding(star.module)

    def _undefined(self, cell: Cell, name: str, line: int, tag: str) -> None:
        where = self._defined_in_untagged(name)
        if where in self._refused:
            return  # that cell's own problem says why it is not exported
        if where is not None:
            label = cell_label(self.classified.members, where)
            hint = f"{label} defines it but is not exported: tag that cell {tag}."
        else:
            hint = "Nothing exported defines it: define or import it in an exported cell."
        role = {MAIN: "a 'main'", TEST: "a 'test'"}.get(cell.role, "exported")
        self._report(
            cell, line, "undefined-name", f"'{name}' is used in {role} cell but not defined.", hint
        )

    def _defined_in_untagged(self, name: str) -> int | None:
        if self._untagged is None:
            exported = {cell.index for cell in self.classified.cells}
            self._untagged = {
                index: parse_untagged(cell_source(raw))
                for index, raw in enumerate(self.nb["cells"])
                if raw["cell_type"] == "code" and index not in exported
            }
        for index, names in self._untagged.items():
            if names is not None and name in names.bound:
                return index
        return None


def build_plan(nb: Notebook, classified: Classified, package: str, processes: int = 1) -> Plan:
    """Plan the package; raises if the notebook exports nothing at all: a check failed, as
    for any notebook with problems, when its tagged cells were refused (the same structured
    problems), bad input when nothing is tagged. ``processes``: how many processes may parse
    the cells (:mod:`nbtools.export.parallel`)."""
    check_exportable(classified.cells, classified.problems)
    return _Planner(nb, classified, package, processes).run()
