"""The ``parameters`` cell, read one way for jobs and for extraction.

papermill's convention: a code cell tagged ``parameters`` assigns each parameter its default,
and a run injects the values it is given in a cell after it. :func:`read_parameters` reads
such a cell's statements:

- ``name = literal`` or ``name: T = literal``: a parameter whose type is the literal's
  (one of :data:`TYPE_NAMES`; a tuple is a ``list``, as JSON has no tuples), except that an
  int annotated ``float`` (``x: float = 5``) is a float, ``5.0``, as typing reads it;
- ``name = expression`` (``run_date = str(date.today())``, the common papermill pattern,
  or a literal of another type such as a set): a parameter whose default is *computed* when
  the notebook runs; its type is the annotation's if it names one of :data:`TYPE_NAMES`,
  else ``str``, and a value given for it replaces the computed one. A list or dict literal
  JSON cannot write (a tuple as a key, ``{(1, 2): 0.5}``; bytes or an infinity, ``1e999``,
  inside) is computed so too (a float default that is an infinity is a float parameter, shown
  as ``"inf"``, :meth:`Parameter.to_dict`);
- ``import …``: the cell's own imports (a computed default may need them);
- a string on its own (a docstring or a note): nothing;
- anything else (a call, a loop, ``a = b = 1``, ``obj.x = 1``) declares no parameter and is
  returned in :attr:`ParametersCell.others`: a run executes it as written, an extraction
  reports it (it has nowhere to put it).

A name assigned twice is one parameter, with its last assignment.

Which cell is the ``parameters`` cell is one rule too (:func:`parameters_cell_index`): the
first code cell tagged ``parameters`` and not ``skip``. A ``skip`` cell is left out of
production (:func:`~nbtools.notebooks.skipped`): extraction exports nothing of it, and its
assignments are no parameters of a job either (a run still executes it, as every cell, but injects the values it
is given after the ``parameters`` cell, never after a skipped one).

Jobs (the job form, ``-p``, REST) and extraction (``run()``'s keyword arguments and the
package's command line) both call this reader, so they describe a notebook the same way.
Extraction loads this module only for a notebook that has a ``parameters`` cell: it imports
``ast`` and the stdlib only, and defines its ``NamedTuple``\\ s without ``from __future__ import
annotations``.
"""

import ast
import io
import math
from typing import Any, NamedTuple

from nbtools.notebooks import Notebook, cell_tags, skipped

PARAMETERS_TAG = "parameters"

#: The types a parameter can have, named as in Python.
TYPE_NAMES = ("int", "float", "str", "bool", "None", "list", "dict")
#: What a value of each type is written as, where one of another type is refused: a job's
#: parameters and the command line of a package extracted from the notebook.
VALUE_HINTS = {
    "int": "a whole number such as 5",
    "float": "a number such as 0.5",
    "bool": "true or false",
    "list": 'a JSON list such as [1, "a"]',
    "dict": 'a JSON object such as {"key": 1}',
}


class Parameter(NamedTuple):
    """One declared parameter.

    ``default`` is the literal default (None when ``computed``); ``computed`` is the
    expression of a default computed when the notebook runs; ``annotation`` is the
    annotation as written, if any; ``help`` the line's trailing comment; ``line`` the
    1-based line of its assignment in the cell's source, ``cell`` the cell's index.
    """

    name: str
    type: str
    default: Any
    help: str = ""
    computed: "str | None" = None
    annotation: "str | None" = None
    line: int = 1
    cell: "int | None" = None

    def to_dict(self) -> dict[str, Any]:
        """The parameter as JSON shows it: a float default that is an infinity (``1e999``)
        as the string a value for it is given as (``"inf"``), since JSON has no such number."""
        default = self.default
        if isinstance(default, float) and not math.isfinite(default):
            default = non_finite_name(default)
        return {
            "name": self.name,
            "type": self.type,
            "default": default,
            "help": self.help,
            "computed": self.computed,
        }


