"""Imports of modules the package does not have: they fail wherever they run.

A cell's import of the package (:mod:`.own_imports`: ``from .nosuch import x``, ``from
pkg.nosuch import x``, ``import pkg.nosuch``, ``from . import nosuch``) must find a module of
the generated package, a file kept in the package's directory beside the generated ones
(:class:`~nbtools.export.shipped.ShippedFiles`), or, taken from the package itself or a folder
nbtools generates, a name that folder's ``__init__.py`` gives. Else Python fails where the import
runs: importing the package, calling the function, running ``run()`` or a test. Where a
``try`` around it catches the failure, or under ``if TYPE_CHECKING:``, it is the code's choice.
"""

from nbtools.export.model import MAIN, Problem
from nbtools.export.naming import MODULE_ATTRIBUTES
from nbtools.export.own_imports import (
    OwnImport,
    generated_folders,
    imports_itself,
    init_names,
    module_folder,
    package_modules,
    read_imports,
    submodule,
)
from nbtools.export.parse import Parsed
from nbtools.export.plan import PIPELINE_FUNCTION, Plan
from nbtools.export.shipped import ShippedFiles


def unknown_modules(
    plan: Plan, main_module: str, serves: bool, shipped: ShippedFiles | None = None
) -> list[Problem]:
    """A problem for each import of the package, in exported, ``main`` or ``test`` code, of a
    module it does not have (nor ``shipped`` in its directory), and for each ``from pkg import
    name`` of a name its generated ``__init__`` does not give; where it runs, whatever a ``try``
    around it does not catch."""
    package, all_names = plan.package, set(plan.modules)
    cells: list[tuple[Parsed, str | None]] = []
    for module in plan.modules.values():
        writing = [parsed for parsed in module.cells if imports_itself(parsed, package)]
        if writing:
            folder = module_folder(module.name, all_names)
            cells += [(parsed, folder) for parsed in writing]
    # run() is in pipeline.py, at the top; tests/ is outside the package
    for parsed in plan.main + plan.tests:
        if imports_itself(parsed, package):
            cells.append((parsed, "" if parsed.cell.role == MAIN else None))
    if not cells:  # most notebooks
        return []
    checker = _Checker(plan, package_modules(plan, serves), init_names(plan, main_module), shipped)
    problems = []
    for parsed, inside in cells:
        for found in read_imports(parsed.tree, package, inside).imports:
            problem = checker.check(found)
            if problem is not None:
                message, hint = problem
                cell = parsed.cell
                problems.append(
                    Problem(
                        cell.index,
                        cell.id,
                        cell.notebook_line(found.line),
                        "unknown-module",
                        message,
                        hint,
                    )
                )
    return problems


class _Checker:
    """Whether an import of the package finds what it imports."""

    def __init__(
        self,
        plan: Plan,
        modules: set[str],
        init_names: frozenset[str],
        shipped: ShippedFiles | None,
    ) -> None:
        self.package, self.modules, self.init_names = plan.package, modules, init_names
        self.folders = generated_folders(plan)
        self.shipped = shipped

    def exists(self, module: str) -> bool:
        return module in self.modules or (
            self.shipped is not None and self.shipped.has_module(self.package, module)
        )

    def check(self, found: OwnImport) -> tuple[str, str] | None:
        """The message and hint refusing ``found``, or ``None``."""
        package = self.package
        if found.module is None:
            if found.guarded(ImportError):
                return None
            return (
                f"'{found.text}' climbs above the package {package}: its dots go past the "
                "package's top, and Python refuses it (\"attempted relative import beyond "
                'top-level package").',
                "One dot is the folder of the module's own file (from .core import f in "
                f"{package}/core.py); two dots the folder above it, inside {package}.",
            )
        parts = found.module.split(".") if found.module else []
        for depth in range(1, len(parts) + 1):
            missing = ".".join(parts[:depth])
            if not self.exists(missing):
                return (
                    None if found.guarded(ModuleNotFoundError) else self._no_module(found, missing)
                )
        if found.module not in self.folders or found.guarded(ImportError):
            return None  # a module's names are its code's
        for name, _ in found.names:
            if not self._gives(found.module, name):
                return self._no_name(found, found.module, name)
        return None

    def _gives(self, module: str, name: str) -> bool:
        """Whether a package nbtools generates (the package, or a folder holding modules)
        binds ``name`` (or has a module of that name) once imported."""
        if name == "*" or name in MODULE_ATTRIBUTES or self.exists(submodule(module, name)):
            return True
        return module == "" and name in self.init_names

    def _no_module(self, found: OwnImport, missing: str) -> tuple[str, str]:
        package = self.package
        listed = sorted(self.modules - {"", "__main__"})
        have = ", ".join(listed) if listed else "none but its __init__.py"
        return (
            f"'{found.text}' imports {package}.{missing}, a module the package does not have "
            f"(its modules: {have}).",
            f"Export cells to it (the tag export:{missing}), correct the name, or keep its "
            f"file in the package's directory (src/{package}/{missing.replace('.', '/')}.py): "
            "nbtools leaves the files it did not write in place.",
        )

    def _no_name(self, found: OwnImport, module: str, name: str) -> tuple[str, str]:
        package = self.package
        if module:
            where = f"{package}.{module}: that folder of the package has no module of that name"
            gives = "its generated __init__.py defines no names"
        else:
            where = f"the package {package}: it has no module of that name"
            run = f", {PIPELINE_FUNCTION}" if PIPELINE_FUNCTION in self.init_names else ""
            gives = (
                "its __init__.py gives only the public names of the main module (its __all__)"
                f"{run} and __version__"
            )
        return (
            f"'{found.text}' cannot take '{name}' from {where}, and {gives}.",
            "Import it from the module that defines it (from .core import name), correct the "
            "name, or keep a module of that name in the package's directory.",
        )
