"""``nbtools runs list|show|cancel|rerun|prune``: the run history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from nbtools.cli.confirm import confirm
from nbtools.cli.context import CliContext
from nbtools.cli.decorators import json_option, pass_cli, reads_only
from nbtools.cli.follow import UNENDED, ended, follow, require_scheduler, wait_option
from nbtools.cli.groups import Group
from nbtools.cli.ids import ID
from nbtools.cli.job_ref import job_filter
from nbtools.cli.options import WholeNumber, limit_option
from nbtools.cli.output import print_fields, print_json, print_table, say, when
from nbtools.cli.paths import root_relative_option
from nbtools.cli.presence import note_if_unserved
from nbtools.errors import CheckFailedError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from pathlib import Path

    from nbtools.project import Project


def describe_error(model: dict[str, Any]) -> str:
    error = model.get("error")
    if not error:
        return ""
    # numbered from 1, as JupyterLab shows cells (the model's ``cell`` is an index)
    where = f" (cell {error['cell'] + 1})" if error.get("cell") is not None else ""
    return f"{error['name']}: {error['message']}{where}"


def describe_skipped(model: dict[str, Any]) -> str:
    """What a ``skipped`` run stands for: the dropped due times, how many, and why."""
    skipped = model.get("skipped")
    if not skipped:
        return ""
    count = "more than 1000" if skipped["count"] is None else str(skipped["count"])
    times = "due time" if skipped["count"] == 1 else "due times"
    span = f"{when(model['scheduled_for'])} to {when(skipped['until'])}"
    return f"{count} {times} skipped ({span}): {skipped['reason']}"


def describe_erased(purged_at: datetime | str | None, pruned_at: datetime | str | None) -> str:
    """When a run's outputs were deleted, and how: a purge (an erasure request for the data
    it used) or retention; empty while it keeps them."""
    done = [f"purged {when(purged_at)} (data erasure)"] if purged_at else []
    return "; ".join([*done, *([f"pruned {when(pruned_at)} (retention)"] if pruned_at else [])])


def describe_progress(model: dict[str, Any]) -> str:
    progress = model["progress"]
    if progress["cells_total"] is None:
        return ""
    text = f"{progress['cells_done'] or 0}/{progress['cells_total']} cells"
    if model["status"] == "running" and progress["current_cell"] is not None:
        text += f", executing cell {progress['current_cell'] + 1}"
    return text


def took(seconds: float | None) -> str:
    """How long a run took, for a table: tenths of a second under 10 s (``0.3s``), whole
    seconds under a minute, then days, hours and minutes (``2h 5m``)."""
    if seconds is None:
        return ""
    if seconds < 9.95:  # what rounds to 10.0 is 10s
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    from nbtools.durations import human_duration

    return human_duration(whole)


def list_detail(model: dict[str, Any]) -> str:
    """A run's detail in a list: its error, skip or progress, after its attempt when it is a
    retry (most runs are a first attempt: the list spends no column on it)."""
    detail = describe_error(model) or describe_skipped(model) or describe_progress(model)
    if model["attempt"] > 1:
        return f"attempt {model['attempt']}: {detail}" if detail else f"attempt {model['attempt']}"
    return detail


def lineage_fields(model: dict[str, Any]) -> dict[str, Any]:
    """The lineage rows of a run's listing: what it ran, and the commands to inspect it."""
    lineage = model.get("lineage")
    if lineage is None:
        return {}
    if model["status"] in ("queued", "running"):
        return {"lineage": "recorded as the run ends"}
    version, environment = lineage["notebook_version"], lineage["environment"]
    return {
        "lineage": lineage["summary"],
        "version": version and version["command"],
        "environment": environment and environment["command"],
    }


def print_traceback(project: Project, model: dict[str, Any], *, err: bool = False) -> None:
    """A failed run's traceback, from its executed notebook, under a heading naming its cell
    (on stderr with ``err``); nothing for a run without one."""
    from nbtools.jobs import error_traceback

    error = model.get("error")
    if not error or not model.get("output_notebook"):
        return
    traceback = error_traceback(project, model["id"])
    if traceback:
        where = f" (cell {error['cell'] + 1})" if error.get("cell") is not None else ""
        click.echo(f"\nTraceback of run {model['id']}{where}:\n{traceback}", err=err)