def non_finite_name(number: float) -> str:
    """How a non-finite float parameter is stored and shown: JSON has no NaN or infinity."""
    return "nan" if math.isnan(number) else "inf" if number > 0 else "-inf"


class ParametersCell(NamedTuple):
    """What a ``parameters`` cell holds: its parameters, its imports, and other statements."""

    parameters: list[Parameter]
    imports: "list[ast.Import | ast.ImportFrom]"
    others: list[ast.stmt]


def is_parameters_cell(cell: "dict[str, Any]") -> bool:
    """Whether ``cell`` declares parameters: a code cell tagged ``parameters``, not ``skip``."""
    tags = cell_tags(cell)
    return cell["cell_type"] == "code" and PARAMETERS_TAG in tags and not skipped(tags)


def parameters_cell_index(nb: Notebook) -> "int | None":
    """Index of the notebook's ``parameters`` cell (the first cell :func:`is_parameters_cell`
    accepts: where a run injects its values), if any."""
    for index, cell in enumerate(nb["cells"]):
        if is_parameters_cell(cell):
            return index
    return None


def type_name(value: Any) -> "str | None":
    """The parameter type of a literal value, or None if it is none of :data:`TYPE_NAMES`."""
    if value is None:
        return "None"
    for kind in (bool, int, float, str, list, dict):
        if type(value) is kind:
            return kind.__name__
    return None


def read_parameters(tree: ast.Module, source: str, cell: "int | None" = None) -> ParametersCell:
    """Read ``parameters`` cell number ``cell``, parsed as ``tree`` from ``source`` (see the
    module's docstring for what each statement declares)."""
    comments = _line_comments(source)
    found: dict[str, Parameter] = {}
    imports: list[ast.Import | ast.ImportFrom] = []
    others: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(node)
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        target, annotation, value = _assignment(node)
        if target is None or value is None:
            others.append(node)
            continue
        found.pop(target, None)  # the last assignment, in its place
        help = comments.get(node.lineno, "")
        found[target] = _parameter(target, annotation, value, help)._replace(
            line=node.lineno, cell=cell
        )
    return ParametersCell(list(found.values()), imports, others)


def _parameter(name: str, annotation: "ast.expr | None", value: ast.expr, help: str) -> Parameter:
    written = ast.unparse(annotation) if annotation is not None else None
    try:
        default = ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        default = None
        kind = None
    else:
        if isinstance(default, tuple):
            default = list(default)
        kind = type_name(default)
        if kind in ("list", "dict") and not _json_ready(default):
            kind = None  # {(1, 2): 0.5}, [b"x"]: no JSON value, as a set is none
        elif kind == "int" and written == "float":  # x: float = 5, as typing reads it
            default, kind = _as_float(default)
    if kind is None:  # computed when the notebook runs (or a set, bytes, … literal)
        typed = written if written in TYPE_NAMES and written != "None" else "str"
        return Parameter(name, typed, None, help, ast.unparse(value), written)
    return Parameter(name, kind, default, help, None, written)


def _json_ready(value: Any) -> bool:
    """Whether JSON can write ``value`` (a list or dict literal): not a tuple key, bytes, a
    set or an infinity inside it."""
    import json  # not at import: only a list or dict default needs it

    try:
        json.dumps(value, allow_nan=False)  # [1e999]: JSON has no infinity
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def _as_float(value: int) -> "tuple[Any, str]":
    """An int default of a parameter annotated ``float``: the float (an int too large for
    one stays an int)."""
    try:
        return float(value), "float"
    except OverflowError:
        return value, "int"


def _assignment(node: ast.stmt) -> "tuple[str | None, ast.expr | None, ast.expr | None]":
    """(target, annotation, value) of ``name = value`` or ``name: annotation = value``."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), None, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.annotation, node.value
    return None, None, None


def _line_comments(source: str) -> dict[int, str]:
    """Trailing ``# comments`` by line number: a parameter's help text."""
    import tokenize  # not at import: extraction imports this module, for a notebook without one

    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return comments
