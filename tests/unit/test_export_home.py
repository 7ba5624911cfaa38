"""Where a notebook's package is (``nbtools.export.home``), and a package's owner told by its
path (``nbtools.export.writer``): one notebook, one package, wherever it was written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nbtools.errors import ConflictError
from nbtools.export import home
from nbtools.export.home import locate
from nbtools.export.model import MANIFEST
from nbtools.export.writer import write
from tests.unit.export_helpers import extraction

CELLS = (("code", "def f():\n    return 1", ["export"]),)


def notebook(root: Path, path: str) -> Path:
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text("{}")
    return file


def written(root: Path, out: str, nb: Path, package: str = "pkg") -> Path:
    write(extraction(*CELLS, package=package), root / out, notebook=nb)
    return root / out


def package_of(root: Path, notebook: Path, package: str | None = None) -> Path | None:
    """The directory holding ``notebook``'s package, if it has one."""
    located = locate(root, notebook, package)
    return located.directory if located.existing else None


def test_the_manifest_records_the_notebook_s_path_from_the_package(tmp_path: Path) -> None:
    nb = notebook(tmp_path, "nbs/report.ipynb")
    out = written(tmp_path, "packages/report", nb)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["notebook_path"] == "../../nbs/report.ipynb"
    assert manifest["notebook"] == "analysis.ipynb"  # the file name, as before


def test_a_notebook_s_package_is_found_wherever_it_was_written(tmp_path: Path) -> None:
    nb = notebook(tmp_path, "example.ipynb")
    assert locate(tmp_path, nb).directory == tmp_path / "example"  # none yet: beside it
    assert package_of(tmp_path, nb) is None
    out = written(tmp_path, "packages/example", nb)
    assert package_of(tmp_path, nb) == out.resolve()
    assert locate(tmp_path, nb).directory == out.resolve()
    other = notebook(tmp_path, "other/example.ipynb")  # the same file name elsewhere
    assert package_of(tmp_path, other) is None


def test_with_a_name_only_a_package_of_that_name_counts_and_the_newest_wins(
    tmp_path: Path,
) -> None:
    nb = notebook(tmp_path, "nbs/sales.ipynb")
    first = written(tmp_path, "a/sales", nb, package="sales")
    second = written(tmp_path, "b/report", nb, package="report")
    os.utime(first / MANIFEST, (1_000_000, 1_000_000))
    assert package_of(tmp_path, nb) == second.resolve()  # written last
    assert package_of(tmp_path, nb, "sales") == first.resolve()
    assert package_of(tmp_path, nb, "other") is None
    assert locate(tmp_path, nb, "other").directory == tmp_path / "nbs/other"


def test_an_older_manifest_is_matched_by_its_recorded_notebook_version(tmp_path: Path) -> None:
    nb = notebook(tmp_path, "nbs/report.ipynb")
    out = written(tmp_path, "packages/report", nb)
    manifest = json.loads((out / MANIFEST).read_text())
    del manifest["notebook_path"]
    manifest["lineage"] = {"notebook_version": {"id": 3, "number": 1, "path": "nbs/report.ipynb"}}
    (out / MANIFEST).write_text(json.dumps(manifest))
    assert package_of(tmp_path, nb) == out.resolve()
    del manifest["lineage"]  # nothing tells its notebook's folder: not claimed
    (out / MANIFEST).write_text(json.dumps(manifest))
    assert package_of(tmp_path, nb) is None


def test_hidden_folders_environments_and_damaged_manifests_are_skipped(tmp_path: Path) -> None:
    nb = notebook(tmp_path, "nb.ipynb")
    for skipped in (".cache/pkg", "node_modules/pkg", "venv/lib/pkg"):
        written(tmp_path, skipped, nb)
    (tmp_path / "venv/pyvenv.cfg").write_text("home = /usr\n")
    damaged = tmp_path / "broken"
    damaged.mkdir()
    (damaged / MANIFEST).write_text("{not json")
    assert package_of(tmp_path, nb) is None


def test_outside_the_project_or_beyond_the_bounds_nothing_is_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    outside = notebook(tmp_path, "elsewhere/nb.ipynb")
    written(tmp_path, "project/pkg", outside)
    assert package_of(project, outside) is None  # the notebook is not the project's
    assert locate(project, outside).directory == tmp_path / "elsewhere/nb"

    nb = notebook(project, "nb.ipynb")
    deep = written(project, "a/b/c/d/e/pkg", nb)  # 6 folders below the root: found
    assert package_of(project, nb) == deep.resolve()
    monkeypatch.setattr(home, "MAX_DEPTH", 5)
    assert package_of(project, nb) is None
    monkeypatch.setattr(home, "MAX_DEPTH", 6)
    monkeypatch.setattr(home, "MAX_FOLDERS", 4)  # the root, a, a/b and a/b/c
    assert package_of(project, nb) is None


