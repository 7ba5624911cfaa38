"""The values of nbtools' own settings while nothing sets them, read without traitlets.

:class:`~nbtools.config.NbtoolsSettings` (the project's root, store directory and database,
who acts) is read by every command that opens the project, and importing traitlets, which
declares it, was ≈ 6 % of the instructions of ``nbtools extract`` (docs/performance.md). While
no config file, no flag and no ``$NBTOOLS_…`` variable sets a setting, each option's value is
what its trait gives an instance (its default), and a command reads it from a table derived
from the traits: :data:`TABLE` beside this module, written by ``python -m
nbtools.settings_defaults``.

The table cannot disagree with the traits: it records the SHA-256 of each file it is derived
from (:data:`SOURCES`: the traits' declarations, and the rules naming their variables), and it
is read only while each holds those bytes. After any change to them it is not read: the
settings are read through traitlets, as whenever something sets one, until the table is
written again (tests/unit/test_settings_defaults.py fails meanwhile).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The files of this package the table is derived from: the traits' declarations (their
#: defaults) and the rules naming their variables.
SOURCES = ("config.py", "settings.py")
#: The table, in this package.
TABLE = "settings_defaults.json"
#: The start of every variable setting a setting (and of ``$NBTOOLS_CONFIG``, naming the
#: config file): a table recording one of another name is refused when written.
PREFIX = "NBTOOLS_"

_PACKAGE = Path(__file__).parent


def unset_defaults(
    environ: Mapping[str, str],
    config_file: Path | None,
    flags: Mapping[str, Mapping[str, Any]],
    package: Path = _PACKAGE,
) -> Mapping[str, Any] | None:
    """``NbtoolsSettings``' values by option, when nothing sets a setting: no config file, no
    setting flag, no ``$NBTOOLS_…`` variable (empty ones count as unset); None otherwise, or
    when the table is not current (:func:`read_table`)."""
    if config_file is not None or any(flags.values()):
        return None
    if any(value and name.startswith(PREFIX) for name, value in environ.items()):
        return None
    return read_table(package)


def read_table(package: Path = _PACKAGE) -> Mapping[str, Any] | None:
    """The table's values, None if it is missing or was derived from other bytes than the
    :data:`SOURCES` in ``package`` hold now."""
    try:
        table = json.loads((package / TABLE).read_bytes())
    except (OSError, ValueError):
        return None
    if table.get("sources") != _digests(package):
        return None
    values: Mapping[str, Any] = table["NbtoolsSettings"]
    return values


def derived_table(package: Path = _PACKAGE) -> dict[str, Any]:
    """The table, derived from the traits: what an ``NbtoolsSettings`` instance built from
    no setting holds, with the digests of the :data:`SOURCES` in ``package``."""
    from nbtools.config import NbtoolsSettings
    from nbtools.settings import environment_variable

    names = NbtoolsSettings.class_trait_names(config=True)
    stray = [
        variable
        for variable in (environment_variable(NbtoolsSettings, name) for name in names)
        if not variable.startswith(PREFIX)
    ]
    if stray:  # nothing could tell they are unset without traitlets
        raise ValueError(f"variables not starting with {PREFIX}: {', '.join(stray)}")
    settings = NbtoolsSettings()
    values = {name: getattr(settings, name) for name in sorted(names)}
    return {"sources": _digests(package), "NbtoolsSettings": values}


def _digests(package: Path) -> dict[str, str]:
    from nbtools.digest import sha256_hex

    return {name: sha256_hex((package / name).read_bytes()) for name in SOURCES}


def write_table(package: Path = _PACKAGE) -> Path:
    """Write :data:`TABLE` from the traits; its path."""
    path = package / TABLE
    path.write_text(json.dumps(derived_table(package), indent=2) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write_table()}")
