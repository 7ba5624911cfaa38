"""A package stale only because another nbtools generated it: what ``--check`` tells apart.

nbtools writes files around the notebook's code (``__init__.py``, ``__main__.py``,
``pipeline.py``, ``pyproject.toml``, the tests' and the README's framing), and a new version of
nbtools may write them differently. A package extracted by an older one is then stale once
checked by the new one, though its notebook did not change. :func:`framing_only` recognises
that case from the package's manifest, so that ``nbtools extract --check`` passes with a note
saying to extract once after the upgrade (docs/export.md, *CI*), instead of failing a build
no change of its own caused. Imported only for a check that found the package stale.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbtools._version import __version__
from nbtools.export.build import GENERATOR, Extraction
from nbtools.export.writer import previous_version


def framing_only(
    extraction: Extraction, manifest: Mapping[str, Any], out: Path, version: str | None
) -> bool:
    """Whether the stale package in ``out`` (whose files nothing but nbtools changed) differs
    from ``extraction`` only because another version of nbtools wrote it: its ``manifest``
    records the notebook's content (``notebook_sha256``, the cells extraction reads), file
    name, package name, purpose and dependency pins the extraction has, the version asked for
    (``version``; ``None``: the one it has) is its version, and it records another nbtools
    version (or none: written before nbtools recorded it)."""
    if manifest.get("generator") != GENERATOR or manifest.get("nbtools_version") == __version__:
        return False
    return (
        manifest.get("notebook_sha256") == extraction.source.sha256
        and manifest.get("notebook") == extraction.source.name
        and manifest.get("package") == extraction.package
        and manifest.get("purpose") == extraction.purpose
        and manifest.get("dependencies") == extraction.dependencies
        and (version is None or version == previous_version(out, manifest))
    )


def framing_note(manifest: Mapping[str, Any]) -> str:
    """What a check that found the package stale only in nbtools' framing tells the user."""
    recorded = manifest.get("nbtools_version")
    written_by = f"nbtools {recorded}" if recorded else "an older nbtools"
    return (
        f"the package was written by {written_by}, and nbtools {__version__} writes the files "
        "around the notebook's code differently; the notebook, the package's name, version, "
        "purpose and pins are unchanged, so the check passes. Run nbtools extract without "
        "--check once to update the package after this upgrade (and commit it)."
    )
