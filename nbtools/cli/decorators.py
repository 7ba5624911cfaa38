"""Click decorators every click command shares."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import click

from nbtools.cli.context import CliContext

#: A command's function, as the decorators that add options return it.
CommandFunction = TypeVar("CommandFunction", bound=Callable[..., Any])

pass_cli = click.make_pass_decorator(CliContext)


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(CliContext).as_json = True
    return value


#: ``--json``: the command's answer as JSON on stdout; an error is the answer of a command that
#: printed none (the group prints it, besides the message on stderr).
json_option = click.option(
    "--json", "as_json", is_flag=True, callback=_remember_json, help="Print JSON for scripts."
)
idempotency_option = click.option(
    "--idempotency-key",
    metavar="KEY",
    help="Create this at most once: a second submission with KEY is refused (exit 2) naming "
    "the first.",
)


@contextlib.contextmanager
def fields_as_flags(flags: Mapping[str, str]) -> Iterator[None]:
    """An error about a field the API names (``details["field"]``, at the start of its
    message) names the flag that set it instead, as the person typed it: ``--timeout must be
    …``, not ``timeout_seconds must be …``. ``flags``: field → flag."""
    from nbtools.errors import NbtoolsError

    try:
        yield
    except NbtoolsError as error:
        field = error.details.get("field")
        if isinstance(field, str) and field in flags and error.message.startswith(field):
            error.message = flags[field] + error.message[len(field) :]
        raise
