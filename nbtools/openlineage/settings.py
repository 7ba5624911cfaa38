"""This process's OpenLineage settings (the class is :class:`nbtools.config.OpenLineageSettings`,
declared with the others; here they are read as every command reads its settings), and
whether the standard configuration of ``openlineage-python`` is present beside them.

Precedence (docs/configuration.md#openlineage): ``$OPENLINEAGE_DISABLED=true`` turns events
off; else our ``transport`` (``$NBTOOLS_OPENLINEAGE_*`` or ``$NBTOOLS_CONFIG``'s file) decides
where they go; else the client's own configuration, read by the client as it reads it
everywhere; else events are off.
"""

from __future__ import annotations

import functools
import os

from nbtools.config import OpenLineageSettings
from nbtools.settings import build, config_file_of, layered_config

#: The client's own configuration file, looked for in the working directory and
#: ``~/.openlineage/`` (after ``$OPENLINEAGE_CONFIG``).
STANDARD_FILE = "openlineage.yml"


@functools.cache
def current() -> OpenLineageSettings:
    """This process's settings: ``$NBTOOLS_CONFIG``'s file, then the environment."""
    config = layered_config(config_file_of(os.environ), classes=(OpenLineageSettings,))
    return build(OpenLineageSettings, config)


def standard_configuration() -> str | None:
    """Where ``openlineage-python`` finds a transport in this process, in its own order:
    the file ``$OPENLINEAGE_CONFIG`` names, ``./openlineage.yml``,
    ``~/.openlineage/openlineage.yml``, ``$OPENLINEAGE__TRANSPORT__*`` variables, then
    ``$OPENLINEAGE_URL``; ``None`` when it would find none (it would then print events to the
    console, which we never ask it to do)."""
    files = (
        os.environ.get("OPENLINEAGE_CONFIG"),
        os.path.join(os.getcwd(), STANDARD_FILE),
        os.path.join(os.path.expanduser("~/.openlineage"), STANDARD_FILE),
    )
    for name in files:
        if name and os.path.isfile(name) and os.access(name, os.R_OK):
            return name
    for variable in sorted(os.environ):
        if variable.startswith("OPENLINEAGE__TRANSPORT__"):
            return f"${variable}"
    return "$OPENLINEAGE_URL" if os.environ.get("OPENLINEAGE_URL") else None


def enabled() -> OpenLineageSettings | None:
    """This process's settings when it emits events (our transport, or the client's own
    configuration), else ``None``."""
    if os.environ.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return None
    chosen = current()
    return chosen if chosen.transport or standard_configuration() else None
