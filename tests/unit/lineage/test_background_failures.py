"""The background recording of a package's lineage on a busy store, killed, or finding the
notebook changed: the manifest is never left ``pending`` for ever, and no stale pin stays."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from types import ModuleType

from click.testing import CliRunner

from nbtools import versioning
from nbtools.cli.app import cli
from nbtools.export.api import ExtractRequest, run_extract
from nbtools.lineage import background
from nbtools.lineage.background import SPEC_VARIABLE, BackgroundRecorder, record_pending, stopped
from nbtools.lineage.extraction import recorder
from nbtools.processes import own_module_command
from nbtools.project import Project
from nbtools.serve.info import service_info
from nbtools.store.database import SQLITE_BUSY_TIMEOUT_MS
from tests import held
from tests.conftest import opened_for_writing
from tests.envsnap_support import EnvKernel
from tests.unit.lineage.test_background import (
    PATIENCE,
    manifest,
    recorded_lineage,
    spec,
    write_pending,
)
from tests.unit.lineage.test_extraction import write_notebook


def locked(root: Path) -> sqlite3.Connection:
    """A connection holding the store's write lock until it is closed."""
    holder = sqlite3.connect(root / ".nbtools" / "nbtools.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def extract(root: Path) -> None:
    command = ["--root", str(root), "extract", str(root / "calc.ipynb"), "-o", str(root / "pkg")]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output


def wait_for_recorder(out: Path) -> int:
    deadline = time.monotonic() + PATIENCE
    while "recorder" not in (lineage := manifest(out)["lineage"]):
        assert "pending" in lineage, lineage
        assert time.monotonic() < deadline, "no process took the recording on"
        time.sleep(0.05)
    return int(lineage["recorder"]["pid"])


def test_a_busy_store_is_waited_for(tmp_path: Path, env_kernel: EnvKernel) -> None:
    """The store's write lock is held for longer than SQLite waits: the process tries again
    and records the lineage once it is free. It died with 'database is locked', leaving the
    manifest pending for ever."""
    write_notebook(tmp_path)
    Project(tmp_path).store.close()
    holder = locked(tmp_path)
    try:
        extract(tmp_path)
        time.sleep(SQLITE_BUSY_TIMEOUT_MS / 1000 + 5)  # past SQLite's wait for the lock
    finally:
        holder.close()
    lineage = recorded_lineage(tmp_path / "pkg")
    assert "problems" not in lineage, lineage
    assert lineage["notebook_version"]["number"] == 1


def test_a_killed_recording_is_told_from_one_under_way(
    tmp_path: Path, env_kernel: EnvKernel
) -> None:
    """The process names itself in the pending entry; killed (SIGKILL), the entry says it
    stopped, and a service's /info says so instead of 'still recording', while a live one's
    says nothing. Nothing told the two apart."""
    write_notebook(tmp_path)
    Project(tmp_path).store.close()
    package = ModuleType("calc")  # the package as a service imports it from the directory
    package.__file__ = str(tmp_path / "pkg/src/calc/__init__.py")
    holder = locked(tmp_path)  # keeps the process at work
    try:
        extract(tmp_path)
        pid = wait_for_recorder(tmp_path / "pkg")
        assert stopped(manifest(tmp_path / "pkg")["lineage"]) is None
        info = service_info(package, [])
        assert (info["lineage_pending"], info["lineage_problems"]) == (True, None)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + PATIENCE
        while (reason := stopped(manifest(tmp_path / "pkg")["lineage"])) is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        holder.close()
    assert f"process {pid} was killed" in reason
    info = service_info(package, [])
    assert (info["lineage_pending"], info["lineage_problems"]) == (False, [reason])


def test_a_notebook_changed_meanwhile_releases_the_packages_old_version(
    tmp_path: Path, env_kernel: EnvKernel
) -> None:
    """The package held version 1; rewritten from changed code whose version cannot be
    recorded, it holds none. Version 1 still said 'used by package pkg' (and gc kept it)."""
    write_notebook(tmp_path)
    project = Project(tmp_path)
    try:
        record = recorder(project, tmp_path / "calc.ipynb")
        request = ExtractRequest(
            tmp_path / "calc.ipynb", tmp_path / "pkg", mode="write", lineage=record
        )
        run_extract(request)
        first = manifest(tmp_path / "pkg")["lineage"]["notebook_version"]["id"]
        assert versioning.references(project, first) == [{"kind": "extraction", "ref": "pkg"}]
        nb = json.loads((tmp_path / "calc.ipynb").read_text())
        nb["cells"][1]["source"] = "def double(x):\n    return x + x"
        (tmp_path / "calc.ipynb").write_text(json.dumps(nb))
        write_pending(tmp_path, "token")
        nb["cells"][1]["source"] = "def double(x):\n    return 2 * x"  # saved again meanwhile
        (tmp_path / "calc.ipynb").write_text(json.dumps(nb))
        assert record_pending(project, spec(project, "token")) is True
        assert manifest(tmp_path / "pkg")["lineage"]["notebook_version"] is None
        assert versioning.references(project, first) == []
    finally:
        project.close()


def test_a_package_written_without_lineage_releases_its_old_version(
    tmp_path: Path, env_kernel: EnvKernel
) -> None:
    """``--lineage off`` over a package that named version 1: the manifest names none, and
    neither does the store once the background process has run. Version 1 still said 'used
    by package pkg'."""
    write_notebook(tmp_path)
    command = ["--root", str(tmp_path), "extract", str(tmp_path / "calc.ipynb")]
    result = CliRunner().invoke(cli, [*command, "-o", str(tmp_path / "pkg"), "--lineage", "wait"])
    assert result.exit_code == 0, result.output
    first = manifest(tmp_path / "pkg")["lineage"]["notebook_version"]["id"]
    nb = json.loads((tmp_path / "calc.ipynb").read_text())
    nb["cells"][1]["source"] = "def double(x):\n    return x + x"
    (tmp_path / "calc.ipynb").write_text(json.dumps(nb))
    result = CliRunner().invoke(cli, [*command, "-o", str(tmp_path / "pkg"), "--lineage", "off"])
    assert result.exit_code == 0, result.output
    assert manifest(tmp_path / "pkg").get("lineage") is None
    project = Project(tmp_path)
    try:
        deadline = time.monotonic() + PATIENCE
        while versioning.references(project, first):
            assert time.monotonic() < deadline, "the package still references version 1"
            time.sleep(0.1)
    finally:
        project.close()


def test_lineage_off_while_an_earlier_recording_is_under_way_leaves_no_pin(
    tmp_path: Path, env_kernel: EnvKernel
) -> None:
    """An extraction's recording, held as it reads the notebook (before it pins the version
    it commits); meanwhile ``--lineage off`` rewrites the package, and the process releasing
    its pin runs to its end. The recording then goes on: it commits version 1 but pins
    nothing, since the manifest no longer holds its token. It pinned version 1 to a package
    whose manifest names none (gc kept it, 'used by package pkg')."""
    write_notebook(tmp_path)
    notebook, out = tmp_path / "calc.ipynb", tmp_path / "pkg"
    project = Project(tmp_path)
    writer = None
    try:
        earlier = BackgroundRecorder(project, notebook)
        run_extract(ExtractRequest(notebook, out, mode="write", lineage=earlier))
        pipe = held.fifo(tmp_path / "hold")
        stop = held.Stop("open", "calc.ipynb", fifo=pipe)
        spec = {SPEC_VARIABLE: json.dumps(earlier.spec)}
        recording = held.start_module(tmp_path, "nbtools.lineage.background", spec, stop)
        writer = opened_for_writing(pipe, recording)  # the recording reads the notebook

        off = BackgroundRecorder(project, notebook, release=True)
        run_extract(ExtractRequest(notebook, out, mode="write", lineage=off))
        assert manifest(out).get("lineage") is None
        release = {**os.environ, SPEC_VARIABLE: json.dumps(off.spec)}  # what launch() starts
        subprocess.run(own_module_command(background.__name__), env=release, check=True)

        os.close(writer)
        writer = None
        assert recording.wait(timeout=PATIENCE) == 0, recording.communicate()
        version = versioning.latest(project, "calc.ipynb")
        assert version is not None  # committed, as any extraction's notebook is
        assert versioning.references(project, version.id) == []
    finally:
        if writer is not None:
            os.close(writer)
        project.close()
    assert manifest(out).get("lineage") is None
