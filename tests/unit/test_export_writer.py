"""Writing never loses anyone's work; --check reports a stale package with a diff."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from nbtools.errors import ConflictError, InvalidInputError, NbtoolsError
from nbtools.export.api import ExtractRequest, run_extract
from nbtools.export.build import ExtractOptions
from nbtools.export.model import MANIFEST
from nbtools.export.writer import compare, refusal, unified_diff, write
from tests.conftest import make_notebook, nbtools, unwritable
from tests.unit.export_helpers import extraction

V1 = (("code", "def f():\n    return 1", ["export"]), ("code", "assert f() == 1", ["test"]))
V2 = (("code", "def f():\n    return 2", ["export"]),)


def test_write_creates_files_and_a_manifest(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    changes = write(extraction(*V1), out)
    assert {c.status for c in changes} == {"new"}
    manifest = json.loads((out / MANIFEST).read_text())
    assert sorted(manifest["files"]) == sorted(c.path for c in changes)
    assert (out / "src/pkg/core.py").read_text() == extraction(*V1).files["src/pkg/core.py"]


def test_rewrite_updates_and_removes_only_generated_files(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    write(extraction(*V1), out)
    (out / "NOTES.md").write_text("mine")
    changes = {c.path: c.status for c in write(extraction(*V2), out)}
    assert changes["src/pkg/core.py"] == "changed"
    assert changes["tests/test_pkg.py"] == "removed"
    assert not (out / "tests").exists()
    assert (out / "NOTES.md").read_text() == "mine"


def test_directory_with_foreign_files_is_refused_without_force(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ConflictError, match=r"did not generate \(notes.txt\).*force the write"):
        write(extraction(*V1), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    write(extraction(*V1), tmp_path, force=True)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_the_store_directory_is_no_file_in_the_way(tmp_path: Path) -> None:
    """A package written where nbtools keeps its store (a project's root): the store is
    nbtools' own, by its default name or, the project's, by any name."""
    (tmp_path / ".nbtools").mkdir()
    (tmp_path / "state").mkdir()
    with pytest.raises(ConflictError) as info:
        write(extraction(*V1), tmp_path)
    assert info.value.details["files"] == ["state"]
    assert refusal(extraction(*V1), tmp_path, store_dir=tmp_path / "state") is None
    (tmp_path / "link").symlink_to(tmp_path / "state")
    assert refusal(extraction(*V1), tmp_path, store_dir=tmp_path / "link") is None
    (tmp_path / "link").unlink()
    write(extraction(*V1), tmp_path, store_dir=tmp_path / "state")
    assert (tmp_path / ".nbtools-extract.json").is_file()
    assert sorted(p.name for p in (tmp_path / ".nbtools").iterdir()) == []


def test_a_foreign_file_at_a_generated_path_is_kept_as_orig(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    with pytest.raises(ConflictError):
        write(extraction(*V1), tmp_path)
    write(extraction(*V1), tmp_path, force=True)
    assert (tmp_path / "pyproject.toml.orig").read_text() == "[project]\nname = 'mine'\n"
    assert "nbtools" in (tmp_path / "pyproject.toml").read_text()


def test_hand_edited_generated_file_is_not_overwritten_or_deleted(tmp_path: Path) -> None:
    write(extraction(*V1), tmp_path)
    test_file = tmp_path / "tests/test_pkg.py"
    test_file.write_text(test_file.read_text() + "\n# my fix\n")
    with pytest.raises(ConflictError, match=r"tests/test_pkg\.py") as info:
        write(extraction(*V2), tmp_path)
    assert info.value.details["files"] == ["tests/test_pkg.py"]
    assert "# my fix" in test_file.read_text()
    write(extraction(*V2), tmp_path, force=True)
    assert "# my fix" in (tmp_path / "tests/test_pkg.py.orig").read_text()


def test_manifest_paths_outside_the_directory_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    write(extraction(*V1), out)
    (tmp_path / "victim.txt").write_text("x")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"]["../victim.txt"] = "0" * 64
    (out / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(InvalidInputError, match=r"\.\."):
        write(extraction(*V1), out)
    assert (tmp_path / "victim.txt").exists()


def test_damaged_manifest_is_a_clear_error(tmp_path: Path) -> None:
    write(extraction(*V1), tmp_path)
    (tmp_path / MANIFEST).write_text("{not json")
    with pytest.raises(InvalidInputError, match="damaged"):
        write(extraction(*V1), tmp_path)


def test_a_refusal_force_overrides_says_so_naming_no_flag(tmp_path: Path) -> None:
    """The library speaks to the REST API and JupyterLab too ("send force: true"): its
    refusals said "pass --force"; they say "force the write" and name the field that does it
    (``details["override"]``), for the command line to name its flag."""
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("x")
    edited = tmp_path / "edited"
    write(extraction(*V1), edited)
    (edited / "tests/test_pkg.py").write_text("# mine\n")
    other = tmp_path / "other"
    write(extraction(*V1), other)
    manifest = json.loads((other / MANIFEST).read_text())
    (other / MANIFEST).write_text(json.dumps({**manifest, "notebook": "another.ipynb"}))
    damaged = tmp_path / "damaged"
    write(extraction(*V1), damaged)
    (damaged / MANIFEST).write_text("{")
    for out, kind in [
        (foreign, "foreign-files"),
        (edited, "edited-files"),
        (other, "another-notebook"),
        (damaged, None),
    ]:
        with pytest.raises((ConflictError, InvalidInputError)) as info:
            write(extraction(*V1), out)
        error = info.value
        assert isinstance(error, NbtoolsError)
        assert (error.details.get("kind"), error.details["override"]) == (kind, "force")
        assert "force" in error.message
        assert "--" not in error.message, error.message


def test_compare_and_diff_show_what_is_stale(tmp_path: Path) -> None:
    write(extraction(*V1), tmp_path)
    assert {c.status for c in compare(extraction(*V1), tmp_path)} == {"unchanged"}
    changes = compare(extraction(*V2), tmp_path)
    statuses = {c.path: c.status for c in changes if c.status != "unchanged"}
    assert statuses["src/pkg/core.py"] == "changed"
    assert statuses["tests/test_pkg.py"] == "removed"
    diff = unified_diff(changes, tmp_path)
    assert "--- a/src/pkg/core.py\n+++ b/src/pkg/core.py" in diff
    assert "-    return 1\n+    return 2\n" in diff
    assert "+++ /dev/null" in diff


def test_cells_with_windows_line_ends_give_a_package_check_finds_up_to_date(
    tmp_path: Path,
) -> None:
    """A cell's ``\\r\\n`` was written as it was and read back as ``\\n``: ``--check`` said
    the package was stale straight after writing it, and every write said "changed" again."""
    cells = (
        ("markdown", "# Title\r\n\r\n> A summary.\r\n", []),
        ("code", "n = 2\r\n", ["parameters"]),
        ("code", "#| export\r\ndef h():\r\n    return '''a\r\nb'''\r\n", []),
        ("code", "record('h', h())\rx = n\r", ["main"]),
        ("code", "assert h() == 'a\\nb'\r\n", ["test"]),
    )
    crlf = extraction(*cells)
    lf = extraction(
        *(
            (kind, text.replace("\r\n", "\n").replace("\r", "\n"), tags)
            for kind, text, tags in cells
        )
    )
    assert crlf.files == lf.files
    write(crlf, tmp_path)
    assert {c.status for c in compare(crlf, tmp_path)} == {"unchanged"}
    assert {c.status for c in write(crlf, tmp_path)} == {"unchanged"}
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    for path in crlf.files:
        data = (tmp_path / path).read_bytes()
        assert b"\r" not in data
        assert manifest["files"][path] == hashlib.sha256(data).hexdigest()


def snapshot(out: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``out`` (None for a folder), with its content."""
    return {
        path.relative_to(out).as_posix(): None if path.is_dir() else path.read_bytes()
        for path in sorted(out.rglob("*"))
    }


def extract_into(out: Path, *cells: tuple[str, str, list[str]], mode: str = "write") -> None:
    nb = make_notebook(list(cells))
    run_extract(
        ExtractRequest(out.parent / "b.ipynb", out, ExtractOptions("pkg"), mode, notebook=nb)
    )


@pytest.mark.parametrize("mode", ["preview", "check", "write"])
def test_a_file_where_a_folder_of_the_package_goes_is_refused_naming_it(
    tmp_path: Path, mode: str
) -> None:
    """A file ``tests`` in the output: a preview or check raised NotADirectoryError (a
    traceback; the REST API's 500), a write failed half way."""
    out = tmp_path / "pkg"
    out.mkdir()
    (out / "tests").write_text("not a folder")
    with pytest.raises(InvalidInputError) as info:
        extract_into(out, *V1, mode=mode)
    assert info.value.details == {"path": str(out / "tests"), "field": "output"}
    assert "a file where the package's folder tests/ goes" in info.value.message
    assert snapshot(out) == {"tests": b"not a folder"}


@pytest.mark.parametrize("mode", ["preview", "check", "write"])
def test_a_folder_where_a_file_of_the_package_goes_is_refused_before_anything_is_written(
    tmp_path: Path, mode: str
) -> None:
    """A folder ``src/pkg/core.py``: the write wrote README.md and the others, then failed
    with IsADirectoryError, leaving ``src/pkg/.core.py.nbtools-tmp`` behind."""
    out = tmp_path / "pkg"
    write(extraction(*V2), out)
    (out / "src/pkg/core.py").unlink()
    (out / "src/pkg/core.py").mkdir()
    before = snapshot(out)
    with pytest.raises(InvalidInputError) as info:
        extract_into(out, *V1, mode=mode)
    assert info.value.details == {"path": str(out / "src/pkg/core.py"), "field": "output"}
    assert "a folder where the package's file src/pkg/core.py goes" in info.value.message
    assert snapshot(out) == before


def test_a_folder_that_cannot_be_written_refuses_the_write_before_any_change(
    tmp_path: Path,
) -> None:
    """A read-only ``tests/``: ``core.py`` was updated, then PermissionError (a traceback),
    and neither the tests nor the manifest were."""
    out = tmp_path / "pkg"
    write(extraction(*V1), out)
    before = snapshot(out)
    changed = (
        ("code", "def f():\n    return 2", ["export"]),
        ("code", "assert f() == 2", ["test"]),
    )
    with unwritable(out / "tests"), pytest.raises(InvalidInputError) as info:
        write(extraction(*changed), out)
    assert info.value.details == {"path": str(out / "tests"), "field": "output"}
    assert "may not write in" in info.value.message
    assert snapshot(out) == before
    with unwritable(out), pytest.raises(InvalidInputError, match="may not write in"):
        write(extraction(*changed), out)
    assert snapshot(out) == before
    with unwritable(tmp_path), pytest.raises(InvalidInputError, match="may not write in"):
        write(extraction(*V1), tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_a_write_failing_half_way_is_undone(tmp_path: Path) -> None:
    """A failure while the new files are written (here the temporary name of one taken by a
    folder) removes those written before it and the folders made for them: nothing changes."""
    out = tmp_path / "pkg"
    write(extraction(*V2), out)
    (out / "src/pkg/.core.py.nbtools-tmp").mkdir()
    before = snapshot(out)
    with pytest.raises(InvalidInputError) as info:
        write(extraction(*V1), out)
    assert info.value.details["field"] == "output"
    assert "Nothing was changed" in info.value.message
    assert snapshot(out) == before  # no tests/ folder, no README.md.nbtools-tmp


def test_force_with_a_backup_in_the_way_moves_nothing_aside(tmp_path: Path) -> None:
    """``tests/test_pkg.py.orig`` existed: README.md, edited too, was already renamed to
    README.md.orig when the write stopped, leaving the package without its README."""
    out = tmp_path / "pkg"
    write(extraction(*V1), out)
    (out / "README.md").write_text("# edited\n")
    (out / "tests/test_pkg.py").write_text("# edited\n")
    (out / "tests/test_pkg.py.orig").write_text("an older copy\n")
    before = snapshot(out)
    with pytest.raises(ConflictError) as info:
        write(extraction(*V2), out, force=True)
    assert str(out / "tests/test_pkg.py.orig") in info.value.message
    assert snapshot(out) == before


def test_the_command_line_refuses_a_file_in_the_way_with_exit_2(tmp_path: Path) -> None:
    """``--check`` printed a NotADirectoryError traceback and exited 1."""
    (tmp_path / "b.ipynb").write_text(json.dumps(make_notebook(list(V1))))
    (tmp_path / "w1").mkdir()
    (tmp_path / "w1/tests").write_text("mine")
    for extra in (["--check"], []):
        result = nbtools(
            tmp_path, "extract", str(tmp_path / "b.ipynb"), "-o", str(tmp_path / "w1"), *extra
        )
        assert result.exit_code == 2, result.output
        assert "w1/tests is a file where the package's folder tests/ goes" in result.stderr
        assert "Traceback" not in result.output
    assert [p.name for p in (tmp_path / "w1").iterdir()] == ["tests"]
