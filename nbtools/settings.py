"""How a setting gets its value: one order of precedence for the CLI and the server.

Every option is a trait of a settings class (:class:`nbtools.config.NbtoolsSettings`,
:class:`nbtools.jobs.config.JobsSettings`, :class:`nbtools.metrics.config.MetricsSettings`,
:class:`nbtools.metrics.config.NotificationSettings`), which declares its name, default and help
once. A value comes from, lowest first:

1. the trait's default;
2. a config file (``c.JobsSettings.workers = 4`` in a ``.py`` file, or the same as JSON):
   Jupyter's config files for the server, ``--config FILE`` / ``$NBTOOLS_CONFIG`` for the CLI;
3. the environment: ``$NBTOOLS_ROOT``, ``$NBTOOLS_DB_URL``, and for every other option its
   class's prefix and the option's name in capitals (``$NBTOOLS_JOBS_WORKERS``);
4. a command-line flag (``nbtools scheduler --workers 4``; ``jupyter lab
   --JobsSettings.workers=4`` for the server).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from traitlets import TraitError, TraitType
from traitlets.config import Config, Configurable

#: The environment variable naming the CLI's config file.
CONFIG_FILE_VARIABLE = "NBTOOLS_CONFIG"

C = TypeVar("C", bound=Configurable)


def settings_classes() -> tuple[type[Configurable], ...]:
    """Every settings class, in the order the docs list them."""
    from nbtools.config import NbtoolsSettings, OpenLineageSettings
    from nbtools.jobs.config import JobsSettings
    from nbtools.metrics.config import MetricsSettings, NotificationSettings

    return (
        NbtoolsSettings,
        JobsSettings,
        MetricsSettings,
        NotificationSettings,
        OpenLineageSettings,
    )


def environment_variable(cls: type[Configurable], name: str) -> str:
    """The environment variable of option ``name`` of ``cls``: the trait's ``env`` tag, else the
    class's ``env_prefix`` and the name in capitals."""
    trait = cls.class_traits(config=True)[name]
    explicit = trait.metadata.get("env")
    if explicit:
        return str(explicit)
    return f"{getattr(cls, 'env_prefix', 'NBTOOLS_')}{name.upper()}"


def read_config_file(path: Path) -> Config:
    """The settings in a Jupyter-style config file: Python (``c.Class.option = value``) or JSON."""
    from traitlets.config.loader import (
        ConfigFileNotFound,
        JSONFileConfigLoader,
        PyFileConfigLoader,
    )

    from nbtools.errors import InvalidInputError

    loader_class = JSONFileConfigLoader if path.suffix == ".json" else PyFileConfigLoader
    if not path.is_file():
        raise InvalidInputError(f"The config file {path} does not exist.", config=str(path))
    try:
        return loader_class(path.name, path=str(path.parent.resolve())).load_config()
    except ConfigFileNotFound as error:
        raise InvalidInputError(f"Cannot read the config file {path}.", config=str(path)) from error
    except Exception as error:  # a syntax or runtime error in the user's file
        raise InvalidInputError(
            f"The config file {path} failed: {type(error).__name__}: {error}", config=str(path)
        ) from error


def environment_config(
    environ: Mapping[str, str], classes: Iterable[type[Configurable]] | None = None
) -> Config:
    """The settings given by environment variables (empty values count as unset)."""
    from nbtools.errors import InvalidInputError

    config = Config()
    for cls in classes or settings_classes():
        for name, trait in cls.class_traits(config=True).items():
            variable = environment_variable(cls, name)
            value = environ.get(variable, "")
            if not value:
                continue
            try:
                config[cls.__name__][name] = trait.from_string(value)
            except (TraitError, ValueError) as error:
                raise InvalidInputError(
                    f"${variable}={value!r} is not a valid {cls.__name__}.{name}: {error}",
                    variable=variable,
                ) from error
    return config


def layered_config(
    config_file: Path | None,
    environ: Mapping[str, str] | None = None,
    flags: Config | None = None,
    base: Config | None = None,
    classes: Iterable[type[Configurable]] | None = None,
) -> Config:
    """``base`` (e.g. the server's config files), then ``config_file``, the environment's
    variables of ``classes`` (default: every settings class) and ``flags``, each overriding the
    ones before it."""
    config = Config(base or {})
    if config_file is not None:
        config.merge(read_config_file(config_file))
    config.merge(environment_config(os.environ if environ is None else environ, classes))
    if flags is not None:
        config.merge(flags)
    return config


def build(cls: type[C], config: Config, **kwargs: Any) -> C:
    """An instance of ``cls`` configured by ``config``; a bad value is an InvalidInputError
    naming the option."""
    from nbtools.errors import InvalidInputError

    try:
        return cls(config=config, **kwargs)
    except TraitError as error:
        raise InvalidInputError(f"Invalid {cls.__name__} setting: {error}") from error


def describe(trait: TraitType[Any, Any]) -> str:
    """A trait's help text, for command-line help."""
    return " ".join(str(trait.help).split())
