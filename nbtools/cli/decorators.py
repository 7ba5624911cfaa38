"""Click decorators every click command shares."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nbtools.cli.context import CliContext

if TYPE_CHECKING:
    from nbtools.errors import NbtoolsError

#: A command's function, as the decorators that add options return it.
CommandFunction = TypeVar("CommandFunction", bound=Callable[..., Any])


def pass_cli(function: Callable[..., Any]) -> Callable[..., Any]:
    """The command gets the :class:`CliContext` as its first argument; an error it raises
    about a field that one of its options sets (``details["field"]``, an option's name)
    names that option: the library's messages speak to every client (the REST API,
    JupyterLab), so they name no flag themselves."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        from nbtools.errors import NbtoolsError  # not at import: `--help` needs none

        ctx = click.get_current_context()
        try:
            return ctx.invoke(function, ctx.ensure_object(CliContext), *args, **kwargs)
        except NbtoolsError as error:
            _point_at_option(ctx.command, error)
            raise

    return run


def _point_at_option(command: click.Command, error: NbtoolsError) -> None:
    """A message starting with the field (``keep must be …``) starts with its flag instead;
    another one ends with ``See --keep.``, unless it names the flag already."""
    field = error.details.get("field")
    for param in command.params:
        if isinstance(param, click.Option) and param.name == field:
            flag = max(param.opts, key=len)  # its long form
            if error.message.startswith(f"{field} "):
                error.message = flag + error.message[len(field) :]
            elif flag not in error.message:
                error.message += f" See {flag}."
            return


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
