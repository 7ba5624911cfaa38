"""Command groups that answer a command they do not have with the one meant: another tool's
word for it (``nbtools version list``: versions are listed by ``log``; ``schedule create``:
``add``; ``nbtools export``, nbdev's ``nbdev_export``: ``extract``), else the command spelled
nearly so (``version lgo``)::

    $ nbtools version list
    Error: No such command 'list'. Did you mean 'log'?

Every group of the command line is a :class:`Group` (``@click.group(cls=Group)``); its
subgroups (``@alerts.group()``) are too.
"""

from __future__ import annotations

import click

#: Other tools' words for a command, by the words nbtools may use for it, the first a group
#: has being meant.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "list": ("log",),
    "ls": ("list", "log"),
    "history": ("log",),
    "create": ("add",),
    "new": ("add",),
    "delete": ("remove",),
    "del": ("remove",),
    "rm": ("remove",),
    "mv": ("move",),
    "rename": ("move",),
    "update": ("edit",),
    "get": ("show",),
    "info": ("show",),
    "describe": ("show",),
    "stop": ("cancel",),
    "kill": ("cancel",),
    "export": ("extract",),
    "execute": ("run",),
}


def meant(name: str, commands: list[str]) -> str | None:
    """The command of ``commands`` that ``name`` (no command of them) most likely means, if
    any: another tool's word for it (:data:`SYNONYMS`), else the closest spelling."""
    synonym = next((word for word in SYNONYMS.get(name, ()) if word in commands), None)
    if synonym is not None:
        return synonym
    from difflib import get_close_matches  # only for a command line that failed

    close = get_close_matches(name, commands, n=1)
    return close[0] if close else None


class Group(click.Group):
    """A click group whose unknown command says the one meant (:func:`meant`), exit 2 as any
    usage error."""

    group_class = type  # @group.group() makes a Group too

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            found = meant(name, self.list_commands(ctx))
            if found is not None:
                ctx.fail(f"No such command {name!r}. Did you mean {found!r}?")
        return super().resolve_command(ctx, args)
