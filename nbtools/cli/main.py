"""Entry point of the ``nbtools`` command."""

from __future__ import annotations

import _signal
import gc
import sys


def main() -> None:
    """Console-script entry point: the click group, commands imported when they run.

    Start-up (click, the settings, the command's modules) builds objects that live until the
    process ends, so the cyclic garbage collector is paused until the command is about to run
    (:meth:`CliContext.command_starts`): its ≈ 35 passes over the growing heap during the
    imports freed nothing (docs/performance.md, "Where a CLI command's time goes"). It is
    paused before this module's own imports too, which are made here for that reason (and
    :mod:`nbtools` imports no ``typing``): the console script imports this module first.
    """
    gc.disable()
    from nbtools.cli.stopping import Stopped
    from nbtools.exiting import exit_now
    from nbtools.unused_imports import TOOLKIT_DEFERRED, deferring, skip_unused_imports

    skip_unused_imports()
    _escape_what_the_terminal_cannot_show()
    # _signal: the C module behind `signal`, loaded with the interpreter (`signal` would build
    # its enums, ≈ 0.4 ms of every command's start-up)
    _signal.signal(_signal.SIGTERM, _stop)
    cli_ctx = None
    try:
        with deferring(TOOLKIT_DEFERRED):  # loaded by what reads them, if anything does
            from nbtools.cli.app import cli
        from nbtools.cli.context import CliContext

        cli_ctx = CliContext(ends_process=True)  # referenced until the process ends
        cli.main(prog_name="nbtools", obj=cli_ctx)
    except (Stopped, KeyboardInterrupt) as interruption:
        # before the command (while nbtools starts up: importing, reading the group's
        # options) or after it; the group tells a stop inside it
        stopped = Stopped.of(interruption)
        after_ctrl_c = "\n" if stopped.signum == _signal.SIGINT else ""  # past the "^C"
        if cli_ctx is None or not cli_ctx.stops_owned:  # nbtools run, before it read them
            _before_reading(sys.argv[1:])
        print(f"{after_ctrl_c}{stopped.message}", file=sys.stderr)
        exit_now(stopped.code)
        raise SystemExit(stopped.code) from None
    except SystemExit as done:
        exit_now(done.code)
        raise


def _escape_what_the_terminal_cannot_show() -> None:
    """Standard output and error in an encoding other than UTF-8 (``LC_ALL=C`` with
    ``PYTHONUTF8=0``, ``PYTHONIOENCODING=ascii``, a Latin-1 locale) write a character they
    cannot hold (a named version's ★, a notebook's é) as Python writes it escaped (``\\u2605``),
    never fail on it."""
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        if encoding.replace("-", "").lower() != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _before_reading(args: list[str]) -> None:
    """A stop before the command read its options: ``nbtools run -o FILE``'s earlier output
    is removed, as its own stops would (:func:`~nbtools.cli.run_stops.stopped_before_reading`);
    stopped again meanwhile, it is left as it is."""
    from nbtools.cli.run_stops import stopped_before_reading
    from nbtools.cli.stopping import Stopped

    try:
        said = stopped_before_reading(args)
    except (Stopped, KeyboardInterrupt):
        return
    if said is not None:
        print(said, file=sys.stderr)


def _stop(signum: int, _frame: object) -> None:
    """SIGTERM (a CI job's time limit, ``kill``) stops a command as Ctrl-C does: unwinding,
    so that what it started is stopped and its temporary files removed; it exits 143, said
    once the command has unwound (:class:`~nbtools.cli.stopping.Stopped`). ``nbtools run``,
    ``scheduler`` and ``serve`` handle it themselves while they run."""
    from nbtools.cli.stopping import Stopped

    raise Stopped(signum)


if __name__ == "__main__":
    main()
