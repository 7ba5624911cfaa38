"""``nbtools version``: save, list, compare, show, restore and prune notebook versions."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import json_option, pass_cli, reads_only
from nbtools.cli.groups import Group
from nbtools.cli.options import count_option
from nbtools.cli.output import Figure, print_fields, print_json, print_table, say, visible
from nbtools.cli.paths import root_relative_option, root_relative_paths
from nbtools.errors import CheckFailedError
from nbtools.ids import MAX_ID
from nbtools.text import first_few

if TYPE_CHECKING:
    from nbtools.lineage import Followed
    from nbtools.versioning import Restored, Version

NOTEBOOK = click.argument("notebook", callback=root_relative_option)


@click.group(cls=Group)
def version() -> None:
    """Notebook versions: every save is kept, deduplicated; diff and restore any of them.

    VERSION arguments are version numbers (see `log`), 'latest' or 'latest~N'.
    """


@version.command()
@click.argument("notebooks", nargs=-1, required=True, callback=root_relative_paths)
@click.option("-m", "--message", help="Name this version (named versions are kept by gc).")
@json_option
@pass_cli
def save(
    cli_ctx: CliContext, notebooks: tuple[str, ...], message: str | None, as_json: bool
) -> None:
    """Record the current file of each of NOTEBOOKS as a version: a notebook, or a folder
    standing for its notebooks (as `nbtools extract` reads one: in it and its folders, names
    starting with _ or . skipped). Every notebook is read and checked first: one that cannot
    be saved (missing, no notebook, a folder with none) is refused (exit 2) and none is
    saved. Unchanged since the latest version, a notebook records nothing new, but with -m:
    an unnamed latest version takes the name, and a latest version named otherwise is
    followed by a new version of the same content with this name.

    \b
    Examples:
      nbtools version save report.ipynb -m "before the refactor"
      nbtools version save nbs 00_core.ipynb --json
    """
    from nbtools import versioning

    project = cli_ctx.project
    versioning.version_message(message)  # before a moved notebook's history follows it
    paths = _notebooks(cli_ctx, notebooks)
    contents = [versioning.disk_content(project, path) for path in paths]
    if len(paths) > 1:  # each checked before the first is saved: all of them, or none
        from nbtools.notebooks import parse_notebook

        for path, content in zip(paths, contents, strict=True):
            parse_notebook(content, source=path, lone_surrogates=True)
    models = []
    for path, content in zip(paths, contents, strict=True):
        moved = _moved_here(cli_ctx, path, content)
        saved = versioning.commit(project, path, content, message=message, user=cli_ctx.actor)
        if as_json:
            models.append({**saved.to_dict(), "moved_from": moved})
        else:
            _say_saved(saved, moved, message)
    if as_json:  # one notebook given: its version; several, or a folder: a list
        print_json(models[0] if paths == list(notebooks) and len(paths) == 1 else models)


def _notebooks(cli_ctx: CliContext, given: tuple[str, ...]) -> list[str]:
    """The notebooks to save (root-relative): one notebook as given, else each given, a
    folder's notebooks in its place (:func:`nbtools.export.notebook_paths`, imported only
    then), each once; a path that is missing or a folder with no notebook names the
    argument."""
    root = cli_ctx.project.root
    if len(given) == 1 and not os.path.isdir(root / given[0]):  # a name too long: no folder
        return list(given)
    from nbtools.export import notebook_paths

    found = notebook_paths([root / path for path in given])  # refusals name NOTEBOOKS
    return [path.relative_to(root).as_posix() for path in found]


def _say_saved(saved: Version, moved: str | None, message: str | None) -> None:
    """What a save did, in a line (and one before, when it continues a moved notebook's
    history)."""
    if moved is not None:
        say(
            f"{saved.path} continues the history of {moved}, whose file is gone and whose latest "
            "version has this content: a move (`nbtools version move` records one)."
        )
    if saved.recorded:
        say(
            f"Recorded version {saved.number} of {saved.path} "
            f"({_plural(saved.cells_changed, 'cell')} changed)."
        )
    elif message is not None and saved.message == message:
        say(f"Named version {saved.number} of {saved.path}: {message}")
    else:
        say(f"{saved.path} is unchanged since version {saved.number}: no new version.")


def _moved_here(cli_ctx: CliContext, notebook: str, content: bytes) -> str | None:
    """The notebook NOTEBOOK, a path with no history, was moved from outside Jupyter
    (:func:`nbtools.lineage.continue_moved`), whose history (and packages) now continue at
    NOTEBOOK; None when there is none, or several (then said)."""
    from nbtools import lineage

    moved = lineage.continue_moved(cli_ctx.project, notebook, content)
    if len(moved.candidates) > 1:
        click.echo(
            visible(
                f"Note: {notebook} has the content of the latest version of "
                f"{', '.join(moved.candidates)}, whose files are gone: it starts a history of its "
                f"own. If it is one of them moved, `nbtools version move OLD {notebook}` "
                "continues that one's."
            ),
            err=True,
        )
    if moved.followed is None:
        return None
    _warn_lost(moved.followed, moved.candidates[0], notebook)
    return moved.candidates[0]


def _warn_lost(followed: Followed, old: str, new: str) -> None:
    """Say on stderr which packages of OLD could not follow it to NEW, if any."""
    warning = followed.warning(old, new)
    if warning is not None:
        click.echo(visible(warning), err=True)


@version.command()
@click.argument("old", callback=root_relative_option)
@click.argument("new", callback=root_relative_option)
@json_option
@pass_cli
def move(cli_ctx: CliContext, old: str, new: str, as_json: bool) -> None:
    """Move notebook (or folder) OLD to NEW with its history, as `git mv` does. When the file
    is at NEW already (moved with a shell `mv`), move its history only. The packages
    extracted from it name NEW from then on.

    \b
    Examples:
      nbtools version move draft.ipynb reports/churn.ipynb
      nbtools version move nbs notebooks
      nbtools version move old.ipynb new.ipynb   # after a shell `mv old.ipynb new.ipynb`
    """
    from nbtools import lineage, versioning

    project = cli_ctx.project
    file_moved = versioning.move(project, old, new)
    followed = lineage.follow_move(project, old, new)
    _warn_lost(followed, old, new)
    packages = followed.packages
    if as_json:
        print_json({"old": old, "new": new, "file_moved": file_moved, "packages": packages})
        return
    what = (
        f"Moved {old} to {new} with its history."
        if file_moved
        else (f"Moved the history of {old} to {new}, where its file is.")
    )
    say(what)
    for package in packages:
        count = followed.notebooks[package]
        paths = "the notebook's new path" if count == 1 else f"the {count} notebooks' new paths"
        say(f"  {package}: its manifest names {paths}.")


@version.command()
@NOTEBOOK
@count_option("-n", "--limit", most=MAX_ID, help="Show only the newest N.")
@json_option
@pass_cli
@reads_only
def log(cli_ctx: CliContext, notebook: str, limit: int | None, as_json: bool) -> None:
    """List NOTEBOOK's versions, newest first (also once it is deleted: restore one)."""
    from nbtools import versioning

    versions = versioning.history(cli_ctx.project, notebook, limit=limit, must_exist=True)
    used = versioning.references_of(cli_ctx.project, [v.id for v in versions])
    for aside in versioning.set_aside(cli_ctx.project, notebook):
        click.echo(  # on standard error: the --json output stays the versions
            visible(
                f"{aside} holds the history of a deleted notebook that was at this path "
                f"before another was renamed to it: `nbtools version log '{aside}'`."
            ),
            err=True,
        )
    if as_json:
        print_json([{**v.to_dict(), "references": used.get(v.id, [])} for v in versions])
        return
    if not versions:
        say(f"{notebook} has no versions yet. Record one with `nbtools version save`.")
        return
    columns = ("version", "saved", "user", "message", "size", "cells changed", "used by")
    rows = [
        (
            v.number,
            v.created_at,
            v.user,
            _message(v),
            _size(v.size),
            v.cells_changed,
            used_by(used.get(v.id, [])),
        )
        for v in versions
    ]
    # "message" and "used by" only when some version has one: most are plain saves, and an
    # 80-column terminal then keeps a version a line
    kept = [
        index
        for index, column in enumerate(columns)
        if column not in ("message", "used by") or any(row[index] for row in rows)
    ]
    print_table(
        f"Versions of {versions[0].path}",
        [columns[index] for index in kept],
        [[row[index] for index in kept] for row in rows],
    )


