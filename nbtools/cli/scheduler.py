"""``nbtools scheduler``: the scheduler daemon, for servers without JupyterLab."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import pass_cli
from nbtools.cli.options import config_file_option, setting_option
from nbtools.jobs import JobsSettings
from nbtools.metrics import MetricsSettings, NotificationSettings


@click.command()
@setting_option(JobsSettings, "workers", "--workers")
@setting_option(JobsSettings, "poll_seconds", "--poll")
@setting_option(JobsSettings, "executor", "--executor")
@setting_option(JobsSettings, "dask_address", "--dask-address")
@setting_option(JobsSettings, "storage", "--storage")
@setting_option(JobsSettings, "stale_after_seconds", "--lease")
@setting_option(JobsSettings, "max_running", "--max-running")
@setting_option(JobsSettings, "max_retry_backoff_seconds", "--max-retry-backoff")
@config_file_option
@pass_cli
def scheduler(cli_ctx: CliContext) -> None:
    """Run due jobs and queued runs until interrupted (Ctrl-C or SIGTERM).

    Run one per store, or several on one PostgreSQL database: a due time becomes one run and
    a run is claimed by one scheduler, however many share the database. Turn off the one in
    JupyterLab's server with c.JobsSettings.run_scheduler = False when daemons do the work.
    """
    from nbtools.metrics import MonitoringService

    settings = cli_ctx.settings(JobsSettings)
    project = cli_ctx.project
    loop = settings.create_scheduler(project)
    project.store  # noqa: B018 - open (and migrate) the store before starting workers
    assert loop.executor is not None
    monitoring = MonitoringService(
        project, cli_ctx.settings(MetricsSettings), cli_ctx.settings(NotificationSettings)
    )
    monitoring.start()  # the notification sender; before the workers start
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        loop.wake()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    loop.executor.start()
    click.echo(
        f"nbtools scheduler: {settings.executor} executor, {loop.executor.free_slots()} slots, "
        f"store {project.store.engine.url.render_as_string(hide_password=True)}",
        err=True,
    )
    try:
        loop.run_forever(stop)
    finally:
        loop.executor.shutdown()
        monitoring.stop()
