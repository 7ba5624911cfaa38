"""Code a notebook runs at its top level that the package runs elsewhere, reported at its cell.

``main`` cells become the body of ``run()`` in ``pipeline.py``, each ``test`` cell a test
function, and the ``parameters`` cell's imports go into ``run()``: code that works at a
notebook's top level can fail, or mean something else, inside a function. ``export`` cells
follow each other in their module's file, where a ``from __future__`` import must come first.
So these are errors (docs/export.md, "Checks before writing"):

- ``from __future__`` in a ``main``, ``test`` or ``parameters`` cell, or after other code of
  its module (``future-import``);
- ``global`` in a ``main`` or ``test`` cell, at its top level or in a function it defines
  (``global-in-function``): it names a global of the generated file, not a variable the cell
  sees;
- ``if __name__ == "__main__":`` in a ``main`` or ``test`` cell, whose block would never run
  (``main-guard``);
- the ``main`` cells, or a ``test`` cell, binding a name the notebook has from elsewhere (an
  exported name; for a test, a parameter too) and reading it first (``counter += 1``,
  ``df = df.dropna()``), which raises ``UnboundLocalError`` in the function; or binding an
  exported name that exported code reads, which then sees the new value in the notebook and its
  own in the package (``rebound-name``);

and a warning: a class defined in a ``main`` or ``test`` cell, a local class of the function,
whose instances pickle, joblib and multiprocessing cannot pickle (``local-class``).
A top-level ``await`` is reported where the cell is parsed (:mod:`.parse`).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import TypeGuard

from nbtools.export.model import MAIN, PARAMETERS, TEST, Cell, Problem
from nbtools.export.modules import Binding, Module
from nbtools.export.names import binding_line
from nbtools.export.parse import Parsed, problem_at

#: What each role's code becomes, as messages say it.
_BECOMES = {
    MAIN: "this 'main' cell becomes part of the body of run() in pipeline.py",
    TEST: "this 'test' cell becomes the body of a test function",
    PARAMETERS: "the imports of the 'parameters' cell go into run() in pipeline.py",
}


def _is_future(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.ImportFrom) and statement.module == "__future__"


def _is_main_guard(statement: ast.stmt) -> TypeGuard[ast.If]:
    """``if __name__ == "__main__":`` (either way round)."""
    test = statement.test if isinstance(statement, ast.If) else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    mains = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return isinstance(test.ops[0], ast.Eq) and len(names) == len(mains) == 1


def cell_problems(parsed: Parsed) -> list[Problem]:
    """The problems of a ``main``, ``test`` or ``parameters`` cell's own code."""
    cell = parsed.cell
    becomes = _BECOMES[cell.role]
    problems = [
        problem_at(
            cell,
            statement.lineno,
            "future-import",
            f"'{ast.unparse(statement)}' must open a module, and {becomes}.",
            "Remove it: the generated file starts with 'from __future__ import annotations', "
            "and every other feature of __future__ is on in the Pythons the package supports.",
        )
        for statement in parsed.tree.body
        if _is_future(statement)
    ]
    if cell.role == PARAMETERS:  # its other statements are no parameters: reported as such
        return problems
    for statement in parsed.tree.body:
        if _is_main_guard(statement):
            problems.append(
                problem_at(
                    cell,
                    statement.lineno,
                    "main-guard",
                    "The block of 'if __name__ == \"__main__\":' runs in the notebook but "
                    f"never in the package: {becomes}, where __name__ is the module's name.",
                    "Remove the 'if' line and dedent its block, or move the block to an "
                    "untagged cell.",
                )
            )
        elif isinstance(statement, ast.ClassDef):
            problems.append(
                problem_at(
                    cell,
                    statement.lineno,
                    "local-class",
                    f"The class '{statement.name}' is local to a function in the package "
                    f"({becomes}): pickle, joblib and multiprocessing cannot pickle its "
                    "instances, as they can in the notebook.",
                    "Define it in an exported cell, so that a module of the package holds it.",
                    severity="warning",
                )
            )
    problems += [
        problem_at(
            cell,
            node.lineno,
            "global-in-function",
            f"'global {', '.join(node.names)}' names a global of the generated file, not a "
            f"variable of the cell: {becomes}, whose variables are local to it.",
            "Pass the value to the function and return the new one (total = bump(total)), or "
            "keep it in a dict or list that the function changes.",
        )
        for node in ast.walk(parsed.tree)
        if isinstance(node, ast.Global)
    ]
    return problems


