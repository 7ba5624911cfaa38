"""The ``MetaData`` every table of the store is declared on, in SQLAlchemy Core only.

The ORM's declarative ``Base`` (:mod:`nbtools.store.base`) uses it, and so can a Core
``Table`` that a command reads and writes without importing the ORM (``env_snapshots``:
``nbtools env snapshot`` then skips ``sqlalchemy.orm``'s import, see docs/performance.md).
"""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The one schema of the store (``Base.metadata``), which the migrations must create.
metadata = MetaData(naming_convention=NAMING_CONVENTION)
