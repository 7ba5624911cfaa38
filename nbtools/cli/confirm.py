"""The question a command asks before it deletes (``schedule remove``, ``runs prune``,
``data usage --purge``), asked alike by each."""

from __future__ import annotations

import sys

import click

from nbtools.errors import InvalidInputError


def confirm(question: str, doing: str, *, as_json: bool) -> None:
    """Ask ``question`` at a terminal; a declined one is click's ``Abort`` (exit 1, nothing
    changed). With ``--json`` it is asked on stderr, so that stdout holds the JSON answer
    alone. Without a terminal to answer (a script, CI), ``doing`` ("Deleting job 3") is
    refused as bad input (exit 2, the JSON error with ``--json``) rather than read as a "no"
    from empty input."""
    if not sys.stdin.isatty():
        raise InvalidInputError(
            f"{doing} needs confirmation: run it in a terminal, or pass --yes.", field="yes"
        )
    click.confirm(question, abort=True, err=as_json)
