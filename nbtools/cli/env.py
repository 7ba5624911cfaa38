"""``nbtools env``: snapshot a kernel's environment, compare, check drift, export, recreate."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import fields_as_flags, json_option, pass_cli, reads_only
from nbtools.cli.groups import Group
from nbtools.cli.options import setting_option
from nbtools.cli.output import moment, print_fields, print_json, print_table
from nbtools.envsnap import EnvSettings
from nbtools.errors import CheckFailedError

if TYPE_CHECKING:
    from nbtools.envsnap import Snapshot, SnapshotDiff

kernel_option = click.option(
    "--kernel",
    "kernel",
    default="python3",
    show_default=True,
    help="Kernel (spec name) whose interpreter is captured.",
)


def _describe(snapshot: Snapshot) -> dict[str, object]:
    """The facts ``snapshot`` and ``show`` print; a conda env only when there is one."""
    python = " ".join(
        str(snapshot.python.get(key, "")) for key in ("implementation", "version")
    ).strip()
    conda = {"conda env": snapshot.conda_env} if snapshot.conda_env else {}
    return {
        "id": snapshot.id,
        "source": f"{snapshot.source} {snapshot.origin}",
        "python": python or "unknown",
        "platform": " ".join(str(v) for v in snapshot.platform.values()) or "unknown",
        **conda,
        "distributions": len(snapshot.distributions),
        "broken": ", ".join(f"{d.name} ({d.broken})" for d in snapshot.broken()) or "none",
        "created": snapshot.created_at,
    }


def _warn_damaged(snapshot: Snapshot) -> None:
    """A warning for each distribution whose metadata is broken, or found twice."""
    for dist in snapshot.distributions:
        if dist.broken:
            problem = f"has broken metadata: {dist.broken}"
        elif dist.duplicates:
            problem = f"{dist.version}: {dist.non_reproducible}"
        else:
            continue
        click.secho(f"Warning: {dist.name} {problem}", err=True, fg="yellow")


def _print_diff(changes: SnapshotDiff, title: str) -> None:
    """``title`` (which sums the changes up), then one indented line per change."""
    click.echo(title)
    for line in changes.lines():
        click.echo(f"  {line}")


@click.group(cls=Group)
def env() -> None:
    """Snapshot, compare, export and recreate kernel environments.

    SNAPSHOT arguments take a snapshot id (or a unique prefix of one, as `list` shows) or,
    where noted, the path of a pylock.toml or requirements.txt file. Hexadecimal digits alone
    are an id (write ./abc1 for a file named so), anything else a path.
    """


@env.command()
@kernel_option
@json_option
@pass_cli
def snapshot(cli_ctx: CliContext, kernel: str, as_json: bool) -> None:
    """Capture the kernel's environment in its own interpreter and store it."""
    from nbtools.envsnap import snapshot_kernel

    taken = snapshot_kernel(cli_ctx.project, kernel)
    if as_json:
        print_json(taken.to_dict())
        return
    _warn_damaged(taken)
    print_fields(f"Snapshot {taken.short_id}", _describe(taken))


@env.command(name="list")
@json_option
@pass_cli
@reads_only
def list_(cli_ctx: CliContext, as_json: bool) -> None:
    """List stored snapshots, most recently seen first."""
    from nbtools.envsnap import list_snapshots

    rows = list_snapshots(cli_ctx.project)
    if as_json:
        print_json(rows)
        return
    print_table(
        "Environment snapshots",
        ("id", "source", "python", "distributions", "last seen"),
        [
            (
                row["short_id"],
                f"{row['source']} {row['origin']}",
                row["python_version"] or "",
                row["distribution_count"],
                moment(row["captured_at"]),
            )
            for row in rows
        ],
        empty="No snapshots yet: `nbtools env snapshot` takes one of the kernel's environment.",
    )


