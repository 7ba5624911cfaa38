"""``nbtools scheduler``: the scheduler daemon, for servers without JupyterLab."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from nbtools.cli.context import CliContext, pass_cli


@click.command()
@click.option("--workers", type=int, help="Runs executed at once (default: the core count).")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between ticks.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Jupyter-style config file (.py or .json) with c.NotificationSettings.* (SMTP, "
    "retries) and c.MetricsSettings.*, as in jupyter_server_config.py.",
)
@pass_cli
def scheduler(
    cli_ctx: CliContext, workers: int | None, poll: float, config_file: Path | None
) -> None:
    """Run due jobs and queued runs until interrupted (Ctrl-C or SIGTERM).

    Run one per store, or several: a due time becomes one run however many schedulers
    share the database. Turn off the one in JupyterLab's server with
    c.JobsSettings.run_scheduler = False when a daemon does the work.
    """
    from nbtools.jobs.executors.local import LocalExecutor
    from nbtools.jobs.scheduler import Scheduler
    from nbtools.metrics.config import load_settings

    project = cli_ctx.project
    project.store  # noqa: B018 - open (and migrate) the store before starting workers
    monitoring = load_settings(project, config_file)
    monitoring.start()  # the notification sender; before the workers start
    executor = LocalExecutor(workers, cwd=project.root)
    loop = Scheduler(project, executor, poll_seconds=poll)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        loop.wake()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    executor.start()
    click.echo(f"nbtools scheduler: {executor.size} workers, store {project.db_url}", err=True)
    try:
        loop.run_forever(stop)
    finally:
        executor.shutdown()
        monitoring.stop()
