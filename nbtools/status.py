"""A project's status report, shared by ``nbtools status`` and ``GET /nbtools/api/status``."""

from __future__ import annotations

from typing import Any

from nbtools._version import __version__
from nbtools.project import Project
from nbtools.store import shown_url


def project_status(project: Project) -> dict[str, Any]:
    """Version, root, store location and the schema revision of an opened store, and the
    schedulers serving it (:mod:`nbtools.jobs.presence`)."""
    from nbtools.jobs import list_schedulers

    return {
        "version": __version__,
        "root": str(project.root),
        "store_path": str(project.store_dir),
        "db_url": shown_url(project.store.engine.url),
        "schema_revision": project.store.revision(),
        "schedulers": [seen.to_wire() for seen in list_schedulers(project)],
    }
