"""The ``parameters`` cell: literal assignments that become ``run()``'s keyword arguments."""

import ast
from typing import Any, NamedTuple

from nbtools.export.model import Problem
from nbtools.export.parse import Parsed

_SIMPLE_TYPES = (bool, int, float, str)


class Parameter(NamedTuple):
    """One parameter: its name, literal default and annotation (as written, or inferred)."""

    name: str
    value: Any
    annotation: str | None
    cell: int
    line: int

    @property
    def mutable(self) -> bool:
        """Lists, dicts and sets get a ``None`` default in ``run()``, filled in on each call."""
        return isinstance(self.value, (list, dict, set))

    @property
    def type_name(self) -> str | None:
        """The annotation ``run()`` shows: the notebook's, or the default's simple type."""
        if self.annotation:
            return self.annotation
        if self.value is None:
            return None
        return type(self.value).__name__

    @property
    def cli_type(self) -> str:
        """How the package's command line parses the option: bool, int, float, str or json."""
        value_type = type(self.value)
        return value_type.__name__ if value_type in _SIMPLE_TYPES else "json"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "default": self.value,
            "type": self.type_name,
            "cell": self.cell,
            "line": self.line,
        }


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def read_parameters(parsed: Parsed) -> tuple[list[Parameter], list[Problem]]:
    """The cell's parameters, and a problem for each statement that is not a literal assignment."""
    cell = parsed.cell
    parameters: list[Parameter] = []
    problems: list[Problem] = []
    hint = (
        "A parameters cell holds literal assignments only (numbers, strings, booleans, None, "
        "lists/dicts of them), so they can become options; compute derived values in a "
        "'main' cell."
    )
    for statement in parsed.tree.body:
        line = cell.notebook_line(statement.lineno)
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        target, annotation, value = _assignment(statement)
        ok, literal = _literal(value) if value is not None else (False, None)
        if target is None or not ok:
            text = ast.get_source_segment(cell.code, statement) or ""
            first = text.splitlines()[0] if text else type(statement).__name__
            problems.append(
                Problem(
                    cell.index,
                    cell.id,
                    line,
                    "parameter-not-literal",
                    f"'{first}' is not a literal parameter assignment.",
                    hint,
                )
            )
            continue
        parameters.append(Parameter(target, literal, annotation, cell.index, line))
    return parameters, problems


def _assignment(statement: ast.stmt) -> tuple[str | None, str | None, ast.expr | None]:
    if (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        return statement.targets[0].id, None, statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, ast.unparse(statement.annotation), statement.value
    return None, None, None