def test_a_notebook_of_the_same_name_in_another_folder_does_not_take_the_package(
    tmp_path: Path,
) -> None:
    mine = notebook(tmp_path, "nbs/a/report.ipynb")
    theirs = notebook(tmp_path, "nbs/b/report.ipynb")
    out = written(tmp_path, "pkgs/report", mine)
    before = (out / MANIFEST).read_text()
    with pytest.raises(ConflictError) as refused:
        write(extraction(*CELLS), out, notebook=theirs)
    assert refused.value.details["notebook"] == "a/report.ipynb"
    assert "holds the package of another notebook, a/report.ipynb. Choose" in str(refused.value)
    # the notebook written in its place by its path too, where it was its file name alone
    assert str(refused.value).endswith("replace that package with b/report.ipynb's.")
    assert (out / MANIFEST).read_text() == before
    write(extraction(*CELLS), out, notebook=mine)  # its own: fine

    mine.rename(mine.with_name("old.ipynb"))  # renamed: the package says whose it was
    with pytest.raises(ConflictError) as gone:
        write(extraction(*CELLS), out, notebook=theirs)
    assert (
        "a/report.ipynb (no longer there: if you renamed or moved it, forcing the write takes "
        "its package over)" in str(gone.value)
    )
    write(extraction(*CELLS), out, force=True, notebook=theirs)
    assert json.loads((out / MANIFEST).read_text())["notebook_path"] == "../../nbs/b/report.ipynb"


def test_a_manifest_without_a_path_tells_owners_apart_by_file_name(tmp_path: Path) -> None:
    """As an older version wrote it; the next write records the path."""
    nb = notebook(tmp_path, "nbs/analysis.ipynb")
    out = written(tmp_path, "pkg", nb)
    manifest = json.loads((out / MANIFEST).read_text())
    del manifest["notebook_path"]
    (out / MANIFEST).write_text(json.dumps(manifest))
    write(extraction(*CELLS), out, notebook=notebook(tmp_path, "other/analysis.ipynb"))
    assert "notebook_path" in json.loads((out / MANIFEST).read_text())


def test_a_new_package_is_told_of_packages_whose_notebook_is_gone(tmp_path: Path) -> None:
    """A renamed notebook has no package under its new name; the search that says so also
    finds the packages whose notebook no longer exists (the one it may have been)."""
    old = notebook(tmp_path, "nbs/report.ipynb")
    out = written(tmp_path, "packages/report", old)
    kept = written(tmp_path, "packages/kept", notebook(tmp_path, "kept.ipynb"))
    old.rename(tmp_path / "nbs/quarterly.ipynb")
    located = locate(tmp_path, tmp_path / "nbs/quarterly.ipynb")
    assert (located.directory, located.existing) == (tmp_path / "nbs/quarterly", False)
    assert located.orphans == (home.Orphan(out.resolve(), "nbs/report.ipynb", "pkg"),)
    assert locate(tmp_path, tmp_path / "kept.ipynb") == home.Located(kept.resolve(), True)


def test_the_packages_of_gone_notebooks_are_listed_nearest_first(tmp_path: Path) -> None:
    """The orphan most likely to be the renamed notebook's comes first: the one whose
    notebook was in the same folder, then in a folder below it, then elsewhere."""
    gone = {
        "a.ipynb": "top",
        "nbs/deeper/b.ipynb": "deeper",
        "nbs/c.ipynb": "same",
        "other/d.ipynb": "other",
        "nbs/b.ipynb": "also_same",
    }
    for path, package in gone.items():
        written(tmp_path, f"packages/{package}", notebook(tmp_path, path), package)
        (tmp_path / path).unlink()
    orphans = locate(tmp_path, notebook(tmp_path, "nbs/new.ipynb")).orphans
    assert [orphan.package for orphan in orphans] == ["also_same", "same", "deeper"]  # of 5
    (tmp_path / "packages/same/.nbtools-extract.json").unlink()
    (tmp_path / "packages/deeper/.nbtools-extract.json").unlink()
    nearest = locate(tmp_path, tmp_path / "nbs/new.ipynb").orphans
    assert [orphan.package for orphan in nearest] == ["also_same", "top", "other"]
    assert orphans[0] == home.Orphan(
        (tmp_path / "packages/also_same").resolve(), "nbs/b.ipynb", "also_same"
    )
    assert locate(tmp_path, tmp_path / "nbs/new.ipynb", "also_same").orphans == nearest
    assert locate(tmp_path, tmp_path / "../outside.ipynb").orphans == ()
