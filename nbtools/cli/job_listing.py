"""A job for people: its listing in words (``schedule add/edit/show``) and the jobs table
(``schedule list``), each next run in its schedule's own zone, and the notes on a job whose
stored timezone is an older version's (``localtime``) or whose schedule has no time left."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from nbtools.cli.output import moment, print_fields, print_table, visible, when
from nbtools.durations import human_duration

#: What a job does after downtime (``missed_policy``), as its listing says it.
_MISSED = {"run_once": "run once", "skip": "skip the missed times", "catch_up": "catch up"}


def print_job(model: dict[str, Any]) -> None:
    """One job as a name/value listing: its schedule in its own zone, its options in words
    (``--json`` has every field as stored)."""
    pinned, retries = model["pinned_version_id"], model["retries"]
    timeout, cell_timeout = model["timeout_seconds"], model["cell_timeout_seconds"]
    missed = _MISSED.get(model["missed_policy"], model["missed_policy"])
    if model["missed_policy"] == "catch_up":
        missed += f", at most {model['catch_up_limit']} missed times"
    upcoming = _next_run(model)
    fields = {
        "job": model["id"],
        "name": model["name"],
        "notebook": model["notebook_path"],
        "pinned to": f"version id {pinned} (not the file on disk)" if pinned else None,
        "schedule": _schedule(model, f"{model['schedule_description']} ({model['cron']}), "),
        "timezone note": model["timezone_note"],
        # as text, as the listing's other moments are ("created": when and by whom)
        "next run": when(upcoming, model["timezone"])
        if isinstance(upcoming, datetime)
        else upcoming,
        "parameters": model["parameters"] or None,
        "timeout": None if timeout is None else _span(timeout),
        "cell timeout": None if cell_timeout is None else _span(cell_timeout),
        "retries": (
            f"{retries}, the first after {_span(model['retry_backoff_seconds'])}, then doubling"
            if retries
            else "none"
        ),
        "runs at once": model["max_concurrent"],
        "after downtime": missed,
        "kernel": model["kernel_name"] or "the notebook's own",
        "purpose": model["purpose"],
        "keep runs": model["keep_runs"] or "the project's default",
        "HTML report": "yes" if model["output_html"] else "no",
        "created": f"{when(model['created_at'])} by {model['created_by']}",
        "updated": when(model["updated_at"]),
    }
    print_fields(f"Job {model['id']}", {k: v for k, v in fields.items() if v not in (None, "")})


def print_jobs(models: list[dict[str, Any]], empty: str | None = None) -> None:
    """Jobs as a table, one a row: the schedule is its cron over its zone; the parameters
    column left out when no job has any (as ``runs list`` leaves out its job column), so a
    narrow terminal keeps the next runs' dates whole. ``empty``: the line for no jobs, if
    not that there are none yet."""
    columns: tuple[str, ...] = ("job", "name", "notebook", "schedule", "next run", "parameters")
    rows: list[tuple[Any, ...]] = [
        (
            m["id"],
            m["name"],
            m["notebook_path"],
            _schedule(m, f"{m['cron']}\n"),
            _next_run(m),
            m["parameters"] or "",
        )
        for m in models
    ]
    if not any(m["parameters"] for m in models):
        columns, rows = columns[:-1], [row[:-1] for row in rows]
    print_table(
        "Jobs",
        columns,
        rows,
        empty=empty or "No jobs yet: `nbtools schedule add NOTEBOOK --cron daily` creates one.",
    )
    for m in models:
        if m["timezone_note"]:
            click.echo(
                visible(f"Note: job {m['id']} ({m['name']}): {m['timezone_note']}"), err=True
            )


def _schedule(model: dict[str, Any], cron: str) -> str:
    """A job's schedule: ``cron`` followed by its zone, "on demand" without one, or that a
    service's job is the traffic of a served package (it runs no notebook)."""
    if model["service"]:
        return "service: the traffic of nbtools serve"
    return f"{cron}{model['timezone']}" if model["cron"] else "on demand"


def _next_run(model: dict[str, Any]) -> datetime | str:
    """When a job runs next, in its schedule's own zone (as its cron reads), or why not."""
    if model["archived_at"] is not None:
        return f"archived {when(model['archived_at'])}"
    if model["paused"]:
        return "paused"
    if model["next_run_note"]:  # the schedule has no time left
        return "none: no time left before the year 10000"
    if model["next_run_at"] is None:
        return ""
    from zoneinfo import ZoneInfo

    return moment(model["next_run_at"]).astimezone(ZoneInfo(model["timezone"]))


def _span(seconds: int) -> str:
    """A job's seconds as set: in days, hours and minutes when that is exact (``1h 30m``),
    else in seconds (``90s``)."""
    return human_duration(seconds) if seconds < 60 or seconds % 60 == 0 else f"{seconds}s"
