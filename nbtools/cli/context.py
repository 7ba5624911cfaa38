"""State shared by every command: its settings (config file < environment < flags) and the
project they describe."""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from nbtools.config import Settings
    from nbtools.project import Project
    from nbtools.settings import Layer

    S = TypeVar("S", bound=Settings)


#: The attribute :func:`~nbtools.cli.decorators.reads_only` sets on a command's function.
READS_ONLY = "nbtools_reads_only"


class CliContext:
    """The settings of one ``nbtools`` invocation, with the project opened lazily."""

    def __init__(
        self, environ: Mapping[str, str] | None = None, ends_process: bool = False
    ) -> None:
        self.environ = os.environ if environ is None else environ
        #: The process ends with the command (the ``nbtools`` console script, which exits
        #: without tearing the interpreter down): clean-up nobody waits for can be skipped.
        #: False when the group is invoked in a longer-lived process (tests, embedding).
        self.ends_process = ends_process
        self.config_file: Path | None = None
        #: The values of the command's setting flags (:func:`nbtools.cli.options.setting_option`).
        self.flags: Layer = {}
        #: The command was given ``--json``: its error, if any, is printed as JSON too,
        #: unless it printed its JSON answer already (``answered``, a failed check's report).
        self.as_json = False
        self.answered = False
        #: ``--json`` is among the command's arguments, maybe not read yet: a usage error
        #: (:class:`click.UsageError`) is printed as JSON too.
        self.asked_json = False
        #: The name of the command about to run when it is a service (``scheduler``,
        #: ``serve``): a stop of it, even before it handles stops itself, is graceful.
        self.service: str | None = None
        #: The group's command line (its options, the command's name and arguments), once
        #: the group reads it: what a stop before the command read it is told from.
        self.command_line: list[str] | None = None
        #: The command handles its stops itself from now on (``nbtools run``:
        #: :class:`~nbtools.cli.run_stops.RunStops`).
        self.stops_owned = False
        self._kept: list[object] = []
        #: The settings classes read so far, their variables checked.
        self._read: set[type[Settings]] = set()
        #: Where the project is looked for when no root is set: the working directory, or
        #: the directory a command sets up (:meth:`works_in`).
        self._here: Path | None = None

    def command_starts(self) -> None:
        """Called by the group once the command's module is imported, before it runs.

        In the console script (``ends_process``), which paused the cyclic garbage collector for
        start-up, what start-up imported is moved out of the collector's reach for good
        (``gc.freeze``: it lives until the process ends) and collection resumes for the
        command's own objects. Elsewhere (tests, embedding) this changes nothing.
        """
        if self.ends_process:
            gc.freeze()
            gc.enable()

    def keep_until_exit(self, *objects: object) -> None:
        """Keep ``objects`` referenced until the process ends, if it ends with the command.

        Freeing a large structure is work nobody waits for when the process is about to end
        (an extraction's syntax trees: ≈ 18 ms at 3000 cells, docs/performance.md), and the
        console script ends without tearing the interpreter down. Elsewhere the objects are
        freed as usual.
        """
        if self.ends_process:
            self._kept.extend(objects)

    def config(self, classes: tuple[type[Settings], ...]) -> Layer:
        """Every layer for ``classes``: config file, then environment, then flags; the
        first time a class is read, a warning for each ``$NBTOOLS_…`` variable under its
        prefix that nbtools does not read (:func:`~nbtools.unknown_settings.warn_unknown_variables`);
        the first time any is, one for each section of the config file misspelling a settings
        class (:func:`~nbtools.unknown_settings.warn_unknown_sections`)."""
        from nbtools.settings import config_file_of, layered_config
        from nbtools.unknown_settings import warn_unknown_sections, warn_unknown_variables

        first = not self._read
        unread = [cls for cls in classes if cls not in self._read]
        self._read.update(unread)
        path = self.config_file or config_file_of(self.environ)
        layer = layered_config(path, self.environ, self.flags, classes=classes)
        warn_unknown_variables(self.environ, unread, layer)
        if first:  # the config file's sections, once: a misspelt class's name
            warn_unknown_sections(layer)
        return layer

    def settings(self, cls: type[S]) -> S:
        """An instance of the settings class ``cls`` for this invocation."""
        from nbtools.settings import build

        return build(cls, self.config((cls,)))

    @functools.cached_property
    def project(self) -> Project:
        """The project: the root set (--root, $NBTOOLS_ROOT, the config file), else the
        project holding the working directory, found by its store directory
        (:func:`nbtools.project.nearest_root`: ``.nbtools/`` at or above it by default), else
        the working directory. A command that only reads
        (:func:`~nbtools.cli.decorators.reads_only`) makes no store: where there is none yet,
        it reads an empty one (:attr:`~nbtools.project.Project.creates_store`)."""
        from nbtools.errors import InvalidInputError
        from nbtools.project import Project

        values = self.nbtools_settings
        here = self._here or Path.cwd()
        try:
            return Project.located(
                values["root_dir"],
                values["store_dir"],
                values["db_url"],
                default_root=here,
                discover=True,
                creates_store=not _reads_only(),
            )
        except InvalidInputError as error:
            if error.details.get("field") == "root_dir":  # where the root was set
                error.message += (
                    " The root is set by --root, $NBTOOLS_ROOT or c.NbtoolsSettings.root_dir; "
                    "the store directory by $NBTOOLS_STORE_DIR or c.NbtoolsSettings.store_dir."
                    if "store" in error.details
                    else " It is set by --root, $NBTOOLS_ROOT or c.NbtoolsSettings.root_dir."
                )
            raise

    def works_in(self, directory: Path) -> None:
        """Look for the project from ``directory`` rather than the working directory (``nbtools
        init DIR``: the project holding DIR, else DIR itself); before :attr:`project` is read."""
        assert "project" not in self.__dict__, "the project was opened already"
        self._here = directory.resolve()

    @functools.cached_property
    def actor(self) -> str:
        """Who acts: ``--actor``, else ``$NBTOOLS_ACTOR`` (or the config file's
        ``c.NbtoolsSettings.actor``), else ``$JUPYTERHUB_USER``, else the OS user."""
        from nbtools.audit import current_actor

        return current_actor(self.configured_actor)

    @functools.cached_property
    def configured_actor(self) -> str | None:
        """The actor the settings name (``--actor``, ``$NBTOOLS_ACTOR``, the config file's),
        else None: :attr:`actor` is then the environment's, which a process the command
        starts finds the same. For a command handing the actor on without recording
        anything itself: reading it loads neither the audit trail's code nor SQLAlchemy."""
        return str(self.nbtools_settings["actor"]) or None

    @functools.cached_property
    def nbtools_settings(self) -> Mapping[str, Any]:
        """The values of :class:`~nbtools.config.NbtoolsSettings`' options for this invocation
        (where the project is, who acts), by option: while nothing sets a setting, the
        traits' defaults, read without importing traitlets
        (:func:`~nbtools.settings_defaults.unset_defaults`), unless the command imported the
        settings classes already (its own: the traits then cost less than the table's check)."""
        if "nbtools.config" not in sys.modules:
            from nbtools.settings_defaults import unset_defaults

            defaults = unset_defaults(self.environ, self.config_file, self.flags)
            if defaults is not None:
                return defaults
        from nbtools.unused_imports import TOOLKIT_DEFERRED, deferring

        with deferring(TOOLKIT_DEFERRED):  # as the rest of the toolkit was (main)
            from nbtools.config import NbtoolsSettings

        settings = self.settings(NbtoolsSettings)
        return {name: getattr(settings, name) for name in settings.trait_names(config=True)}

    def close(self) -> None:
        """Release the store if a command opened it."""
        if "project" in self.__dict__:
            self.project.close()


def _reads_only() -> bool:
    """Whether the command being read or run only reads
    (:func:`~nbtools.cli.decorators.reads_only`): its option callbacks and argument types
    (which may open the project) run in its context too."""
    import click

    ctx = click.get_current_context(silent=True)
    return ctx is not None and bool(getattr(ctx.command.callback, READS_ONLY, False))
