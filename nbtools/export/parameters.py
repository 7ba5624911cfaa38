"""The ``parameters`` cells of an extraction: read by :mod:`nbtools.parameters` (the reader
jobs use too), located in the notebook, and shown as ``run()``'s keyword arguments and the
package's command-line options."""

import ast
import json
import math

from nbtools.export.model import Problem
from nbtools.export.parse import Parsed, too_deep
from nbtools.parameters import Parameter, non_finite_name, read_parameters

#: The parameter types the package's command line parses as they are; others are JSON.
_OPTION_TYPES = ("bool", "int", "float", "str")
#: The options the package's command line has of its own (argparse's help): a parameter
#: whose option would be one of them is refused, since ``python -m PKG`` would fail to start.
OWN_OPTIONS = frozenset({"--help"})


def cell_parameters(parsed: Parsed) -> tuple[list[Parameter], list[Problem]]:
    """The parameters of a ``parameters`` cell, at their notebook lines, and a problem for
    each statement that is neither an assignment nor an import."""
    cell = parsed.cell
    try:
        read = read_parameters(parsed.tree, cell.code, cell.index)
    except RecursionError:  # a default nested deeper than its text can be rebuilt
        return [], [too_deep(cell)]
    parameters = [p._replace(line=cell.notebook_line(p.line)) for p in read.parameters]
    problems = [
        Problem(
            cell.index,
            cell.id,
            p.line,
            "reserved-name",
            f"The package's command line cannot take the parameter '{p.name}': its option "
            f"{option_name(p.name)} is the command's own, which shows its usage.",
            f"Rename the parameter ({p.name}_value, for example).",
        )
        for p in parameters
        if option_name(p.name) in OWN_OPTIONS
    ]
    for statement in read.others:
        text = _first_line(cell.code, statement)
        problems.append(
            Problem(
                cell.index,
                cell.id,
                cell.notebook_line(statement.lineno),
                "parameter-not-assignment",
                f"'{text}' is not a parameter assignment.",
                "A parameters cell holds assignments (name = default, the default a literal "
                "or an expression computed when the pipeline runs) and imports only, so each "
                "becomes an option; do other work in a 'main' cell.",
            )
        )
    return parameters, problems


def _first_line(code: str, statement: ast.stmt) -> str:
    """The first line of ``statement``'s source (or its kind)."""
    text = ast.get_source_segment(code, statement) or ""
    return text.splitlines()[0] if text else type(statement).__name__


def option_name(name: str) -> str:
    """The package's command-line option of the parameter ``name``: ``--batch-size``."""
    return "--" + name.replace("_", "-")


def filled_in_run(parameter: Parameter) -> bool:
    """Whether ``run()`` takes None for it and fills in the default on each call: a list or
    a dict (a fresh one each time), or a default computed when the pipeline runs."""
    return parameter.computed is not None or parameter.type in ("list", "dict")


def annotation(parameter: Parameter) -> "str | None":
    """The annotation ``run()`` shows: the notebook's, or the parameter's type."""
    if parameter.annotation:
        return parameter.annotation
    return None if parameter.type == "None" else parameter.type


def option_type(parameter: Parameter) -> str:
    """How the package's command line parses the option: bool, int, float, str or json."""
    return parameter.type if parameter.type in _OPTION_TYPES else "json"


def shown_default(parameter: Parameter) -> str:
    """The default as the package's help and README show it."""
    if parameter.computed is not None:
        return f"computed: {parameter.computed}"
    return repr(parameter.default)


def option_default(parameter: Parameter) -> str | None:
    """The default as it is typed after the option on the command line (a list or dict as
    JSON); ``None`` when it is computed, a flag's, or a literal JSON cannot write (bytes)."""
    kind = option_type(parameter)
    if parameter.computed is not None or kind == "bool":
        return None
    if kind != "json":
        return str(parameter.default)
    try:
        return json.dumps(parameter.default)
    except (TypeError, ValueError):
        return None


def default_code(parameter: Parameter) -> str:
    """Python code that makes the default: the literal, or the computed expression. An
    infinity (``1e999``) is ``float("inf")``: its ``repr``, ``inf``, is no Python name."""
    if parameter.computed is not None:
        return parameter.computed
    default = parameter.default
    if isinstance(default, float) and not math.isfinite(default):
        return f'float("{non_finite_name(default)}")'
    return repr(default)