def print_ended(
    project: Project, model: dict[str, Any], as_json: bool, written: Path | None = None
) -> None:
    """An ended run: its listing (or ``--json``), where ``-o`` also wrote its notebook, and
    its traceback on standard error when it failed."""
    if as_json:
        print_json(model)
        return
    print_run(model)
    if written is not None:
        click.echo(f"The executed notebook is also in {written}.")
    print_traceback(project, model, err=True)


def remove_earlier_output(output: Path) -> bool:
    """Remove an earlier run's executed (or prepared) notebook at ``-o``'s ``output`` (its
    symbolic link's target); whether there was one. Another file (written over only with
    --force) is left as it was. :class:`OSError` when it cannot be read or removed."""
    from nbtools.jobs import is_run_output

    target = output.resolve()
    if not target.is_file() or not is_run_output(target):
        return False
    target.unlink()
    return True


def drop_earlier_output(output: Path, ended: str, removed: bool = False) -> str:
    """After ``nbtools run`` ended with no executed notebook, as ``ended`` says (its run ended
    before its first cell: its kernel did not start, a stop while it started; a stop before
    the run was queued), remove an earlier run's executed (or prepared) notebook at ``-o``'s
    ``output``, which a CI step would otherwise publish as this run's (another file, written
    over only with --force, is left as it was); the line saying so. ``removed``: the run
    removed it already, once queued (:meth:`~nbtools.cli.run_stops.RunStops.queued`)."""
    said = f"No executed notebook: {ended}; {output}"
    try:
        if remove_earlier_output(output) or (removed and not output.resolve().exists()):
            return f"{said}, an earlier run's, was removed."
        if not output.resolve().is_file():
            return f"{said} was not written."
    except OSError as error:
        return f"{said} could not be removed ({error.strerror}): it is no output of this run."
    return f"{said} was left as it was."


def fail_unless_succeeded(model: dict[str, Any]) -> None:
    """Exit 1, saying how, unless the ended run succeeded."""
    if model["status"] != "succeeded":
        status = model["status"].replace("_", " ")
        raise CheckFailedError(f"Run {model['id']} {status}.", run=model)


def print_run(model: dict[str, Any], retried_as: int | None = None) -> None:
    """One run as a name/value listing (with the run its job retried it as, if known)."""
    from nbtools.metrics import format_value

    pinned = model.get("pinned_version_id")
    fields = {
        "run": model["id"],
        "status": model["status"],
        "notebook": model["notebook_path"],
        "job": model["job_id"],
        "trigger": model["trigger"],
        "attempt": model["attempt"],
        "retry of": f"run {model['retry_of']}" if model.get("retry_of") else None,
        "retried as": f"run {retried_as}" if retried_as is not None else None,
        "parameters": model["parameters"],
        "scheduled for": model["scheduled_for"],
        "started": model["started_at"],
        "duration (s)": model["duration_seconds"],
        "progress": describe_progress(model),
        "error": describe_error(model),
        "skipped": describe_skipped(model),
        "reproduces": f"run {model['reproduce_of']}" if model.get("reproduce_of") else None,
        "pinned to": f"version id {pinned} (not the file on disk)" if pinned else None,
        **lineage_fields(model),
        "datasets": ", ".join(
            f"{use['dataset']} ({use['mode']}, {use['classification']})"
            for use in model.get("datasets", [])
        ),
        "notebook sha256": model["notebook_sha256"],
        "output notebook": model["output_notebook"],
        "output html": model["output_html"],
        "outputs deleted": describe_erased(model["purged_at"], model["pruned_at"]),
        "metrics": ", ".join(
            f"{name}={format_value(value)}" for name, value in model.get("metrics", {}).items()
        ),
    }
    print_fields(f"Run {model['id']}", {k: v for k, v in fields.items() if v not in (None, "")})
    artifacts = model.get("artifacts", [])
    if artifacts:
        print_table(
            "Artifacts (nbtools.artifacts.load(NAME, run=RUN))",
            ("name", "size (bytes)", "sha256", "stored at"),
            [(a["name"], a["size"], a["sha256"][:12], a["location"]) for a in artifacts],
        )