def rebinding_problems(
    body: list[Parsed],
    exported: Mapping[str, Binding],
    read_by_exports: AbstractSet[str],
    parameters: AbstractSet[str] = frozenset(),
) -> list[Problem]:
    """Problems of the cells of one function's ``body`` (the ``main`` cells, in order, or one
    ``test`` cell) binding a name that the notebook has from elsewhere: an exported name, or
    one of ``parameters`` (a test's). The body reading it before binding it fails in the
    function (``UnboundLocalError``); exported code reading an exported name it binds (but by
    an import of the same object: :func:`_same_import`) sees the new value in the notebook,
    its own in the package."""
    bound = {name for parsed in body for name in parsed.names.bound}
    problems = []
    for name in sorted(bound & (exported.keys() | parameters)):
        binding = exported.get(name)
        binders = [p for p in body if name in p.names.bound]
        if binding is not None and all(_same_import(p, name, binding) for p in binders):
            continue
        read = _read_first(body, name)
        if read is not None:
            parsed, line = read
            becomes = _BECOMES[parsed.cell.role]
            origin = "parameter" if binding is None else "exported name"
            problems.append(
                problem_at(
                    parsed.cell,
                    line,
                    "rebound-name",
                    f"The {origin} '{name}' is read here, then bound by "
                    f"{_cell_named(binders[0].cell, parsed.cell)}: {becomes}, where '{name}' "
                    "is then a local variable, read before it is bound (UnboundLocalError).",
                    f"Give the new value a name of its own ({name}_2 = {name} + …).",
                )
            )
        elif binding is not None and name in read_by_exports:
            parsed = binders[0]
            problems.append(
                problem_at(
                    parsed.cell,
                    binding_line(parsed.tree, name),
                    "rebound-name",
                    f"The cell binds '{name}', which exported code defines and reads (module "
                    f"'{binding.module}'): in the notebook that code then sees the new value, "
                    f"but {_BECOMES[parsed.cell.role]}, where '{name}' is a local variable, "
                    "and the exported code keeps its own.",
                    f"Give the new value a name of its own ({name}_2 = …), or pass it to the "
                    "exported functions as an argument.",
                )
            )
    return problems


def _same_import(parsed: Parsed, name: str, binding: Binding) -> bool:
    """``parsed`` binds ``name`` only by an import of what exported code imports it as
    (``import pkg`` and ``import pkg.sub`` both bind the module ``pkg``)."""
    own, theirs = parsed.names.imports.get(name), binding.statement
    return own is not None and theirs is not None and _imported(own) == _imported(theirs)


def _imported(statement: ast.stmt) -> str:
    """What an import of one name (:attr:`Names.imports`) binds it to: a module, or a name of
    one (``module:name``)."""
    if isinstance(statement, ast.ImportFrom):
        alias = statement.names[0]
        return f"{'.' * statement.level}{statement.module or ''}:{alias.name}"
    assert isinstance(statement, ast.Import)
    alias = statement.names[0]
    return alias.name if alias.asname else alias.name.partition(".")[0]


def _cell_named(cell: Cell, here: Cell) -> str:
    return "this cell" if cell is here else cell.label


def _read_first(body: list[Parsed], name: str) -> tuple[Parsed, int] | None:
    """The cell and line (of the cell's code) where ``body`` reads ``name`` before binding
    it, if it does."""
    for parsed in body:
        line = read_before_bound(parsed.tree.body, name)
        if line:
            return (parsed, line) if line > 0 else None
    return None


def read_before_bound(body: list[ast.stmt], name: str) -> int:
    """What ``body`` does first with ``name``, in the order Python runs it (an ``if``'s
    branches in their written order): the line of a read (> 0), a binding (-1), or nothing
    (0). Reads inside a function or lambda it defines come later, when it is called: not
    counted."""
    for statement in body:
        use = _use(statement, name)
        if use:
            return use
    return 0


def _use(node: ast.AST, name: str) -> int:
    """What ``node`` does first with ``name``: the line of a read (> 0), a binding (-1), or
    nothing (0)."""
    parts: list[ast.AST]
    if isinstance(node, ast.AugAssign):
        if isinstance(node.target, ast.Name) and node.target.id == name:
            return node.lineno
        parts = [node.value, node.target]
    elif isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        parts = [*([node.value] if node.value is not None else []), *targets]
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        parts = [node.iter, node.target, *node.body, *node.orelse]
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return -1 if node.name == name else 0
    elif isinstance(node, ast.Lambda):
        return 0
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        bound = {(a.asname or a.name).partition(".")[0] for a in node.names}
        return -1 if name in bound else 0
    elif isinstance(node, ast.Name):
        return (node.lineno if isinstance(node.ctx, ast.Load) else -1) if node.id == name else 0
    else:  # in the order of the node's fields: an expression, an if, a with, a try, ...
        parts = list(ast.iter_child_nodes(node))
    for part in parts:
        use = _use(part, name)
        if use:
            return use
    return 0


def module_future_problems(module: Module, docstring: bool) -> list[Problem]:
    """A ``from __future__`` import of an exported cell that code of its module comes before
    (``docstring``: the module's file opens with a docstring of its own, the notebook's
    summary, which a cell's string cannot then be)."""
    if not any(parsed.outline.future for parsed in module.cells):
        return []
    problems: list[Problem] = []
    first: tuple[Cell, int] | None = None  # the first statement that is no future import
    for parsed in module.cells:
        for statement in parsed.tree.body:
            if _is_future(statement):
                if first is not None:
                    problems.append(_late_future(module, parsed.cell, statement, *first))
            elif first is None and (docstring or not _is_string(statement)):
                first = (parsed.cell, statement.lineno)
            docstring = True  # only the file's first statement can be its docstring
    return problems


def _is_string(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _late_future(
    module: Module, cell: Cell, statement: ast.stmt, before: Cell, line: int
) -> Problem:
    where = "line" if before is cell else f"{before.label}, line"
    first = module.cells[0].cell
    return problem_at(
        cell,
        statement.lineno,
        "future-import",
        f"'{ast.unparse(statement)}' must come first in the module '{module.name}', before "
        f"any other code of it ({where} {before.notebook_line(line)}): Python refuses the "
        "module.",
        f"Move it to the top of {first.label}, the first cell exported to '{module.name}'."
        if cell is not first
        else "Move it to the top of this cell.",
    )
