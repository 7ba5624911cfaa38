"""Errors specific to jobs and runs (all part of the one :mod:`nbtools.errors` hierarchy)."""

from __future__ import annotations

from nbtools.errors import InvalidInputError, NbtoolsError, StoreError


class InvalidParameterError(InvalidInputError):
    """A run parameter is unknown, badly named or of the wrong type."""


class InvalidScheduleError(InvalidInputError):
    """A cron expression, timezone or schedule option cannot be used."""


class OutsideCalendarError(InvalidScheduleError):
    """A schedule's next time falls outside the calendar Python holds (years 1 to 9999): it
    has none left before the year 10000, or it is looked for from the calendar's first day."""


class RunNotRecordedError(StoreError):
    """A run ended but the store could not record it (full disk, database unreachable).

    The run's lease then runs out, and the next nbtools process that reads runs ends it as
    lost (and retries it under its job's policy): it never stays running.
    """

    exit_code = 1


class RunInterruptedError(NbtoolsError):
    """A run's :class:`~nbtools.jobs.watchdog.Interrupt` (a signal to ``nbtools run``, its
    scheduler gone) came before its kernel was taken: the run ends as the interrupt says
    (cancelled, or lost) without waiting for the kernel."""

    exit_code = 1


class ExecutorStartError(NbtoolsError):
    """The executor could not start its workers (no file descriptor or process left, say):
    the machine's limit, not the input, so exit 1; the workers it had started are stopped."""

    exit_code = 1


class ExecutorUnavailableError(NbtoolsError):
    """The executor's cluster cannot be reached: the Dask scheduler is down, restarting, or
    not at its address (field ``dask_address``). Exit 2 when a scheduler starts; a scheduler
    running already says it in one line and tries again at its next ticks."""
