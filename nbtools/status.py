"""A project's status report, shared by ``nbtools status`` and ``GET /nbtools/api/status``."""

from __future__ import annotations

from typing import Any

from nbtools._version import __version__
from nbtools.project import Project
from nbtools.store import shown_url
from nbtools.urls import without_login


def project_status(project: Project) -> dict[str, Any]:
    """Version, root, store location and the schema revision of an opened store, the
    schedulers serving it (:mod:`nbtools.jobs.presence`), and the datasets sharing a
    location (kept from a store written before one location held one dataset; none: ``[]``),
    each location without its login.

    A reader's project with no store yet (:attr:`~nbtools.project.Project.store_exists`)
    reports the store it would make, at no revision (``""``), and nothing serving it."""
    from nbtools.data import shared_locations
    from nbtools.jobs import list_schedulers

    if not project.store_exists:
        return {
            "version": __version__,
            "root": str(project.root),
            "store_path": str(project.store_dir),
            "db_url": without_login(project.db_url),
            "schema_revision": "",
            "schedulers": [],
            "shared_locations": [],
        }
    return {
        "version": __version__,
        "root": str(project.root),
        "store_path": str(project.store_dir),
        "db_url": shown_url(project.store.engine.url),
        "schema_revision": project.store.revision(),
        "schedulers": [seen.to_wire() for seen in list_schedulers(project)],
        "shared_locations": [
            {"location": without_login(location), "datasets": names}
            for location, names in shared_locations(project).items()
        ],
    }
