"""A notebook moved outside Jupyter keeps its history: ``nbtools version move`` (as ``git mv``)
and ``nbtools version save`` of a moved file; the packages extracted from it follow."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from nbtools.export.model import MANIFEST
from tests.conftest import make_notebook
from tests.unit.test_cli_version import as_json, nbtools
from tests.unit.versioning.conftest import edit, rich_notebook, write


def numbers(root: Path, path: str) -> list[int]:
    logged = nbtools(root, "log", path, "--json")
    assert logged.exit_code == 0, logged.output
    return [v["number"] for v in json.loads(logged.stdout)]  # a note may go to stderr


def two_versions(root: Path) -> None:
    """``nb.ipynb`` with versions 1 and 2, the file as version 2."""
    nb = rich_notebook()
    write(root / "nb.ipynb", nb)
    assert nbtools(root, "save", "nb.ipynb").exit_code == 0
    write(root / "nb.ipynb", edit(nb, 1, "x = 42"))
    assert nbtools(root, "save", "nb.ipynb").exit_code == 0


def test_saving_a_notebook_moved_with_mv_continues_its_history(tmp_path: Path) -> None:
    """``mv nb.ipynb sub/renamed.ipynb`` then ``version save sub/renamed.ipynb``: the file's
    content is nb.ipynb's latest version and nb.ipynb is gone, so the history continues there
    and says so. It recorded 'version 1 of sub/renamed.ipynb', a history of its own."""
    two_versions(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "nb.ipynb").rename(tmp_path / "sub/renamed.ipynb")
    saved = nbtools(tmp_path, "save", "sub/renamed.ipynb")
    assert saved.exit_code == 0, saved.output
    assert saved.output.split("\n")[:2] == [
        "sub/renamed.ipynb continues the history of nb.ipynb, whose file is gone and whose "
        "latest version has this content: a move (`nbtools version move` records one).",
        "sub/renamed.ipynb is unchanged since version 2: no new version.",
    ]
    assert numbers(tmp_path, "sub/renamed.ipynb") == [2, 1]
    assert nbtools(tmp_path, "log", "nb.ipynb").exit_code == 2  # no history left there
    again = as_json(nbtools(tmp_path, "save", "sub/renamed.ipynb", "--json"))
    assert (again["number"], again["moved_from"]) == (2, None)


def test_a_copy_starts_a_history_of_its_own(tmp_path: Path) -> None:
    """The notebook it has the content of still exists: a copy, whose history starts, and
    the original's stays where it is."""
    two_versions(tmp_path)
    shutil.copy(tmp_path / "nb.ipynb", tmp_path / "copy.ipynb")
    saved = as_json(nbtools(tmp_path, "save", "copy.ipynb", "--json"))
    assert (saved["number"], saved["moved_from"]) == (1, None)
    assert numbers(tmp_path, "nb.ipynb") == [2, 1]


def test_version_move_moves_the_file_and_its_history(tmp_path: Path) -> None:
    """As ``git mv``: the file and its history. There was no such command: a notebook moved
    outside Jupyter lost its history."""
    two_versions(tmp_path)
    (tmp_path / "sub").mkdir()
    moved = as_json(nbtools(tmp_path, "move", "nb.ipynb", "sub/new.ipynb", "--json"))
    assert moved == {
        "old": "nb.ipynb",
        "new": "sub/new.ipynb",
        "file_moved": True,
        "packages": [],
    }
    assert not (tmp_path / "nb.ipynb").exists()
    assert (tmp_path / "sub/new.ipynb").is_file()
    assert numbers(tmp_path, "sub/new.ipynb") == [2, 1]


def test_version_move_after_mv_moves_the_history_only(tmp_path: Path) -> None:
    """The file moved and edited before its save (so the save cannot tell it was moved, and
    starts a history): ``version move`` gives it the old history, the one its save started
    set aside, and its next save continues the old one."""
    two_versions(tmp_path)
    (tmp_path / "nb.ipynb").rename(tmp_path / "new.ipynb")
    write(tmp_path / "new.ipynb", edit(rich_notebook(), 1, "x = 43"))
    assert as_json(nbtools(tmp_path, "save", "new.ipynb", "--json"))["number"] == 1
    moved = nbtools(tmp_path, "move", "nb.ipynb", "new.ipynb")
    assert moved.exit_code == 0, moved.output
    assert moved.output == "Moved the history of nb.ipynb to new.ipynb, where its file is.\n"
    assert numbers(tmp_path, "new.ipynb") == [2, 1]
    logged = nbtools(tmp_path, "log", "new.ipynb")
    assert "new.ipynb~" in logged.stderr  # the history its save started, set aside
    saved = as_json(nbtools(tmp_path, "save", "new.ipynb", "--json"))
    assert (saved["number"], saved["cells_changed"]) == (3, 1)


