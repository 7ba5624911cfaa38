"""Flags that several commands declare alike. A flag for a setting takes its help, default and
type from the trait that declares the option (:mod:`nbtools.settings`), and its value goes into
the command's configuration as the highest layer, above the config file and the environment;
``--limit`` bounds a list the same way in every command that pages one (``--offset``
skips to a later page). A value typed with
bytes that are not UTF-8 (``--root``, ``--db-url``, ``--config``, ``--storage``: a path or
URL) is refused as it is read, naming the flag (:func:`~nbtools.cli.decorators.check_utf8`):
these flags set no value of the command, which :func:`~nbtools.cli.decorators.pass_cli`
checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nbtools.cli.context import CliContext
from nbtools.ids import MAX_LIST
from nbtools.settings import CONFIG_FILE_VARIABLE

if TYPE_CHECKING:
    from nbtools.config import Settings

F = TypeVar("F", bound=Callable[..., Any])


class SettingOption(click.Option):
    """A flag that sets an option of a settings class: ``setting`` is ``(class, option)``
    (docs/configuration.md's table names each such flag; a test keeps them in step)."""

    def __init__(self, *args: Any, setting: tuple[type[Settings], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setting = setting


def setting_option(cls: type[Settings], name: str, flag: str) -> Callable[[F], F]:
    """A click option ``flag`` setting ``cls.name`` for this command."""
    declarations, attributes = _setting_flag(cls, name, flag)
    return click.option(*declarations, cls=SettingOption, **attributes)


def setting_parameter(cls: type[Settings], name: str, flag: str) -> SettingOption:
    """The option :func:`setting_option` declares, made now (the group makes its own only
    when a command line or its help needs them: :class:`~nbtools.cli.app.LazyGroup`)."""
    declarations, attributes = _setting_flag(cls, name, flag)
    return SettingOption(declarations, **attributes)


def _setting_flag(cls: type[Settings], name: str, flag: str) -> tuple[list[str], dict[str, Any]]:
    """The declarations and attributes of the flag ``flag`` setting ``cls.name``: its help,
    default shown and type from the trait."""
    from traitlets import Bool, CaselessStrEnum, Enum, Float, Int

    from nbtools.settings import bounds, describe, environment_variable, requirement, validated

    trait = cls.class_traits(config=True)[name]
    default = trait.default_value
    shown = "" if default in ("", None) else f"default: {default}; "
    if bounds(trait) != (None, None):
        shown += f"{requirement(trait)}; "
    help_text = (
        f"{describe(trait)} [{shown}env ${environment_variable(cls, name)}; "
        f"config c.{cls.__name__}.{name}]"
    )

    def store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None:
            if isinstance(value, str):  # a path or URL typed with bytes that are not UTF-8
                from nbtools.cli.decorators import check_utf8  # not at import: --help

                check_utf8(param, value)
            try:  # the trait's own rules (bounds, a URL's form), named by the flag
                validated(trait, value)
            except ValueError as error:
                raise click.BadParameter(f"{error}.") from None
            ctx.ensure_object(CliContext).flags.setdefault(cls.__name__, {})[name] = value

    kind: Any = str
    if isinstance(trait, (CaselessStrEnum, Enum)):
        kind = click.Choice([str(value) for value in trait.values or ()], case_sensitive=False)
    elif isinstance(trait, Int):
        kind = int
    elif isinstance(trait, Float):
        kind = float
    declared: dict[str, Any] = {"type": kind}
    if isinstance(trait, Bool):
        bare = flag.removeprefix("--")
        flag, declared = f"--{bare}/--no-{bare}", {}
    return [flag], {
        **declared,
        "default": None,
        "help": help_text,
        "expose_value": False,
        "callback": store,
        "setting": (cls, name),
    }


def _store_config_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        from nbtools.cli.decorators import check_utf8  # not at import: --help

        check_utf8(param, str(value))
        ctx.ensure_object(CliContext).config_file = value


#: ``--config FILE``: the settings file of ``nbtools`` (and, for compatibility, of ``scheduler``).
config_file_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    expose_value=False,
    callback=_store_config_file,
    help="A Jupyter-style config file (.py or .json: c.NbtoolsSettings.*, c.JobsSettings.*, "
    "c.MetricsSettings.*, c.NotificationSettings.*, c.EnvSettings.*), as jupyter_server_config.py; overridden "
    f"by environment variables and flags. [env ${CONFIG_FILE_VARIABLE}]",
)


class WholeNumber(click.IntRange):
    """A whole number in a range (click's :class:`~click.IntRange`), named as the docs name it:
    ``'many' is not a valid integer.`` (click's own wording, ``valid integer range``, reads
    as asking for a range such as ``1-5``). Every option taking a number of things uses it."""

    name = "integer"


#: The most ``--limit`` lets a list command show at once (``?limit=`` of the REST API too).
MAX_LIMIT = MAX_LIST


def limit_option(
    what: str,
    *,
    default: int,
    more: str = "",
    most: int = MAX_LIMIT,
    first: str = "the newest",
) -> Callable[[F], F]:
    """``--limit N``: list at most N of ``what``, ``first`` (1 to ``most``, ``default``
    unless given: :func:`count_option`); ``more`` ends the help (how to page back)."""
    tail = f"; {more}" if more else ""
    return count_option(
        "--limit",
        most=most,
        default=default,
        show_default=True,
        help=f"List at most this many {what}, {first}{tail}.",
    )


def offset_option(what: str) -> Callable[[F], F]:
    """``--offset N``: skip the first N of ``what`` (0 or more, default 0), the page after
    the one a ``--limit`` showed (``?offset=`` of the REST API)."""
    return click.option(
        "--offset",
        type=WholeNumber(0),
        default=0,
        show_default=True,
        help=f"Skip this many {what} first (the next page: the last --offset plus --limit).",
    )


def count_option(*declarations: str, most: int | None, **attributes: Any) -> Callable[[F], F]:
    """An option taking a count (a page's size, the versions to keep): a whole number from 1
    to ``most`` (None: no bound). ``--help`` shows its range after its default (``[default:
    20; 1<=x<=1000]``), and a value outside it, or no whole number, is refused before the
    command runs, in click's one wording for every count (``Invalid value for '--limit': 0 is
    not in the range 1<=x<=1000.``, exit 2; with ``--json``, ``details.field`` names it)."""
    return click.option(*declarations, type=WholeNumber(1, most), **attributes)
