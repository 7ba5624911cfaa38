"""Ctrl-C and SIGTERM during ``nbtools run`` (docs/jobs.md, "nbtools run -o FILE").

Until the run is queued, a stop ends the command as it ends any (the group says so, exit 130
or 143); on its way out :meth:`RunStops.before_the_run` kills the kernel booted ahead for the
run and removes an earlier run's executed notebook at ``-o``, saying so on standard error, so
that no CI step publishes it as this run's (before the command read its options, the group
or the console script does: :func:`stopped_before_reading`). From :meth:`RunStops.cancelling`
on, a stop cancels the run instead: its kernel is killed, the run ends cancelled and the
command exits 128 + the signal. Once the run is queued (:meth:`RunStops.queued`), before its kernel is
waited for, the earlier output is removed whatever comes next: even a SIGKILL, which nothing
answers, then leaves at ``-o`` this run's whole notebook or none.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nbtools.cli.stopping import Stopped
from nbtools.processes import signal_handlers

if TYPE_CHECKING:
    from nbtools.jobs import Interrupt
    from nbtools.kernels import KernelSource

#: Signals that cancel a run executing in ``nbtools run`` (then it exits 128 + the signal).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: How a stop before the run was queued ended it (:func:`~nbtools.cli.runs.drop_earlier_output`).
_UNQUEUED = "nbtools run was stopped before it queued its run"


class RunStops:
    """The stops of one ``nbtools run`` writing ``output`` (``-o``, if any)."""

    def __init__(self, output: Path | None) -> None:
        self.output = output
        #: The kernels of the run, one booting ahead of it, once there are.
        self.kernels: KernelSource | None = None
        #: The run's interrupt, once the run handles stops itself.
        self.interrupt: Interrupt | None = None
        #: Whether :meth:`queued` removed an earlier run's notebook at ``-o``.
        self.earlier_removed = False

    def queued(self) -> None:
        """Once the run is queued, before its kernel is waited for: remove an earlier run's
        executed notebook at ``-o``, so that no stop, SIGKILL included, leaves it there as
        this run's (the run's own is written, whole, when it ends); one that cannot be removed
        is said so when the run ends without a notebook."""
        if self.output is None:
            return
        from nbtools.cli.runs import remove_earlier_output

        with contextlib.suppress(OSError):
            self.earlier_removed = remove_earlier_output(self.output)

    @contextlib.contextmanager
    def before_the_run(self) -> Iterator[None]:
        """A stop in the block before the run handles stops itself (:meth:`cancelling`) kills
        the kernel booted for the run and removes an earlier run's executed notebook at
        ``-o``, saying so; a stop after the run, whose output is its own, does neither."""
        try:
            yield
        except (KeyboardInterrupt, Stopped):
            if self.interrupt is None:
                if self.kernels is not None:
                    self.kernels.close()
                if self.output is not None:
                    from nbtools.cli.runs import drop_earlier_output

                    said = drop_earlier_output(self.output, _UNQUEUED)
                    click.echo(said, err=True)
            raise

    @contextlib.contextmanager
    def cancelling(self, interrupt: Interrupt) -> Iterator[list[int]]:
        """While executing, SIGTERM and SIGINT cancel the run instead of killing this process.

        Yields the list of signals received; the command then exits 128 + the first one.
        """
        received: list[int] = []

        def handle(signum: int, _frame: Any) -> None:
            received.append(signum)
            interrupt.request(f"nbtools run received {signal.Signals(signum).name}")

        with signal_handlers(dict.fromkeys(STOP_SIGNALS, handle)):
            self.interrupt = interrupt  # after: a stop before the handlers raised, as before
            yield received


def stopped_before_reading(command_line: Sequence[str]) -> str | None:
    """After a stop of ``nbtools COMMAND_LINE…`` before ``nbtools run`` read its options (so
    before :meth:`RunStops.before_the_run`: while nbtools imported its modules, read the
    group's options or the command's): as that would, an earlier run's executed notebook at
    ``-o`` is removed; the line saying so. None for another command, a run without ``-o`` or
    with ``--prepare-only``, or a command line that cannot be read (nothing is removed)."""
    from nbtools.cli.app import cli
    from nbtools.cli.run import run

    rest = _read(cli, list(command_line), interspersed=False).args
    if not rest or rest[0] != "run":
        return None
    options = _read(run, rest[1:]).params
    output, prepare_only = options.get("output"), options.get("prepare_only")
    if not isinstance(output, Path) or prepare_only is not False:
        return None
    from nbtools.cli.runs import drop_earlier_output

    return drop_earlier_output(output, _UNQUEUED)


def _read(command: click.Command, args: list[str], interspersed: bool = True) -> click.Context:
    """``args`` read by ``command``'s own options, without their callbacks (which check, and
    look at the project), anything they refuse left unset."""
    import copy

    params = []
    for param in command.get_params(click.Context(command)):
        bare = copy.copy(param)
        bare.callback = None
        params.append(bare)
    reader = click.Command(command.name, params=params, add_help_option=False)
    reader.allow_interspersed_args = interspersed
    reader.allow_extra_args = True
    reader.ignore_unknown_options = True
    return reader.make_context(command.name, args, resilient_parsing=True)