@env.command()
@click.argument("snapshot_ref", metavar="SNAPSHOT")
@json_option
@pass_cli
@reads_only
def show(cli_ctx: CliContext, snapshot_ref: str, as_json: bool) -> None:
    """Show a snapshot (id or file) and its distributions."""
    from nbtools.envsnap import resolve_snapshot

    found = resolve_snapshot(cli_ctx.project, snapshot_ref)
    if as_json:
        print_json(found.to_dict())
        return
    print_fields(f"Snapshot {found.short_id}", _describe(found))
    _warn_non_reproducible(found)
    print_table(
        "Distributions",
        ("name", "version", "installed from", "installer"),
        [
            (
                d.name,
                d.version or "",
                f"BROKEN: {d.broken}" if d.broken else d.source_label() or "index",
                d.installer or "",
            )
            for d in found.distributions
        ],
        empty="No distributions: the snapshot (or file) pins none.",
    )


@env.command(name="diff")
@click.argument("old_ref", metavar="OLD")
@click.argument("new_ref", metavar="NEW")
@json_option
@pass_cli
@reads_only
def diff_(cli_ctx: CliContext, old_ref: str, new_ref: str, as_json: bool) -> None:
    """Show how snapshot NEW differs from OLD (ids or pylock/requirements files)."""
    from nbtools.envsnap import diff, resolve_snapshot

    project = cli_ctx.project
    old, new = resolve_snapshot(project, old_ref), resolve_snapshot(project, new_ref)
    changes = diff(old, new)
    if as_json:
        print_json(changes.to_dict())
    else:
        _print_diff(changes, f"{old.short_id} -> {new.short_id}: {changes.summary()}")


@env.command()
@click.argument("snapshot_ref", metavar="SNAPSHOT")
@kernel_option
@json_option
@pass_cli
def check(cli_ctx: CliContext, snapshot_ref: str, kernel: str, as_json: bool) -> None:
    """Check the kernel's current environment against SNAPSHOT (id or file).

    Exits 1 listing the differences when the environment drifted.
    """
    from nbtools.envsnap import diff, kernel_and_baseline

    current, baseline = kernel_and_baseline(cli_ctx.project, kernel, snapshot_ref)
    changes = diff(baseline, current)
    if as_json:
        print_json({**changes.to_dict(), "kernel": kernel})
    elif changes.empty:
        click.echo(f"No drift: kernel {kernel} matches snapshot {baseline.short_id}.")
    else:
        _print_diff(
            changes,
            f"Kernel {kernel} (now {current.short_id}) differs from {baseline.short_id}:",
        )
    if not changes.empty:
        raise CheckFailedError(
            f"Kernel {kernel} drifted from snapshot {baseline.short_id}: {changes.summary()}.",
            diff=changes.to_dict(),
        )


@env.command()
@click.argument("snapshot_ref", metavar="[SNAPSHOT]", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pylock", "requirements"]),
    help="Output format (default: from -o's name, else requirements).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of standard output.",
)
@setting_option(EnvSettings, "index_url", "--index-url")
@click.option("--force", is_flag=True, help="Replace -o's file even if nbtools did not write it.")
@kernel_option
@json_option
@pass_cli
@fields_as_flags({"path": "--output"})
def export(
    cli_ctx: CliContext,
    snapshot_ref: str | None,
    fmt: str | None,
    output: Path | None,
    force: bool,
    kernel: str,
    as_json: bool,
) -> None:
    """Export SNAPSHOT (default: the kernel's current environment) as pylock.toml or a
    pinned requirements.txt. An earlier export at -o is replaced (once the new one is
    complete); another file is kept unless --force. With --json, prints what was exported:
    the file's path (or, without -o, its content), format, snapshot, how many distributions
    it holds and those it could not lock."""
    from nbtools.cli.progress import counted
    from nbtools.envsnap import (
        check_output,
        checked_index_url,
        export_snapshot,
        format_for,
        resolve_snapshot,
        snapshot_kernel,
        write_output,
    )

    project = cli_ctx.project
    chosen = format_for(output, fmt)
    if output is not None:
        check_output(project, output, force)  # before capturing and looking releases up
    source = (
        resolve_snapshot(project, snapshot_ref)
        if snapshot_ref
        else snapshot_kernel(project, kernel)
    )
    settings = cli_ctx.settings(EnvSettings)
    if chosen == "pylock":  # the index is asked for each release not in its cache yet
        with counted(f"Looking up releases on {checked_index_url(settings.index())}") as step:
            result = export_snapshot(project, source, chosen, settings, step)
    else:
        result = export_snapshot(project, source, chosen, settings)
    _warn_non_reproducible(source)
    for item in result.unlocked:
        click.secho(
            f"Warning: not locked: {item['name']} {item['version']}: {item['reason']}",
            err=True,
            fg="yellow",
        )
    if output is not None:
        write_output(output, result.text)
    if as_json:
        print_json(
            {
                "snapshot": source.id,
                "format": chosen,
                "path": None if output is None else str(output),
                "content": result.text if output is None else None,
                "distribution_count": len(source.distributions),
                "unlocked": result.unlocked,
                "index": result.index,
            }
        )
    elif output is None:
        sys.stdout.write(result.text)
    else:
        pinned = f", files from {result.index}" if result.index else ""
        click.echo(f"Wrote {output} ({chosen}, snapshot {source.short_id}{pinned}).", err=True)


