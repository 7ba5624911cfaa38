"""``nbtools scheduler``: the scheduler daemon, for servers without JupyterLab."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import pass_cli


@click.command()
@click.option("--workers", type=int, help="Runs executed at once (default: the core count, or "
              "the Dask cluster's worker threads).")  # fmt: skip
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between ticks.")
@click.option(
    "--executor",
    default="local",
    show_default=True,
    help="Where runs execute: local (worker processes here) or dask (a Dask cluster).",
)
@click.option("--dask-address", default="", help="The Dask scheduler, e.g. tcp://HOST:8786.")
@click.option(
    "--storage",
    default="",
    help="Shared storage for notebooks and outputs (absolute path or fsspec URL, e.g. "
    "file:///shared/nbtools or s3://bucket/nbtools) when workers run on other machines.",
)
@click.option(
    "--lease",
    type=float,
    default=None,
    help="Seconds a run's lease lasts without a heartbeat before it counts as lost [30].",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Jupyter-style config file (.py or .json) with c.NotificationSettings.* (SMTP, "
    "retries) and c.MetricsSettings.*, as in jupyter_server_config.py.",
)
@pass_cli
def scheduler(
    cli_ctx: CliContext,
    workers: int | None,
    poll: float,
    executor: str,
    dask_address: str,
    storage: str,
    lease: float | None,
    config_file: Path | None,
) -> None:
    """Run due jobs and queued runs until interrupted (Ctrl-C or SIGTERM).

    Run one per store, or several on one PostgreSQL database: a due time becomes one run and
    a run is claimed by one scheduler, however many share the database. Turn off the one in
    JupyterLab's server with c.JobsSettings.run_scheduler = False when daemons do the work.
    """
    from nbtools.jobs.config import JobsSettings
    from nbtools.metrics.config import load_settings

    settings = JobsSettings(
        executor=executor,
        workers=workers or 0,
        poll_seconds=poll,
        dask_address=dask_address,
        storage=storage,
    )
    if lease is not None:
        settings.stale_after_seconds = lease
    project = cli_ctx.project
    loop = settings.create_scheduler(project)
    project.store  # noqa: B018 - open (and migrate) the store before starting workers
    assert loop.executor is not None
    monitoring = load_settings(project, config_file)
    monitoring.start()  # the notification sender; before the workers start
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        loop.wake()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    loop.executor.start()
    click.echo(
        f"nbtools scheduler: {executor} executor, {loop.executor.free_slots()} slots, "
        f"store {project.store.engine.url.render_as_string(hide_password=True)}",
        err=True,
    )
    try:
        loop.run_forever(stop)
    finally:
        loop.executor.shutdown()
        monitoring.stop()