def test_version_move_refuses_what_it_cannot_move_and_changes_nothing(tmp_path: Path) -> None:
    two_versions(tmp_path)
    write(tmp_path / "other.ipynb", rich_notebook())
    refusals = {
        ("nb.ipynb", "other.ipynb"): "other.ipynb exists already: move or remove it first",
        ("nb.ipynb", "no/such/new.ipynb"): "no/such/new.ipynb's folder does not exist",
        ("gone.ipynb", "nowhere.ipynb"): "Neither gone.ipynb nor nowhere.ipynb exists",
        ("gone.ipynb", "other.ipynb"): "gone.ipynb has no file and no history to move",
        ("nb.ipynb", "./nb.ipynb"): "nb.ipynb is where nb.ipynb is already",
    }
    for (old, new), message in refusals.items():
        refused = nbtools(tmp_path, "move", old, new)
        assert refused.exit_code == 2, refused.output
        assert message in refused.stderr
    assert numbers(tmp_path, "nb.ipynb") == [2, 1]
    assert numbers(tmp_path, "other.ipynb") == []


CELLS = [
    ("code", "n = 2", ["parameters"]),
    ("code", "def double(x):\n    return 2 * x", ["export"]),
]


def extract(root: Path, notebook: str, *output: str, lineage: str = "wait") -> Result:
    """``nbtools extract ROOT/NOTEBOOK [-o ROOT/OUTPUT] [--OPTION]``, recording its lineage
    first (or as ``lineage`` says)."""
    places = [path if path.startswith("-") else str(root / path) for path in output]
    command = ["--root", str(root), "extract", str(root / notebook), "--lineage", lineage]
    return CliRunner().invoke(cli, [*command, *places])


def test_the_package_of_a_moved_notebook_follows_it(tmp_path: Path) -> None:
    """``version move``: the package's manifest names the new path, so extracting the moved
    notebook updates its package, with or without ``-o``. It was refused as another
    notebook's package until ``--force``, and without ``-o`` a second package was started."""
    (tmp_path / "nbs").mkdir()
    (tmp_path / "nbs/report.ipynb").write_text(json.dumps(make_notebook(CELLS)))
    written = extract(tmp_path, "nbs/report.ipynb", "-o", "packages/report")
    assert written.exit_code == 0, written.output
    moved = as_json(nbtools(tmp_path, "move", "nbs/report.ipynb", "nbs/quarterly.ipynb", "--json"))
    assert moved["packages"] == ["packages/report"]
    manifest = json.loads((tmp_path / "packages/report" / MANIFEST).read_text())
    assert manifest["notebook_path"] == "../../nbs/quarterly.ipynb"
    again = extract(tmp_path, "nbs/quarterly.ipynb", "-o", "packages/report")
    assert again.exit_code == 0, again.output
    found = extract(tmp_path, "nbs/quarterly.ipynb")  # where its package is
    assert found.exit_code == 0, found.output
    assert not (tmp_path / "nbs/quarterly").exists()


def test_a_save_that_cannot_tell_which_notebook_moved_starts_a_history_and_says_so(
    tmp_path: Path,
) -> None:
    nb = rich_notebook()
    for name in ("a.ipynb", "b.ipynb"):
        write(tmp_path / name, nb)
        assert nbtools(tmp_path, "save", name).exit_code == 0
    (tmp_path / "a.ipynb").rename(tmp_path / "c.ipynb")
    (tmp_path / "b.ipynb").unlink()
    saved = nbtools(tmp_path, "save", "c.ipynb", "--json")
    assert saved.exit_code == 0, saved.output
    assert (json.loads(saved.stdout)["number"], json.loads(saved.stdout)["moved_from"]) == (1, None)
    assert "the latest version of a.ipynb, b.ipynb, whose files are gone" in saved.stderr
    assert "`nbtools version move OLD c.ipynb`" in saved.stderr


def _set_of_two(root: Path) -> list[tuple[str, str, list[str]]]:
    """``nbs/a.ipynb`` (:data:`CELLS`) and ``nbs/b.ipynb`` exporting ``triple`` to module
    ``b``, whose cells it returns."""
    (root / "nbs").mkdir()
    (root / "nbs/a.ipynb").write_text(json.dumps(make_notebook(CELLS)))
    triple: list[tuple[str, str, list[str]]] = [
        ("code", "#| default_exp b", []),
        ("code", "#| export\ndef triple(x):\n    return 3 * x", []),
    ]
    (root / "nbs/b.ipynb").write_text(json.dumps(make_notebook(triple)))
    return triple


