"""Shared storage: notebooks read from and outputs written to a path or an fsspec URL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from tornado.httpclient import HTTPClientError

from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.jobs.executors.base import RunRequest
from nbtools.jobs.run_files import output_files
from nbtools.jobs.runner import execute_run
from nbtools.jobs.runs import get_run, list_runs
from nbtools.jobs.storage import Storage, read_bytes
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Run
from nbtools.jobs.views import run_list_items
from nbtools.kernels import KernelSource
from nbtools.project import Project
from tests.conftest import make_notebook

pytestmark = pytest.mark.slow

NOTEBOOK = make_notebook([("code", "n = 1", ["parameters"]), ("code", "print(n * 2)", [])])


def test_storage_locations_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="must be absolute"):
        Storage.parse("relative/dir")
    with pytest.raises(InvalidInputError, match="Install the fsspec package"):
        Storage.parse("nosuchscheme://bucket/x")
    assert Storage.parse("file:///shared/nbtools/").local == Path("/shared/nbtools")
    assert Storage.parse("/shared/nbtools").run_dir(7) == "/shared/nbtools/runs/7"
    with pytest.raises(NotFoundError, match="Stored file not found"):
        read_bytes(f"memory://{uuid.uuid4().hex}/missing.ipynb")


@pytest.fixture
def remote() -> Iterator[Storage]:
    """A remote (non-local) fsspec storage: fsspec's in-memory filesystem."""
    storage = Storage.parse(f"memory://nbtools-{uuid.uuid4().hex[:8]}")
    yield storage
    import fsspec

    fsspec.filesystem("memory").rm(storage.location.removeprefix("memory://"), recursive=True)


def run_through_storage(project: Project, storage: Storage, html: bool = False) -> int:
    """Queue a run, stage its notebook, delete the original, execute from storage."""
    notebook = project.root / "nb.ipynb"
    notebook.write_text(json.dumps(NOTEBOOK))
    run = queue_run(project, "nb.ipynb", {"n": 21}, output_html=html)
    staged = storage.put_input(notebook.read_bytes())
    notebook.unlink()  # a worker on another machine cannot see the root
    request = RunRequest(
        run.id,
        str(project.root),
        str(project.store_dir),
        project.db_url,
        storage=storage.location,
        input_url=staged,
    )
    kernels = KernelSource(prestart=False)
    try:
        assert execute_run(project, request, kernels) == "succeeded"
    finally:
        kernels.close()
    return run.id


def test_a_run_reads_its_notebook_from_and_writes_its_outputs_to_remote_storage(
    project: Project, remote: Storage
) -> None:
    run_id = run_through_storage(project, remote, html=True)
    with project.store.session() as session:
        run = get_run(session, run_id)
    assert run.output_dir == remote.run_dir(run_id)
    files = output_files(run)
    assert {kind: str(file) for kind, file in files.items()} == {
        "notebook": f"{remote.run_dir(run_id)}/nb.ipynb",
        "html": f"{remote.run_dir(run_id)}/nb.html",
    }
    executed = json.loads(files["notebook"].read_bytes())
    assert executed["cells"][-1]["outputs"][0]["text"] == ["42\n"]
    assert b"42" in files["html"].read_bytes()
    assert not (project.store_dir / "runs" / str(run_id)).exists()


def test_a_local_storage_directory_receives_the_outputs_directly(
    project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shared = Storage.parse(tmp_path_factory.mktemp("shared").as_uri())
    run_id = run_through_storage(project, shared)
    assert shared.local is not None
    assert (shared.local / "runs" / str(run_id) / "nb.ipynb").is_file()
    assert len(list((shared.local / "inputs").glob("*.ipynb"))) == 1
    with project.store.session() as session:
        assert get_run(session, run_id).outputs == ["notebook"]  # no HTML was asked for


def test_a_page_of_runs_names_the_outputs_each_run_recorded_without_asking_the_storage(
    project: Project, remote: Storage
) -> None:
    """Listing runs on remote storage makes no request per run: the files a run wrote are
    recorded when it ends. Deleted behind the store's back, they are still listed, and
    reading one says it is gone; a run ended before runs recorded them is looked up."""
    run_id = run_through_storage(project, remote, html=True)
    import fsspec

    fsspec.filesystem("memory").rm(remote.run_dir(run_id).removeprefix("memory://"), recursive=True)
    with project.store.session() as session:
        assert get_run(session, run_id).outputs == ["notebook", "html"]
        connection = session.connection()
        (item,) = run_list_items(project, connection, list_runs(connection))
    assert item["output_notebook"] == f"{remote.run_dir(run_id)}/nb.ipynb"
    assert item["output_html"] == f"{remote.run_dir(run_id)}/nb.html"
    with project.store.session() as session:
        files = output_files(get_run(session, run_id))
    with pytest.raises(NotFoundError, match="Stored file not found"):
        files["notebook"].read_bytes()

    with project.store.session(write=True) as session:
        session.execute(update(Run).where(Run.id == run_id).values(outputs=None))
    with project.store.session() as session:
        assert output_files(get_run(session, run_id)) == {}


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}},
        "JobsSettings": {"run_scheduler": False},
    }


async def test_the_server_serves_outputs_from_remote_storage(
    jp_fetch: Any, jp_root_dir: Path, remote: Storage
) -> None:
    project = Project(jp_root_dir)
    try:
        run_id = run_through_storage(project, remote)
    finally:
        project.close()
    response = await jp_fetch("nbtools", "api", "runs", str(run_id), "download", "notebook")
    assert json.loads(response.body)["cells"][-1]["outputs"][0]["text"] == ["42\n"]
    opened = await jp_fetch("nbtools", "api", "runs", str(run_id), "open", method="POST", body="{}")
    copy = jp_root_dir / json.loads(opened.body)["path"]
    assert json.loads(copy.read_text())["cells"][-1]["outputs"][0]["text"] == ["42\n"]
    with pytest.raises(HTTPClientError) as missing:
        await jp_fetch("nbtools", "api", "runs", str(run_id), "download", "html")
    assert missing.value.code == 404
