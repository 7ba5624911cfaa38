"""The typed values given for a run of a notebook's declared parameters.

The ``parameters`` cell is read by :func:`nbtools.parameters.read_parameters` (the reader
extraction uses too). Values reach the kernel only through papermill's parameter injection,
and only for names declared there, so nothing a user types becomes code.
"""

from __future__ import annotations

import ast
import json
import math
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from nbtools import jsonvalues
from nbtools.errors import InvalidInputError, conversion_refused
from nbtools.infiles import read_regular
from nbtools.jobs.errors import InvalidParameterError
from nbtools.notebooks import Notebook, cell_source
from nbtools.parameters import (
    VALUE_HINTS,
    Parameter,
    non_finite_name,
    parameters_cell_index,
    read_parameters,
    type_name,
)
from nbtools.pycode import parse_code

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}
#: The text a parameter whose default is None reads as the value it names (papermill's ``-p
#: none None``), not as a string: the notebook's own literals.
_PYTHON_LITERALS = {"None": None, "True": True, "False": False}
#: What ``int()`` reads as a whole number (``-1_000``, `` 5 ``), ASCII digits checked apart.
_WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]+(?:_[0-9]+)*\s*")


def declared_parameters(nb: Notebook, path: str | None = None) -> list[Parameter]:
    """The parameters the notebook (at ``path``, which errors name) declares, in cell order;
    empty without a parameters cell."""
    read = _parameters_cell(nb, path)
    return [] if read is None else read.parameters


def notebook_values(
    nb: Notebook, path: str, values: dict[str, Any], *, from_text: bool = False
) -> dict[str, Any]:
    """``values`` typed by the parameters the notebook at ``path`` declares
    (:func:`resolve_values`); a name its parameters cell assigns in a form not read as a
    parameter (``a, b = 1, 2``, ``a = b = 5``, ``a: int``) is refused saying so."""
    read = _parameters_cell(nb, path)
    declared = [] if read is None else read.parameters
    unread = {} if read is None else _unread_assignments(read.others, read.source)
    return resolve_values(declared, values, from_text=from_text, unread=unread)


class _Read(NamedTuple):
    """The notebook's parameters cell (its source) as :func:`read_parameters` reads it."""

    source: str
    parameters: list[Parameter]
    others: list[ast.stmt]


def _parameters_cell(nb: Notebook, path: str | None) -> _Read | None:
    index = parameters_cell_index(nb)
    if index is None:
        return None
    where = {"cell": index} if path is None else {"cell": index, "path": path}
    source = cell_source(nb["cells"][index])
    try:
        read = read_parameters(parse_code(source), source, index)
    except SyntaxError as exc:
        raise InvalidParameterError(
            f"The parameters cell (cell {index + 1}) is not valid Python: {exc.msg} at line "
            f"{exc.lineno}. Fix it so its assignments can be read.",
            **where,
        ) from None
    except RecursionError:
        raise InvalidParameterError(
            f"The parameters cell (cell {index + 1}) nests an expression too deeply to be read "
            "(hundreds of levels). Split it into intermediate variables.",
            **where,
        ) from None
    return _Read(source, read.parameters, read.others)


def _unread_assignments(others: list[ast.stmt], source: str) -> dict[str, str]:
    """The names the parameters cell's ``others`` assign in a form that declares no
    parameter, each with what the refusal of a value for it says of its statement."""
    found: dict[str, str] = {}
    for node in others:
        if isinstance(node, ast.Assign):
            kind = "a chained assignment" if len(node.targets) > 1 else "a tuple assignment"
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is None:
            kind, targets = "an annotation without a value", [node.target]
        else:
            continue
        line = (ast.get_source_segment(source, node) or "").splitlines()[:1]
        said = f"line {node.lineno}: {line[0]!r}, {kind}" if line else kind
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    found.setdefault(name.id, said)
    return found


