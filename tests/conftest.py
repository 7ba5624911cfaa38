"""Shared fixtures: notebook files made on demand, and projects in temporary roots."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from nbtools.processes import kill_tree
from nbtools.project import Project

pytest_plugins = ["pytest_jupyter.jupyter_server"]

NotebookFactory = Callable[..., Path]


class LogLines(logging.Handler):
    """Each record the loggers it is added to handle, formatted, DEBUG ones too."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def logged(*loggers: logging.Logger, form: str = "%(message)s") -> Iterator[LogLines]:
    """The lines ``loggers`` write while in the block, formatted as ``form``."""
    lines = LogLines()
    lines.setFormatter(logging.Formatter(form))
    for logger in loggers:
        logger.addHandler(lines)
    try:
        yield lines
    finally:
        for logger in loggers:
            logger.removeHandler(lines)


def make_notebook(
    cells: list[tuple[str, str, list[str]]], kernel: str = "python3"
) -> dict[str, Any]:
    """A v4.5 notebook from (cell_type, source, tags) triples, with stable cell ids."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": kernel, "display_name": kernel, "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [
            {
                "id": f"cell-{index}",
                "cell_type": cell_type,
                "source": source,
                "metadata": {"tags": tags} if tags else {},
                **({"outputs": [], "execution_count": None} if cell_type == "code" else {}),
            }
            for index, (cell_type, source, tags) in enumerate(cells)
        ],
    }


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """``folder`` made a folder this process may not write in, for the block: read-only, or,
    for root, whom permissions do not stop, immutable (``chattr +i``; skipped where that
    cannot be set)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    made = chattr and subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode
    if made != 0:
        pytest.skip("root writes anywhere, and chattr +i cannot stop it here")
    try:
        yield
    finally:
        subprocess.run([str(chattr), "-i", str(folder)], check=True)


def nbtools(root: Path, *args: str) -> Result:
    """``nbtools --root ROOT ARGS…`` through click's test runner, in this process."""
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def recorded(root: Path) -> tuple[list[Any], list[Any]]:
    """The runs and the jobs in ``root``'s store, as ``runs list`` and ``schedule list`` show
    them."""
    runs = json.loads(nbtools(root, "runs", "list", "--json").stdout)
    jobs = json.loads(nbtools(root, "schedule", "list", "--json").stdout)
    return runs, jobs


def planted(module: str) -> str:
    """The source of a ``MODULE.py`` planted where nbtools must import nothing from (a user
    allowed to write files but not to run code could save it in the directory a server was
    started in): a process importing it notes its command line in ``ran``, beside it, then
    gets the real module."""
    return f"""\
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "ran"), "a") as ran:
    ran.write(repr(sys.argv) + "\\n")
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
del sys.modules["{module}"]
import {module}
"""


#: A planted ``json.py`` (:func:`planted`): the environment capture imports json.
PLANTED_JSON = planted("json")


def plant(directory: Path, module: str = "json") -> Path:
    """Write a planted ``MODULE.py`` (:func:`planted`) into ``directory``; the file it notes
    its importers in."""
    (directory / f"{module}.py").write_text(planted(module))
    return directory / "ran"


