"""``nbtools schedule add|list|show|edit|pause|resume|remove|preview``: jobs on cron schedules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import click

from nbtools.cli.confirm import confirm
from nbtools.cli.context import CliContext
from nbtools.cli.decorators import (
    CommandFunction,
    fields_as_flags,
    idempotency_option,
    json_option,
    pass_cli,
    reads_only,
)
from nbtools.cli.follow import require_scheduler, wait_option
from nbtools.cli.groups import Group
from nbtools.cli.job_listing import print_job, print_jobs
from nbtools.cli.job_options import FLAGS, job_fields, job_options
from nbtools.cli.job_ref import job_argument
from nbtools.cli.kernel_check import kernel_check_named, kernel_check_option
from nbtools.cli.options import WholeNumber, limit_option, offset_option
from nbtools.cli.output import print_json, when
from nbtools.cli.paths import root_relative_option
from nbtools.cli.presence import note_if_unserved
from nbtools.cli.run_parameters import parameter_option, parse_assignments
from nbtools.errors import InvalidInputError

tz_option = click.option("--tz", "timezone", help="IANA timezone of the schedule (default UTC).")
from_option = click.option(
    "--from",
    "start",
    metavar="WHEN",
    help="List the run times at or after WHEN instead of now: an ISO date or time, in the "
    "schedule's zone unless it has an offset (2027-03-28, 2027-10-31T00:30), say to see a "
    "night the clocks change.",
)


def count_option(least: int, help: str) -> Callable[[CommandFunction], CommandFunction]:
    """``-n``: how many run times (and runs) a command lists, ``least`` to 50 (default 5)."""
    return click.option(
        "-n", "count", type=WholeNumber(least, 50), default=5, show_default=True, help=help
    )


def _start(start: str | None, zone: str) -> datetime | None:
    """``--from`` as the moment the next run times are listed after (at or after it: the
    schedule lists times strictly after the moment it is given)."""
    if start is None:
        return None
    from nbtools.durations import parse_moment

    moment = parse_moment(start, "--from", zone)
    try:
        return moment - timedelta(microseconds=1)
    except OverflowError:  # nothing is before the calendar's first moment
        raise InvalidInputError(
            f"--from {start!r} is the calendar's first moment; give a later one (0001-01-02).",
            field="start",
        ) from None


def _pinned_id(cli_ctx: CliContext, notebook_path: str, ref: str) -> int:
    """The id of version ``ref`` of the notebook (a number, 'latest' or 'latest~N')."""
    from nbtools import versioning

    return versioning.resolve(cli_ctx.project, notebook_path, ref).id


@click.group(cls=Group)
def schedule() -> None:
    """Jobs: a notebook with parameters, run on a cron schedule by `nbtools scheduler`
    (or JupyterLab's server)."""


@schedule.command()
@click.argument("notebook", callback=root_relative_option)
@job_options(adding=True)
@click.option("--paused", is_flag=True, help="Create the job paused.")
@kernel_check_option
@idempotency_option
@json_option
@pass_cli
@fields_as_flags(FLAGS)
def add(
    cli_ctx: CliContext,
    /,
    notebook: str,
    parameters: tuple[str, ...],
    paused: bool,
    no_kernel_check: bool,
    idempotency_key: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Create a job for NOTEBOOK (with --cron, it runs on that schedule)."""
    from nbtools.jobs import create_job

    project = cli_ctx.project
    fields = job_fields(options)
    fields.update(
        notebook_path=project.relative(project.resolve(notebook)),
        paused=paused,
        parameters=parse_assignments(parameters),
    )
    if options.get("pin_version") is not None:
        fields["pinned_version_id"] = _pinned_id(
            cli_ctx, fields["notebook_path"], options["pin_version"]
        )
    with kernel_check_named():
        job = create_job(
            project,
            fields,
            from_text=True,
            idempotency_key=idempotency_key,
            actor=cli_ctx.actor,
            kernel_check=not no_kernel_check,
        )
    model = job.to_wire()
    print_json(model) if as_json else print_job(model)
    if job.next_run_at is not None:
        note_if_unserved(cli_ctx, f"job {job.id} does not run on its schedule")


@schedule.command()
@job_argument
@job_options(adding=False)
@click.option("--no-cron", is_flag=True, help="Remove the schedule (run on demand only).")
@click.option("--unpin", is_flag=True, help="Run the file on disk again (drop --pin-version).")
@kernel_check_option
@json_option
@pass_cli
@fields_as_flags(FLAGS)
def edit(
    cli_ctx: CliContext,
    /,
    job_id: int,
    parameters: tuple[str, ...],
    no_cron: bool,
    unpin: bool,
    no_kernel_check: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Change job JOB (its id or name); -p values are merged into its parameters."""
    from nbtools.jobs import checked_parameters, show_job, update_job

    project = cli_ctx.project
    _refuse_both("--cron", options.get("cron") is not None, "--no-cron", no_cron)
    _refuse_both("--pin-version", options.get("pin_version") is not None, "--unpin", unpin)
    changes = job_fields(options)
    if no_cron:
        changes["cron"] = None
    job = show_job(project, job_id)
    if unpin:
        changes["pinned_version_id"] = None
    elif options.get("pin_version") is not None:
        changes["pinned_version_id"] = _pinned_id(
            cli_ctx, job.notebook_path, options["pin_version"]
        )
    if parameters:
        typed = checked_parameters(
            project,
            job.notebook_path,
            parse_assignments(parameters),
            from_text=True,
            pinned_version_id=changes.get("pinned_version_id", job.pinned_version_id),
        )
        changes["parameters"] = {**job.parameters, **typed}
    if not changes:
        raise InvalidInputError(
            f"Nothing to change in job {job_id}: give what to change (`nbtools schedule edit "
            "--help` lists the options); `nbtools schedule list` shows the jobs."
        )
    with kernel_check_named():
        job = update_job(project, job_id, changes, cli_ctx.actor, kernel_check=not no_kernel_check)
    model = job.to_wire()
    print_json(model) if as_json else print_job(model)
    if "cron" in changes and model["next_run_at"] is not None:
        note_if_unserved(cli_ctx, f"job {job.id} does not run on its schedule")


def _refuse_both(option: str, given: bool, undo: str, undone: bool) -> None:
    """Refuse ``option`` given with the flag ``undo`` that removes what it sets, before any
    work: neither is silently dropped."""
    if given and undone:
        raise InvalidInputError(f"Give either {option} or {undo}, not both.")


@schedule.command("list")
@click.option("--archived", is_flag=True, help="Also list deleted (archived) jobs.")
@limit_option("jobs", default=100, first="by id", more="--offset pages on")
@offset_option("jobs")
@json_option
@pass_cli
@reads_only
def list_(cli_ctx: CliContext, archived: bool, limit: int, offset: int, as_json: bool) -> None:
    """List jobs with their schedule and next run, by id, a page at a time (--limit,
    --offset)."""
    from nbtools.jobs import count_jobs, list_jobs

    found = list_jobs(cli_ctx.project, archived=archived, offset=offset, limit=limit)
    models = [job.to_wire() for job in found]
    if as_json:
        print_json(models)
        return
    # a short page is the last one: only a full or empty page counts the jobs
    full = len(models) == limit or not models
    total = count_jobs(cli_ctx.project, archived=archived) if full else offset + len(models)
    empty = None
    if offset and total:
        empty = f"No jobs after the first {offset}: there are {total}."
    elif not total and not archived and (gone := count_jobs(cli_ctx.project, archived=True)):
        empty = (
            f"No jobs but {gone} archived (deleted): `nbtools schedule list --archived` lists "
            "them; `nbtools schedule add NOTEBOOK --cron daily` creates one."
        )
    print_jobs(models, empty)
    if (more := total - offset - len(models)) > 0:
        click.echo(f"{more} more {'job' if more == 1 else 'jobs'}: --offset {offset + len(models)}")


@schedule.command()
@job_argument
@count_option(0, "How many of the next run times, and of the newest runs, to show.")
@from_option
@json_option
@pass_cli
@reads_only
def show(cli_ctx: CliContext, job_id: int, count: int, start: str | None, as_json: bool) -> None:
    """Show job JOB (its id or name): every option, its next run times in its schedule's
    zone (from now or from --from), and its newest runs."""
    from nbtools.jobs import list_runs, preview_schedule, show_job

    model = show_job(cli_ctx.project, job_id).to_wire()
    after = _start(start, model["timezone"])
    upcoming = (
        preview_schedule(model["cron"], model["timezone"], count, after).next_local
        if model["cron"] and not model["paused"] and not model["next_run_note"] and count
        else []
    )
    recent = list_runs(cli_ctx.project, job_id=model["id"], limit=count) if count else []
    if as_json:
        print_json({"job": model, "next_runs": upcoming, "recent_runs": recent})
    else:
        _print_show(model, upcoming, recent, count)
    if model["next_run_at"] is not None:
        note_if_unserved(cli_ctx, f"job {model['id']} does not run on its schedule")


def _print_show(
    model: dict[str, Any], upcoming: list[str], recent: list[dict[str, Any]], count: int
) -> None:
    from nbtools.cli.runs import print_runs

    print_job(model)
    if model["archived_at"] is not None:
        click.echo("Archived: it never runs again; its runs, metrics and alerts stay readable.")
    elif model["paused"]:
        click.echo(f"Paused: no run is created until `nbtools schedule resume {model['id']}`.")
    elif upcoming:
        click.echo(f"Next runs ({model['schedule_description']}, {model['timezone']}):")
        for moment in upcoming:
            click.echo(f"  {when(moment, model['timezone'])}")
    if count:
        print_runs(
            f"Newest runs of job {model['id']}",
            recent,
            f"No runs yet: `nbtools schedule run {model['id']}` queues one now.",
            of_job=True,
        )


@schedule.command("run")
@job_argument
@parameter_option
@idempotency_option
@wait_option
@json_option
@pass_cli
def run_now(
    cli_ctx: CliContext,
    job_id: int,
    parameters: tuple[str, ...],
    idempotency_key: str | None,
    wait: bool,
    as_json: bool,
) -> None:
    """Queue a run of job JOB (its id or name) now, with its parameters, -p values replacing
    them for this run; a scheduler executes it (`nbtools scheduler` or JupyterLab's server).
    With --wait, the command ends with the run, for scripts and CI."""
    from nbtools.jobs import run_job

    if wait:
        require_scheduler(cli_ctx)
    model = run_job(
        cli_ctx.project,
        job_id,
        parse_assignments(parameters),
        from_text=True,
        idempotency_key=idempotency_key,
        actor=cli_ctx.actor,
    ).to_wire()
    if wait:
        from nbtools.cli.runs import wait_for

        wait_for(cli_ctx, model["id"], as_json, f"Queued run {model['id']} of job {job_id}.")
        return
    print_json(model) if as_json else click.echo(f"Queued run {model['id']} of job {job_id}.")
    note_if_unserved(cli_ctx, f"run {model['id']} waits in the queue")


def _set_paused(cli_ctx: CliContext, job_id: int, paused: bool, as_json: bool) -> None:
    """Pause or resume the job, and say so; ``as_json``: print the job as it is then (a job
    already so too, unchanged)."""
    from nbtools.jobs import pause_job, show_job

    job = show_job(cli_ctx.project, job_id)
    already = job.paused == paused
    if not already:
        job = pause_job(cli_ctx.project, job_id, paused, cli_ctx.actor)
    if as_json:
        print_json(job.to_wire())
    elif already:
        click.echo(f"Job {job_id} is already {'paused' if paused else 'running on its schedule'}.")
    else:
        resumed = f"resumed; next run {when(job.next_run_at)}" if job.next_run_at else "resumed"
        click.echo(f"Job {job_id} {'paused' if paused else resumed}.")
    if not (paused or already) and job.next_run_at is not None:
        note_if_unserved(cli_ctx, f"job {job.id} does not run on its schedule")


@schedule.command()
@job_argument
@json_option
@pass_cli
def pause(cli_ctx: CliContext, job_id: int, as_json: bool) -> None:
    """Stop creating scheduled runs for job JOB (its id or name)."""
    _set_paused(cli_ctx, job_id, True, as_json)


@schedule.command()
@job_argument
@json_option
@pass_cli
def resume(cli_ctx: CliContext, job_id: int, as_json: bool) -> None:
    """Resume paused job JOB (its id or name) from its next due time."""
    _set_paused(cli_ctx, job_id, False, as_json)


@schedule.command()
@job_argument
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.option(
    "--purge",
    is_flag=True,
    help="Delete the job for good, with its alert rules, alerts and notifications (its runs "
    "stay in the history without a job). Default: archive it.",
)
@json_option
@pass_cli
def remove(cli_ctx: CliContext, job_id: int, yes: bool, purge: bool, as_json: bool) -> None:
    """Delete job JOB (its id or name): it is archived — hidden from `schedule list` (shown
    with --archived), never run again, its runs, metrics and alerts kept readable — unless
    --purge is given. Asks for confirmation unless --yes. With --json, prints the archived job,
    or the purged one as it was."""
    from nbtools.jobs import delete_job, show_job

    job = show_job(cli_ctx.project, job_id)
    what = f"job {job.id} ({job.name!r})"
    if not yes:
        action = "Purge" if purge else "Delete (archive)"
        confirm(f"{action} {what}?", f"Deleting {what}", as_json=as_json)
    cancelled = delete_job(cli_ctx.project, job_id, purge=purge, actor=cli_ctx.actor)
    if as_json:
        print_json((job if purge else show_job(cli_ctx.project, job_id)).to_wire())
    else:
        ids = ", ".join(map(str, cancelled))
        queued = f"; its queued run{'s' * (len(cancelled) != 1)} {ids} cancelled" if ids else ""
        click.echo(f"Job {job_id} {'purged' if purge else 'archived'}{queued}.")


@schedule.command()
@click.argument("cron")
@tz_option
@count_option(1, "How many run times to list.")
@from_option
@json_option
@pass_cli
@reads_only
def preview(
    cli_ctx: CliContext,
    cron: str,
    timezone: str | None,
    count: int,
    start: str | None,
    as_json: bool,
) -> None:
    """Explain CRON in words and list its next run times, in its zone (--tz), from now or
    from --from."""
    from nbtools.jobs import check_timezone, preview_schedule

    zone = "UTC" if timezone is None else timezone  # --tz '' is refused, not UTC
    check_timezone(zone)  # before --from is read in it
    model = preview_schedule(cron, zone, count, _start(start, zone))
    if as_json:
        print_json(model)
        return
    click.echo(f"{model.cron} ({model.timezone}): {model.description}")
    for local in model.next_local:  # in the schedule's own time zone, as its cron reads
        click.echo(f"  {when(local, model.timezone)}")
