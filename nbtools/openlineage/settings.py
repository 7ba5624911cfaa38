"""This process's OpenLineage settings (the class is :class:`nbtools.config.OpenLineageSettings`,
declared with the others; here they are read as every command reads its settings)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from nbtools.config import OpenLineageSettings
from nbtools.settings import CONFIG_FILE_VARIABLE, build, layered_config


@functools.cache
def current() -> OpenLineageSettings:
    """This process's settings: ``$NBTOOLS_CONFIG``'s file, then the environment."""
    named = os.environ.get(CONFIG_FILE_VARIABLE)
    config = layered_config(Path(named) if named else None, classes=(OpenLineageSettings,))
    return build(OpenLineageSettings, config)
