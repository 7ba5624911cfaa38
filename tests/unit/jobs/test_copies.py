"""The copies **Open output** makes in ``nbtools-outputs/`` go with their run's outputs: a
purge deletes (and first lists) them, retention deletes those of every erased run; files that
only look like copies stay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from nbtools import jobs
from nbtools.data.usage import dataset_usage, purge_outputs
from nbtools.jobs.copies import OPEN_DIR, delete_erased_copies
from nbtools.jobs.retention import prune_runs
from nbtools.jobs.run_files import run_dir
from nbtools.jobs.tables import runs_table
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.purge_support import add_run, customers_project, nbtools


@pytest.fixture
def project(tmp_path: Path, store_url: str) -> Iterator[Project]:
    yield from customers_project(tmp_path, store_url)


def opened(project: Project, run_id: int) -> Path:
    """The copy **Open output** makes of the run's notebook."""
    copy = project.root / jobs.copy_output_notebook(project, run_id)
    assert copy.read_text() == '{"cells": []}'
    return copy


def test_a_purge_lists_and_deletes_the_copies_of_its_runs(project: Project) -> None:
    """Before, ``nbtools-outputs/nb-run-N.ipynb`` kept the data after the purge."""
    used, other = add_run(project, "customers"), add_run(project, None)
    copy, kept = opened(project, used), opened(project, other)
    assert copy.relative_to(project.root).as_posix() == f"{OPEN_DIR}/nb-run-{used}.ipynb"

    [usage] = dataset_usage(project, "customers")
    assert usage.files["copy"] == str(copy)
    declined = nbtools(project, "data", "usage", "customers", "--purge", answer="n\n")
    assert "the output files (2) and artifacts of the 1 run(s) derived" in declined.output
    assert copy.is_file()

    result = purge_outputs(project, "customers")
    assert str(copy) in result.files
    assert len(result.files) == 2
    assert not copy.exists()
    assert kept.is_file()  # a run that did not use the dataset keeps its copy
    assert dataset_usage(project, "customers")[0].files == {}


def test_a_copy_an_erased_run_left_is_listed_and_purged(project: Project) -> None:
    """A run pruned (or purged) before copies were deleted with it left its copy: the
    dataset's usage lists it, and the purge deletes it without counting the run again."""
    run_id = add_run(project, "customers")
    copy = opened(project, run_id)
    _mark(project, run_id, "pruned_at")
    [usage] = dataset_usage(project, "customers")
    assert usage.files == {"copy": str(copy)}
    table = nbtools(project, "data", "usage", "customers").output
    assert "│ pruned " in table
    declined = nbtools(project, "data", "usage", "customers", "--purge", answer="n\n")
    assert "the output files (1) and artifacts of the 1 run(s) derived" in declined.output

    result = purge_outputs(project, "customers")
    assert (result.runs, result.files) == ([], [str(copy)])
    assert not copy.exists()
    again = nbtools(project, "data", "usage", "customers", "--purge")
    assert again.output.startswith("Nothing to delete: the outputs of the runs derived")


def _mark(project: Project, run_id: int, column: str) -> None:
    """Mark the run's outputs deleted as an earlier version did: the copy stays."""
    with project.store.connection(write=True) as connection:
        connection.execute(
            update(runs_table).where(runs_table.c.id == run_id).values({column: utcnow()})
        )


def test_retention_deletes_the_copies_of_every_erased_run(project: Project) -> None:
    """Before, ``runs prune`` left ``nbtools-outputs/nb-run-N.ipynb``."""
    purged_before, pruned_before = add_run(project, None), add_run(project, None)
    expiring, newest = add_run(project, None), add_run(project, None)
    copies = {
        run_id: opened(project, run_id) for run_id in (expiring, purged_before, pruned_before)
    }
    copies[newest] = opened(project, newest)
    _mark(project, purged_before, "purged_at")
    _mark(project, pruned_before, "pruned_at")
    directory = project.root / OPEN_DIR
    lookalikes = [
        directory / f"other-run-{expiring}.ipynb",  # not the name of its run's notebook
        directory / "nb-run-99999999999999999999.ipynb",  # no run can have that id
        directory / "nb-run-0.ipynb",
        directory / "notes.ipynb",
    ]
    for path in lookalikes:
        path.write_text("{}")
    (directory / f"nb-run-{pruned_before}.ipynb.d").mkdir()

    report = prune_runs(project, keep=1, now=utcnow())  # every ended run but the newest
    assert expiring in report.pruned
    assert newest not in report.pruned
    assert sorted(report.copies) == sorted(
        f"{OPEN_DIR}/nb-run-{run_id}.ipynb" for run_id in (expiring, purged_before, pruned_before)
    )
    assert report.to_dict()["copies"] == report.copies
    assert [run_id for run_id, copy in copies.items() if copy.exists()] == [newest]
    assert all(path.exists() for path in lookalikes)
    assert delete_erased_copies(project) == []  # nothing left to do


def test_the_cli_prune_deletes_left_copies_with_nothing_expired(project: Project) -> None:
    run_id = add_run(project, None)
    copy = opened(project, run_id)
    _mark(project, run_id, "pruned_at")
    dry = nbtools(project, "runs", "prune", "--dry-run")
    assert (dry.exit_code, copy.is_file()) == (0, True)  # a dry run deletes nothing
    done = nbtools(project, "runs", "prune")  # nothing expired: nothing to confirm
    assert done.exit_code == 0, done.output
    assert f"Deleted the copies Open output made of erased runs: {OPEN_DIR}/" in done.output
    assert not copy.exists()
    assert json.loads(nbtools(project, "runs", "prune", "--json").stdout)["copies"] == []


def test_no_copies_directory_is_nothing_to_delete(project: Project) -> None:
    assert delete_erased_copies(project) == []
    (project.root / OPEN_DIR).write_text("a file, not a directory")
    assert delete_erased_copies(project) == []


def test_a_notebook_named_with_the_longest_name_has_a_copy(project: Project) -> None:
    """``a…a.ipynb`` (255 bytes) made a copy's name of 261 bytes, which no file system takes:
    Open output failed (a 500). The notebook's name is cut short to fit, at a character."""
    for stem in ("a" * 249, "é" * 124 + "b"):  # 255 and 254 bytes with .ipynb
        run_id = add_run(project, None)
        with project.store.connection(write=True) as connection:
            connection.execute(
                update(runs_table)
                .where(runs_table.c.id == run_id)
                .values(notebook_path=f"{stem}.ipynb")
            )
        stored = run_dir(project, run_id)
        (stored / "nb.ipynb").rename(stored / f"{stem}.ipynb")  # as the run stored it
        name = opened(project, run_id).name
        assert len(name.encode()) <= 255
        assert name.endswith(f"-run-{run_id}.ipynb")
        assert stem.startswith(name.removesuffix(f"-run-{run_id}.ipynb"))
        _mark(project, run_id, "pruned_at")
        assert delete_erased_copies(project) == [f"{OPEN_DIR}/{name}"]
