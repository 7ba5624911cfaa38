"""Click decorators every click command shares."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nbtools.cli.context import READS_ONLY, CliContext

if TYPE_CHECKING:
    from nbtools.errors import NbtoolsError

#: A command's function, as the decorators that add options return it.
CommandFunction = TypeVar("CommandFunction", bound=Callable[..., Any])


def pass_cli(function: Callable[..., Any]) -> Callable[..., Any]:
    """The command gets the :class:`CliContext` as its first argument; an error it raises
    about a field that one of its options or arguments sets (``details["field"]``: an
    option's or argument's name, or a field :func:`fields_as_flags` maps; else the argument
    whose value it holds) names that option or argument (:func:`name_the_flag`). A message
    starting with the field (``keep must be …``) starts with the flag instead; another one
    ends with ``See --keep.`` (``See DIRECTORY.``), unless it names the flag already. A refusal that another field would let through
    (``details["override"]``: "… or force the write", ``force``) ends by naming that field's
    option too, in the same sentence (``See --output or --force.``). The library's messages speak to every client (the REST
    API, JupyterLab), so they name no flag themselves. A value typed with bytes that are not
    UTF-8 is refused first (:func:`refuse_bytes_not_utf8`)."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        from nbtools.errors import NbtoolsError  # not at import: `--help` needs none

        ctx = click.get_current_context()
        try:
            refuse_bytes_not_utf8(ctx)
            return ctx.invoke(function, ctx.ensure_object(CliContext), *args, **kwargs)
        except NbtoolsError as error:
            name_as_typed(ctx.ensure_object(CliContext), error)
            name_the_flag(ctx, error)
            raise

    return run


#: The fields of an error naming root-relative paths that :func:`name_as_typed` shows as typed.
_TYPED_PATHS = ("path", "did_you_mean")


def name_as_typed(cli_ctx: CliContext, error: NbtoolsError) -> None:
    """A path not found (``details["path"]``, and the close match offered,
    ``details["did_you_mean"]``: root-relative) is named in the message as it is typed from
    the current directory when that is inside the root (in ``ROOT/sub``: ``'forcast.ipynb'``,
    not ``'sub/forcast.ipynb'``), as the command line reads paths; ``details`` keep the
    root-relative form the store and the REST API use."""
    from nbtools.errors import NotFoundError

    if not isinstance(error, NotFoundError) or "project" not in cli_ctx.__dict__:
        return
    root, here = cli_ctx.project.root, Path.cwd().resolve()
    if here == root or not here.is_relative_to(root):
        return  # typed relative to the root: as shown
    for key in _TYPED_PATHS:
        value = error.details.get(key)
        if isinstance(value, str) and value:
            typed = os.path.relpath(root / value, here)
            error.message = error.message.replace(repr(value), repr(typed))


def refuse_bytes_not_utf8(ctx: click.Context) -> None:
    """Refuse a value of the command of ``ctx`` typed with bytes that are not UTF-8
    (:func:`check_utf8`), naming its option or argument."""
    for param in ctx.command.params:
        for text in _texts(ctx.params.get(param.name or "")):
            check_utf8(param, text)


def check_utf8(param: click.Parameter, text: str) -> None:
    """Refuse ``text``, typed for ``param``, naming it, when it holds bytes that are not UTF-8
    (:func:`nbtools.text.require_utf8`, which checks the environment's variables alike). For
    a type that looks its value up as it converts it (``JOB``), before the command's own
    check."""
    from nbtools.text import require_utf8

    require_utf8(shown_name(param), text, field=field_of(param))


def field_of(param: click.Parameter) -> str | None:
    """The field ``details["field"]`` names for a refusal of ``param`` as the command line is
    read (click's usage errors, bytes not UTF-8, a callback's refusal): what the user typed or
    read in the usage line, never the name the code gives its value (``fmt``, ``job_id``): an
    option by its long form (``--format``: ``format``, ``--db-url``: ``db_url``; one with no
    long form, ``-n``, by its name, ``count``), an argument as the usage line shows it, in
    lower case (``SNAPSHOT``: ``snapshot``)."""
    if isinstance(param, click.Option):
        flag = max(param.opts, key=len)
        return flag[2:].replace("-", "_") if flag.startswith("--") else param.name
    return shown_name(param).lower()


def shown_name(param: click.Parameter) -> str:
    """``param`` as a message names it: an option by its long form (``--root``), an argument
    as click's usage shows it, in capitals (``NOTEBOOK``, without ``[…]``)."""
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name.strip("[].")


def _texts(value: object) -> list[str]:
    """The text of an option's or argument's value: a string, a path, or several of them."""
    if isinstance(value, (tuple, list)):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    return [value] if isinstance(value, str) else []


