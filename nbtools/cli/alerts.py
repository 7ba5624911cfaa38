"""``nbtools alerts``: alerts raised by a job's rules, the rules, and where notifications go."""

from __future__ import annotations

from typing import Any

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import json_option, pass_cli, reads_only
from nbtools.cli.groups import Group
from nbtools.cli.ids import ID
from nbtools.cli.job_ref import job_argument, job_filter
from nbtools.cli.options import limit_option
from nbtools.cli.output import print_json, print_table, visible


@click.group(cls=Group)
def alerts() -> None:
    """Alerts, alert rules and notification targets of jobs."""


@alerts.command("list")
@job_filter("alerts")
@click.option(
    "--status",
    type=click.Choice(["open", "acknowledged", "all"]),
    default="open",
    show_default=True,
    help="Only open or acknowledged alerts, or all of them.",
)
@limit_option("alerts", default=100)
@json_option
@pass_cli
@reads_only
def list_(cli_ctx: CliContext, job_id: int | None, status: str, limit: int, as_json: bool) -> None:
    """List alerts, newest first."""
    from nbtools.metrics import list_alerts

    found = list_alerts(
        cli_ctx.project, job_id=job_id, status=None if status == "all" else status, limit=limit
    )
    models = [alert.to_wire() for alert in found]
    if as_json:
        print_json(models)
        return
    rows = [
        (a["id"], a["job_id"], a["run_id"], a["rule"], a["message"], a["status"], a["created_at"])
        for a in models
    ]
    which = "" if status == "all" else f"{status} "
    print_table(
        f"Alerts ({status})",
        ("id", "job", "run", "rule", "message", "status", "raised"),
        rows,
        empty=f"No {which}alerts" + (f" of job {job_id}." if job_id is not None else "."),
    )


@alerts.command("ack")
@click.argument("alert_ids", type=ID, nargs=-1, required=True)
@json_option
@pass_cli
def ack(cli_ctx: CliContext, alert_ids: tuple[int, ...], as_json: bool) -> None:
    """Acknowledge alerts ALERT_IDS."""
    from nbtools.metrics import acknowledge_alerts

    found = acknowledge_alerts(cli_ctx.project, alert_ids, cli_ctx.actor)
    models = [alert.to_wire() for alert in found]
    if as_json:
        print_json(models)
    else:
        click.echo(f"Acknowledged {', '.join(str(a['id']) for a in models)}.")


@alerts.group()
def rule() -> None:
    """A job's alert rules: threshold, change, missing, failed, late."""


@rule.command("add")
@job_argument
@click.argument("text")
@json_option
@pass_cli
def rule_add(cli_ctx: CliContext, job_id: int, text: str, as_json: bool) -> None:
    """Add rule TEXT to job JOB (its id or name), and say whether it fires on the job's
    latest finished run (no alert is raised for that run).

    \b
    Examples:
      nbtools alerts rule add 3 "accuracy < 0.9"
      nbtools alerts rule add nightly-train "accuracy < 0.9"
      nbtools alerts rule add 3 "accuracy drops > 5% over 5"
      nbtools alerts rule add 3 "missing accuracy"
      nbtools alerts rule add 3 failed
      nbtools alerts rule add 3 "late 26h"
    """
    from nbtools.metrics import add_rule

    model = add_rule(cli_ctx.project, job_id, text, cli_ctx.actor).to_wire()
    if as_json:
        print_json(model)
    else:
        click.echo(f"Rule {model['id']} on job {job_id}: {model['text']}")
        if model["latest_run"]:
            click.echo(_on_latest(model["latest_run"]))
        elif model["kind"] != "late":  # a late rule watches the clock, not a run
            click.echo(
                f"Job {job_id} has no finished run yet: the rule is first checked when one ends."
            )
        if model["warning"]:
            click.echo(f"Warning: {model['warning']}", err=True)


def _on_latest(check: dict[str, Any]) -> str:
    """What a new rule says of the job's latest finished run, as a sentence."""
    run = f"run {check['run_id']}, the job's latest"
    if check["result"] == "fires":
        return f"On {run}, it fires: {check['message']}"
    if check["result"] == "error":
        return f"On {run}, it cannot be evaluated: {check['message']}"
    return f"On {run}, it does not fire."


@rule.command("list")
@job_filter("rules")
@json_option
@pass_cli
@reads_only
def rule_list(cli_ctx: CliContext, job_id: int | None, as_json: bool) -> None:
    """List alert rules: what each makes of its job's latest finished run (fires, quiet, or
    cannot evaluate), the last error of rules that could not be evaluated, and why a rule may
    never fire (a metric the job's recent runs did not record, or not a number)."""
    from nbtools.metrics import list_rules

    models = [found.to_wire() for found in list_rules(cli_ctx.project, job_id)]
    if as_json:
        print_json(models)
        return
    rows = [
        (
            r["id"],
            r["job_id"],
            r["text"],
            _latest(r["latest_run"]),
            _problem(r["last_error"], r["warning"]),
        )
        for r in models
    ]
    print_table(
        "Alert rules",
        ("id", "job", "rule", "latest run", "problem"),
        rows,
        empty="No alert rules: `nbtools alerts rule add JOB 'RULE'` adds one.",
    )


def _latest(check: dict[str, Any] | None) -> str:
    """A rule on its job's latest finished run, for a table: ``fires (run 12)``."""
    if check is None:
        return ""
    word = {"fires": "fires", "quiet": "quiet", "error": "cannot evaluate"}[check["result"]]
    alert = f", alert {check['alert_id']}" if check["alert_id"] is not None else ""
    return f"{word} (run {check['run_id']}{alert})"


def _problem(last_error: str | None, warning: str | None) -> str:
    if last_error:
        return f"last error: {last_error}"
    return f"warning: {warning}" if warning else ""


