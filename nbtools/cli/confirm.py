"""The question a command asks before it deletes (``schedule remove``, ``runs prune``,
``data usage --purge``), asked alike by each."""

from __future__ import annotations

import _signal  # the C module behind `signal`: loaded already (see nbtools.cli.stopping)
import sys
from types import FrameType

import click

from nbtools.cli.stopping import Stopped
from nbtools.errors import InvalidInputError


def confirm(question: str, doing: str, *, as_json: bool) -> None:
    """Ask ``question`` at a terminal; a declined one is click's ``Abort`` (exit 1, nothing
    changed). With ``--json`` it is asked on stderr, so that stdout holds the JSON answer
    alone. Without a terminal to answer (a script, CI), ``doing`` ("Deleting job 3") is
    refused as bad input (exit 2, the JSON error with ``--json``) rather than read as a "no"
    from empty input. Ctrl-C at the question stops the command as anywhere else (exit 130,
    :class:`~nbtools.cli.stopping.Stopped`), nothing changed: click would read it as a "no"."""
    if not sys.stdin.isatty():
        raise InvalidInputError(
            f"{doing} needs confirmation: run it in a terminal, or pass --yes.", field="yes"
        )
    previous = _signal.signal(_signal.SIGINT, _stop)
    try:
        click.confirm(question, abort=True, err=as_json)
    except Stopped:
        click.echo(err=as_json)  # the line of the question ends where Ctrl-C was typed
        raise
    finally:  # None: a handler not set from Python, which has Python's own take its place
        _signal.signal(_signal.SIGINT, previous or _signal.default_int_handler)


def _stop(signum: int, _frame: FrameType | None) -> None:
    """Ctrl-C at the question: a stop, which click's question lets through (it takes
    ``KeyboardInterrupt`` for an answer)."""
    raise Stopped(signum)
