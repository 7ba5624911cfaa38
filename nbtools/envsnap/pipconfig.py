"""The package index pip is configured to install from, read as pip reads it.

An export locks the files pip would install: behind a company's mirror (Artifactory, devpi,
Nexus) pip is told the index once, in ``$PIP_INDEX_URL`` or a ``pip.conf``, and nbtools follows
it instead of asking PyPI. pip's order, last wins: the global files (``$XDG_CONFIG_DIRS``'s
``pip/pip.conf``, ``/etc/pip.conf``), the user's (``~/.pip/pip.conf``, then
``$XDG_CONFIG_HOME/pip/pip.conf``; not read when ``$PIP_CONFIG_FILE`` names a file that
exists), the environment's (``sys.prefix/pip.conf``) and ``$PIP_CONFIG_FILE``'s; an
``[install]`` section in any of them overrides every ``[global]`` one; ``$PIP_INDEX_URL``
overrides them all, and ``PIP_CONFIG_FILE=/dev/null`` reads no file. POSIX locations only.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

_NAME = "pip.conf"


def pip_index_url(environ: Mapping[str, str] = os.environ) -> str | None:
    """The index-url pip would use for ``pip install``, or ``None`` when none is configured
    (pip then uses PyPI). A file that cannot be read is skipped: pip fails on it for every
    command, so its owner already knows."""
    if environ.get("PIP_INDEX_URL"):
        return environ["PIP_INDEX_URL"]
    if environ.get("PIP_CONFIG_FILE") == os.devnull:
        return None
    sections: dict[str, str] = {}
    for path in _config_files(environ):
        sections.update(_index_in(path))
    return sections.get("install") or sections.get("global")


def _config_files(environ: Mapping[str, str]) -> Iterator[Path]:
    """pip's configuration files, each overriding the ones before."""
    config_dirs = environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    for directory in config_dirs.split(os.pathsep):
        if directory:
            yield Path(directory) / "pip" / _NAME
    yield Path("/etc") / _NAME
    named = environ.get("PIP_CONFIG_FILE")
    if not (named and Path(named).exists()):
        home = Path(environ.get("HOME") or Path.home())
        yield home / ".pip" / _NAME
        yield Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "pip" / _NAME
    yield Path(sys.prefix) / _NAME
    if named:
        yield Path(named)


def _index_in(path: Path) -> dict[str, str]:
    """The index-url of ``path``'s ``[global]`` and ``[install]`` sections that set one."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return {}
    found = {}
    for section in ("global", "install"):
        for key in ("index-url", "index_url"):
            if parser.has_option(section, key) and parser.get(section, key).strip():
                found[section] = parser.get(section, key).strip()
    return found
