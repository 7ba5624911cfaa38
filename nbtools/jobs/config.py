"""Settings of the jobs feature, shared by the server extension and ``nbtools scheduler``.

In a Jupyter config file: ``c.JobsSettings.run_scheduler = False`` when a separate
``nbtools scheduler`` daemon executes the jobs.
"""

from __future__ import annotations

from traitlets import Bool, Float, Int, Unicode
from traitlets.config import Configurable

from nbtools.jobs.reaper import STALE_AFTER_SECONDS
from nbtools.jobs.scheduler import POLL_SECONDS


class JobsSettings(Configurable):
    """How scheduled jobs and queued runs are executed."""

    run_scheduler = Bool(
        True,
        help="Run the scheduler inside the Jupyter server. Turn off when an `nbtools scheduler` "
        "daemon serves the same store.",
    ).tag(config=True)

    executor = Unicode("local", help="Executor of runs, by registered name.").tag(config=True)

    workers = Int(
        0, help="Runs executed at once (warm worker processes); 0 means the core count."
    ).tag(config=True)

    poll_seconds = Float(POLL_SECONDS, help="Seconds between scheduler ticks.").tag(config=True)

    stale_after_seconds = Float(
        STALE_AFTER_SECONDS,
        help="Seconds without a heartbeat after which a running run is ended as lost.",
    ).tag(config=True)