def run_python(code: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """``python -c code`` in a new interpreter (what a fresh process imports, say), its output
    as text; a non-zero exit raises with the output. ``options`` go to ``subprocess.run``."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, **options
    )


def opened_for_writing(fifo: Path, reader: subprocess.Popen[Any]) -> int:
    """Open the named pipe ``fifo`` for writing once the process ``reader`` has opened it to
    read (it then waits in its read until something is written, or the pipe closes): a command
    held at a known point, for a signal to find it there. The descriptor."""
    deadline = time.monotonic() + 120
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as error:
            if error.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
        assert reader.poll() is None, "the command ended before it opened the pipe"
        assert time.monotonic() < deadline, "the command never opened the pipe"
        time.sleep(0.05)


def exit_on_signal(fifo: Path, process: subprocess.Popen[bytes], signum: int) -> int:
    """Send ``signum`` to ``process`` once it waits at its read of the named pipe ``fifo``
    (:func:`opened_for_writing`): the code it exits with (within 60 s). The pipe is closed
    after, and a process still running then (the test failed) is killed with its children."""
    writer: int | None = None
    try:
        writer = opened_for_writing(fifo, process)
        process.send_signal(signum)
        return process.wait(timeout=60)
    finally:
        if writer is not None:
            os.close(writer)
        if process.poll() is None:
            kill_tree(process.pid)
            process.wait()


@pytest.fixture
def notebook_factory(tmp_path: Path) -> NotebookFactory:
    """Write a notebook under ``tmp_path``: ``notebook_factory("a.ipynb", [("code", "x=1", [])])``."""

    def write(name: str, cells: list[tuple[str, str, list[str]]], **kwargs: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(make_notebook(cells, **kwargs), indent=1))
        return path

    return write


@pytest.fixture(scope="session")
def migrated_sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated to the newest revision, made once per test process: migrating
    a new store runs every Alembic revision (a few tenths of a second), copying it does not."""
    template = Project(tmp_path_factory.mktemp("store-template"))
    template.store.revision()
    template.close()  # the last connection's close checkpoints the WAL into the file
    return template.store_dir / "nbtools.db"


@pytest.fixture
def project(tmp_path: Path, migrated_sqlite_store: Path) -> Iterator[Project]:
    """A project rooted at ``tmp_path`` with a real SQLite store of its own, already at the
    newest revision (a copy of ``migrated_sqlite_store``; ``tests/unit/test_store.py`` tests
    migrating a new store)."""
    store_dir = tmp_path / ".nbtools"
    store_dir.mkdir()
    shutil.copyfile(migrated_sqlite_store, store_dir / "nbtools.db")
    opened = Project(tmp_path)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """One throw-away PostgreSQL server for the whole session (``make test`` installs it)."""
    from tests.postgres import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        message = "PostgreSQL server binaries not found: run `make postgres` (apt-get install)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(bindir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_databases(postgres_server: Any) -> Iterator[Callable[..., str]]:
    """Make PostgreSQL databases for one test: ``postgres_databases()`` an empty one,
    ``postgres_databases(template)`` a copy; the URL of each. They are dropped when the test
    ends: a database that lives for a test never reaches the disk, whereas the session's
    databases kept to its end (a gigabyte and more) took a minute to delete once written out."""
    made: list[str] = []

    def create(template: str = "template1") -> str:
        made.append(f"test_{uuid.uuid4().hex[:12]}")
        return str(postgres_server.create_database(made[-1], template=template))

    yield create
    for name in made:
        postgres_server.drop_database(name)


@pytest.fixture
def postgres_url(postgres_databases: Callable[..., str]) -> str:
    """The URL of a new, empty PostgreSQL database."""
    return postgres_databases()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL, once per supported engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def migrated_postgres_template(postgres_server: Any) -> str:
    """A PostgreSQL database migrated to the newest revision, the template of ``store_url``'s."""
    from nbtools.store.database import Store

    Store.open(postgres_server.create_database("store_template")).close()
    return "store_template"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite_store: Path) -> str:
    """A fresh database URL, once per supported engine, already at the newest revision (a copy
    of a store migrated once per test process): for tests of what a store holds; tests of
    migrating a new store take ``db_url``."""
    if request.param == "sqlite":
        copy = tmp_path / "store.db"
        shutil.copyfile(migrated_sqlite_store, copy)
        return f"sqlite:///{copy}"
    template = request.getfixturevalue("migrated_postgres_template")
    return str(request.getfixturevalue("postgres_databases")(template))


@pytest.fixture
def any_project(tmp_path: Path, store_url: str) -> Iterator[Project]:
    """A project in ``tmp_path`` whose store is SQLite, then PostgreSQL (:func:`store_url`)."""
    opened = Project(tmp_path, db_url=store_url)
    yield opened
    opened.close()
