"""Entry point of the ``nbtools`` command."""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point: a fast command directly, anything else through click."""
    from nbtools.cli.fast import exit_now, route

    fast_command = route(sys.argv[1:])
    if fast_command is not None:
        exit_now(fast_command())
    from nbtools.cli.app import cli

    cli(prog_name="nbtools")


if __name__ == "__main__":
    main()
