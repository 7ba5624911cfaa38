"""Which functions a package serves over HTTP, and what is wrong with serving them.

A cell marked ``serve`` (tag, or ``#| serve``) serves each public function defined at its top
level as ``POST /<name>``; marking a ``main`` or ``parameters`` cell serves the pipeline's
``run()`` as ``POST /run``. A served function's parameters must be named (no ``*args``,
``**kwargs`` or positional-only ones) and annotated, since the annotations are the request's
schema. docs/serving.md has the rules.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from nbtools.export.model import MAIN, PARAMETERS, Cell, Problem
from nbtools.export.plan import Plan

#: Endpoint names the service itself answers.
RESERVED_ENDPOINTS = frozenset({"health", "ready", "info", "metrics", "docs", "openapi"})
#: The endpoint (and function) name of the pipeline.
PIPELINE_ENDPOINT = "run"


class Served(NamedTuple):
    """A served function: its endpoint name, the package module defining it, its cell, and
    whether every parameter has a default (a request body ``{}`` calls it)."""

    name: str
    module: str
    cell: Cell
    all_defaults: bool


def _problem(cell: Cell, line: int, code: str, message: str, hint: str) -> Problem:
    where = cell.notebook_line(line) if line else 0
    return Problem(cell.index, cell.id, where, code, message, hint)


def _signature_problems(cell: Cell, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Problem]:
    args = node.args
    problems = []
    odd = [f"*{args.vararg.arg}"] if args.vararg else []
    odd += [f"**{args.kwarg.arg}"] if args.kwarg else []
    odd += [a.arg for a in args.posonlyargs]
    if odd:
        problems.append(
            _problem(
                cell,
                node.lineno,
                "serve-signature",
                f"{node.name}() cannot be served: {', '.join(odd)} cannot come from a JSON object.",
                "Give the served function named parameters only.",
            )
        )
    if _yields(node):
        problems.append(
            _problem(
                cell,
                node.lineno,
                "serve-generator",
                f"{node.name}() cannot be served: it is a generator (it yields), and a "
                "generator is no JSON, so every call would fail.",
                "Return the values instead (return list(...)).",
            )
        )
    bare = [a.arg for a in [*args.args, *args.kwonlyargs] if a.annotation is None]
    if bare:
        problems.append(
            _problem(
                cell,
                node.lineno,
                "serve-annotation",
                f"{node.name}() cannot be served: {', '.join(bare)} has no type annotation.",
                "Annotate each parameter (int, float, str, bool, list[...], dict[...], "
                "Literal[...]): the annotations are the request's schema.",
            )
        )
    return problems


def _yields(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``node`` is a generator: a ``yield`` of its own, not of a function, lambda,
    class or generator expression inside it (each its own scope)."""
    inner = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.GeneratorExp)
    stack: list[ast.AST] = list(node.body)
    while stack:
        child = stack.pop()
        if isinstance(child, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(child, inner):
            stack.extend(ast.iter_child_nodes(child))
    return False


def find_served(plan: Plan, cells: list[Cell]) -> tuple[list[Served], list[Problem]]:
    """The served functions of ``plan`` in notebook order, and the problems marking them."""
    served: list[Served] = []
    problems: list[Problem] = []
    seen: dict[str, Cell] = {}
    for module in plan.modules.values():
        for parsed in module.cells:
            cell = parsed.cell
            if not cell.serve:
                continue
            functions = [
                node
                for node in parsed.tree.body
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and not node.name.startswith("_")
            ]
            if not functions:
                problems.append(
                    _problem(
                        cell,
                        0,
                        "serve-no-function",
                        "The cell is marked 'serve' but defines no public function.",
                        "Define the function to serve at the top level of the cell.",
                    )
                )
            for node in functions:
                found = _signature_problems(cell, node)
                if node.name in RESERVED_ENDPOINTS or node.name in seen:
                    found.append(
                        _problem(
                            cell,
                            node.lineno,
                            "serve-name",
                            f"{node.name}() cannot be served: the path /{node.name} is taken "
                            + (
                                "by the service."
                                if node.name in RESERVED_ENDPOINTS
                                else "by another function."
                            ),
                            "Rename the function.",
                        )
                    )
                problems += found
                if not found:
                    seen[node.name] = cell
                    all_defaults = not node.args.args[
                        : len(node.args.args) - len(node.args.defaults)
                    ] and all(d is not None for d in node.args.kw_defaults)
                    served.append(Served(node.name, module.name, cell, all_defaults))
    pipeline = [c for c in cells if c.serve and c.role in (MAIN, PARAMETERS)]
    if pipeline and plan.has_pipeline:
        if PIPELINE_ENDPOINT in seen:
            problems.append(
                _problem(
                    seen[PIPELINE_ENDPOINT],
                    0,
                    "serve-name",
                    "A served function named run() takes the pipeline's path /run.",
                    "Rename the function.",
                )
            )
        else:
            served.append(Served(PIPELINE_ENDPOINT, "pipeline", pipeline[0], True))
    served.sort(key=lambda s: s.cell.index)
    return served, problems
