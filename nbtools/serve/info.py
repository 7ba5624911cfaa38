"""``GET /info``: what is being served and where it came from.

Read once at start-up from the extraction manifest (``.nbtools-extract.json``): beside the
package when it was installed from a wheel (the generated ``pyproject.toml`` ships it), or in
the extraction directory when served from it (``src/<package>/`` two levels below).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

from nbtools.export.model import MANIFEST


def find_manifest(module: ModuleType) -> dict[str, Any]:
    """The manifest of the package ``module`` (its ``__init__``), or ``{}`` if not found."""
    here = Path(module.__file__ or ".").resolve().parent
    for candidate in (here / MANIFEST, here.parent.parent / MANIFEST):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                return data
    return {}


def service_info(package: ModuleType, endpoints: list[str]) -> dict[str, Any]:
    """The facts ``/info`` shows: package, notebook, notebook version and environment."""
    manifest = find_manifest(package)
    lineage = manifest.get("lineage") or {}
    version = lineage.get("notebook_version") or {}
    environment = lineage.get("environment") or {}
    return {
        "package": package.__name__,
        "version": str(getattr(package, "__version__", "")),
        "notebook": manifest.get("notebook"),
        "notebook_sha256": manifest.get("notebook_sha256"),
        "notebook_version": version or None,
        "notebook_version_id": version.get("id"),
        "environment": environment or None,
        "environment_id": environment.get("id"),
        "endpoints": endpoints,
    }
