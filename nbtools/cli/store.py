"""``nbtools store copy``: the project's store copied into another database (SQLite to
PostgreSQL), and the setting that uses it."""

from __future__ import annotations

import shlex

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import json_option, pass_cli
from nbtools.cli.groups import Group
from nbtools.cli.output import print_json, print_table, say


@click.group(cls=Group)
def store() -> None:
    """The project's store: copy it into another database (SQLite to PostgreSQL)."""


@store.command("copy")
@click.option(
    "--to",
    "target_url",
    required=True,
    metavar="URL",
    help="SQLAlchemy URL of the database to copy the store into: a new one, or an empty one "
    "this version migrated, e.g. postgresql+psycopg://nbtools@db.internal/nbtools (a "
    "password is better in ~/.pgpass or $PGPASSWORD than on the command line).",
)
@json_option
@pass_cli
def copy_command(cli_ctx: CliContext, target_url: str, as_json: bool) -> None:
    """Copy every table of the store (jobs, runs, versions, environments, alerts, metrics,
    the catalog and the audit trail), ids kept, into an empty database in one transaction,
    then print the setting that uses it.

    Refused, with nothing written, while a run is running or a scheduler serves the store,
    and into a database holding data or at another schema revision. The files of the store
    directory (notebook versions' objects, run outputs) stay where they are.
    """
    from nbtools.cli.progress import counted
    from nbtools.storecopy import copy_store

    with counted("Copying the store (rows)") as step:
        copied = copy_store(cli_ctx.project, target_url, actor=cli_ctx.actor, progress=step)
    if as_json:
        print_json(copied)
        return
    held = [(name, rows) for name, rows in copied.tables.items() if rows]
    empty = len(copied.tables) - len(held)
    say(
        f"Copied the store, {copied.rows} rows of {len(copied.tables)} tables"
        + (f" ({empty} of them empty)" if empty else "")
        + f", in one transaction\nfrom {copied.source}\nto   {copied.target}."
    )
    print_table("Rows copied", ("table", "rows"), held, empty="Every table was empty.")
    say(
        f"The files of the store directory ({copied.store_dir}: notebook versions' objects, "
        "run outputs, environment captures) were not copied and stay where they are: every "
        "server, scheduler and command using the new database must use this store directory "
        "too. The old database is left as it was."
    )
    hidden = "***" in copied.db_url and "***" not in target_url
    say(
        "\nUse the new database from now on: set it for every server, scheduler and command "
        "of the project, then start them again:\n"
        f"  export NBTOOLS_DB_URL={shlex.quote(copied.db_url)}\n"
        f"  c.NbtoolsSettings.db_url = {copied.db_url!r}  # in a config file"
        + ("\n(*** stands for the password you gave.)" if hidden else "")
    )