def used_by(references: list[dict[str, str]]) -> str:
    """What uses a version, in a few words: ``package packages/x · job 2 · runs 3, 7``."""
    kinds = {"extraction": ("package", "packages"), "job": ("job", "jobs"), "run": ("run", "runs")}
    parts = []
    for kind, (one, many) in kinds.items():
        refs = [reference["ref"] for reference in references if reference["kind"] == kind]
        if refs:
            parts.append(f"{one if len(refs) == 1 else many} {first_few(refs)}")
    return " · ".join(parts)


@version.command()
@NOTEBOOK
@click.argument("a", required=False, metavar="[A]")
@click.argument("b", required=False, metavar="[B]")
@json_option
@pass_cli
@reads_only
def diff(cli_ctx: CliContext, notebook: str, a: str | None, b: str | None, as_json: bool) -> None:
    """Show what changed in NOTEBOOK between versions A and B.

    With no version: the file on disk against the latest version (or the last two versions
    when the file is unchanged). With A only: version A against the file on disk. A or B may
    also be 'disk'.
    """
    from nbtools.cli.version_diff import print_diff
    from nbtools.versioning import diff_versions

    model = diff_versions(cli_ctx.project, notebook, a, b)
    if as_json:
        print_json(model)
    else:
        print_diff(model)


