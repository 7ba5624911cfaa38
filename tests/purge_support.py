"""Runs whose outputs a purge of the dataset ``customers`` erases, shared by the purge tests
(library and CLI in ``tests/unit``, REST in ``tests/server``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner, Result

from nbtools.artifacts.tables import ArtifactRecord
from nbtools.cli.app import cli
from nbtools.data.catalog import add_dataset, dataset_spec
from nbtools.data.tables import RunDatasetRecord
from nbtools.jobs.run_files import run_dir
from nbtools.jobs.tables import Run
from nbtools.project import Project
from nbtools.store.base import utcnow


def customers_project(root: Path, db_url: str = "") -> Iterator[Project]:
    """A project at ``root`` (its store at ``db_url``, or its own SQLite file) declaring the
    dataset ``customers`` (``c.csv``), closed when the test ends: a fixture's
    ``yield from``."""
    opened = Project(root, db_url=db_url)
    (root / "c.csv").write_text("id\n1\n")
    add_dataset(opened, dataset_spec(opened, "customers", {"location": "c.csv"}))
    yield opened
    opened.close()


def add_run(
    project: Project, dataset: str | None, *, html: bool = False, job_id: int | None = None
) -> int:
    """An ended run (of job ``job_id``) with its executed notebook (and HTML), an artifact,
    and a use of ``dataset`` recorded."""
    with project.store.session(write=True) as session:
        run = Run(job_id=job_id, trigger="manual", notebook_path="nb.ipynb", status="succeeded",
                  created_at=utcnow(), finished_at=utcnow())  # fmt: skip
        session.add(run)
        session.flush()
        out = run_dir(project, run.id)
        (out / "artifacts").mkdir(parents=True)
        (out / "nb.ipynb").write_text('{"cells": []}')
        if html:
            (out / "nb.html").write_text("<p>1</p>")
        (out / "artifacts" / "model.bin").write_bytes(b"derived")
        run.output_dir = str(out)
        run.outputs = ["notebook", "html"] if html else ["notebook"]
        session.add(ArtifactRecord(run_id=run.id, name="model.bin", size=7, sha256="0" * 64,
                                   location=str(out / "artifacts" / "model.bin")))  # fmt: skip
        if dataset is not None:
            session.add(RunDatasetRecord(run_id=run.id, dataset=dataset, mode="read",
                                         classification="personal", location="c.csv"))  # fmt: skip
        return int(run.id)


def nbtools(project: Project, *args: str, answer: str | None = None) -> Result:
    """``nbtools ARGS`` on ``project`` and its store, ``answer`` typed at its prompt."""
    url = project.store.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(
        cli, ["--root", str(project.root), "--db-url", url, *args], input=answer
    )
