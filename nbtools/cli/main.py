"""Entry point of the ``nbtools`` command."""

from __future__ import annotations

import gc
import sys

from nbtools.unused_imports import skip_unused_imports


def main() -> None:
    """Console-script entry point: a fast command directly, anything else through click.

    A fast command is a short-lived process: reference counting frees what it drops, and the
    cyclic garbage collector would only scan, again and again, the modules it imports and the
    syntax trees it builds. Other commands (the scheduler daemon among them) keep it.
    """
    gc.disable()
    skip_unused_imports()
    from nbtools.cli.fast import exit_now, route

    fast_command = route(sys.argv[1:])
    if fast_command is not None:
        exit_now(fast_command())
    gc.enable()
    from nbtools.cli.app import cli

    cli(prog_name="nbtools")


if __name__ == "__main__":
    main()