@click.group(cls=Group)
def runs() -> None:
    """The history of notebook runs: list, show, cancel, rerun."""


@runs.command("list")
@job_filter("runs")
@click.option(
    "--notebook", callback=root_relative_option, help="Only runs of this notebook (its path)."
)
@click.option("--status", help="Only runs in this status (queued, running, succeeded, …, skipped).")
@limit_option("runs", default=20, more="--before pages back")
@click.option(
    "--before",
    type=ID,
    metavar="RUN",
    help="Page back: runs older than run RUN (the last run of the previous page).",
)
@json_option
@pass_cli
@reads_only
def list_(
    cli_ctx: CliContext,
    job_id: int | None,
    notebook: str | None,
    status: str | None,
    limit: int,
    before: int | None,
    as_json: bool,
) -> None:
    """List runs, newest first, a page at a time (--limit, --before)."""
    from nbtools.jobs import list_runs

    models = list_runs(
        cli_ctx.project,
        job_id=job_id,
        notebook_path=notebook,
        status=status,
        before=before,
        limit=limit,
    )
    if as_json:
        print_json(models)
        return
    from nbtools.jobs import job_names

    names = job_names(cli_ctx.project, {m["job_id"] for m in models if m["job_id"] is not None})
    print_runs(
        "Runs",
        models,
        "No runs match these filters."
        if any(value is not None for value in (job_id, notebook, status, before))
        else "No runs yet: `nbtools run NOTEBOOK` runs one, `nbtools schedule add` schedules.",
        job_names=names,
    )
    if models and len(models) == limit:
        click.echo(f"older runs: --before {models[-1]['id']}")


def print_runs(
    title: str,
    models: list[dict[str, Any]],
    empty: str,
    *,
    of_job: bool = False,
    job_names: Mapping[int, str] | None = None,
) -> None:
    """Runs as a table, one a line, each job by its name in ``job_names`` (else its id), the
    job column left out when no run has one; ``of_job``: all of one job, whose notebook and
    name the table leaves out."""
    names = job_names or {}
    columns: tuple[str, ...] = ("run", "job", "notebook", "status", "started", "took", "detail")
    rows: list[tuple[Any, ...]] = [
        (
            m["id"],
            names.get(m["job_id"], m["job_id"]),
            m["notebook_path"],
            m["status"],
            m["started_at"],
            took(m["duration_seconds"]),
            list_detail(m),
        )
        for m in models
    ]
    if of_job:
        columns = columns[:1] + columns[3:]
        rows = [row[:1] + row[3:] for row in rows]
    elif all(m["job_id"] is None for m in models):  # runs of notebooks alone: no job to name
        columns = columns[:1] + columns[2:]
        rows = [row[:1] + row[2:] for row in rows]
    print_table(title, columns, rows, empty=empty)


@runs.command()
@click.argument("run_id", type=ID)
@json_option
@pass_cli
@reads_only
def show(cli_ctx: CliContext, run_id: int, as_json: bool) -> None:
    """Show one run: status, progress, error, outputs, lineage (notebook version and
    environment, with the commands that show them) and the artifacts it kept."""
    from nbtools.jobs import find_retry, show_run

    model = show_run(cli_ctx.project, run_id).to_wire()
    if as_json:
        print_json(model)
        return
    retried = model["status"] in ("failed", "timed_out") and model["job_id"] is not None
    print_run(model, find_retry(cli_ctx.project, run_id) if retried else None)
    print_traceback(cli_ctx.project, model)


