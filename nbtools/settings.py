"""How a setting gets its value: one order of precedence for the CLI and the server.

Every option is a trait of a settings class (:class:`nbtools.config.NbtoolsSettings`,
:class:`nbtools.jobs.config.JobsSettings`, :class:`nbtools.metrics.config.MetricsSettings`,
:class:`nbtools.metrics.config.NotificationSettings`), which declares its name, default and
help once. A value comes from, lowest first:

1. the trait's default;
2. a config file (``c.JobsSettings.workers = 4`` in a ``.py`` file, or the same as JSON):
   Jupyter's config files for the server, ``--config FILE`` / ``$NBTOOLS_CONFIG`` for the CLI;
3. the environment: ``$NBTOOLS_ROOT``, ``$NBTOOLS_DB_URL``, and for every other option its
   class's prefix and the option's name in capitals (``$NBTOOLS_JOBS_WORKERS``);
4. a command-line flag (``nbtools scheduler --workers 4``; ``jupyter lab
   --JobsSettings.workers=4`` for the server).

Each layer is a :data:`Layer`, the values it gives by class name and option name: what
traitlets' loaders read from a config file (:func:`config_sections`) and what the environment
and flags give. The settings classes are :class:`~nbtools.config.Settings`, plain
``HasTraits``: a command imports traitlets' config package (its loaders, and the application
machinery they bring: ``logging.config``, ``argparse``, ≈ 14 ms of every command's start-up)
only when it reads a config file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from traitlets import TraitType
    from traitlets.config.loader import LazyConfigValue

    from nbtools.config import Settings

#: The environment variable naming the CLI's config file.
CONFIG_FILE_VARIABLE = "NBTOOLS_CONFIG"

#: Settings by class name, then option name.
Layer = dict[str, dict[str, Any]]

S = TypeVar("S", bound="Settings")


def settings_classes() -> tuple[type[Settings], ...]:
    """Every settings class, in the order the docs list them."""
    from nbtools.config import NbtoolsSettings, OpenLineageSettings
    from nbtools.envsnap.config import EnvSettings
    from nbtools.jobs.config import JobsSettings
    from nbtools.metrics.config import MetricsSettings, NotificationSettings

    return (
        NbtoolsSettings,
        JobsSettings,
        MetricsSettings,
        NotificationSettings,
        EnvSettings,
        OpenLineageSettings,
    )


def environment_variable(cls: type[Settings], name: str) -> str:
    """The environment variable of option ``name`` of ``cls``: the trait's ``env`` tag, else the
    class's ``env_prefix`` and the name in capitals."""
    trait = cls.class_traits(config=True)[name]
    explicit = trait.metadata.get("env")
    if explicit:
        return str(explicit)
    return f"{cls.env_prefix}{name.upper()}"


def config_file_of(environ: Mapping[str, str]) -> Path | None:
    """The config file ``$NBTOOLS_CONFIG`` names, None when it is unset or empty; a name
    holding bytes that are not UTF-8 is refused naming the variable, as ``--config`` is."""
    from nbtools.text import require_utf8

    named = environ.get(CONFIG_FILE_VARIABLE, "")
    if not named:
        return None
    require_utf8(
        f"${CONFIG_FILE_VARIABLE}", named, "the environment", variable=CONFIG_FILE_VARIABLE
    )
    return Path(named)


def read_config_file(path: Path, classes: Iterable[type[Settings]] | None = None) -> Layer:
    """The settings in a Jupyter-style config file: Python (``c.Class.option = value``) or JSON,
    read by traitlets' own loaders; the options of ``classes`` (default: every settings class)
    the file only reads are their defaults (:func:`config_sections`)."""
    import json

    from traitlets.config.loader import (
        ConfigFileNotFound,
        JSONFileConfigLoader,
        PyFileConfigLoader,
    )

    from nbtools.errors import InvalidInputError
    from nbtools.infiles import check_regular, read_regular

    class Utf8JSONLoader(JSONFileConfigLoader):
        """traitlets' JSON loader, reading the file in JSON's encoding (UTF-8, RFC 8259)
        rather than in the locale's."""

        def _read_file_as_dict(self) -> dict[str, Any]:
            raw = read_regular(Path(self.full_filename), path=self.full_filename)
            return cast(dict[str, Any], json.loads(raw))

    loader_class = Utf8JSONLoader if path.suffix == ".json" else PyFileConfigLoader
    if path.is_dir():
        raise InvalidInputError(
            f"The config file {path} is a directory: name a .py or .json file.", config=str(path)
        )
    check_regular(path, f"The config file {path}", path=str(path), config=str(path))
    if not path.is_file():
        raise InvalidInputError(f"The config file {path} does not exist.", config=str(path))
    try:
        config = loader_class(path.name, path=str(path.parent.resolve())).load_config()
    except ConfigFileNotFound as error:
        raise InvalidInputError(f"Cannot read the config file {path}.", config=str(path)) from error
    except InvalidInputError:  # swapped for a named pipe since checked
        raise
    except (Exception, SystemExit) as error:  # an error in the user's file, or its sys.exit()
        raise InvalidInputError(
            f"The config file {path} failed: {type(error).__name__}: {error}", config=str(path)
        ) from error
    return config_sections(config, classes)


