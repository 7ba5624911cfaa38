"""The ``nbtools`` click group: lazy commands, global options, errors → exit codes."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import click

from nbtools._version import __version__
from nbtools.cli.context import CliContext
from nbtools.cli.groups import Group
from nbtools.cli.options import SettingOption, config_file_option
from nbtools.cli.registry import COMMANDS
from nbtools.unused_imports import TOOLKIT_DEFERRED, deferring

if TYPE_CHECKING:
    from nbtools.errors import NbtoolsError


class NbtoolsCliError(click.ClickException):
    """An :class:`NbtoolsError` shown to a person, with the error's exit code."""

    def __init__(self, error: NbtoolsError) -> None:
        super().__init__(error.message)
        self.exit_code = error.exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        from nbtools.cli.output import visible  # a message may quote a notebook or a user

        click.secho(f"Error: {visible(self.format_message())}", err=True, fg="red")


#: The group's options setting :class:`~nbtools.config.NbtoolsSettings`, by option: their
#: flags are made from the traits (:func:`~nbtools.cli.options.setting_parameter`) when first
#: needed (:meth:`LazyGroup.get_params`).
GROUP_SETTINGS = {"root_dir": "--root", "db_url": "--db-url", "actor": "--actor"}

#: Set in a context's ``meta`` while the group reads a command line naming the command first.
_COMMAND_FIRST = "nbtools.command_first"


class LazyGroup(Group):
    """A group that imports a command's module only when that command runs, and makes its
    setting options (with traitlets, which declares them) only when they can be given or
    shown: a command line starting with the command's name (``nbtools extract NB``) gives the
    group no option, and each would keep its default (None: nothing set), so the settings
    are then read without them (:mod:`nbtools.settings_defaults`)."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if not ctx.meta.get(_COMMAND_FIRST) and not any(
            isinstance(param, SettingOption) for param in self.params
        ):
            from nbtools.cli.options import setting_parameter

            with deferring(TOOLKIT_DEFERRED):  # as the rest of the toolkit was (main)
                from nbtools.config import NbtoolsSettings

            made = [setting_parameter(NbtoolsSettings, *item) for item in GROUP_SETTINGS.items()]
            self.params[1:1] = made  # after --version, before --config: as --help lists them
        return super().get_params(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        with deferring(TOOLKIT_DEFERRED):  # as the toolkit was (main): traitlets, if it is now
            module = importlib.import_module(entry.module)
        command: click.Command = getattr(module, entry.attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name].summary) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt as interruption:
            # Ctrl-C while the group's options are read is a stop (130, said by the console
            # script), not click's "Aborted!" and exit 1, a failed check's code
            from nbtools.cli.stopping import Stopped

            raise Stopped.of(interruption) from None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        cli_ctx = ctx.ensure_object(CliContext)
        # a usage error is answered as JSON if --json was asked, even one met before the
        # parser reads it (an unknown option)
        cli_ctx.asked_json = "--json" in args
        entry = COMMANDS.get(args[0]) if args else None
        # a service is known as such before its module is imported
        cli_ctx.service = args[0] if entry is not None and entry.service else None
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        # not at import: `nbtools --help` needs neither
        from nbtools.cli.stopping import Stopped
        from nbtools.errors import NbtoolsError

        cli_ctx = ctx.ensure_object(CliContext)
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, Stopped) as interruption:
            if cli_ctx.service is not None:
                # a service stopped while it starts, before it handles stops itself: as
                # graceful as later, and nothing is serving yet
                click.echo(f"nbtools {cli_ctx.service}: stopped.", err=True)
                raise SystemExit(0) from None
            # Ctrl-C: click would say "Aborted!" and exit 1, a failed check's code
            stopped = Stopped.of(interruption)
            if not cli_ctx.stops_owned:  # nbtools run stopped before it read its options
                from nbtools.cli.run_stops import stopped_before_reading

                said = stopped_before_reading(cli_ctx.command_line or [])
                if said is not None:
                    click.echo(said, err=True)
            after_ctrl_c = "\n" if isinstance(interruption, KeyboardInterrupt) else ""
            click.echo(f"{after_ctrl_c}{stopped.message}", err=True)
            # with --json, a stop before the answer is the answer, as an error is
            if (cli_ctx.as_json or cli_ctx.asked_json) and not cli_ctx.answered:
                from nbtools.cli.output import print_json

                print_json(stopped.to_dict())
            raise SystemExit(stopped.code) from None
        except NbtoolsError as error:
            # with --json, the error is the answer, unless the command printed one (a failed
            # check's report, which says so)
            raise _refused(cli_ctx, error, cli_ctx.as_json) from error
        except click.UsageError as error:  # a bad option or argument: exit 2, as click says
            _answer_usage_error(cli_ctx, error)
            raise

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # the group's own options (--root, --actor, --config) are read before any command's:
        # a bad one is answered as JSON too when the command line asks for JSON
        ctx.meta[_COMMAND_FIRST] = bool(args) and not args[0].startswith("-")
        cli_ctx = ctx.ensure_object(CliContext)
        cli_ctx.asked_json = "--json" in args
        cli_ctx.command_line = list(args)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            _answer_usage_error(cli_ctx, error)
            raise
        except click.exceptions.Exit:  # --help, --version: done
            raise
        except Exception as error:  # an option's refusal (--root typed with bytes not UTF-8)
            from nbtools.errors import NbtoolsError  # not before: `nbtools --help` needs none

            if not isinstance(error, NbtoolsError):
                raise
            raise _refused(cli_ctx, error, cli_ctx.asked_json) from error


def _refused(cli_ctx: CliContext, error: NbtoolsError, as_json: bool) -> NbtoolsCliError:
    """``error`` to show and exit with; with JSON asked for, printed as the answer first,
    unless the command printed one."""
    if as_json and not cli_ctx.answered:
        from nbtools.cli.output import print_json

        print_json(error.to_dict())
    return NbtoolsCliError(error)


def _answer_usage_error(cli_ctx: CliContext, error: click.UsageError) -> None:
    """With --json, print a usage error (exit 2) as the command's JSON answer."""
    if (cli_ctx.as_json or cli_ctx.asked_json) and not cli_ctx.answered:
        from nbtools.cli.decorators import field_of
        from nbtools.cli.output import print_json

        param = getattr(error, "param", None)
        field = field_of(param) if param is not None else None
        details = {"field": field} if field else {}
        message = error.format_message()
        print_json({"error": type(error).__name__, "message": message, "details": details})


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="nbtools")
@config_file_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """jupyter-nbtools: version notebooks, snapshot environments, extract tested packages
    and run notebooks as scheduled production jobs.

    Settings come from a config file (--config), the environment and flags, each overriding
    the one before (docs/configuration.md).

    Exit codes: 0 ok, 1 a check, test or run failed, 2 bad usage or bad input, 130 and 143
    stopped by Ctrl-C and SIGTERM (0 for the services, scheduler and serve).
    """
    cli_ctx = ctx.ensure_object(CliContext)
    cli_ctx.command_starts()
    ctx.call_on_close(cli_ctx.close)
