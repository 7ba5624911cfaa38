"""Settings nbtools does not know, each a warning naming the closest it knows: an option a
settings class does not have (``c.JobsSettings.wokers``), a config section misspelling a
settings class (``c.JobSettings``), a ``$NBTOOLS_…`` variable nbtools does not read
(``$NBTOOLS_JOBS_WOKERS``). Each has no effect, and nothing is refused."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from nbtools.settings import CONFIG_FILE_VARIABLE, environment_variable, no_effect

if TYPE_CHECKING:
    from nbtools.config import Settings


#: The prefix of each settings class's variables (its ``env_prefix``), longest first, so that
#: a variable is told apart without importing its class (``JobsSettings`` brings SQLAlchemy,
#: ≈ 0.4 s of a command that never opens the store); tests/unit/test_settings.py checks it.
VARIABLE_PREFIXES = {
    "OpenLineageSettings": "NBTOOLS_OPENLINEAGE_",
    "MetricsSettings": "NBTOOLS_METRICS_",
    "NotificationSettings": "NBTOOLS_NOTIFY_",
    "ServeSettings": "NBTOOLS_SERVE_",
    "JobsSettings": "NBTOOLS_JOBS_",
    "EnvSettings": "NBTOOLS_ENV_",
    "NbtoolsSettings": "NBTOOLS_",
}


def warn_unknown_variables(
    environ: Mapping[str, str],
    classes: Iterable[type[Settings]],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """A ``$NBTOOLS_…`` variable nbtools does not read (``$NBTOOLS_JOBS_WOKERS=4``) changes
    nothing: a warning naming the closest it reads, as for a config file's unknown option
    (:func:`~nbtools.settings.build`), by the reader of ``classes``, each read once: a variable is its prefix's
    class's (:data:`VARIABLE_PREFIXES`). nbtools also reads the config file's, those it sets
    for what it starts (:func:`own_variables`) and the one holding a service's API key
    (``ServeSettings.api_key_env`` in ``config``, the layers read: a config file's, the
    flags; or in the environment), the user's."""
    prefix = VARIABLE_PREFIXES["NbtoolsSettings"]  # every class's starts with it
    named = {name for name, value in environ.items() if value and name.startswith(prefix)}
    if not named:  # most commands: nothing to compare (the options' names are not gathered)
        return
    read = {cls.__name__: cls for cls in classes}
    key = (config or {}).get("ServeSettings", {}).get("api_key_env")
    skipped = {CONFIG_FILE_VARIABLE, str(key), environ.get("NBTOOLS_SERVE_API_KEY_ENV")}
    known = {
        environment_variable(cls, name)
        for cls in read.values()
        for name in cls.class_trait_names(config=True)
    }
    unknown = [name for name in sorted(named - known - skipped) if _owner(name) in read]
    if unknown and "NbtoolsSettings" in read:
        known |= own_variables()
        unknown = [name for name in unknown if name not in known]
    cut = len(VARIABLE_PREFIXES["NbtoolsSettings"])  # compared without the prefix all share
    for name in unknown:
        shown = {variable[cut:]: f"${variable}" for variable in known}
        no_effect(f"The variable ${name} is not one nbtools reads", name[cut:], shown)


def _owner(variable: str) -> str | None:
    """The settings class whose prefix ``variable`` has (the longest), None if none."""
    return next((c for c, p in VARIABLE_PREFIXES.items() if variable.startswith(p)), None)


def own_variables() -> set[str]:
    """The variables nbtools sets for the processes it starts (a run's kernel, a background
    lineage emitter), which read them back: no option's, never reported as unknown."""
    from nbtools.config import DATA_USES_VARIABLE, PURPOSE_VARIABLE, RUN_ID_VARIABLE
    from nbtools.kernels import ARTIFACTS_DIR_ENV
    from nbtools.limits import MAX_BYTES_ENV
    from nbtools.lineage.background import SPEC_VARIABLE

    return {
        PURPOSE_VARIABLE,
        DATA_USES_VARIABLE,
        RUN_ID_VARIABLE,
        ARTIFACTS_DIR_ENV,
        MAX_BYTES_ENV,
        SPEC_VARIABLE,
    }


def warn_unknown_sections(config: Mapping[str, Any]) -> None:
    """Warn about each section of ``config`` (a config file's, the server's) whose name is
    close to a settings class of nbtools but none (``c.JobSettings``: did you mean
    JobsSettings?), as a misspelt option is warned about (:func:`~nbtools.settings.build`); other sections
    (``ServerApp``, other extensions') are left alone. Once per configuration read."""
    import difflib

    for name in config:
        if name in VARIABLE_PREFIXES or not isinstance(config[name], Mapping):
            continue
        if difflib.get_close_matches(name, VARIABLE_PREFIXES, n=1, cutoff=_CLOSE_SECTION):
            no_effect(
                f"The config section {name} is not a settings class of nbtools",
                name,
                {known: known for known in VARIABLE_PREFIXES},
            )


#: How close a section's name must be to a settings class's to be taken for a misspelling.
_CLOSE_SECTION = 0.8