def config_sections(
    config: Mapping[str, Any],
    classes: Iterable[type[Settings]] | None = None,
    within: Iterable[str] = (),
) -> Layer:
    """The class sections of a traitlets ``Config`` (a config file's, the server's), copied.

    A config file that only reads an option (``if c.NbtoolsSettings.actor: ...``) leaves a
    ``LazyConfigValue`` behind, as one that changes a value in place would: it is applied to
    the option's default, as a ``Configurable`` applied it, for the options of ``classes``
    (default: every settings class). One of an option the class does not have is kept for
    :func:`build` to report.

    ``within`` names the sections of a parent, least specific first (the server's
    ``NbtoolsApp.section_names()``): a class's section inside one of them
    (``c.NbtoolsApp.JobsSettings.workers``) overrides the top-level one, as traitlets' sections
    of a ``Configurable``'s parent did.
    """
    from traitlets.config.loader import LazyConfigValue

    from nbtools.errors import InvalidInputError

    traits = {cls.__name__: cls.class_traits(config=True) for cls in classes or settings_classes()}
    parents = [config.get(parent) for parent in within]
    layer: Layer = {}
    for sections in [config, *(p for p in parents if isinstance(p, Mapping))]:
        for name, values in sections.items():
            if name in traits and not isinstance(values, Mapping):  # {"JobsSettings": [4]}
                raise InvalidInputError(
                    f"{name} is the {type(values).__name__} {values!r}, not a section of "
                    "options ({'option': value})."
                )
            if not (isinstance(values, Mapping) and name[:1].isupper()):
                continue
            section = layer.setdefault(name, {})
            for option, value in values.items():
                trait = traits.get(name, {}).get(option)
                if isinstance(value, LazyConfigValue) and trait is not None:
                    _refuse_in_place_change(f"{name}.{option}", value, trait.default_value)
                    value = value.get_value(trait.default_value)
                section[option] = value
    return layer


#: How traitlets records each in-place change of an option a config file has not set.
_IN_PLACE = {
    "extend": ".append()/.extend()",
    "prepend": ".prepend()",
    "inserts": ".insert()",
    "update": ".update()/.add()",
}


def _refuse_in_place_change(option: str, lazy: LazyConfigValue, default: Any) -> None:
    """A config file's ``c.JobsSettings.workers.append(4)`` (or ``extend``, ``insert``,
    ``prepend``, ``update``, ``add``): traitlets would apply it to a list, dict or set and drop
    it silently on any other value. Every option of nbtools is one value: refused, naming it."""
    from nbtools.errors import InvalidInputError

    changes = lazy.to_dict()
    if changes and not isinstance(default, (list, dict, set)):
        calls = " and ".join(_IN_PLACE.get(change, change) for change in sorted(changes))
        raise InvalidInputError(
            f"{option} is one value, not a list, dict or set: the config file calls {calls} "
            f"on it, which would have no effect. Set it instead: c.{option} = ...",
            field=option,
        )


def environment_config(
    environ: Mapping[str, str], classes: Iterable[type[Settings]] | None = None
) -> Layer:
    """The settings given by environment variables (empty values count as unset). A value
    holding bytes that are not UTF-8 is refused naming its variable, as such a flag is
    (:func:`~nbtools.text.require_utf8`)."""
    from nbtools.errors import InvalidInputError
    from nbtools.text import require_utf8

    layer: Layer = {}
    for cls in classes or settings_classes():
        for name, trait in cls.class_traits(config=True).items():
            variable = environment_variable(cls, name)
            value = environ.get(variable, "")
            if not value:
                continue
            require_utf8(f"${variable}", value, "the environment", variable=variable)
            try:  # its type and bounds, named by the variable
                parsed = validated(trait, _from_text(trait, value))
            except ValueError as error:
                raise InvalidInputError(
                    f"${variable}={_shown(value)} is not a valid {cls.__name__}.{name}: {error}.",
                    variable=variable,
                ) from error
            layer.setdefault(cls.__name__, {})[name] = parsed
    return layer


