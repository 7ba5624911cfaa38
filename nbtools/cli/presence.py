"""Whether a scheduler serves the store, told where a command leaves it work
(:mod:`nbtools.jobs.presence`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from nbtools.cli.context import CliContext
from nbtools.cli.output import when

#: What starts a scheduler on a store, for the notes below.
START_ONE = "`nbtools scheduler`, or a Jupyter server with nbtools, on this store"


def note_if_unserved(cli_ctx: CliContext, waiting: str) -> None:
    """Say on standard error that ``waiting`` (e.g. "run 5 waits in the queue") until a
    scheduler starts, when none serves the store: the command itself succeeded."""
    from nbtools.jobs import list_schedulers

    if not any(seen.alive for seen in list_schedulers(cli_ctx.project)):
        click.echo(
            f"Note: no scheduler serves this store, so {waiting} until one starts ({START_ONE}).",
            err=True,
        )


def describe_schedulers(seen: list[dict[str, Any]], now: datetime) -> str:
    """The store's schedulers for people: those alive, one a line, or that none is (and
    when one last was)."""
    alive = [s for s in seen if s["alive"]]
    if alive:
        return "\n".join(
            f"{s['host']}:{s['pid']} ({s['executor']} executor), seen {_ago(now, s['seen_at'])}"
            for s in alive
        )
    last = f"; the last one was seen {when(seen[0]['seen_at'])}" if seen else ""
    return f"none running: due jobs and queued runs wait until one starts ({START_ONE}){last}"


def _ago(now: datetime, moment: datetime) -> str:
    seconds = max(0, round((now - moment).total_seconds()))
    return f"{seconds} s ago"