@env.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_cli
def import_(cli_ctx: CliContext, file: Path, as_json: bool) -> None:
    """Store the environment a pylock.toml or requirements.txt pins, to compare with later."""
    from nbtools.envsnap import import_file

    stored = import_file(cli_ctx.project, file)
    if as_json:
        print_json(stored.to_dict())
    else:
        print_fields(f"Snapshot {stored.short_id}", _describe(stored))


@env.command()
@click.argument("snapshot_ref", metavar="SNAPSHOT")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--python",
    help="Interpreter for the new venv (default: the snapshot's, if it still runs that version).",
)
@json_option
@pass_cli
def recreate(
    cli_ctx: CliContext, snapshot_ref: str, directory: Path, python: str | None, as_json: bool
) -> None:
    """Create a venv in DIRECTORY (new or empty) with SNAPSHOT's pinned distributions.

    Exits 1 if a pinned distribution is missing or at another version afterwards.
    """
    from nbtools.cli.progress import waiting
    from nbtools.envsnap import (
        check_recreate,
        interpreter_markers,
        recreate_snapshot,
        resolve_snapshot,
    )

    # a file is read for the interpreter the venv gets (one refused below, naming --python)
    markers = interpreter_markers(python) if python else None
    source = resolve_snapshot(cli_ctx.project, snapshot_ref, markers)
    check_recreate(source, directory, cli_ctx.project, python)  # before saying it starts
    if not as_json:
        _warn_non_reproducible(source)
        click.echo(f"Recreating snapshot {source.short_id} in {directory} ...", err=True)
    with waiting(f"pip is installing {len(source.distributions)} distributions"):
        report = recreate_snapshot(
            source, directory, python, project=cli_ctx.project, actor=cli_ctx.actor
        )
    if as_json:
        print_json(report.to_dict())
    else:
        for warning in report.warnings:
            click.secho(f"Warning: {warning}", err=True, fg="yellow")
        for item in report.skipped:
            click.secho(
                f"Not reinstalled: {item['name']} {item['version']}: {item['reason']}",
                err=True,
                fg="yellow",
            )
        click.echo(
            f"Installed {report.installed} distributions into {directory} with {report.python}."
        )
    if report.mismatches:
        raise CheckFailedError(
            f"The new environment differs from snapshot {source.short_id}: "
            + "; ".join(report.mismatches),
            report=report.to_dict(),
        )


def _warn_non_reproducible(snapshot: Snapshot) -> None:
    for dist in snapshot.distributions:
        if dist.non_reproducible:
            click.secho(
                f"Not reproducible: {dist.name} {dist.version or ''}: {dist.non_reproducible}",
                err=True,
                fg="yellow",
            )
