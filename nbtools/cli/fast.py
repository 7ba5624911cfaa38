"""Fast commands: commands that run without importing click.

``nbtools extract`` must take a fifth of ``nbdev_export``'s time as a whole process, and
importing click alone costs a fifth of that budget. :func:`route` recognises ``nbtools
[--root R] [--db-url U] COMMAND ARGS`` for a fast COMMAND and runs it directly; anything else
(``--help``, ``--version``, other commands) goes to the click group, which runs fast commands
too (:class:`nbtools.cli.app.FastCommand`), so both ways behave the same.

A fast command is a function ``command(args, prog, cli_ctx)`` that reads ``args`` itself
(:mod:`nbtools.cli.fastargs`).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from nbtools.cli.context import CliContext
from nbtools.cli.registry import COMMANDS, GLOBAL_OPTIONS, CommandEntry
from nbtools.errors import NbtoolsError


def route(argv: list[str]) -> Callable[[], int] | None:
    """How to run ``argv`` as a fast command, or None when click must handle it."""
    values = {option.dest: os.environ.get(option.env, option.default) for option in GLOBAL_OPTIONS}
    flags = {option.flag: option.dest for option in GLOBAL_OPTIONS}
    index = 0
    while index < len(argv):
        flag, has_value, value = argv[index].partition("=")
        if flag not in flags:
            break
        if not has_value:
            if index + 1 == len(argv):
                return None
            index += 1
            value = argv[index]
        values[flags[flag]] = value
        index += 1
    name = argv[index] if index < len(argv) else ""
    entry = COMMANDS.get(name)
    if entry is None or not entry.fast:
        return None
    cli_ctx = CliContext(Path(values["root"]), values["db_url"])
    return lambda: _run(entry, name, argv[index + 1 :], cli_ctx)


def exit_now(code: int) -> NoReturn:
    """End the process once its output is flushed, skipping the interpreter's teardown, which
    frees every object and module one by one (several milliseconds after an extraction)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            code = code or 1
    os._exit(code)


def call(entry: CommandEntry, name: str, args: list[str], cli_ctx: CliContext) -> None:
    """Run a fast command's function with its own arguments."""
    command = getattr(importlib.import_module(entry.module), entry.attribute)
    command(args, f"nbtools {name}", cli_ctx)


def _run(entry: CommandEntry, name: str, args: list[str], cli_ctx: CliContext) -> int:
    try:
        call(entry, name, args, cli_ctx)
    except BrokenPipeError:  # e.g. `nbtools extract … | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except NbtoolsError as error:
        message = f"Error: {error.message}"
        if sys.stderr.isatty():
            message = f"\x1b[31m{message}\x1b[0m"
        print(message, file=sys.stderr)
        return error.exit_code
    finally:
        cli_ctx.close()
    return 0
