"""Paths typed on the command line, as the root-relative form the library takes.

A shell completes paths from where the user is, so a relative path is read from the current
directory when that directory is inside the project root (``nbtools version save nb.ipynb``
in ``notebooks/`` means ``notebooks/nb.ipynb``), and from the root otherwise (``nbtools
--root /repo run notebooks/nb.ipynb`` from anywhere, as ``--root`` documents). An absolute
path is accepted when it lies inside the root. Anything else is refused naming the root; the
library then checks the root-relative path as it checks every path (no ``..``, no symlink out
of the root).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import reading
from nbtools.errors import InvalidInputError
from nbtools.paths import check_fits, real_path

if TYPE_CHECKING:
    from nbtools.project import Project


def root_relative(project: Project, text: str, cwd: Path | None = None) -> str:
    """``text``, a path typed on the command line, relative to the project root (``/``)."""
    if "\x00" in text or not text:
        return text  # refused by the library's own check, with its message
    typed = Path(text).expanduser()
    here = (cwd or Path.cwd()).resolve()
    if not typed.is_absolute():
        if not here.is_relative_to(project.root):
            return text  # relative to the root
        typed = here / typed
    # `..` is folded as the shell folds it, and the directory's symlinks followed; the name
    # itself is kept (a notebook reached through a link keeps the link's name)
    folded = Path(os.path.normpath(typed))
    located = (
        real_path(folded.parent, text) / folded.name if folded.name else real_path(folded, text)
    )
    if located == project.root:
        return "."
    check_fits(located, text)  # its name, kept as typed, was not resolved
    if not located.is_relative_to(project.root):
        raise InvalidInputError(
            f"{text} is outside the project root {project.root}: give a path inside it, or "
            "the project's root with --root.",
            path=text,
        )
    check_not_nested(project, located, text, here)
    return located.relative_to(project.root).as_posix()


def check_not_nested(project: Project, located: Path, text: str, here: Path) -> None:
    """Refuse ``located`` (absolute, inside the root; typed as ``text``) when it lies in another
    project nested in this one: commands run there use that project's store, and this one
    would keep the file under a second name (as git refuses a path inside a submodule)."""
    nested = project.nested_root(located)
    if nested is None:
        return
    import shlex  # for this message only: not imported on every command naming a path

    where, marker = as_typed(nested, here), project.store_dir.relative_to(project.root).as_posix()
    move = (
        ""
        if here.is_relative_to(nested)
        else f"run the command there (cd {shlex.quote(where)}) or "
    )
    raise InvalidInputError(
        f"{text} belongs to the nbtools project in {where} (its own store directory "
        f"{marker}/ is there), not to the one this command uses, "
        f"{project.root}: {move}name that project's root with --root.",
        path=text,
        project=str(nested),
    )


def as_typed(path: Path, here: Path) -> str:
    """``path`` (absolute) as a user types it from ``here``: relative when below it, else
    absolute."""
    return str(path.relative_to(here)) if path != here and path.is_relative_to(here) else str(path)


def root_relative_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """A click callback giving an argument or option's path root-relative (None stays); a
    path refused names the option (``See --as.``)."""
    if value is None:
        return None
    project = ctx.ensure_object(CliContext).project  # a store's refusal is not the path's
    with reading(ctx, param):
        return root_relative(project, value)


def root_relative_paths(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    """As :func:`root_relative_option`, for an argument taking several paths."""
    return tuple(root_relative_option(ctx, param, value) or value for value in values)


def root_relative_location(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """As :func:`root_relative_option`, leaving a URL (``s3://…``, ``file:/…``) as it is: the
    library reads it."""
    from nbtools.data import is_url

    if value is None or is_url(value):
        return value
    return root_relative_option(ctx, param, value)