def test_the_package_of_a_set_follows_each_of_its_notebooks(tmp_path: Path) -> None:
    """Both notebooks of a set renamed with ``version move``: the manifest names each one's
    new path (``notebook_path`` and ``notebooks``), so extracting the renamed set updates its
    package. A set's package followed none of them (its versions were not pinned), and the
    renamed set was refused as another notebooks' package until ``--force``."""
    _set_of_two(tmp_path)
    written = extract(tmp_path, "nbs/a.ipynb", "nbs/b.ipynb", "-o", "packages/lib")
    assert written.exit_code == 0, written.output
    for old, new in (("a", "c"), ("b", "d")):
        moved = as_json(nbtools(tmp_path, "move", f"nbs/{old}.ipynb", f"nbs/{new}.ipynb", "--json"))
        assert moved["packages"] == ["packages/lib"]
    manifest = json.loads((tmp_path / "packages/lib" / MANIFEST).read_text())
    assert manifest["notebook_path"] == "../../nbs/c.ipynb"
    assert [n["notebook_path"] for n in manifest["notebooks"]] == [
        "../../nbs/c.ipynb",
        "../../nbs/d.ipynb",
    ]
    again = extract(tmp_path, "nbs/c.ipynb", "nbs/d.ipynb", "-o", "packages/lib")
    assert again.exit_code == 0, again.output
    assert (tmp_path / "packages/lib/src/a/b.py").is_file()  # the package keeps its name


def test_a_check_of_a_set_after_a_move_passes_with_a_note_until_its_code_changes(
    tmp_path: Path,
) -> None:
    """``version move nbs/b.ipynb nbs/c.ipynb``: the manifest follows, and the package's files
    still name b.ipynb (headers, markers), which is all that differs, so ``--check`` on the
    moved set passes with a note. It failed (exit 1, "7 file(s) out of date with the
    notebooks"), a red build that only a rename caused. A change of c's code still fails."""
    triple = _set_of_two(tmp_path)
    written = extract(tmp_path, "nbs", "-o", "packages/lib")
    assert written.exit_code == 0, written.output
    moved = as_json(nbtools(tmp_path, "move", "nbs/b.ipynb", "nbs/c.ipynb", "--json"))
    assert moved["packages"] == ["packages/lib"]
    checked = extract(tmp_path, "nbs", "-o", "packages/lib", "--check")
    assert checked.exit_code == 0, checked.output
    assert (
        "note: the package's files still name b.ipynb (now c.ipynb) as before the move"
        in checked.stderr
    )
    # the note and a summary: the whole diff was printed as if the check failed
    assert checked.stdout.splitlines()[1:] == [
        "  up to date: 7 file(s) differ only as the note says (--diff shows them)"
    ]
    diffed = extract(tmp_path, "nbs", "-o", "packages/lib", "--check", "--diff")
    assert diffed.exit_code == 0, diffed.output
    assert "changed   src/a/b.py" in diffed.stdout  # the files and the diff, when asked for
    assert "-# %% b.ipynb cell 2 (id cell-1)\n+# %% c.ipynb cell 2 (id cell-1)" in diffed.stdout
    report = json.loads(extract(tmp_path, "nbs", "--check", "--json").stdout)  # found, no -o
    assert (report["output"], report["ok"], report["framing_only"]) == (
        str(tmp_path / "packages/lib"),
        True,
        True,
    )
    edited = [triple[0], ("code", "#| export\ndef triple(x):\n    return x * 3", [])]
    (tmp_path / "nbs/c.ipynb").write_text(json.dumps(make_notebook(edited)))
    failed = extract(tmp_path, "nbs", "-o", "packages/lib", "--check")
    assert failed.exit_code == 1, failed.output
    assert "note:" not in failed.stderr
    assert "file(s) out of date with the notebooks" in failed.stderr


def test_a_check_of_one_notebook_after_its_move_passes_with_a_note(tmp_path: Path) -> None:
    """One notebook behaves as a set: it failed after ``version move`` for its old name in
    the package's headers."""
    (tmp_path / "report.ipynb").write_text(json.dumps(make_notebook(CELLS)))
    assert extract(tmp_path, "report.ipynb", "-o", "packages/report").exit_code == 0
    as_json(nbtools(tmp_path, "move", "report.ipynb", "quarterly.ipynb", "--json"))
    checked = extract(tmp_path, "quarterly.ipynb", "-o", "packages/report", "--check")
    assert checked.exit_code == 0, checked.output
    assert "report.ipynb (now quarterly.ipynb)" in checked.stderr