def _from_text(trait: TraitType[Any, Any], text: str) -> Any:
    """An environment variable's ``text`` as ``trait`` reads a command line (``4``, ``true``);
    text it cannot read is a :class:`ValueError` saying what is expected."""
    try:
        return trait.from_string(text)
    except ValueError:
        raise ValueError(f"expected {requirement(trait)}") from None


def validated(trait: TraitType[Any, Any], value: Any) -> Any:
    """``value`` as ``trait`` takes it: its type, bounds and form (a URL's); a bad one is a
    :class:`ValueError` saying what is expected (``expected an integer of at least 0``), and
    why when the trait says (:class:`~nbtools.config.Refused`: ``($SCORER_KEY is empty or
    unset)``)."""
    from traitlets import TraitError

    from nbtools.config import Refused

    try:
        return cast(Any, trait).validate(None, value)
    except TraitError as error:
        why = f" ({error})" if isinstance(error, Refused) else ""
        raise ValueError(f"expected {requirement(trait)}{why}") from None


def _shown(value: Any, limit: int = 60) -> str:
    """``value`` quoted for a message, without a URL's login (a database's password, an
    index's token), its middle left out beyond ``limit`` characters."""
    from nbtools.urls import without_login

    if not isinstance(value, str):
        value = repr(value)
        return value if len(value) <= limit else f"{value[: limit // 2]}… ({len(value)} characters)"
    value = without_login(value)
    if len(value) <= limit:
        return repr(value)
    return f"{value[: limit // 2]!r}…{value[-limit // 4 :]!r} ({len(value)} characters)"


def merge(into: Layer, layer: Mapping[str, Mapping[str, Any]]) -> Layer:
    """``into`` with the values of ``layer`` over its own, option by option."""
    for name, values in layer.items():
        into.setdefault(name, {}).update(values)
    return into


#: Where a value came from, in a message refusing it: given the option
#: (``JobsSettings.workers``) and the value shown, the setting as its source spells it.
Source = Callable[[str, str], str]


def in_file(path: object) -> Source:
    """A value set in the config file ``path`` (or files: Jupyter's, listed)."""
    return lambda option, value: f"c.{option} = {value} in {path}"


#: The server's config files, unnamed.
JUPYTER_CONFIG = in_file("Jupyter's config files")


def on_command_line(option: str, value: str) -> str:
    """A value given on a Jupyter command line (``jupyter lab --JobsSettings.workers=4``)."""
    return f"--{option}={value} on the command line"


def layered_config(
    config_file: Path | None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Mapping[str, Any]] | None = None,
    base: Mapping[str, Any] | None = None,
    classes: Iterable[type[Settings]] | None = None,
    base_source: Source = JUPYTER_CONFIG,
) -> Layer:
    """``base`` (the server's config files: a ``Config`` or its :func:`config_sections`), then
    ``config_file``, the environment's variables of ``classes`` (default: every settings class)
    and ``flags``, each overriding the ones before it.

    Each value that wins is checked by its option's trait: a bad one is an
    :class:`~nbtools.errors.InvalidInputError` naming the option, the value and where it was
    set (``base_source``, the config file, the command line), as a bad variable is named as
    it is read. A bad value another layer overrides is not in effect, and not refused.
    """
    environ = os.environ if environ is None else environ
    layers: list[tuple[Mapping[str, Mapping[str, Any]], Source | None]] = []
    if base:
        layers.append((config_sections(base, classes), base_source))
    if config_file is not None:
        layers.append((read_config_file(config_file, classes), in_file(config_file)))
    environment = environment_config(environ, classes)
    layers += [(environment, None), (flags or {}, on_command_line)]  # variables: checked
    config: Layer = {}
    sources: dict[tuple[str, str], Source | None] = {}
    for layer, source in layers:
        merge(config, layer)
        sources.update({(cls, name): source for cls, values in layer.items() for name in values})
    for cls in classes or settings_classes():
        traits = cls.class_traits(config=True)
        for name, value in config.get(cls.__name__, {}).items():
            source = sources[cls.__name__, name]
            if name in traits and source is not None:
                _check(traits[name], f"{cls.__name__}.{name}", value, source)
    return config


