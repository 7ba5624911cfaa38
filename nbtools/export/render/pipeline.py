"""Rendering ``pipeline.py`` (``run(**params)`` from the ``main`` cells) and ``__main__.py``."""

from __future__ import annotations

import ast

from nbtools.export.model import Source
from nbtools.export.modules import Binding
from nbtools.export.parameters import (
    annotation,
    default_code,
    filled_in_run,
    option_default,
    option_name,
    option_type,
    shown_default,
)
from nbtools.export.plan import Plan
from nbtools.export.render.common import block_comment, docstring, from_import, opening, py_str
from nbtools.export.render.recording import (
    RESULTS,
    exported_imports,
    in_run_line,
    recorder,
    run_code,
)
from nbtools.export.source import indent, sibling_module
from nbtools.parameters import TYPE_NAMES, VALUE_HINTS, Parameter


def import_lines(bindings: dict[str, Binding], package: str, here: str) -> list[str]:
    """Import statements for resolved names: the original import, or from the exporting module."""
    statements: set[str] = set()
    by_module: dict[str, list[str]] = {}
    for name, binding in bindings.items():
        if binding.statement is not None:
            statements.add(ast.unparse(binding.statement))
        else:
            by_module.setdefault(binding.module, []).append(name)
    lines = sorted(statements)
    for module, names in sorted(by_module.items()):
        target = sibling_module(package, module, here) if here else f"{package}.{module}"
        lines.append(from_import(target, sorted(names)))
    return lines


def _written(shown: str, parameter: Parameter) -> str:
    """The parameter's annotation in ``run()``'s signature: the notebook's own as a string
    unless it is a builtin type (``float``), since it may name what the parameters cell
    imports, which ``run()`` imports only when it runs, and the file has no ``from __future__
    import annotations`` (:func:`.common.opening`)."""
    quoted = parameter.annotation and parameter.annotation not in TYPE_NAMES
    return py_str(shown) if quoted else shown


def _signature(parameter: Parameter) -> str:
    shown = annotation(parameter)
    if filled_in_run(parameter):
        shown = f"{shown} | None" if shown else None
        default = "None"
    else:
        default = default_code(parameter)
    return (
        f"    {parameter.name}: {_written(shown, parameter)} = {default},"
        if shown
        else (f"    {parameter.name}={default},")
    )


def render_pipeline(plan: Plan, source: Source) -> str:
    """``run(*, <parameters>)`` executing the ``main`` cells in notebook order."""
    name = source.name
    in_function = exported_imports(plan)
    lines = [
        *opening(source, f"The pipeline of {name}: run() executes its 'main' cells.", False),
        "from typing import Any",
        "",
        *import_lines(
            {n: b for n, b in plan.main_imports.items() if n not in in_function},
            plan.package,
            plan.package,
        ),
        "",
        "",
        "def run(",
        *(["    *,", *map(_signature, plan.parameters)] if plan.parameters else []),
        ") -> dict[str, Any]:",
        f"    {docstring(f'Run the main cells of {name}; return the values they record().')}",
        f"    {RESULTS}: dict[str, Any] = {{}}",
        *recorder(plan),
        *([""] if in_function else []),
        *(f"    {in_run_line(node)}" for node in in_function.values()),
    ]
    from_parameters = [f"    {in_run_line(node)}" for node in plan.parameter_imports]
    for parameter in (p for p in plan.parameters if filled_in_run(p)):
        from_parameters += [
            f"    if {parameter.name} is None:",
            f"        {parameter.name} = {default_code(parameter)}",
        ]
    if from_parameters and plan.parameters_cell is not None:
        lines += ["", f"    {block_comment(source, plan.parameters_cell)}"]
    lines += from_parameters
    body = "\n".join(lines) + "\n"
    for parsed in plan.main:
        code = run_code(parsed)
        if code.strip():
            body += f"\n    {block_comment(source, parsed.cell)}\n{indent(code.rstrip())}\n"
    return body + f"\n    return {RESULTS}\n"


