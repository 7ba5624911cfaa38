"""Waiting on a run a scheduler executes: ``schedule run --wait``, ``runs rerun --wait`` and
``runs cancel --wait``."""

from __future__ import annotations

import time
from typing import Any

import click

from nbtools.cli.context import CliContext
from nbtools.cli.output import when
from nbtools.cli.presence import START_ONE
from nbtools.cli.stopping import Stopped
from nbtools.errors import CheckFailedError, InvalidInputError

#: The states of a run that has not ended.
UNENDED = ("queued", "running")
#: Seconds between two readings of a waited-on run.
READ_EVERY = 0.2
#: Seconds between two checks, while a waited-on run is queued, that a scheduler serves the
#: store (one that stopped would leave the run queued and the command waiting for ever).
SCHEDULER_CHECK_EVERY = 5.0

wait_option = click.option(
    "--wait",
    is_flag=True,
    help="Wait until the run has ended (its cells shown at a terminal), then show it: exit 0 "
    "if it succeeded, else 1. Needs a scheduler serving the store. Ctrl-C or SIGTERM stops "
    "the waiting only: the run goes on.",
)


def require_scheduler(cli_ctx: CliContext) -> None:
    """Refuse ``--wait`` before anything is queued when no scheduler serves the store."""
    from nbtools.jobs import list_schedulers

    if not any(seen.alive for seen in list_schedulers(cli_ctx.project)):
        raise InvalidInputError(
            "--wait: no scheduler serves this store, so the run would wait in the queue until "
            f"one starts. Start one ({START_ONE}), or queue the run without --wait.",
            field="wait",
        )


def follow(cli_ctx: CliContext, run_id: int, queued: str) -> dict[str, Any]:
    """Run ``run_id``, just queued (``queued`` says so on standard error), once it has ended,
    as its listing has it, or its last attempt when its job retries it; its cells are drawn at
    a terminal meanwhile. A run still queued when no scheduler serves the store any more is an
    error (exit 1); Ctrl-C or SIGTERM stops the waiting, not the run (exit 130 or 143), from
    the moment the run is said queued: the stop names it (``--json``: ``details.run_id``)."""
    try:
        click.echo(queued, err=True)
        from nbtools.jobs import find_retry, show_run

        while True:
            model = _follow_one(cli_ctx, run_id)
            retry = (
                find_retry(cli_ctx.project, run_id)
                if model["status"] in ("failed", "timed_out")
                else None
            )
            if retry is None:
                return model
            due = show_run(cli_ctx.project, retry).not_before
            status = model["status"].replace("_", " ")
            click.echo(
                f"Run {run_id} {status} (attempt {model['attempt']}); its job retries it as run "
                f"{retry}" + (f", due {when(due)}." if due is not None else "."),
                err=True,
            )
            run_id = retry
    except (KeyboardInterrupt, Stopped) as interruption:
        goes_on = f"Stopped waiting: run {run_id} goes on (`nbtools runs show {run_id}`)."
        raise Stopped.of(interruption, goes_on, run_id=run_id) from None


def _follow_one(cli_ctx: CliContext, run_id: int) -> dict[str, Any]:
    """Run ``run_id`` once it has ended (one attempt)."""
    from nbtools.cli.progress import cells_bar
    from nbtools.jobs import Progress, list_schedulers, show_run

    progress, status = Progress(), ["queued"]
    checked = time.monotonic()
    with cells_bar(run_id, progress, queued=lambda: status[0] == "queued"):
        while True:
            run = show_run(cli_ctx.project, run_id)
            if run.status not in UNENDED:
                return run.to_wire()
            status[0] = run.status
            progress.cells_total = run.progress.cells_total
            progress.cells_done = run.progress.cells_done or 0
            progress.current_cell = run.progress.current_cell
            if run.status == "queued" and time.monotonic() - checked >= SCHEDULER_CHECK_EVERY:
                checked = time.monotonic()
                if not any(seen.alive for seen in list_schedulers(cli_ctx.project)):
                    raise CheckFailedError(
                        f"Run {run_id} is still queued: no scheduler serves this store any "
                        f"more ({START_ONE} executes it).",
                        run=run.to_wire(),
                    )
            time.sleep(READ_EVERY)


def ended(cli_ctx: CliContext, run_id: int) -> dict[str, Any]:
    """Run ``run_id`` once it has ended, or as it is after the lease (reading it ends a run
    whose worker stopped renewing its lease, as any reader does)."""
    from nbtools.jobs import JobsSettings, show_run

    deadline = time.monotonic() + cli_ctx.settings(JobsSettings).stale_after_seconds + 1
    while True:
        model = show_run(cli_ctx.project, run_id).to_wire()
        if model["status"] not in UNENDED or time.monotonic() > deadline:
            return model
        time.sleep(READ_EVERY)
