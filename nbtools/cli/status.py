"""``nbtools status``: where the project and its store are."""

from __future__ import annotations

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import json_option, pass_cli
from nbtools.cli.output import print_fields, print_json
from nbtools.status import project_status


@click.command()
@json_option
@pass_cli
def status(cli_ctx: CliContext, as_json: bool) -> None:
    """Show the project root, the store and its schema revision (creating the store if new),
    and the schedulers serving the store."""
    report = project_status(cli_ctx.project)
    if as_json:
        print_json(report)
    else:
        from nbtools.cli.presence import describe_schedulers
        from nbtools.store import utcnow

        print_fields(
            "nbtools status",
            {
                "version": report["version"],
                "root": report["root"],
                "store": report["store_path"],
                "database": report["db_url"],
                "schema revision": report["schema_revision"],
                "schedulers": describe_schedulers(report["schedulers"], utcnow()),
            },
        )
