"""The package's own code: which cells' code may import the package (:func:`own_code`), and
the modules the generated package has and what nbtools' own files in it bind.

Most notebooks never import their own package: the import checks (:mod:`.cycles`,
:mod:`.missing_modules`) read the imports of the cells this names (:mod:`.own_imports`) and
nothing more, so a notebook whose cells do not import the package never loads that reader.
"""

import ast
from typing import NamedTuple

from nbtools.export.model import Cell
from nbtools.export.naming import MODULE_ATTRIBUTES
from nbtools.export.parse import Parsed
from nbtools.export.plan import PIPELINE_FUNCTION, Plan
from nbtools.export.render.modules import module_path


def imports_itself(parsed: Parsed, package: str) -> bool:
    """Whether the cell may import the package (its name analysis saw a relative import or an
    absolute one of the package), so that only such cells are read again."""
    return parsed.names.relative or package in parsed.names.modules


class OwnCode(NamedTuple):
    """A cell's code that may import the package (:func:`own_code`)."""

    cell: Cell
    tree: ast.Module
    #: The package folder its relative imports start from (``None``: code outside the
    #: package, a test file's).
    folder: str | None


def own_code(plan: Plan) -> list[OwnCode]:
    """The code of each cell that may import the package (:func:`imports_itself`), with the
    folder its relative imports start from where the package puts it."""
    codes: list[OwnCode] = []
    folders = set(plan.modules)
    for module in plan.modules.values():
        for parsed in module.cells:
            if imports_itself(parsed, plan.package):
                folder = module_folder(module.name, folders)
                codes.append(OwnCode(parsed.cell, parsed.tree, folder))
    for parsed in plan.main:  # run(), in pipeline.py
        if imports_itself(parsed, plan.package):
            codes.append(OwnCode(parsed.cell, parsed.tree, ""))
    for parsed in plan.tests:  # the tests' files, outside the package
        if imports_itself(parsed, plan.package):
            codes.append(OwnCode(parsed.cell, parsed.tree, None))
    own: list[ast.stmt] = [i for i in plan.parameter_imports if _of_package(i, plan.package)]
    if own and plan.parameters_cell is not None:  # run() too
        codes.append(OwnCode(plan.parameters_cell, ast.Module(body=own, type_ignores=[]), ""))
    return codes


def _of_package(statement: ast.Import | ast.ImportFrom, package: str) -> bool:
    if isinstance(statement, ast.Import):
        return any(alias.name.partition(".")[0] == package for alias in statement.names)
    return bool(statement.level) or (statement.module or "").partition(".")[0] == package


def submodule(module: str, name: str) -> str:
    """The module ``name`` inside ``module`` (``""``: the package)."""
    return f"{module}.{name}" if module else name


def module_folder(name: str, all_names: set[str]) -> str:
    """The package (relative, dotted) a module's file is in: where its relative imports start."""
    return ".".join(module_path(name, all_names).split("/")[:-1])


def init_names(plan: Plan, main_module: str) -> frozenset[str]:
    """The names the generated ``__init__.py`` of the package binds (besides its modules):
    ``__version__``, the public names of the main module, ``run`` with a pipeline."""
    main = plan.modules.get(main_module)
    names = {"__version__", *(main.public if main is not None else [])}
    if plan.has_pipeline:
        names.add(PIPELINE_FUNCTION)
    return frozenset(names)


def generated_names(plan: Plan, main_module: str) -> dict[str, frozenset[str]]:
    """What the modules nbtools writes the ``__init__.py`` of bind once imported (besides
    their modules), by module: the package (:func:`init_names`) and its
    :func:`generated_folders`."""
    given = dict.fromkeys(generated_folders(plan), MODULE_ATTRIBUTES)
    given[""] = MODULE_ATTRIBUTES | init_names(plan, main_module)
    return given


def generated_folders(plan: Plan) -> set[str]:
    """The package (``""``) and the folders holding the notebook's modules that hold no code
    of the notebook (``data`` for ``export:data.load`` alone): nbtools writes their
    ``__init__.py``, so what they give is known."""
    folders = {""}
    for name in plan.modules:
        parts = name.split(".")
        folders.update(".".join(parts[:n]) for n in range(1, len(parts)))
    return folders - set(plan.modules)


def package_modules(plan: Plan, serves: bool) -> set[str]:
    """The modules of the generated package, relative to it: ``""`` (its ``__init__``), each
    module of the notebook and the packages holding them, and the generated ones (``serves``:
    the package has a ``service.py``)."""
    modules = {""}
    for name in plan.modules:
        parts = name.split(".")
        modules.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    if plan.has_pipeline:
        modules |= {"pipeline", "__main__"}
    if serves:
        modules |= {"service", "__main__"}
    return modules
