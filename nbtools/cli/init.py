"""``nbtools init``: write a starter kit and extract its example package."""

from __future__ import annotations

from pathlib import Path

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import pass_cli
from nbtools.export import (
    STARTER_NOTEBOOK,
    STARTER_PACKAGE_DIR,
    ExtractRequest,
    run_extract,
    write_starter,
)


@click.command()
@click.argument(
    "directory", default=".", type=click.Path(file_okay=False, path_type=Path), required=False
)
@pass_cli
def init(cli_ctx: CliContext, directory: Path) -> None:
    """Write a starter kit into DIRECTORY (default: here): a tagged example notebook, its
    package, a GitHub Actions workflow running `nbtools extract --check --test`, and a
    pre-commit config. Existing files are never overwritten.

    The package records the notebook version and kernel environment it came from, as
    `nbtools extract` does, in the project holding DIRECTORY (--root, else the nearest
    directory at or above it with .nbtools/, else DIRECTORY itself).
    """
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / STARTER_PACKAGE_DIR
    if (directory / STARTER_NOTEBOOK).exists() and not out.exists():
        _check_kept_notebook(directory / STARTER_NOTEBOOK, out)
    written, kept = write_starter(directory)
    for path in written:
        click.echo(f"  wrote     {path}")
    for path in kept:
        click.echo(f"  kept      {path} (exists already)")
    if out.exists():
        click.echo(f"  kept      {STARTER_PACKAGE_DIR}/ (exists already)")
        return
    from nbtools.cli.extract import launch_recording
    from nbtools.lineage import BackgroundRecorder, background_recorder

    cli_ctx.works_in(directory)
    notebook = directory / STARTER_NOTEBOOK
    recorder = background_recorder(cli_ctx.project, notebook)
    report = run_extract(ExtractRequest(notebook, out, mode="write", lineage=recorder))
    click.echo(f"  extracted {STARTER_PACKAGE_DIR}/ ({len(report.changes)} files)")
    if isinstance(recorder, BackgroundRecorder):
        launch_recording(recorder)
    click.echo(
        f"Next: open {STARTER_NOTEBOOK} in JupyterLab, change it, and run "
        f"`nbtools extract {STARTER_NOTEBOOK} --test` (it updates {STARTER_PACKAGE_DIR}); serve "
        f"it with `nbtools serve {STARTER_PACKAGE_DIR}` (POST /run)."
    )


def _check_kept_notebook(notebook: Path, out: Path) -> None:
    """Refuse, before anything is written, a notebook already at the starter's path that
    could not be extracted (the workflow init writes would fail on every push)."""
    from nbtools.errors import InvalidInputError, NbtoolsError

    try:
        report = run_extract(ExtractRequest(notebook, out))  # a preview: writes nothing
    except NbtoolsError as error:
        problem = error.message
    else:
        if report.ok:
            return
        problem = "\n".join(found.describe() for found in report.extraction.errors)
    raise InvalidInputError(
        f"{notebook} exists already, and init cannot extract it into {out}:\n{problem}\n"
        f"Nothing was written: run `nbtools init` in another directory, or move "
        f"{notebook.name} away.",
        path=str(notebook),
    )