def _argument(parameter: Parameter) -> list[str]:
    option = option_name(parameter.name)
    default = "None" if filled_in_run(parameter) else default_code(parameter)
    kind = option_type(parameter)
    if kind == "bool":
        extra = "action=argparse.BooleanOptionalAction"
    elif kind == "json":
        extra = f"type={_JSON_TYPES.get(parameter.type, 'json_value')}"
    else:
        extra = f"type={kind}"
    typed = option_default(parameter) if kind == "json" else None
    shown = typed if typed is not None else shown_default(parameter)
    # the line's comment, as the job form shows it, else the name
    help_text = f"{parameter.help or parameter.name} (default: {shown})".replace("%", "%%") + (
        " as JSON" if kind == "json" else ""
    )
    return [
        "    parser.add_argument(",
        f"        {py_str(option)},",
        f"        dest={py_str(parameter.name)},",
        f"        {extra},",
        f"        default={default},",
        f"        help={py_str(help_text)},",
        "    )",
    ]


#: The type of a JSON option, whose errors say what is wrong with the value given.
_JSON_VALUE = [
    "def json_value(text: str) -> object:",
    f"    {docstring('A value given as JSON on the command line.')}",
    "    try:",
    "        return json.loads(text)",
    "    except json.JSONDecodeError as error:",
    '        raise argparse.ArgumentTypeError(f"not JSON ({error.msg}): {text!r}") from None',
    "",
    "",
]
#: The option types of a list and a dict parameter: JSON of that type, as a job takes it.
_JSON_TYPES = {"list": "json_list", "dict": "json_object"}


def _json_of(kind: str) -> list[str]:
    """The option type taking JSON of ``kind`` (``list``, ``dict``) and refusing other JSON,
    in the words a job refuses it with (:data:`nbtools.parameters.VALUE_HINTS`; the value
    as JSON, as :func:`nbtools.jsonvalues.shown` writes it)."""
    refusal = f"expects {kind} ({VALUE_HINTS[kind]}), got "
    return [
        f"def {_JSON_TYPES[kind]}(text: str) -> object:",
        f"    {docstring(f'A {kind} given as JSON on the command line.')}",
        "    value = json_value(text)",
        f"    if not isinstance(value, {kind}):",
        "        raise argparse.ArgumentTypeError(",
        f"            {py_str(refusal)} + json.dumps(text, ensure_ascii=False)",
        "        )",
        "    return value",
        "",
        "",
    ]


def _json_types(parameters: list[Parameter]) -> list[str]:
    """The option types the JSON options of ``parameters`` need, each defined once."""
    kinds = {p.type for p in parameters if option_type(p) == "json"}
    if not kinds:
        return []
    return [
        *_JSON_VALUE,
        *(line for kind in sorted(kinds & set(_JSON_TYPES)) for line in _json_of(kind)),
    ]


def render_main(plan: Plan, source: Source, serves: bool = False) -> str:
    """``__main__.py``: ``python -m <package> --param value`` runs the pipeline, prints JSON;
    with ``serves``, ``python -m <package> serve ...`` starts the HTTP service."""
    usage = f"python -m {plan.package} [--parameter value ...]"
    lines = [
        *opening(source, f"Command line: {usage}" + (" or serve [options]." if serves else ".")),
        "import argparse",
        "import json",
        *(["import sys"] if serves else []),
        "",
        "from .pipeline import run",
        "",
        "",
        *_json_types(plan.parameters),
        "def main(argv: list[str] | None = None) -> int:",
        f"    {docstring('Parse the parameters, run the pipeline, print its results as JSON.')}",
    ]
    if serves:
        lines += [
            "    args = sys.argv[1:] if argv is None else argv",
            '    if args[:1] == ["serve"]:',
            "        from .service import main as serve",
            "",
            "        return serve(args[1:])",
        ]
    lines += [
        "    parser = argparse.ArgumentParser(",
        f"        prog={py_str(plan.package)},",
        f"        description={py_str(f'Run the pipeline of {source.name}.')},",
        "    )",
    ]
    for parameter in plan.parameters:
        lines += _argument(parameter)
    lines += [
        f"    arguments = vars(parser.parse_args({'args' if serves else 'argv'}))",
        "    results = run(**{k: v for k, v in arguments.items() if v is not None})",
        "    print(json.dumps(results, indent=2, default=str))",
        "    return 0",
        "",
        "",
        'if __name__ == "__main__":',
        "    raise SystemExit(main())",
    ]
    return "\n".join(lines) + "\n"
