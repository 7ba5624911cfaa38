"""A run's notebook reads the store of the process executing it, however that process was
given it (``--db-url``, a config file): ``nbtools.data`` and ``nbtools.artifacts`` in the
notebook used to find the project by its directory and open its SQLite file instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.jobs.definitions import create_job
from nbtools.jobs.submit import queue_run
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import kill_tree, wait_for

pytestmark = pytest.mark.slow

#: Notebook code: print the store the notebook's nbtools calls use.
PRINT_STORE = "from nbtools.project import project_from_environment as p\nprint(p().db_url)"
#: The variables that would name the store: the test's processes find it by their settings only.
UNSET = ("NBTOOLS_ROOT", "NBTOOLS_STORE_DIR", "NBTOOLS_DB_URL", "NBTOOLS_CONFIG")


@pytest.fixture
def no_store_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)


def printed(output_notebook: Path) -> list[str]:
    """What each cell of an executed notebook printed (on its standard output)."""
    cells = json.loads(output_notebook.read_text())["cells"]
    return [
        "".join(output["text"])
        for cell in cells
        for output in cell.get("outputs", [])
        if output.get("name") == "stdout"
    ]


def test_nbtools_run_with_db_url_gives_the_notebook_that_store(
    tmp_path: Path, postgres_url: str, notebook_factory: NotebookFactory, no_store_variables: None
) -> None:
    (tmp_path / "c.csv").write_text("id\n1\n")
    on_postgres = ["--root", str(tmp_path), "--db-url", postgres_url]
    added = CliRunner().invoke(cli, [*on_postgres, "data", "add", "customers", "c.csv"])
    assert added.exit_code == 0, added.output
    reads = "import nbtools.data\nprint(open(nbtools.data.path('customers')).read())"
    notebook_factory("loader.ipynb", [("code", PRINT_STORE, []), ("code", reads, [])])

    result = CliRunner().invoke(cli, [*on_postgres, "run", "loader.ipynb", "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["status"] == "succeeded", run["error_message"]
    store, data = printed(Path(run["output_notebook"]))
    assert (store.strip(), data) == (postgres_url, "id\n1\n\n")
    assert not (tmp_path / ".nbtools" / "nbtools.db").exists()  # no stray SQLite store


@pytest.fixture
def configured_daemon(
    tmp_path: Path, postgres_url: str, no_store_variables: None
) -> Iterator[subprocess.Popen[bytes]]:
    """``nbtools scheduler`` whose store is set by a config file only (as ``store copy`` says
    to set it), one worker (its kernels forked from the zygote, one pre-started)."""
    Project(tmp_path, db_url=postgres_url).store.close()  # migrated before it starts
    config = tmp_path / "nbtools_config.py"
    config.write_text(f"c.NbtoolsSettings.db_url = {postgres_url!r}\n")
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(tmp_path)]
    command += ["--config", str(config), "scheduler", "--workers", "1", "--poll", "0.2"]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, env=dict(os.environ))
    yield process
    kill_tree(psutil.Process(process.pid))


def test_a_scheduler_configured_by_file_gives_its_runs_its_store(
    tmp_path: Path,
    postgres_url: str,
    notebook_factory: NotebookFactory,
    configured_daemon: subprocess.Popen[bytes],
) -> None:
    saves = "import nbtools.artifacts\nnbtools.artifacts.save('a.txt', b'from postgres')"
    notebook_factory("quick.ipynb", [("code", saves, [])])
    loads = "import nbtools.artifacts as a\nprint(a.load('a.txt', job='quick').read_text())"
    notebook_factory("loader.ipynb", [("code", PRINT_STORE, []), ("code", loads, [])])
    project = Project(tmp_path, db_url=postgres_url)
    quick = create_job(project, {"name": "quick", "notebook_path": "quick.ipynb"})
    saved = queue_run(project, "quick.ipynb", {}, job=quick)
    done = wait_for(project, saved.id, lambda r: r.finished_at is not None)
    assert done.status == "succeeded", done.error_message

    loader = queue_run(project, "loader.ipynb", {})
    ran = wait_for(project, loader.id, lambda r: r.finished_at is not None)
    project.close()
    assert ran.status == "succeeded", ran.error_message
    store, artifact = printed(Path(ran.output_dir or "") / "loader.ipynb")
    assert (store.strip(), artifact) == (postgres_url, "from postgres\n")
    assert not (tmp_path / ".nbtools" / "nbtools.db").exists()
