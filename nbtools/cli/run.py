"""``nbtools run NB -p name=value …``: run a notebook once, recorded in the store."""

from __future__ import annotations

from pathlib import Path

import click

from nbtools.cli.context import CliContext, pass_cli
from nbtools.cli.output import json_option, print_json
from nbtools.errors import CheckFailedError, InvalidInputError
from nbtools.project import Project

parameter_option = click.option(
    "-p",
    "--parameter",
    "parameters",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter declared in the notebook's 'parameters' cell, parsed by its type. Repeat.",
)


def notebook_argument(project: Project, text: str) -> str:
    """A notebook given on the command line, as a path relative to the project root."""
    path = Path(text)
    if path.is_absolute():
        try:
            return path.resolve().relative_to(project.root).as_posix()
        except ValueError:
            raise InvalidInputError(
                f"{text} is outside the project root {project.root}; pass --root.", path=text
            ) from None
    return project.relative(project.resolve(text))


def parse_assignments(assignments: tuple[str, ...]) -> dict[str, str]:
    from nbtools.jobs.parameters import split_assignment

    return dict(split_assignment(text) for text in assignments)


@click.command()
@click.argument("notebook")
@parameter_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the executed notebook here (kept in the store either way).",
)
@click.option("--kernel", help="Kernel to run with (default: the notebook's own).")
@click.option("--timeout", type=int, help="Stop the run after this many seconds.")
@click.option("--html", is_flag=True, help="Also render the executed notebook as HTML.")
@json_option
@pass_cli
def run(
    cli_ctx: CliContext,
    notebook: str,
    parameters: tuple[str, ...],
    output: Path | None,
    kernel: str | None,
    timeout: int | None,
    html: bool,
    as_json: bool,
) -> None:
    """Run NOTEBOOK once with parameters, recording the run (exit 1 if the notebook fails)."""
    from nbtools.jobs.executors.base import RunRequest
    from nbtools.jobs.kernels import KernelSource
    from nbtools.jobs.leases import Claimer
    from nbtools.jobs.runner import execute_run
    from nbtools.jobs.runs import get_run, output_files, run_to_dict
    from nbtools.jobs.submit import queue_run

    project = cli_ctx.project
    path = notebook_argument(project, notebook)
    queued = queue_run(
        project,
        path,
        parse_assignments(parameters),
        trigger="cli",
        from_text=True,
        kernel_name=kernel,
        timeout_seconds=timeout,
        output_html=html,
        claim=(token := Claimer().token()),
    )
    request = RunRequest(
        queued.id, str(project.root), str(project.store_dir), project.db_url, token=token
    )
    kernels = KernelSource(prestart=False)
    try:
        execute_run(project, request, kernels)
    finally:
        kernels.close()
    with project.store.session() as session:
        finished = get_run(session, queued.id)
    files = output_files(project, finished)
    if output is not None and "notebook" in files:
        output.write_bytes(files["notebook"].read_bytes())
    model = run_to_dict(project, finished)
    if as_json:
        print_json(model)
    else:
        from nbtools.cli.runs import print_run

        print_run(model)
    if finished.status != "succeeded":
        raise CheckFailedError(f"Run {finished.id} {finished.status}.", run=model)