@version.command()
@NOTEBOOK
@click.argument("ref", default="latest", metavar="[VERSION]")
@click.option("--notebook", "as_notebook", is_flag=True, help="Print the notebook's JSON.")
@json_option
@pass_cli
@reads_only
def show(cli_ctx: CliContext, notebook: str, ref: str, as_notebook: bool, as_json: bool) -> None:
    """Show one version of NOTEBOOK (default: the latest)."""
    from nbtools import versioning

    project = cli_ctx.project
    found = versioning.resolve(project, notebook, ref)
    if as_notebook:
        from nbtools.versioning import notebook_bytes

        nb = versioning.version_notebook(project, found)
        sys.stdout.write(notebook_bytes(nb).decode())
        return
    details = {**found.to_dict(), "references": versioning.references(project, found.id)}
    if as_json:
        print_json(details)
        return
    print_fields(
        f"{found.path} version {found.number}",
        {
            "id": found.id,
            "saved": found.created_at,
            "user": found.user,
            "kind": found.kind,
            "message": found.message,
            "size": _size(found.size),
            "cells": found.cells,
            "cells changed": found.cells_changed,
            "used by": used_by(details["references"]),
        },
    )


@version.command()
@NOTEBOOK
@click.argument("ref", metavar="VERSION")
@click.option(
    "--as",
    "as_path",
    callback=root_relative_option,
    help="Write the version to this new notebook instead.",
)
@json_option
@pass_cli
def restore(
    cli_ctx: CliContext, notebook: str, ref: str, as_path: str | None, as_json: bool
) -> None:
    """Put VERSION back onto NOTEBOOK (its current state is kept as a version first)."""
    from nbtools import versioning

    project = cli_ctx.project
    result = versioning.restore(
        project, versioning.resolve(project, notebook, ref), as_path, cli_ctx.actor
    )
    if as_json:
        print_json(result.to_dict())
    elif as_path is not None:
        say(f"Wrote version {result.source.number} of {result.source.path} to {result.path}.")
    elif result.before is not None and result.before.id == result.after.id:
        say(f"{result.path} already has the content of version {result.source.number}.")
    else:
        say(_restored(result))


@version.command()
@count_option(
    "--keep", most=None, default=50, show_default=True, help="Versions to keep per notebook."
)
@click.option("--dry-run", is_flag=True, help="Only report what would be removed.")
@json_option
@pass_cli
def gc(cli_ctx: CliContext, keep: int, dry_run: bool, as_json: bool) -> None:
    """Remove old versions: keeps the last KEEP of each notebook, every named version and
    every version a run or an extraction references."""
    from nbtools import versioning

    report = versioning.collect_garbage(
        cli_ctx.project, keep=keep, dry_run=dry_run, user=cli_ctx.actor
    )
    if as_json:
        print_json(report.to_dict())
        return
    removed = len(report.versions_removed)
    left = (
        f" and {_plural(report.leftover_files, 'file')} killed writes left"
        if report.leftover_files
        else ""
    )
    if dry_run:
        say(f"Would remove {_plural(removed, 'version')}; {report.versions_kept} kept.")
        for entry in report.versions_removed:
            say(f"  {entry['path']} version {entry['number']}")
        say(
            f"Would remove {_plural(report.objects_removed, 'object')}{left}. Store: "
            f"{_size(report.bytes_before)} → about {_size(report.bytes_after)}."
        )
        return
    say(
        f"Removed {_plural(removed, 'version')} and {_plural(report.objects_removed, 'object')}"
        f"{left}; {report.versions_kept} kept. Store: {_size(report.bytes_before)} → "
        f"{_size(report.bytes_after)}."
    )


@version.command()
@json_option
@pass_cli
@reads_only
def verify(cli_ctx: CliContext, as_json: bool) -> None:
    """Check every stored object against its hash and list versions that cannot be read."""
    from nbtools import versioning

    report = versioning.verify(cli_ctx.project)
    if as_json:
        print_json(report.to_dict())
    else:
        say(
            f"Checked {_plural(report.objects_checked, 'object')} and "
            f"{_plural(report.versions_checked, 'version')}."
        )
        for entry in report.unreadable_versions:
            say(f"  {entry['path']} version {entry['number']}: {entry['message']}")
    if not report.ok:
        raise CheckFailedError(
            f"{_plural(len(report.damaged_objects), 'damaged object')}, "
            f"{_plural(len(report.unreadable_versions), 'unreadable version')}; "
            "the other versions are intact.",
            **report.to_dict(),
        )


def _restored(result: Restored) -> str:
    """What a restore onto its notebook did: the versions of the state it replaced and of the
    state it wrote, or why it recorded none (a deleted notebook, back as it last was)."""
    done = f"Restored version {result.source.number} onto {result.path}"
    if result.before is not None:
        return (
            f"{done}. Its previous state is version {result.before.number}; the restored state "
            f"is version {result.after.number}."
        )
    if result.after.recorded:
        return f"{done}, which was missing. The restored state is version {result.after.number}."
    return (
        f"{done}, which was missing. That is the content of its latest version, "
        f"{result.after.number}: no new version was recorded."
    )


def _message(v: Version) -> str:
    return {"named": "★ ", "restore": "↺ "}.get(v.kind, "") + (v.message or "")


def _size(size: int) -> Figure:
    """``size`` bytes as people read it (``2.1 KiB``), never split in a table."""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return Figure(f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}")
        value /= 1024
    return Figure(f"{value:.1f} GiB")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