@rule.command("remove")
@click.argument("rule_id", type=ID)
@json_option
@pass_cli
def rule_remove(cli_ctx: CliContext, rule_id: int, as_json: bool) -> None:
    """Remove rule RULE_ID (its alerts stay)."""
    from nbtools.metrics import remove_rule

    removed = remove_rule(cli_ctx.project, rule_id, cli_ctx.actor)
    if as_json:
        print_json(removed.to_wire())
    else:
        click.echo(f"Removed rule {removed.id} of job {removed.job_id}: {removed.text}")


@alerts.group()
def notify() -> None:
    """Where a job's notifications go: webhooks and e-mail."""


@notify.command("add")
@job_argument
@click.option("--webhook", help="POST a JSON payload to this http(s) URL.")
@click.option("--email", help="E-mail these addresses (comma-separated).")
@click.option(
    "--on",
    "events",
    default="failure,alert",
    show_default=True,
    help="Events to notify about: failure, alert, success (comma-separated).",
)
@json_option
@pass_cli
def notify_add(
    cli_ctx: CliContext,
    job_id: int,
    webhook: str | None,
    email: str | None,
    events: str,
    as_json: bool,
) -> None:
    """Notify about job JOB's events (JOB: its id or name) through a webhook or e-mail."""
    from nbtools.metrics import add_target

    if (webhook is None) == (email is None):
        raise click.UsageError("Give exactly one of --webhook URL or --email ADDRESSES.")
    channel, destination = ("webhook", webhook) if webhook is not None else ("email", email)
    wanted = [event.strip() for event in events.split(",") if event.strip()]
    model = add_target(
        cli_ctx.project, job_id, channel, str(destination), wanted, cli_ctx.actor
    ).to_wire()
    if as_json:
        print_json(model)
    else:
        click.echo(
            f"Target {model['id']}: job {job_id} notifies {model['destination']} "
            f"({model['channel']}, fingerprint {model['fingerprint']}) on "
            f"{', '.join(model['events'])}."
        )


@notify.command("list")
@job_filter("targets")
@json_option
@pass_cli
@reads_only
def notify_list(cli_ctx: CliContext, job_id: int | None, as_json: bool) -> None:
    """List notification targets: a webhook by its site and the fingerprint of its URL (the
    first 8 hex digits of its SHA-256), never its path or query, which may be its secret."""
    from nbtools.metrics import list_targets

    models = [target.to_wire() for target in list_targets(cli_ctx.project, job_id)]
    if as_json:
        print_json(models)
        return
    rows = [
        (
            t["id"],
            t["job_id"],
            t["channel"],
            t["destination"] + (" (never sent to: see below)" if t["problem"] else ""),
            t["fingerprint"],
            ",".join(t["events"]),
        )
        for t in models
    ]
    print_table(
        "Notification targets",
        ("id", "job", "channel", "destination", "fingerprint", "on"),
        rows,
        empty="No notification targets: `nbtools alerts notify add JOB --email ADDRESS` adds one.",
    )
    for t in models:
        if t["problem"]:
            click.echo(visible(f"Target {t['id']} is never sent to. {t['problem']}"), err=True)


@notify.command("remove")
@click.argument("target_id", type=ID)
@json_option
@pass_cli
def notify_remove(cli_ctx: CliContext, target_id: int, as_json: bool) -> None:
    """Remove notification target TARGET_ID; its deliveries not sent yet are cancelled, and
    the output says how many."""
    from nbtools.metrics import remove_target

    removed = remove_target(cli_ctx.project, target_id, cli_ctx.actor)
    if as_json:
        print_json(removed.to_wire())
    else:
        count = removed.cancelled_deliveries
        click.echo(
            f"Removed target {removed.id}: {removed.destination}; cancelled {count} "
            f"{'delivery' if count == 1 else 'deliveries'} not sent yet."
        )


@alerts.command("deliveries")
@job_filter("notifications")
@click.option(
    "--status",
    type=click.Choice(["pending", "sending", "delivered", "failed", "cancelled"]),
    default=None,
    help="Only deliveries in this state (default: every state).",
)
@limit_option("deliveries", default=50)
@click.option(
    "--retry",
    "retry_id",
    type=ID,
    metavar="ID",
    help="First queue notification ID (a failed or waiting one) to be sent again at the "
    "scheduler's next chance, with fresh attempts, and say so; then list. One delivered, being "
    "sent, or whose target was removed is refused (exit 2).",
)
@json_option
@pass_cli
@reads_only
def deliveries(
    cli_ctx: CliContext,
    job_id: int | None,
    status: str | None,
    limit: int,
    retry_id: int | None,
    as_json: bool,
) -> None:
    """List notification deliveries (the outbox) with their attempts and last error."""
    from nbtools.metrics import list_notifications, retry_notification

    queued = (
        None if retry_id is None else retry_notification(cli_ctx.project, retry_id, cli_ctx.actor)
    )
    found = list_notifications(cli_ctx.project, job_id=job_id, status=status, limit=limit)
    models = [notification.to_wire() for notification in found]
    if as_json:
        print_json(models)
        return
    if queued is not None:
        click.echo(
            f"Queued notification {queued.id} ({queued.event} of job {queued.job_id}, "
            f"{queued.channel} to {queued.destination}) to be sent again at the scheduler's "
            "next chance, with fresh attempts."
        )
    rows = [
        (n["id"], n["job_id"], n["event"], n["destination"], n["status"], n["attempts"],
         n["last_error"])
        for n in models
    ]  # fmt: skip
    columns = ("id", "job", "event", "to", "status", "attempts", "last error")
    print_table("Notification deliveries", columns, rows, empty="No notification deliveries.")
