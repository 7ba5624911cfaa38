"""Datasets sharing a location: kept from a store written before the catalog held one dataset
per location (``location_0001``) or before a URL location had one spelling
(``location_0002``). Read in SQLAlchemy Core, so that ``nbtools status``, which reports them,
loads no ORM."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Select, func, select

from nbtools.data.tables import datasets

if TYPE_CHECKING:
    from nbtools.project import Project


def sharing() -> Select[str, str]:
    """The location and name of each dataset sharing its location with another, by location
    and name."""
    location = datasets.c.location
    shared = select(location).group_by(location).having(func.count() > 1)
    return (
        select(location, datasets.c.name)
        .where(location.in_(shared))
        .order_by(location, datasets.c.name)
    )


def shared_locations(project: Project) -> dict[str, list[str]]:
    """Each location more than one dataset holds, with their names."""
    found: dict[str, list[str]] = {}
    with project.store.connection() as connection:
        for location, name in connection.execute(sharing()):
            found.setdefault(location, []).append(name)
    return found