@runs.command()
@click.argument("run_id", type=ID)
@click.option(
    "--wait",
    is_flag=True,
    help="Wait until the run has ended, then say how (exit 1 if it has not within the lease, "
    "JobsSettings.stale_after_seconds: by then even a run whose worker died is ended).",
)
@json_option
@pass_cli
def cancel(cli_ctx: CliContext, run_id: int, wait: bool, as_json: bool) -> None:
    """Cancel a queued run, or stop a running one (its kernel is killed by its worker, which
    sees the request within a second)."""
    from nbtools.jobs import cancel_run

    model = cancel_run(cli_ctx.project, run_id, actor=cli_ctx.actor).to_wire()
    if wait and model["status"] in UNENDED:
        model = ended(cli_ctx, run_id)
    if as_json:
        print_json(model)
    elif model["status"] == "cancelled":
        click.echo(f"Run {run_id} cancelled.")
    elif model["status"] not in UNENDED:
        status = model["status"].replace("_", " ")
        click.echo(f"Run {run_id} ended {status} before the cancel took effect.")
    else:
        click.echo(f"Run {run_id}: cancel requested.")
    if wait and model["status"] in UNENDED:
        raise CheckFailedError(
            f"Run {run_id} is still {model['status']}: its worker has not ended it.", run=model
        )


@runs.command()
@click.argument("run_id", type=ID)
@wait_option
@json_option
@pass_cli
def rerun(cli_ctx: CliContext, run_id: int, wait: bool, as_json: bool) -> None:
    """Queue a new run with the same notebook and parameters (a scheduler executes it)."""
    from nbtools.jobs import rerun_run

    if wait:
        require_scheduler(cli_ctx)
    model = rerun_run(cli_ctx.project, run_id, actor=cli_ctx.actor).to_wire()
    if wait:
        wait_for(cli_ctx, model["id"], as_json, f"Queued run {model['id']}.")
        return
    print_json(model) if as_json else click.echo(f"Queued run {model['id']}.")
    note_if_unserved(cli_ctx, f"run {model['id']} waits in the queue")


def wait_for(cli_ctx: CliContext, run_id: int, as_json: bool, queued: str) -> None:
    """``--wait``'s end: say the run is queued (``queued``), follow it until it has ended,
    show it, and exit 1 unless it succeeded."""
    model = follow(cli_ctx, run_id, queued)
    print_ended(cli_ctx.project, model, as_json)
    fail_unless_succeeded(model)


@runs.command()
@click.option(
    "--older-than", metavar="AGE", help="Also prune runs that ended before AGE ago (30d, 12w, 1y)."
)
@click.option(
    "--keep",
    type=WholeNumber(0),
    help="Also prune runs beyond the newest N of each job (or job-less notebook); with "
    "--older-than, only those both older and beyond. Not a service's minutes.",
)
@click.option("--dry-run", is_flag=True, help="List the runs that would be pruned; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@json_option
@pass_cli
def prune(
    cli_ctx: CliContext,
    older_than: str | None,
    keep: int | None,
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """Delete the outputs of expired runs: by each job's --keep-runs (else
    JobsSettings.keep_runs), by the retention of the datasets they used, and by --older-than /
    --keep. Queued and running runs, and each job's newest succeeded run (except past a
    dataset's retention), are kept; the run rows stay as history. A service's minutes follow
    only its job's own --keep-runs and the datasets' retention. Asks first unless --yes."""
    from nbtools.durations import age_days
    from nbtools.jobs import JobsSettings, prune_runs

    project = cli_ctx.project
    options: dict[str, Any] = {
        "older_than_days": age_days(older_than, "--older-than") if older_than else None,
        "keep": keep,
        "default_keep": cli_ctx.settings(JobsSettings).keep_runs or None,
    }
    report = prune_runs(project, dry_run=True, **options)
    if not dry_run:  # also with nothing expired: copies of erased runs' notebooks go
        if report.expired and not yes:
            count = len(report.expired)
            doing = f"Pruning the outputs of {count} run(s)"
            confirm(f"Prune the outputs of {count} run(s)?", doing, as_json=as_json)
        report = prune_runs(project, actor=cli_ctx.actor, **options)
    if as_json:
        print_json(report.to_dict())
        return
    shown = sorted(report.expired) if dry_run else report.pruned
    rows = [(str(run_id), report.expired[run_id]) for run_id in shown]
    title = "Would prune" if dry_run else "Pruned"
    print_table(f"{title} ({len(rows)} runs)", ("run", "reason"), rows, empty="Nothing to prune.")
    if report.copies:
        say(f"Deleted the copies Open output made of erased runs: {', '.join(report.copies)}.")