def parse_cli_value(parameter: Parameter, text: str) -> Any:
    """Parse ``text`` from ``-p name=text`` according to the parameter's declared type.

    A ``str`` parameter receives the text exactly as typed. A parameter whose default is
    ``None`` takes JSON (``null``, numbers, lists, quoted strings), else one of Python's
    literals ``None``, ``True`` and ``False`` (as papermill reads them), else the plain text.
    """
    kind = parameter.type
    if kind == "str":
        return text
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise _wrong_type(parameter, text)
    if kind == "None":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return _PYTHON_LITERALS.get(text.strip(), text)
        except ValueError as error:  # JSON, but a number too long to convert
            raise _unreadable(parameter, conversion_refused(error)) from None
        except RecursionError:
            raise _too_deep(parameter) from None
    if kind in ("int", "float") and not text.isascii():  # int() reads '٣' as 3, '²' not
        raise _wrong_type(parameter, text)
    try:
        value = int(text) if kind == "int" else float(text) if kind == "float" else json.loads(text)
    except json.JSONDecodeError:
        raise _wrong_type(parameter, text) from None
    except ValueError as error:
        if kind != "float" and (kind != "int" or _WHOLE_NUMBER.fullmatch(text)):
            # a whole number, or JSON, holding a number too long to convert (4300 digits)
            raise _unreadable(parameter, conversion_refused(error)) from None
        raise _wrong_type(parameter, text) from None
    except RecursionError:
        raise _too_deep(parameter) from None
    if kind == "float" and math.isinf(value) and _non_finite(text) is None:
        raise _beyond_float(parameter, text)
    if kind in ("list", "dict") and type_name(value) != kind:
        raise _wrong_type(parameter, text)
    return value


def _non_finite(text: str) -> float | None:
    """The NaN or infinity ``text`` names (``nan``, ``inf``, ``-inf``, ``Infinity``, …), not
    a number too large for a float (``1e400``), which ``float()`` reads as an infinity."""
    if text.strip().lstrip("+-").lower() not in ("nan", "inf", "infinity"):
        return None
    return float(text)


def check_value(parameter: Parameter, value: Any) -> Any:
    """Check a typed (JSON) value against the declared type; ints are accepted for floats,
    and so are the strings ``nan``, ``inf`` and ``-inf``."""
    kind = parameter.type
    actual = type_name(value)
    if kind == "None" or actual == kind:
        return value
    if kind == "float" and actual == "int":
        try:
            return float(value)
        except OverflowError:
            raise _beyond_float(parameter, value) from None
    if kind == "float" and isinstance(value, str) and (number := _non_finite(value)) is not None:
        return number
    raise _wrong_type(parameter, value)


def _too_deep(parameter: Parameter) -> InvalidParameterError:
    return InvalidParameterError(
        f"Parameter {parameter.name!r}: the JSON value nests too deeply to be read (about a "
        "thousand levels).",
        parameter=parameter.name,
        field="parameters",
    )


def _unreadable(parameter: Parameter, reason: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"Parameter {parameter.name!r} cannot be read: {reason}.",
        parameter=parameter.name,
        field="parameters",
    )


def _beyond_float(parameter: Parameter, value: Any) -> InvalidParameterError:
    return InvalidParameterError(
        f"Parameter {parameter.name!r} expects float, got {jsonvalues.shown(value)}, beyond a "
        f"float's range (±{sys.float_info.max:.1e}); an infinity is written inf or -inf.",
        parameter=parameter.name,
        expected="float",
        field="parameters",
    )


def _wrong_type(parameter: Parameter, value: Any) -> InvalidParameterError:
    hint = VALUE_HINTS.get(parameter.type, parameter.type)
    fix = ""
    if parameter.type == "list" and isinstance(value, str) and "," in value:
        fix = f": write it as {_as_list(value)}"
    return InvalidParameterError(
        f"Parameter {parameter.name!r} expects {parameter.type} ({hint}), got "
        f"{jsonvalues.shown(value)}{fix}.",
        parameter=parameter.name,
        expected=parameter.type,
        field="parameters",
    )


def _as_list(text: str) -> str:
    """Comma-separated ``text`` as the JSON list it probably means: each item a JSON value
    if it is one (``3``, ``true``, ``"a"``), else the text (``Lisbon, Porto`` →
    ``["Lisbon", "Porto"]``)."""
    items: list[Any] = []
    for part in (part.strip() for part in text.strip().strip("[]").split(",")):
        if part:
            try:
                items.append(json.loads(part))
            except ValueError:
                items.append(part)
    return json.dumps(items, ensure_ascii=False)


