"""The values a command line gives a notebook's parameters: ``-p NAME=VALUE`` (parsed by each
parameter's type; ``nbtools run``, ``schedule add``, ``runs rerun``), and for ``nbtools run``
papermill's ``-f FILE`` and ``-y YAML`` (typed as written), merged as papermill merges them:
the file's values, then the YAML's over them, then ``-p``'s over both."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from nbtools.project import Project

parameter_option = click.option(
    "-p",
    "--parameter",
    "parameters",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter declared in the notebook's 'parameters' cell, parsed by its type. Repeat.",
)
#: How messages name the text of ``-y``.
YAML_SHOWN = "-y's value"


def parse_assignments(assignments: tuple[str, ...]) -> dict[str, str]:
    from nbtools.jobs import split_assignment

    return dict(split_assignment(text) for text in assignments)


def given_parameters(
    project: Project, path: str, file: Path | None, yaml: str | None, texts: dict[str, str]
) -> dict[str, Any]:
    """The values of the parameters ``file`` (``-f``), of ``yaml`` (``-y``) over them and of
    ``-p``'s ``texts`` over both, typed by the notebook at ``path``; a refusal of a value of
    the file or of the YAML names where it came from."""
    from nbtools.jobs import checked_parameters, parse_parameters_yaml, read_parameters_file

    typed: dict[str, Any] = {}
    if file is not None:
        values = read_parameters_file(file, str(file))
        typed |= _checked(project, path, values, str(file), "parameters_file")
    if yaml is not None:
        values = parse_parameters_yaml(yaml, YAML_SHOWN)
        typed |= _checked(project, path, values, YAML_SHOWN, "parameters_yaml")
    return typed | checked_parameters(project, path, texts, from_text=True)


def _checked(
    project: Project, path: str, values: dict[str, Any], shown: str, field: str
) -> dict[str, Any]:
    """``values`` typed as written, checked against the notebook at ``path``; a refusal starts
    with ``shown`` and names ``field``."""
    from nbtools.jobs import InvalidParameterError, checked_parameters

    try:
        return checked_parameters(project, path, values)
    except InvalidParameterError as error:
        details = {**error.details, "field": field}
        raise InvalidParameterError(f"{shown}: {error.message}", **details) from None
