"""``nbtools metrics``: the metrics a run recorded, and a job's metrics over its runs."""

from __future__ import annotations

import math
from typing import Any

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import json_option, pass_cli, reads_only
from nbtools.cli.groups import Group
from nbtools.cli.ids import ID
from nbtools.cli.job_ref import job_argument
from nbtools.cli.options import limit_option
from nbtools.cli.output import Figure, print_json, print_table, visible
from nbtools.metrics import DEFAULT_PAGE_RUNS, MAX_PAGE_RUNS, format_value


@click.group(cls=Group)
def metrics() -> None:
    """Metrics recorded by notebooks with nbtools.record() (or scrapbook's glue)."""


@metrics.command("show")
@click.argument("run_id", type=ID)
@json_option
@pass_cli
@reads_only
def show(cli_ctx: CliContext, run_id: int, as_json: bool) -> None:
    """Show the metrics of run RUN_ID, and outputs that could not be read."""
    from nbtools.metrics import run_metrics

    report = run_metrics(cli_ctx.project, run_id)
    if as_json:
        print_json(report)
        return
    rows = [(m["name"], _figure(m["value"]), m["unit"], m["source"]) for m in report["metrics"]]
    print_table(
        f"Metrics of run {run_id}",
        ("metric", "value", "unit", "source"),
        rows,
        empty=f"Run {run_id} recorded no metrics (nbtools.record(NAME, VALUE) records one).",
    )
    for problem in report["problems"]:
        click.echo(f"skipped: {problem}")


@metrics.command("series")
@job_argument
@click.option("--metric", help="Only this metric.")
@limit_option("runs", default=DEFAULT_PAGE_RUNS, most=MAX_PAGE_RUNS, more="--before pages back")
@click.option("--before", "before_run", type=ID, help="Page back: runs older than this run id.")
@json_option
@pass_cli
@reads_only
def series(
    cli_ctx: CliContext,
    job_id: int,
    metric: str | None,
    limit: int,
    before_run: int | None,
    as_json: bool,
) -> None:
    """Show job JOB's metrics over its runs (JOB: its id or name; the newest page of runs,
    oldest first)."""
    from nbtools.metrics import metric_series

    page = metric_series(cli_ctx.project, job_id, metric=metric, before_run=before_run, limit=limit)
    if as_json:
        print_json(page)
        return
    if metric is not None and metric not in page["metric_names"]:
        from nbtools.metrics import recorded_hint

        hint = recorded_hint(metric, page["metric_names"])
        note = f"Note: None of job {job_id}'s runs recorded the metric {metric!r}: {hint}"
        click.echo(visible(note), err=True)
    names = sorted(page["series"])
    # a metric's one unit goes to its column's header (``latency_p50 (s)``); mixed, each value
    units = {name: _one_unit(page["series"][name]) for name in names}
    by_run = {
        (point["run_id"], name): _figure(point["value"], None if units[name] else point["unit"])
        for name, points in page["series"].items()
        for point in points
    }
    status = {run["id"]: run["status"] for run in page["runs"]}
    rows = [
        [run_id, status.get(run_id), *(by_run.get((run_id, name)) for name in names)]
        for run_id in page["run_ids"]
    ]
    print_table(
        f"Metrics of job {job_id}",
        ("run", "status", *(f"{name} ({units[name]})" if units[name] else name for name in names)),
        rows,
        empty=f"No runs of job {job_id} recorded "
        + (f"the metric {metric!r}." if metric else "metrics."),
    )
    width = max(map(len, names), default=0)
    for name in names:
        points = page["series"][name]
        numbers = [
            point["value"]
            for point in points
            if isinstance(point["value"], (int, float))
            and not isinstance(point["value"], bool)
            and math.isfinite(point["value"])
        ]
        if len(numbers) >= 2:
            click.echo(trend(name.ljust(width), numbers, points[-1]["unit"]))
    if page["next_before_run"] is not None:
        click.echo(f"older runs: --before {page['next_before_run']}")


def _figure(value: object, unit: str | None = None) -> str:
    """A metric's value in a table: :func:`~nbtools.metrics.format_value`'s (a fraction to 4
    significant digits; ``--json`` has it exact), a number kept whole (:class:`Figure`)."""
    text = format_value(value, unit)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return Figure(text) if number else text


def _one_unit(points: list[dict[str, Any]]) -> str | None:
    """The unit every point of a metric's series has, if they share one."""
    units = {point["unit"] for point in points}
    (unit,) = units if len(units) == 1 else (None,)
    return unit if isinstance(unit, str) and unit else None


#: The bars of a sparkline, lowest first.
_BARS = "▁▂▃▄▅▆▇█"


def trend(name: str, numbers: list[int | float], unit: str | None = None) -> str:
    """One line for a metric's numbers, oldest first: a sparkline and its figures."""
    from nbtools.metrics import median

    low, high = min(numbers), max(numbers)
    span = high / 2 - low / 2  # halves: numbers near ±1.8e308 have a span beyond a float's
    bars = "".join(
        _BARS[round((n / 2 - low / 2) / span * (len(_BARS) - 1))] if span else _BARS[3]
        for n in numbers
    )
    # the middle number itself, or the exact mean of the two middle ones as a float (their
    # sum would overflow near ±1.8e308)
    middle = sorted(numbers)[len(numbers) // 2] if len(numbers) % 2 else float(median(numbers))
    figures = (low, middle, high, numbers[-1])
    shown = " · ".join(
        f"{label} {format_value(value, unit)}"
        for label, value in zip(("min", "median", "max", "last"), figures, strict=True)
    )
    return f"{name}  {bars}  {shown}"
