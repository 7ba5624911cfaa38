"""``nbtools init``: write a starter kit and extract its example package."""

from __future__ import annotations

from pathlib import Path

import click

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
def init(directory: Path) -> None:
    """Write a starter kit into DIRECTORY (default: here): a tagged example notebook, its
    package, a GitHub Actions workflow running `nbtools extract --check --test`, and a
    pre-commit config. Existing files are never overwritten.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written, kept = write_starter(directory)
    for path in written:
        click.echo(f"  wrote     {path}")
    for path in kept:
        click.echo(f"  kept      {path} (exists already)")
    out = directory / STARTER_PACKAGE_DIR
    if (out).exists():
        click.echo(f"  kept      {STARTER_PACKAGE_DIR}/ (exists already)")
        return
    report = run_extract(ExtractRequest(directory / STARTER_NOTEBOOK, out, mode="write"))
    click.echo(f"  extracted {STARTER_PACKAGE_DIR}/ ({len(report.changes)} files)")
    click.echo(
        f"Next: open {STARTER_NOTEBOOK} in JupyterLab, change it, and run "
        f"`nbtools extract {STARTER_NOTEBOOK} -o {STARTER_PACKAGE_DIR} --test`."
    )
