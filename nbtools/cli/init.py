"""``nbtools init``: write a starter kit and extract its example package."""

from __future__ import annotations

from pathlib import Path

import click

from nbtools.export.api import ExtractRequest, run_extract
from nbtools.export.starter import NOTEBOOK, PACKAGE_DIR, write_starter


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
    out = directory / PACKAGE_DIR
    if (out).exists():
        click.echo(f"  kept      {PACKAGE_DIR}/ (exists already)")
        return
    report = run_extract(ExtractRequest(directory / NOTEBOOK, out, mode="write"))
    click.echo(f"  extracted {PACKAGE_DIR}/ ({len(report.changes)} files)")
    click.echo(
        f"Next: open {NOTEBOOK} in JupyterLab, change it, and run "
        f"`nbtools extract {NOTEBOOK} -o {PACKAGE_DIR} --test`."
    )