def resolve_values(
    declared: list[Parameter],
    values: dict[str, Any],
    *,
    from_text: bool = False,
    for_kernel: bool = False,
    unread: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Validate run values against the declared parameters and return them typed.

    ``from_text`` parses CLI strings by declared type; otherwise values are typed JSON.
    Unknown names are refused with the list of valid names (and, for a name in ``unread``,
    the statement of the parameters cell that assigns it in a form declaring no parameter:
    :func:`notebook_values`). A float parameter may be NaN or
    infinite: stored and shown as ``"nan"``, ``"inf"``, ``"-inf"`` (JSON has no such
    numbers), and a float for the kernel with ``for_kernel``.
    """
    by_name = {parameter.name: parameter for parameter in declared}
    resolved: dict[str, Any] = {}
    for name, value in values.items():
        parameter = by_name.get(name)
        if parameter is None:
            valid = ", ".join(by_name) or "none: the notebook has no 'parameters' cell"
            how = (unread or {}).get(name)
            why = (
                f"Unknown parameter {name!r}."
                if how is None
                else f"The parameters cell assigns {name!r} ({how}), which declares no "
                f"parameter: assign it on a line of its own ({name} = default) to make it one."
            )
            raise InvalidParameterError(
                f"{why} Valid parameters: {valid}.",
                parameter=name,
                valid=list(by_name),
                field="parameters",
            )
        typed = parse_cli_value(parameter, value) if from_text else check_value(parameter, value)
        if parameter.type != "float" and _holds_non_finite(typed):
            raise InvalidParameterError(
                f"Parameter {name!r} holds a number JSON has no value for (NaN, an infinity, "
                "or one as large as 1e400), which cannot be stored. Only a float parameter "
                "takes NaN and the infinities (declare it with a float default, such as 0.0).",
                parameter=name,
                field="parameters",
            )
        if isinstance(typed, float) and not math.isfinite(typed) and not for_kernel:
            typed = non_finite_name(typed)
        resolved[name] = typed
    return resolved


def _holds_non_finite(value: Any) -> bool:
    """Whether ``value`` is, or holds at any depth of its lists and dicts, a float that is
    NaN or infinite (read one level at a time: a value may nest a thousand levels)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return True
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
    return False


def read_parameters_file(path: Path, shown: str) -> dict[str, Any]:
    """The values of a parameters file (``nbtools run -f``, ``shown`` in messages): one
    mapping of names to values, JSON in a ``.json`` file and YAML in any other (as papermill's
    ``-f``), typed as written, as the REST API's JSON is. Refusals name the field
    ``parameters_file``."""
    field = "parameters_file"
    if path.suffix.lower() == ".json":
        document = _read_json(path, shown, field)
    else:
        from nbtools.yamlfile import read_yaml

        document = read_yaml(path, shown, field, missing="give the path of a YAML or JSON file")
    return _mapping(document, shown, field)


def parse_parameters_yaml(text: str, shown: str) -> dict[str, Any]:
    """The values of YAML given on the command line (``nbtools run -y 'days: 7'``, papermill's
    ``--parameters_yaml``; ``shown`` in messages), read as a parameters file's YAML is
    (:func:`read_parameters_file`). Refusals name the field ``parameters_yaml``."""
    from nbtools.yamlfile import parse_yaml

    field = "parameters_yaml"
    return _mapping(parse_yaml(text, shown, field), shown, field)


def _mapping(document: Any, shown: str, field: str) -> dict[str, Any]:
    """``document``, one mapping of parameter names to values (nothing: no values)."""
    if document is None:  # an empty YAML file
        return {}
    if not isinstance(document, dict) or not all(isinstance(name, str) for name in document):
        raise InvalidParameterError(
            f"{shown} must hold one mapping of parameter names to values (days: 7).",
            field=field,
        )
    return document


def _read_json(path: Path, shown: str, field: str) -> Any:
    try:
        return json.loads(read_regular(path, shown, field=field))
    except InvalidInputError:  # no regular file
        raise
    except FileNotFoundError:
        raise InvalidParameterError(f"{shown} does not exist.", field=field) from None
    except OSError as error:
        raise InvalidParameterError(
            f"{shown} cannot be read: {error.strerror}.", field=field
        ) from None
    except json.JSONDecodeError as error:
        raise InvalidParameterError(f"{shown} is not valid JSON: {error}.", field=field) from None
    except ValueError as error:  # not UTF-8, or a number longer than Python converts
        raise InvalidParameterError(
            f"{shown} cannot be read: {conversion_refused(error)}.", field=field
        ) from None
    except RecursionError:
        raise InvalidParameterError(
            f"{shown} nests lists or mappings too deeply to be read (hundreds of levels).",
            field=field,
        ) from None


def split_assignment(text: str) -> tuple[str, str]:
    """Split a CLI ``name=value`` into its parts, refusing a missing ``=`` or a bad name."""
    name, sep, value = text.partition("=")
    if not sep:
        raise InvalidParameterError(
            f"Parameter {text!r} must be written name=value, e.g. -p days=7.", parameter=text
        )
    name = name.strip()
    if not name.isidentifier():
        raise InvalidParameterError(
            f"Parameter name {name!r} is not a Python identifier.",
            parameter=name,
            field="parameters",
        )
    return name, value
