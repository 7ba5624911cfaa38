"""``nbtools version gc`` on a long history: linear without indexes on SQLite, correct beside
a save, and the migration that drops those indexes (``versions_0003``), both ways."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect

from nbtools import versioning
from nbtools.project import Project
from nbtools.store import migrations
from nbtools.store.database import create_store_engine
from tests.conftest import opened_for_writing
from tests.held import Stop, fifo, start
from tests.unit.versioning.conftest import edit, rich_notebook

#: SQLite virtual machine instructions per call of the progress handler.
STEP = 100


def long_history(project: Project, count: int) -> None:
    """``count`` versions of one notebook, each changing two cells (so each version leaves
    gc a manifest and two cells, some of them deltas, to remove)."""
    nb = rich_notebook()
    for number in range(count):
        changed = edit(nb, 1, f"x = {number}")
        changed["cells"][0]["source"] = f"# Forecast {number}\n\nSome *text*."
        versioning.commit(project, "nb.ipynb", changed)


@contextlib.contextmanager
def instructions(project: Project) -> Iterator[list[int]]:
    """The SQLite instructions (in :data:`STEP`s) the store's connections execute while the
    block runs: what a query costs, whatever the machine's load."""
    counted = [0]

    def count() -> int:
        counted[0] += 1
        return 0  # go on

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.set_progress_handler(count, STEP)

    def on_checkin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_progress_handler(None, STEP)

    engine = project.store.engine
    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    try:
        yield counted
    finally:
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "checkin", on_checkin)


def gc_instructions(root: Path, count: int) -> tuple[int, int]:
    """The instructions a collection keeping 1 of ``count`` versions executes, and the
    objects it removes."""
    project = Project(root)
    try:
        long_history(project, count)
        with instructions(project) as counted:
            report = versioning.collect_garbage(project, keep=1)
        assert versioning.verify(project).ok
        return counted[0], report.objects_removed
    finally:
        project.close()


def test_gc_of_twice_the_history_costs_the_database_twice_the_work(tmp_path: Path) -> None:
    """Checking, for each object removed, what refers to it read the whole of ``versions``
    and ``version_objects`` without their indexes (gc of 2000 versions, ≈ 42,000 objects:
    ≈ 170 s); SQLite's store has no such index (``versions_0003``), so gc removes with keys
    unenforced and checks them once: twice the history, about twice the instructions, where
    a check per removed row made it four times."""
    small, small_removed = gc_instructions(tmp_path / "small", 60)
    large, large_removed = gc_instructions(tmp_path / "large", 120)
    assert large_removed > 1.9 * small_removed
    assert large < 2.6 * small, (small, large)


def test_a_save_during_gc_waits_for_it_and_is_kept(project: Project, tmp_path: Path) -> None:
    """gc holds the store's write lock while it removes rows with keys unenforced: a save
    meanwhile is recorded after it, and the store is whole."""
    long_history(project, 10)
    pipe = fifo(tmp_path / "held")
    gc = start(
        project.root, "version", "gc", "--keep", "1", stop=Stop("open", "/packs/", fifo=pipe)
    )
    writer = opened_for_writing(pipe, gc)  # gc waits in its transaction, at its first read
    saved: list[versioning.Version] = []
    save = threading.Thread(
        target=lambda: saved.append(
            versioning.commit(project, "nb.ipynb", edit(rich_notebook(), 1, "during gc"))
        )
    )
    try:
        save.start()
    finally:
        os.close(writer)
    out, err = gc.communicate(timeout=120)
    save.join(120)
    assert gc.returncode == 0, (out + err).decode()
    [version] = saved
    assert [v.number for v in versioning.history(project, "nb.ipynb")] == [version.number, 10]
    assert versioning.version_notebook(project, version)["cells"][1]["source"] == "during gc"
    assert versioning.verify(project).ok


def _indexes(engine: Any) -> set[str]:
    found = set()
    for table in ("version_objects", "versions", "version_refs"):
        found |= {index["name"] for index in inspect(engine).get_indexes(table)}
    return found


def test_a_store_with_the_gc_indexes_loses_them_on_sqlite_and_regains_them_back(
    tmp_path: Path,
) -> None:
    from alembic import command

    database = tmp_path / ".nbtools" / "nbtools.db"
    database.parent.mkdir()
    engine = create_store_engine(f"sqlite:///{database}")
    migrations.upgrade(engine)
    command.downgrade(migrations._config(engine), "versions_0002")  # a store of session 31
    kept = {"ix_version_objects_base", "ix_versions_manifest", "ix_version_refs_version_id"}
    assert _indexes(engine) == kept
    engine.dispose()

    project = Project(tmp_path)  # opening it migrates it
    long_history(project, 5)
    assert _indexes(project.store.engine) == {"ix_version_refs_version_id"}
    versioning.collect_garbage(project, keep=2)
    assert [v.number for v in versioning.history(project, "nb.ipynb")] == [5, 4]
    assert versioning.verify(project).ok
    project.close()

    command.downgrade(migrations._config(engine), "versions_0002")
    assert _indexes(engine) == kept
    engine.dispose()
    project = Project(tmp_path)
    assert [v.number for v in versioning.history(project, "nb.ipynb")] == [5, 4]
    assert versioning.verify(project).ok
    project.close()
