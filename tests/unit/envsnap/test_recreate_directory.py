"""Where a recreate makes its venv: the directory it claims, and what it leaves when it fails.

The venvs are made ``--without-pip`` (by :func:`venv_without_pip`, an interpreter wrapping
this one), so that each takes a fraction of a second: a snapshot pinning nothing needs no pip,
and one pinning anything fails at pip, after the venv's folders exist."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from nbtools.envsnap.model import Distribution, Snapshot
from nbtools.envsnap.recreate import RecreateReport, recreate
from nbtools.errors import CheckFailedError, InvalidInputError

NOTHING = Snapshot("requirements", "empty.txt", ())
ONE = Snapshot("requirements", "one.txt", (Distribution("six", "1.16.0"),))


def venv_without_pip(directory: Path, hold: Path | None = None) -> str:
    """An interpreter (this one) whose ``venv`` makes no pip, waiting first until the FIFO
    ``hold`` is written, if given."""
    wait = f'cat "{hold}" > /dev/null; ' if hold else ""
    wrapper = directory / "python-venv-without-pip"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'case " $* " in *" venv "*) {wait}exec "{sys.executable}" "$@" --without-pip;; esac\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return str(wrapper)


def test_a_failed_recreate_removes_the_folders_it_made_for_the_venv(tmp_path: Path) -> None:
    """'p1/p2/venv' failing left p1/p2 behind (docs: DIR is removed if nbtools made it)."""
    python = venv_without_pip(tmp_path)
    (tmp_path / "kept").mkdir()
    with pytest.raises(CheckFailedError, match="No module named pip"):
        recreate(ONE, tmp_path / "p1" / "p2" / "venv", python)
    with pytest.raises(CheckFailedError, match="No module named pip"):
        recreate(ONE, tmp_path / "kept" / "p3" / "venv", python)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kept", Path(python).name]
    assert list((tmp_path / "kept").iterdir()) == []  # it was there before: kept


def test_a_directory_another_recreate_holds_is_refused_and_left_to_it(tmp_path: Path) -> None:
    """Two recreates into one new or empty folder both passed its check, then wrote into it:
    one failed with the other's error, and its clean-up removed the other's venv. The first
    claims it; the second is refused (bad input, exit 2) and changes nothing."""
    hold = tmp_path / "hold"
    os.mkfifo(hold)
    python = venv_without_pip(tmp_path, hold)
    target = tmp_path / "venv"
    target.mkdir()
    first: list[RecreateReport | BaseException] = []

    def run_first() -> None:
        try:
            first.append(recreate(NOTHING, target, python))
        except BaseException as error:
            first.append(error)

    thread = threading.Thread(target=run_first)
    thread.start()
    try:
        with hold.open("w"):  # opened once the first recreate's venv waits on it
            with pytest.raises(InvalidInputError, match="not an empty directory"):
                recreate(NOTHING, target)
            assert not (target / "bin").exists()  # the first one's venv is still to come
    finally:
        thread.join(timeout=120)
    [report] = first
    assert isinstance(report, RecreateReport), report
    assert (target / "bin" / "python").exists()
    assert not any(path.name.startswith(".") for path in target.iterdir())  # claim released


OLD_PYTHON = Path("/root/.pyenv/versions/3.6.15/bin/python")


def test_a_python_that_is_none_or_too_old_is_refused_before_anything_is_made(
    tmp_path: Path,
) -> None:
    """``--python echo`` printed something (exit 0) and was taken for a version, then a
    traceback; Python 3.6 built the venv and installed everything before it was refused; a
    program that says a version but makes no venv was a FileNotFoundError."""
    target = tmp_path / "venv"
    for program in ("echo", "true"):
        with pytest.raises(InvalidInputError, match="not a Python interpreter") as info:
            recreate(ONE, target, program)
        assert info.value.details["field"] == "python"
    if OLD_PYTHON.exists():
        with pytest.raises(InvalidInputError, match=r"Python 3\.6\.15; .* 3\.7 or later"):
            recreate(ONE, target, str(OLD_PYTHON))
    assert not target.exists()
    pretends = tmp_path / "pretends"
    pretends.write_text("#!/bin/sh\necho 3.11.7\n")
    pretends.chmod(0o755)
    with pytest.raises(CheckFailedError, match=r"made no .*bin/python"):
        recreate(ONE, target, str(pretends))
    assert not target.exists()


def test_a_venv_in_the_store_directory_is_refused_and_nothing_is_made(tmp_path: Path) -> None:
    """The CLI built a venv in `.nbtools/` (nbtools' own files), which the REST API refuses."""
    from nbtools.project import Project

    project = Project(tmp_path)
    project.store_dir.mkdir()
    with pytest.raises(InvalidInputError, match=r"is in the nbtools store directory .*another"):
        recreate(NOTHING, project.store_dir / "venv", venv_without_pip(tmp_path), project=project)
    assert list(project.store_dir.iterdir()) == []


def test_a_recreate_from_a_file_is_audited_as_the_file_not_as_a_stored_snapshot(
    tmp_path: Path,
) -> None:
    """Its entry named `snapshot ID`, which `nbtools env show ID` then said did not exist."""
    from nbtools import audit
    from nbtools.project import Project

    project = Project(tmp_path / "project")
    try:
        recreate(NOTHING, tmp_path / "venv", venv_without_pip(tmp_path), project=project)
        (entry,) = audit.list_entries(project, action="env.recreate")
    finally:
        project.close()
    assert entry.target == "file empty.txt"
    assert entry.summary["stored"] is False
    assert entry.summary["snapshot"] == NOTHING.id
