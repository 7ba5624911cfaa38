"""A clock a test sets, given to the scheduler (``Scheduler(project, clock=...)``) in place of
the real one: time passes only when the test moves it."""

from __future__ import annotations

from datetime import datetime


class Clock:
    """Tells ``now`` until the test sets it to another moment (``clock.now += ...``)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
