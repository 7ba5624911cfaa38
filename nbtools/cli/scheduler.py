"""``nbtools scheduler``: the scheduler daemon, for servers without JupyterLab."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
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
    from nbtools.store import shown_url

    settings = cli_ctx.settings(JobsSettings)  # every setting read before anything starts
    metrics, notifications = (
        cli_ctx.settings(MetricsSettings),
        cli_ctx.settings(NotificationSettings),
    )
    project = cli_ctx.project
    project.migrates_apart = True  # the daemon lives long: Alembic in a child
    loop = settings.create_scheduler(project, metrics.max_value_bytes)
    project.store  # noqa: B018 - open (and migrate) the store before starting workers
    assert loop.executor is not None
    monitoring = MonitoringService(project, metrics, notifications)
    stop = threading.Event()
    # before anything runs beside this process (a stop before this: the group's, exit 0 too)
    _stop_on_signals(stop, loop.wake)
    monitoring.start()  # the notification sender; before the workers start
    try:
        loop.executor.start(stop)  # a stop meanwhile starts no other worker
        if not stop.is_set():
            slots = loop.executor.free_slots()
            click.echo(
                f"nbtools scheduler: {settings.executor} executor, "
                f"{slots} slot{'s' * (slots != 1)}, store {shown_url(project.store.engine.url)}",
                err=True,
            )
            loop.run_forever(stop)
    finally:
        in_flight = loop.shutdown()
        monitoring.stop()
    # only a stop is said so: an error (Dask unreachable, a worker that cannot start) ends
    # with its own line, which a "stopped." before it read as a graceful stop
    click.echo(
        f"nbtools scheduler: stopped; {in_flight} run{'s' * (in_flight != 1)} in flight "
        "ended with it (retried as their jobs allow)."
        if in_flight
        else "nbtools scheduler: stopped.",
        err=True,
    )


def _stop_on_signals(stop: threading.Event, wake: Callable[[], None]) -> None:
    """SIGTERM and SIGINT set ``stop`` and ``wake`` the loop, from a thread of their own.

    A handler runs in the main thread between two of its steps, and setting an event takes the
    event's lock: the main thread holds the loop's wake event's lock for a few steps of each
    wait, and a second signal can come while the first one's handler sets ``stop``, either of
    which would deadlock the daemon. So the handler only writes a byte to a pipe (no lock, and
    never blocking: a full pipe has a stop pending already), and the thread reading it stops
    the loop.
    """
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(write_end, b"x")

    def stopper() -> None:
        os.read(read_end, 1)
        stop.set()
        wake()

    threading.Thread(target=stopper, name="nbtools-stop-on-signal", daemon=True).start()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
