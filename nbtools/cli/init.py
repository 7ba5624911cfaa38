"""``nbtools init``: write a starter kit and extract its example package."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import json_option, pass_cli
from nbtools.cli.output import print_json
from nbtools.cli.paths import as_typed
from nbtools.export import (
    STARTER_NOTEBOOK,
    STARTER_PACKAGE_DIR,
    ExtractOptions,
    ExtractReport,
    ExtractRequest,
    ignore_in_git,
    read_manifest,
    run_extract,
    suggest_package_name,
    write_starter,
)

if TYPE_CHECKING:
    from nbtools.project import Project


@click.command()
@click.argument(
    "directory", default=".", type=click.Path(file_okay=False, path_type=Path), required=False
)
@json_option
@pass_cli
def init(cli_ctx: CliContext, directory: Path, as_json: bool) -> None:
    """Write a starter kit into DIRECTORY (default: here): a tagged example notebook, its
    package, a GitHub Actions workflow running `nbtools extract --check --test`, and a
    pre-commit config. Existing files are never overwritten. The workflow and the hook name
    the package (--name) as init names it here, so that CI checks it under that name.

    The package records the notebook version and kernel environment it came from, as
    `nbtools extract` does, in the project holding DIRECTORY (--root, else the nearest
    directory at or above it with .nbtools/, else DIRECTORY itself). The workflow and the
    pre-commit config go to the top of the git repository holding DIRECTORY (where GitHub and
    pre-commit read them), within the project; the workflow then works in DIRECTORY.

    With --json, prints the files written and kept (relative to DIRECTORY) and the report of
    the package's extraction, as `nbtools extract --json` prints it (null when kept).
    """
    from nbtools.project import nearest_repository

    _make(directory)
    out = directory / STARTER_PACKAGE_DIR
    options = ExtractOptions(_package_name(out))
    if (directory / STARTER_NOTEBOOK).exists() and not out.exists():
        _check_kept_notebook(directory / STARTER_NOTEBOOK, out, options)
    cli_ctx.works_in(directory)
    # GitHub reads workflows, and pre-commit its config, at the repository's top only; never
    # above the project (a home directory kept in git)
    root = cli_ctx.project.root
    # the project exists at once: the next command, from any folder in it, finds it (its
    # store is otherwise made by the package's lineage, in the background)
    cli_ctx.project.store_dir.mkdir(parents=True, exist_ok=True)
    repository = nearest_repository(directory)
    top = repository if repository and repository.is_relative_to(root) else root
    written, kept = write_starter(directory, options.package or "", top)
    store_dir = cli_ctx.project.store_dir
    if repository is not None and store_dir.is_relative_to(repository):
        ignored = ignore_in_git(store_dir)  # never committed: the store, its locks, packs
        if ignored is not None:
            written.append(os.path.relpath(ignored, directory))
    if not as_json:
        for path in written:
            click.echo(f"  wrote     {path}")
        for path in kept:
            click.echo(f"  kept      {path} (exists already)")
    if repository is not None and top != repository:
        _warn_not_at_top(repository, top, directory)
    if out.exists():
        if as_json:
            print_json(_answer(directory, written, [*kept, STARTER_PACKAGE_DIR], None))
        else:
            click.echo(f"  kept      {STARTER_PACKAGE_DIR}/ (exists already)")
        return
    from nbtools.cli.extract import launch_recording
    from nbtools.lineage import BackgroundRecorder, background_recorder

    notebook = directory / STARTER_NOTEBOOK
    recorder = background_recorder(cli_ctx.project, notebook, actor=cli_ctx.configured_actor)
    report = run_extract(ExtractRequest(notebook, out, options, mode="write", lineage=recorder))
    if as_json:
        print_json(_answer(directory, written, kept, report))
    else:
        click.echo(f"  extracted {STARTER_PACKAGE_DIR}/ ({len(report.changes)} files)")
    if isinstance(recorder, BackgroundRecorder):
        launch_recording(recorder)
    if as_json:
        return
    click.echo(_next_steps(cli_ctx.project, notebook, out))


def _warn_not_at_top(repository: Path, top: Path, directory: Path) -> None:
    """Say that the kit's CI files, at the project's root ``top``, never run: the git
    repository holding it starts above it, at ``repository`` (init writes nothing above a
    project's root: a home directory kept in git)."""
    here = Path.cwd().resolve()
    folder = directory.resolve().relative_to(repository).as_posix()
    click.secho(
        f"Note: GitHub runs workflows, and pre-commit reads its config, only at the top of "
        f"the git repository, {as_typed(repository, here)}, which is above this project "
        f"({as_typed(top, here)}): the kit's .github/workflows/ and .pre-commit-config.yaml "
        f"will not run where they are. Move them to {as_typed(repository, here)} (the "
        f"workflow's steps working in {folder}, the hook's paths starting with it), or keep "
        "the project in a repository of its own.",
        err=True,
        fg="yellow",
    )


def _next_steps(project: Project, notebook: Path, package: Path) -> str:
    """What to do next, as commands that work where they are typed: from here when a command
    run here finds the project init used, else after a ``cd`` to its root (commands run
    outside it, or in a project nested in it, would use another project's store)."""
    here = Path.cwd().resolve()
    start = ""
    if not here.is_relative_to(project.root) or project.nested_root(here) is not None:
        start, here = f"`cd {shlex.quote(as_typed(project.root, here))}`, then ", project.root
    shown, out = (as_typed(path.resolve(), here) for path in (notebook, package))
    return (
        f"Next: {start}open {shown} in JupyterLab, change it, and run `nbtools extract "
        f"{shlex.quote(shown)} --test` (it updates {out}); serve it with `nbtools serve "
        f"{shlex.quote(out)}` (POST /run)."
    )


def _answer(
    directory: Path, written: list[str], kept: list[str], report: ExtractReport | None
) -> dict[str, Any]:
    """What ``init --json`` prints: the kit's files written and kept (relative to
    ``directory``) and the extraction's report (``None``: the package was kept)."""
    return {
        "directory": str(directory),
        "written": written,
        "kept": kept,
        "extract": None if report is None else report.to_dict(with_content=False),
    }


def _make(directory: Path) -> None:
    """Make ``directory`` (and its parents); one that cannot be (a file stands in its way, a
    folder not writable, a name too long for the file system: refused before any folder is
    made) is bad input naming it."""
    from nbtools.errors import InvalidInputError
    from nbtools.paths import real_path

    real_path(directory, str(directory), "directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidInputError(
            f"The directory {directory} cannot be made: {error.strerror}. Choose another one.",
            path=str(directory),
            field="directory",
        ) from None


def _package_name(out: Path) -> str:
    """The starter package's name: the one its manifest in ``out`` records, else the default
    for the starter notebook here (``example``, or ``example_pkg`` where a module named
    ``example`` is installed)."""
    from nbtools.errors import NbtoolsError

    try:
        recorded = read_manifest(out).get("package") if out.is_dir() else None
    except NbtoolsError:  # damaged: the package is kept as it is all the same
        recorded = None
    if isinstance(recorded, str) and recorded:
        return recorded
    return suggest_package_name(Path(STARTER_NOTEBOOK).stem)


def _check_kept_notebook(notebook: Path, out: Path, options: ExtractOptions) -> None:
    """Refuse, before anything is written, a notebook already at the starter's path that
    could not be extracted (the workflow init writes would fail on every push)."""
    from nbtools.errors import InvalidInputError, NbtoolsError

    try:
        report = run_extract(ExtractRequest(notebook, out, options))  # a preview: writes nothing
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
