"""``nbtools audit list``: the audit trail, newest first, as a table, JSON or CSV."""

from __future__ import annotations

import json
from typing import Any

import click

from nbtools.audit import MAX_LIMIT
from nbtools.cli.context import CliContext
from nbtools.cli.decorators import json_option, pass_cli, reads_only
from nbtools.cli.groups import Group
from nbtools.cli.ids import ID
from nbtools.cli.options import limit_option
from nbtools.cli.output import print_answer, print_json, print_table
from nbtools.errors import InvalidInputError


@click.group(cls=Group)
def audit() -> None:
    """The audit trail: who changed, ran or was refused what."""


@audit.command("list")
@click.option("--since", help="Only entries since then: 12h, 7d, 2w, or an ISO date/time.")
@click.option("--actor", help="Only this actor's entries.")
@click.option("--action", help="Only this action (dataset.add), or a family (dataset.*).")
@click.option("--target", help="Only entries about this object: 'job 3', 'dataset customers'.")
@limit_option("entries", default=100, most=MAX_LIMIT, more="--before pages back")
@click.option(
    "--before",
    type=ID,
    metavar="ID",
    help="Page back: entries older than entry ID (the last id of the previous page, in --json).",
)
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="Print CSV for a spreadsheet (cells a spreadsheet would run start with ').",
)
@json_option
@pass_cli
@reads_only
def list_command(
    cli_ctx: CliContext,
    since: str | None,
    actor: str | None,
    action: str | None,
    target: str | None,
    limit: int,
    before: int | None,
    as_csv: bool,
    as_json: bool,
) -> None:
    """List audit entries, newest first: a table, or with --json or --csv every field of
    each for scripts and spreadsheets."""
    from nbtools.audit import entries_csv, list_entries, parse_since

    if as_csv and as_json:
        raise InvalidInputError("Give either --csv or --json, not both.", field="csv")
    entries = list_entries(
        cli_ctx.project,
        since=parse_since(since) if since else None,
        actor=actor,
        action=action,
        target=target,
        before=before,
        limit=limit,
    )
    if as_json:
        print_json([entry.to_dict() for entry in entries])
        return
    if as_csv:
        print_answer(entries_csv(entries))
        return
    rows = [
        (
            e.at,
            e.actor,
            e.action,
            e.target,
            _summary(e.summary),
        )
        for e in entries
    ]
    filtered = any(value is not None for value in (since, actor, action, target, before))
    print_table(
        f"Audit ({len(entries)})",
        ("at", "actor", "action", "target", "summary"),
        rows,
        empty="No audit entries match." if filtered else "The audit trail is empty.",
    )


def _summary(summary: dict[str, Any]) -> str:
    """``name=value, ...``: text as it is, other values as JSON, fields without one left out."""
    return ", ".join(
        f"{name}={value if isinstance(value, str) else json.dumps(value, default=str)}"
        for name, value in summary.items()
        if value is not None
    )
