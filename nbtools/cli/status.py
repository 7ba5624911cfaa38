"""``nbtools status``: where the project and its store are."""

from __future__ import annotations

from typing import Any

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import json_option, pass_cli, reads_only
from nbtools.cli.output import print_fields, print_json
from nbtools.status import project_status

#: What ``status`` shows for the schema revision where there is no store yet.
NO_STORE_YET = (
    "none: no store here yet (the first command that records something makes it: "
    "run, schedule add, version save, init)"
)


@click.command()
@json_option
@pass_cli
@reads_only
def status(cli_ctx: CliContext, as_json: bool) -> None:
    """Show the project root, the store and its schema revision, the schedulers serving the
    store, and the datasets sharing a location, if any. In a folder inside no project it
    shows the store the first command that records something would make, and makes none."""
    report = project_status(cli_ctx.project)
    if as_json:
        print_json(report)
    else:
        from nbtools.cli.presence import describe_schedulers
        from nbtools.store import utcnow

        fields = {
            "version": report["version"],
            "root": report["root"],
            "store": report["store_path"],
            "database": report["db_url"],
            "schema revision": report["schema_revision"] or NO_STORE_YET,
            "schedulers": describe_schedulers(report["schedulers"], utcnow()),
        }
        if report["shared_locations"]:
            fields["shared locations"] = _describe_shared(report["shared_locations"])
        print_fields("nbtools status", fields)


def _describe_shared(shared: list[dict[str, Any]]) -> str:
    """The datasets sharing a location, one location a line, and what to do about them."""
    count = sum(len(group["datasets"]) for group in shared)
    places = f"{len(shared)} location{'' if len(shared) == 1 else 's'}"
    return "\n".join(
        [
            f"{count} datasets share {places} (kept from an older version's catalog):",
            *(f"{group['location']}: {', '.join(group['datasets'])}" for group in shared),
            "give each its own location (nbtools data edit NAME --location LOCATION) or "
            "remove the extra ones (nbtools data remove NAME)",
        ]
    )