def _check(trait: TraitType[Any, Any], option: str, value: Any, source: Source) -> None:
    from nbtools.errors import InvalidInputError

    try:
        validated(trait, value)
    except ValueError as error:
        raise InvalidInputError(
            f"{source(option, _shown(value))}: {error}.", field=option
        ) from None


def typed_flags(
    config: Mapping[str, Any], classes: Iterable[type[Settings]] | None = None
) -> Layer:
    """The values a Jupyter command line (``jupyter lab --JobsSettings.workers=4``) gives the
    options of ``classes`` (default: every settings class), typed by their traits: traitlets
    leaves a value for a class its application does not list as text to be typed later (a
    ``DeferredConfig``). Text that is not a valid value stays text, for :func:`build` to refuse
    naming the option; a flag of one value given twice is refused here, naming it."""
    from traitlets.config.loader import DeferredConfig

    from nbtools.errors import InvalidInputError

    layer = config_sections(config)
    for cls in classes or settings_classes():
        traits = cls.class_traits(config=True)
        values = layer.get(cls.__name__, {})
        for name, value in values.items():
            if isinstance(value, DeferredConfig) and name in traits:
                try:
                    values[name] = value.get_value(traits[name])
                except ValueError as error:  # "workers only accepts one value, got 2: ..."
                    raise InvalidInputError(f"--{cls.__name__}.{name}: {error}") from error
    return layer


def build(cls: type[S], config: Mapping[str, Mapping[str, Any]]) -> S:
    """An instance of ``cls`` with the values ``config`` gives its options; a bad value is an
    InvalidInputError naming the option, an unknown option a warning naming the closest."""
    values = dict(config.get(cls.__name__, {}))
    options = cls.class_trait_names(config=True)
    for name in sorted(set(values) - set(options)):
        _warn_unknown(cls, name, options)
        del values[name]
    from traitlets import TraitError

    try:
        return cls(**values)
    except TraitError as error:
        from nbtools.errors import InvalidInputError

        raise InvalidInputError(f"Invalid {cls.__name__} setting: {error}") from error


def _warn_unknown(cls: type[Settings], name: str, options: list[str]) -> None:
    no_effect(
        f"The setting {cls.__name__}.{name} is not an option of nbtools",
        name,
        {option: f"{cls.__name__}.{option}" for option in options},
    )


def no_effect(what: str, name: str, shown: Mapping[str, str]) -> None:
    """Warn that ``what`` has no effect, naming the closest of ``shown``'s keys to ``name``
    as its value shows it (an option here, a section or a variable:
    :mod:`nbtools.unknown_settings`)."""
    import difflib
    import logging

    close = difflib.get_close_matches(name, sorted(shown), n=1)
    hint = f"; did you mean {shown[close[0]]}?" if close else "."
    logging.getLogger("nbtools").warning("%s: it has no effect%s", what, hint)


def bounds(trait: TraitType[Any, Any]) -> tuple[float | None, float | None]:
    """The ``min`` and ``max`` of a number option, ``None`` where there is none."""
    low, high = getattr(trait, "min", None), getattr(trait, "max", None)
    return (
        None if low is None or low == -math.inf else low,
        None if high is None or high == math.inf else high,
    )


def requirement(trait: TraitType[Any, Any]) -> str:
    """What a valid value of ``trait`` is, in words (``an integer of at least 0``)."""
    from traitlets import Bool, Enum, Float, Int, Unicode

    if isinstance(trait, Bool):
        return "true or false (1 or 0)"
    if isinstance(trait, Enum):
        return "one of " + ", ".join(str(value) for value in trait.values or ())
    if not isinstance(trait, (Int, Float)):
        return "text" if type(trait) is Unicode else str(trait.info_text)
    kind = "an integer" if isinstance(trait, Int) else "a finite number"
    low, high = (_plain(bound) for bound in bounds(trait))
    if low is not None and high is not None:
        return f"{kind} from {low} to {high}"
    if low is not None:
        return f"{kind} of at least {low}"
    return kind if high is None else f"{kind} of at most {high}"


def _plain(bound: float | None) -> str | None:
    """A bound as people write it: ``0.01``, ``2147483647`` (never ``2.14748e+09``)."""
    if bound is None:
        return None
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


def describe(trait: TraitType[Any, Any]) -> str:
    """A trait's help text, for command-line help."""
    return " ".join(str(trait.help).split())
