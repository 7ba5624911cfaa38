"""The options ``schedule add`` and ``schedule edit`` share: a job's fields as flags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from nbtools.cli.decorators import CommandFunction
from nbtools.cli.run import purpose_option
from nbtools.cli.run_parameters import parameter_option

cron_option = click.option(
    "--cron",
    help="5-field cron expression ('0 6 * * 1-5'), hourly, daily, weekdays, weekly (Monday), "
    "monthly, yearly, or one of cron's nicknames (@daily, @weekly: Sunday, ...).",
)

#: What a new job has of a field given no value, as ``schedule add --help`` says it (an edit
#: keeps what the job has); tests compare them with ``nbtools.jobs.JOB_FIELDS``.
NEW_JOB = {
    "name": "the notebook's name",
    "timezone": "UTC",
    "retries": "0",
    "retry_backoff_seconds": "60",
    "max_concurrent": "1",
    "output_html": "no",
    "missed_policy": "run_once",
    "catch_up_limit": "10",
    "kernel_name": "the notebook's own",
    "keep_runs": "JobsSettings.keep_runs",
}


def job_options(adding: bool) -> Callable[[CommandFunction], CommandFunction]:
    """Options shared by ``add`` and ``edit`` (None means "not given"); ``adding``: their help
    names what a new job has by default (:data:`NEW_JOB`)."""

    def default(field: str) -> str:
        return f" (default: {NEW_JOB[field]})" if adding else ""

    keep = "default: JobsSettings.keep_runs" if adding else "'' resets to JobsSettings.keep_runs"
    options = [
        click.option("--name", help=f"A name for the job{default('name')}."),
        cron_option,
        click.option(
            "--tz", "timezone", help=f"IANA timezone of the schedule{default('timezone')}."
        ),
        parameter_option,
        click.option("--retries", type=int, help=f"Retries after a failure{default('retries')}."),
        click.option(
            "--retry-backoff",
            type=int,
            help=f"Seconds before the first retry; doubles{default('retry_backoff_seconds')}.",
        ),
        click.option("--timeout", type=int, help="Stop a run after this many seconds."),
        click.option(
            "--cell-timeout", type=int, help="Stop a run when one cell runs this long (s)."
        ),
        click.option(
            "--max-concurrent",
            type=int,
            help=f"Runs of this job at once{default('max_concurrent')}.",
        ),
        click.option(
            "--html/--no-html",
            default=None,
            help=f"Also render each run as HTML, or not{default('output_html')}.",
        ),
        click.option(
            "--missed",
            type=click.Choice(["run_once", "skip", "catch_up"]),
            help="After downtime: run once for the missed times, skip them, or catch up "
            "(one run per missed time, up to --catch-up-limit). Dropped times are recorded "
            f"as a skipped run{default('missed_policy')}.",
        ),
        click.option(
            "--catch-up-limit",
            type=int,
            help="With --missed catch_up: at most this many missed times run"
            f"{default('catch_up_limit')}.",
        ),
        click.option("--kernel", help=f"Kernel to run with{default('kernel_name')}."),
        purpose_option,
        click.option(
            "--keep-runs",
            metavar="N|AGE",
            help="Keep the newest N runs, or the runs of the last AGE (30d, 12w, 1y); older "
            f"runs' outputs are pruned ({keep}). The newest succeeded run is always kept.",
        ),
        click.option(
            "--pin-version",
            metavar="VERSION",
            help="Run this notebook version (number, 'latest' or 'latest~N', as `nbtools "
            "version log` lists them) instead of the file on disk.",
        ),
    ]

    def add_options(function: CommandFunction) -> CommandFunction:
        for option in reversed(options):
            function = option(function)
        return function

    return add_options


#: A job's fields by the option that sets them.
FIELDS = {
    "name": "name",
    "cron": "cron",
    "timezone": "timezone",
    "retries": "retries",
    "retry_backoff": "retry_backoff_seconds",
    "timeout": "timeout_seconds",
    "cell_timeout": "cell_timeout_seconds",
    "max_concurrent": "max_concurrent",
    "html": "output_html",
    "missed": "missed_policy",
    "catch_up_limit": "catch_up_limit",
    "kernel": "kernel_name",
    "purpose": "purpose",
    "keep_runs": "keep_runs",
}
#: The flag of each field, for errors (``--tz`` sets the timezone).
FLAGS = {field: "--" + key.replace("_", "-") for key, field in FIELDS.items()} | {
    "timezone": "--tz",
    "ref": "--pin-version",  # the version it names (nbtools.versioning.resolve)
    "pinned_version_id": "--pin-version",
}


def job_fields(options: dict[str, Any]) -> dict[str, Any]:
    """The job's fields the options of :func:`job_options` give (those not None)."""
    return {field: options[key] for key, field in FIELDS.items() if options.get(key) is not None}