def name_the_flag(ctx: click.Context, error: NbtoolsError) -> None:
    """Name in ``error``'s message the option or argument of the command of ``ctx`` that sets
    the field it is about (see :func:`pass_cli`); also for an option's callback, which reads
    its value before the command runs (a path: :mod:`nbtools.cli.paths`). An option sets the
    field named as its value is (``out``) and, taking a value, the one named as its long form
    (``--output``: ``output``, the REST API's name of what it gives; a flag's long form is no
    field: ``version show --notebook`` prints a notebook, its argument NOTEBOOK names one). An
    argument sets the field named as it is (``snapshot_ref``) and as its usage name in lower
    case (:func:`field_of`: ``snapshot``), and is named as click's usage shows it
    (``SNAPSHOT``); a refusal naming no field of the command is about the argument
    whose value its details hold (:func:`_argument_refused`: a path the library refused)."""
    flags: dict[str, str] = {}
    for param in ctx.command.params:
        if isinstance(param, click.Option) and param.name:
            flag = max(param.opts, key=len)  # its long form
            if not param.is_flag:
                flags.setdefault(flag.lstrip("-").replace("-", "_"), flag)
            flags[param.name] = flag
        elif isinstance(param, click.Argument) and param.name:
            flags[param.name] = flags[shown_name(param).lower()] = shown_name(param)
    # pass_cli's wrapper carries the function's attributes (functools.wraps)
    flags.update(getattr(ctx.command.callback, _FLAGS_OF_FIELDS, {}))
    field = error.details.get("field")
    if not (isinstance(field, str) and field in flags):
        field = _argument_refused(ctx, error.details)
    _name_the_flag(error, flags, field)


def _argument_refused(ctx: click.Context, details: Mapping[str, Any]) -> str | None:
    """The argument of the command of ``ctx`` whose value (as the command received it: a
    path made root-relative) is a text of ``details``: the library names what it refused by
    its own field (``path``, ``directory``), which the command's argument may not share."""
    texts = {value for value in details.values() if isinstance(value, str) and value}
    for param in ctx.command.params:
        given = _texts(ctx.params.get(param.name or ""))
        if isinstance(param, click.Argument) and param.name and texts.intersection(given):
            return param.name
    return None


@contextlib.contextmanager
def reading(ctx: click.Context | None, param: click.Parameter | None) -> Iterator[None]:
    """A refusal of ``param``'s value as it is read (by its callback or its type, before the
    command runs: a path, a job's name), bad input or nothing found, is about ``param``: it
    is named as the command's own errors are (:func:`name_the_flag`)."""
    from nbtools.errors import InvalidInputError, NotFoundError  # not at import: `--help`

    try:
        yield
    except (InvalidInputError, NotFoundError) as error:
        if ctx is not None and param is not None:
            error.details.setdefault("field", field_of(param))
            name_the_flag(ctx, error)
        raise


def reads_only(function: CommandFunction) -> CommandFunction:
    """For :func:`pass_cli` (applied after it, nearer the function): the command only reads
    (a list, a show, a log, ``status``). Where the project has no store yet (a folder inside
    no project), it reads an empty one and creates nothing (:attr:`CliContext.project`): it
    shows the empty state, or that the item asked for does not exist."""
    setattr(function, READS_ONLY, True)
    return function


#: The attribute :func:`fields_as_flags` sets on a command's function.
_FLAGS_OF_FIELDS = "nbtools_flags_of_fields"


def fields_as_flags(flags: Mapping[str, str]) -> Callable[[CommandFunction], CommandFunction]:
    """For :func:`pass_cli` (applied after it, nearer the function): the flags of the API's
    fields that a command's options set under other names (``timeout_seconds`` is
    ``--timeout``). ``flags``: field → flag."""

    def mark(function: CommandFunction) -> CommandFunction:
        setattr(function, _FLAGS_OF_FIELDS, dict(flags))
        return function

    return mark


def _name_the_flag(error: NbtoolsError, flags: Mapping[str, str], field: str | None) -> None:
    named = []
    flag = flags.get(field) if isinstance(field, str) else None
    if field is not None and flag is not None:
        if error.message.startswith(f"{field} "):
            error.message = flag + error.message[len(field) :]
        elif flag not in error.message:
            named.append(flag)
    # a refusal another field lets through ("… or force the write": ``override`` "force")
    override = error.details.get("override")
    flag = flags.get(override) if isinstance(override, str) else None
    if flag is not None and flag not in error.message:
        named.append(flag)
    if named:  # once: "See --output or --force.", after the message's own full stop
        said = error.message.rstrip()
        stop = "" if said.endswith((".", "!", "?")) else "."
        error.message = f"{said}{stop} See {' or '.join(named)}."


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(CliContext).as_json = True
    return value


#: ``--json``: the command's answer as JSON on stdout; an error is the answer of a command that
#: printed none (the group prints it, besides the message on stderr). Eager: read before the
#: other options and arguments wherever it is typed, so that an error a callback raises (a path
#: outside the root) is printed as JSON too.
json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    is_eager=True,
    callback=_remember_json,
    help="Print JSON for scripts.",
)
idempotency_option = click.option(
    "--idempotency-key",
    metavar="KEY",
    help="Create this at most once: a second submission with KEY is refused (exit 2) naming "
    "the first.",
)
