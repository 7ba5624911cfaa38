"""Command lines of fast commands: one table gives an argparse parser and a quick reader.

Importing and running argparse costs about 3 ms, a sixteenth of a whole extraction. The quick
reader takes the usual spellings of a well-formed command line (``--name value``,
``--name=value``, ``-o value``, ``-ovalue``, flags, ``--``) at no import cost, and hands
anything else (``--help``, an abbreviation, a missing or unknown option, a bad choice) to the
argparse parser built from the same table, which answers exactly as argparse does.
"""

from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import argparse


class Option(NamedTuple):
    """An option: a flag when it has no ``metavar``, else it takes a value."""

    flags: tuple[str, ...]
    dest: str
    help: str
    metavar: str | None = None
    default: Any = None
    choices: tuple[str, ...] = ()
    required: bool = False
    type: Callable[[str], Any] = str


class CommandLine(NamedTuple):
    """What a command accepts: positional arguments (metavar, help, type) and options."""

    description: str
    epilog: str
    positionals: tuple[tuple[str, str, Callable[[str], Any]], ...]
    options: tuple[Option, ...]


def parse(line: CommandLine, prog: str, args: list[str]) -> SimpleNamespace:
    """The values of ``args``; argparse's help or usage error (exit 0 or 2) when it takes one."""
    quick = _quick(line, args)
    if quick is not None:
        return quick
    return SimpleNamespace(**vars(parser(line, prog).parse_args(args)))


def parser(line: CommandLine, prog: str) -> "argparse.ArgumentParser":
    """The argparse parser of ``line``."""
    import argparse

    result = argparse.ArgumentParser(
        prog=prog,
        description=line.description,
        epilog=line.epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for metavar, help, kind in line.positionals:
        result.add_argument(metavar.lower(), metavar=metavar, help=help, type=kind)
    for option in line.options:
        if option.metavar is None:
            result.add_argument(
                *option.flags, dest=option.dest, action="store_true", help=option.help
            )
            continue
        result.add_argument(
            *option.flags,
            dest=option.dest,
            metavar=option.metavar,
            default=option.default,
            choices=option.choices or None,
            required=option.required,
            type=option.type,
            help=option.help,
        )
    return result


def _quick(line: CommandLine, args: list[str]) -> SimpleNamespace | None:
    """``args`` read without argparse, or None when argparse must answer."""
    by_flag = {flag: option for option in line.options for flag in option.flags}
    values: dict[str, Any] = {
        option.dest: False if option.metavar is None else option.default for option in line.options
    }
    positionals: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word == "--":
            positionals += args[index:]
            break
        if not word.startswith("-") or word == "-":
            positionals.append(word)
            continue
        if word.startswith("--"):
            flag, has_value, value = word.partition("=")
        else:  # -o value, -ovalue (argparse has its own rules for a "=" in it)
            flag, value = word[:2], word[2:]
            if "=" in value:
                return None
            has_value = "=" if value else ""
        option = by_flag.get(flag)
        if option is None:
            return None
        if option.metavar is None:
            if has_value:
                return None
            values[option.dest] = True
            continue
        if not has_value:
            if index == len(args) or args[index].startswith("-"):
                return None
            value = args[index]
            index += 1
        if option.choices and value not in option.choices:
            return None
        values[option.dest] = option.type(value)
    if len(positionals) != len(line.positionals):
        return None
    if any(option.required and values[option.dest] is None for option in line.options):
        return None
    for (metavar, _help, kind), value in zip(line.positionals, positionals, strict=True):
        values[metavar.lower()] = kind(value)
    return SimpleNamespace(**values)