def test_a_package_written_without_lineage_follows_its_notebook(tmp_path: Path) -> None:
    """``--lineage off``: no version pins the package, so it followed no move (re-extracting
    the moved notebook into it was refused until ``--force``). The project's search finds it
    by the notebook path its manifest names; a package naming another notebook is left."""
    (tmp_path / "nbs").mkdir()
    for name in ("report", "other"):
        (tmp_path / f"nbs/{name}.ipynb").write_text(json.dumps(make_notebook(CELLS)))
        written = extract(tmp_path, f"nbs/{name}.ipynb", "-o", f"packages/{name}", lineage="off")
        assert written.exit_code == 0, written.output
    moved = as_json(nbtools(tmp_path, "move", "nbs/report.ipynb", "nbs/quarterly.ipynb", "--json"))
    assert moved["packages"] == ["packages/report"]
    manifest = json.loads((tmp_path / "packages/report" / MANIFEST).read_text())
    assert manifest["notebook_path"] == "../../nbs/quarterly.ipynb"
    other = json.loads((tmp_path / "packages/other" / MANIFEST).read_text())
    assert other["notebook_path"] == "../../nbs/other.ipynb"
    again = extract(tmp_path, "nbs/quarterly.ipynb", "-o", "packages/report", lineage="off")
    assert again.exit_code == 0, again.output


#: A package directory whose path from the project's root is longer than 255 characters: its
#: version reference is a hash of the path.
LONG = "packages/" + "p" * 200 + "/" + "q" * 60


def test_a_package_under_a_path_of_over_255_characters_follows_its_notebook(
    tmp_path: Path,
) -> None:
    """Its pin names a hash, which follow_move skipped: the package did not follow. Inside
    the project, the search finds it."""
    (tmp_path / "nbs").mkdir()
    (tmp_path / "nbs/report.ipynb").write_text(json.dumps(make_notebook(CELLS)))
    assert (written := extract(tmp_path, "nbs/report.ipynb", "-o", LONG)).exit_code == 0, (
        written.output
    )
    moved = nbtools(tmp_path, "move", "nbs/report.ipynb", "nbs/quarterly.ipynb", "--json")
    assert (moved.exit_code, json.loads(moved.stdout)["packages"]) == (0, [LONG])
    assert moved.stderr == ""
    manifest = json.loads((tmp_path / LONG / MANIFEST).read_text())
    assert manifest["notebook_path"] == "../../../nbs/quarterly.ipynb"


def test_a_package_it_cannot_find_by_its_hashed_path_is_warned_of(tmp_path: Path) -> None:
    """Outside the project, a directory named by a hash cannot be found: the move says which
    notebook's package still names the old path and how to update it (before: nothing)."""
    root = tmp_path / "project"
    (root / "nbs").mkdir(parents=True)
    (root / "nbs/report.ipynb").write_text(json.dumps(make_notebook(CELLS)))
    outside = tmp_path / "elsewhere" / ("o" * 200) / ("x" * 60)
    assert (written := extract(root, "nbs/report.ipynb", "-o", str(outside))).exit_code == 0, (
        written.output
    )
    moved = nbtools(root, "move", "nbs/report.ipynb", "nbs/quarterly.ipynb", "--json")
    assert (moved.exit_code, json.loads(moved.stdout)["packages"]) == (0, [])
    assert moved.stderr == (
        "Warning: a package extracted from nbs/report.ipynb still names it: a directory whose "
        "path is longer than 255 characters is only found inside the project (at most 6 "
        "folders deep), and this one is not. Extract nbs/quarterly.ipynb into it again with "
        "-o DIR --force.\n"
    )


def test_moving_a_set_s_folder_says_how_many_of_its_notebooks_the_manifest_follows(
    tmp_path: Path,
) -> None:
    """``version move nbs notebooks`` of a set of two: its package now names both notebooks'
    new paths, and says so. It said "the notebook's new path", as for one notebook."""
    _set_of_two(tmp_path)
    written = extract(tmp_path, "nbs", "-o", "packages/lib")
    assert written.exit_code == 0, written.output
    moved = nbtools(tmp_path, "move", "nbs", "notebooks")
    assert moved.exit_code == 0, moved.output
    assert moved.output.splitlines()[1:] == [
        "  packages/lib: its manifest names the 2 notebooks' new paths."
    ]
    manifest = json.loads((tmp_path / "packages/lib" / MANIFEST).read_text())
    assert [n["notebook_path"] for n in manifest["notebooks"]] == [
        "../../notebooks/a.ipynb",
        "../../notebooks/b.ipynb",
    ]
    one = nbtools(tmp_path, "move", "notebooks/a.ipynb", "notebooks/c.ipynb")
    assert one.output.splitlines()[1:] == [
        "  packages/lib: its manifest names the notebook's new path."
    ]
