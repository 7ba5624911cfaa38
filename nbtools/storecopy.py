"""Copying a project's store into another database: the move from the zero-configuration
SQLite file to PostgreSQL (``nbtools store copy --to URL``, docs/operations.md).

::

    from nbtools.storecopy import copy_store
    copied = copy_store(project, "postgresql+psycopg://nbtools@db/nbtools", actor="ana")
    copied.tables  # rows copied, by table; copied.db_url: the setting to use from now on

Every table of the store is copied (but the presence of the old store's schedulers,
:func:`copied_tables`), parents before children, each row with its id, in one transaction of
the target (:mod:`nbtools.store.copying`), from one snapshot of the store; the audit trail's
``store.copy`` entry is the last row written in it. The copy is refused, with nothing
written, while the store is in use (a run running, a scheduler alive), and into a database
that already holds nbtools data, holds other tables, or is at another schema revision; a new
database is migrated first. The files of the store directory (notebook versions' objects,
run outputs) are not copied: they stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import URL, Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

import nbtools.artifacts.tables
import nbtools.audit.tables
import nbtools.data.tables
import nbtools.envsnap.tables
import nbtools.jobs.tables
import nbtools.metrics.tables
import nbtools.openlineage.tables
import nbtools.serve.tables
import nbtools.store.tables
import nbtools.versioning.tables  # noqa: F401 - with the above: every table of the store
from nbtools import audit, jobs
from nbtools.errors import ConflictError, InvalidInputError, StoreError
from nbtools.jobs.tables import schedulers_table
from nbtools.jsonvalues import WireModel
from nbtools.store import migrations, shown_url
from nbtools.store.copying import Progress, copy_rows, reset_sequences, row_counts
from nbtools.store.database import Store, create_store_engine, store_failure
from nbtools.store.metadata import metadata

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table

    from nbtools.project import Project

#: The field of the target database's URL, in errors.
FIELD = "target_url"
#: Running runs named in a refusal, at most.
SHOWN_RUNS = 20


@dataclass(frozen=True)
class StoreCopy(WireModel):
    """A store copied into another database."""

    #: The store copied, and the database it was copied into, as URLs without their login.
    source: str
    target: str
    #: The database's URL to set from now on (``db_url``), its password shown as ``***``.
    db_url: str
    #: The store directory, whose files stay where they are.
    store_dir: str
    #: Rows copied, by table, in the order they were copied.
    tables: dict[str, int]
    rows: int


def store_tables() -> list[Table]:
    """Every table of the store, each after the tables its rows refer to."""
    return metadata.sorted_tables


def copied_tables() -> list[Table]:
    """The tables a copy writes, in :func:`store_tables`' order: all but those that describe
    the processes using the store rather than its history. The old store's schedulers
    (``schedulers``, :mod:`nbtools.jobs.presence`) never served the new one, which lists
    those that start on it."""
    return [table for table in store_tables() if table is not schedulers_table]


def copy_store(
    project: Project, target_url: str, *, actor: str | None = None, progress: Progress | None = None
) -> StoreCopy:
    """Copy every row of ``project``'s store into the database at ``target_url`` (a new or
    empty nbtools database), in one transaction of it, and record it in the audit trail
    there; ``progress`` is told the rows copied and the rows to copy as the copy goes."""
    source = project.store
    engine = _engine(target_url)
    try:
        if _same_database(source.engine.url, engine.url):
            raise InvalidInputError(
                f"{shown_url(engine.url)} is this project's store itself: name the new "
                "database to copy it into.",
                field=FIELD,
            )
        _refuse_while_in_use(project)
        _check_target(engine)
    finally:
        engine.dispose()
    target = _open(target_url)
    tables = copied_tables()
    try:
        with source.connection(snapshot=True) as reading, target.connection(write=True) as writing:
            _refuse_data(writing, store_tables(), shown_url(target.engine.url))
            copied = copy_rows(reading, writing, tables, progress or (lambda done, total: None))
            reset_sequences(writing, tables)
            rows = sum(copied.values())
            audit.record(
                writing,
                actor,
                "store.copy",
                f"store {shown_url(target.engine.url)}",
                {"from": shown_url(source.engine.url), "tables": len(copied), "rows": rows},
            )
    except SQLAlchemyError as error:
        raise StoreError(
            f"Copying the store into {shown_url(target.engine.url)} failed, and nothing was "
            f"written there: {store_failure(error)}",
            target=shown_url(target.engine.url),
        ) from error
    finally:
        target.close()
    return StoreCopy(
        source=shown_url(source.engine.url),
        target=shown_url(target.engine.url),
        db_url=target.engine.url.render_as_string(hide_password=True),
        store_dir=str(project.store_dir),
        tables=copied,
        rows=rows,
    )


def _engine(target_url: str) -> Engine:
    try:
        return create_store_engine(target_url)
    except StoreError as error:
        error.details["field"] = FIELD
        raise


def _same_database(source: URL, target: URL) -> bool:
    """Whether two URLs name one database (one SQLite file, or one server's database)."""
    from pathlib import Path

    if source.get_backend_name() != target.get_backend_name():
        return False
    if source.get_backend_name() == "sqlite":
        return (
            bool(source.database and target.database)
            and Path(str(source.database)).resolve() == Path(str(target.database)).resolve()
        )
    return (source.host, source.port, source.database) == (
        target.host,
        target.port,
        target.database,
    )


def _refuse_while_in_use(project: Project) -> None:
    """Refuse while a scheduler is alive or a run is running (runs whose executor is gone are
    ended first): either writes to the store during the copy, and what it wrote after the
    copy's snapshot would be lost."""
    alive = [seen for seen in jobs.list_schedulers(project) if seen.alive]
    if alive:
        named = ", ".join(f"{seen.host}:{seen.pid} ({seen.executor} executor)" for seen in alive)
        raise ConflictError(
            f"A scheduler serves this store ({named}): stop every scheduler that uses it (the "
            "scheduler daemons, and the Jupyter servers running one) before copying it. A "
            "scheduler that was killed counts as alive for a few polls after it was last seen.",
            schedulers=[seen.to_wire() for seen in alive],
        )
    running = jobs.list_runs(project, status="running", limit=SHOWN_RUNS)
    if running:
        ids = [int(run["id"]) for run in running]
        named = ", ".join(str(run_id) for run_id in ids)
        raise ConflictError(
            f"{'Runs' if len(ids) > 1 else 'Run'} {named} {'are' if len(ids) > 1 else 'is'} "
            "running: wait until every run has ended, or cancel them, before copying the store.",
            run_ids=ids,
        )


def _check_target(engine: Engine) -> None:
    """Refuse, without changing it, a database that is neither new (no tables at all) nor an
    nbtools store at this version's schema revision."""
    shown = shown_url(engine.url)
    try:
        recorded = migrations.recorded_revisions(engine)
        present = inspect(engine).get_table_names()
    except SQLAlchemyError as error:
        raise StoreError(
            f"Cannot use the database {shown}: {store_failure(error)}",
            field=FIELD,
            db_url=shown,
        ) from error
    if not recorded:
        if present:
            listed = ", ".join(sorted(present)[:5]) + (", …" if len(present) > 5 else "")
            raise ConflictError(
                f"The database {shown} holds tables of something else ({listed}): copy the "
                "store into a new, empty database.",
                field=FIELD,
                tables=sorted(present),
            )
        return
    heads = migrations.known_heads()
    if recorded == heads:
        return
    newer = sorted(recorded - migrations.known_revisions())
    why = (
        f"written by a newer jupyter-nbtools (revision {', '.join(newer)}): upgrade this one"
        if newer
        else f"of an older jupyter-nbtools (without revision {', '.join(sorted(heads - recorded))})"
        ": open it once with this version to migrate it"
    )
    raise ConflictError(
        f"The database {shown} is an nbtools store {why}, or copy into a new, empty database.",
        field=FIELD,
        revisions=sorted(recorded),
        expected=sorted(heads),
    )


def _open(target_url: str) -> Store:
    """The target store, migrated if it is new."""
    try:
        return Store.open(target_url)
    except StoreError as error:
        error.details["field"] = FIELD
        raise


def _refuse_data(connection: Connection, tables: list[Table], shown: str) -> None:
    """Refuse a target that holds rows already (read in the copy's own transaction)."""
    held = {name: count for name, count in row_counts(connection, tables).items() if count}
    if held:
        listed = ", ".join(f"{name} ({count})" for name, count in held.items())
        raise ConflictError(
            f"The database {shown} already holds nbtools data ({listed}), and a copy would mix "
            "two histories: nothing was copied. Copy into a new, empty database (CREATE "
            "DATABASE), or drop this one and create it again if what it holds is not needed.",
            field=FIELD,
            rows=held,
        )
