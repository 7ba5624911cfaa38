"""An extraction killed half-way (SIGKILL, at a known point): the next one settles what it
left, finishing the moves it had begun or undoing the files it had staged, without
``--force`` and without ``.orig`` copies of nbtools' own files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbtools.export.model import MANIFEST
from tests.conftest import make_notebook
from tests.held import KILLED, Stop, run

MODULES = 6


def notebook(path: Path, value: int) -> Path:
    """A notebook exporting ``MODULES`` modules, each returning ``value``."""
    cells: list[tuple[str, str, list[str]]] = [
        ("code", f"#| export mod{n}\ndef f{n}():\n    return {value}", []) for n in range(MODULES)
    ]
    path.write_text(json.dumps(make_notebook(cells)))
    return path


def extract(root: Path, out: Path, stop: Stop | None = None) -> tuple[int, str]:
    done = run(
        root, "extract", str(root / "c.ipynb"), "-o", str(out), "--lineage", "off", stop=stop
    )
    return done.returncode, done.stderr


def modules(out: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((out / "src/c").glob("mod*.py"))}


def leftovers(out: Path) -> list[str]:
    return sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.name.endswith((".nbtools-tmp", ".orig"))
    )


def test_a_write_killed_while_files_take_their_places_is_finished_by_the_next(
    tmp_path: Path,
) -> None:
    """Killed at its third move, the write left old and new modules side by side under the
    old manifest, with the rest staged: the next extraction (of a newer notebook still) was
    refused, naming nbtools' own files as edited by hand, and --force kept .orig copies."""
    out = tmp_path / "outc"
    notebook(tmp_path / "c.ipynb", 1)
    assert extract(tmp_path, out)[0] == 0
    notebook(tmp_path / "c.ipynb", 2)
    killed, _ = extract(tmp_path, out, Stop("os.rename", ".nbtools-tmp", 3))
    assert killed == KILLED
    returns = {"return 1" in text for text in modules(out).values()}
    assert returns == {True, False}  # stopped half-way: old and new modules
    notebook(tmp_path / "c.ipynb", 3)
    code, stderr = extract(tmp_path, out)
    assert code == 0, stderr
    assert all("return 3" in text for text in modules(out).values())
    assert leftovers(out) == []
    files = json.loads((out / MANIFEST).read_text())["files"]
    assert len([path for path in files if "/mod" in path]) == MODULES


def test_the_next_write_finishes_the_killed_one_before_comparing(tmp_path: Path) -> None:
    """The same notebook again: the killed write's package is the one wanted, and the next
    write finds nothing left to change."""
    out = tmp_path / "outc"
    notebook(tmp_path / "c.ipynb", 1)
    assert extract(tmp_path, out)[0] == 0
    notebook(tmp_path / "c.ipynb", 2)
    assert extract(tmp_path, out, Stop("os.rename", ".nbtools-tmp", 2))[0] == KILLED
    (out / "NOTES.md").write_text("mine")
    code, stderr = extract(tmp_path, out)
    assert code == 0, stderr
    assert all("return 2" in text for text in modules(out).values())
    assert leftovers(out) == []
    assert (out / "NOTES.md").read_text() == "mine"


def test_a_write_into_a_new_folder_killed_while_staging_is_undone_by_the_next(
    tmp_path: Path,
) -> None:
    """Killed while it wrote its third temporary file: the next extraction into the folder
    was refused ("fresh already holds files nbtools did not generate (.README.md.nbtools-tmp,
    …, src)")."""
    out = tmp_path / "fresh"
    notebook(tmp_path / "c.ipynb", 1)
    assert extract(tmp_path, out, Stop("open", ".nbtools-tmp", 3))[0] == KILLED
    assert leftovers(out)  # the journal and a temporary file
    code, stderr = extract(tmp_path, out)
    assert code == 0, stderr
    assert leftovers(out) == []
    assert all("return 1" in text for text in modules(out).values())


def test_a_write_killed_while_writing_its_journal_leaves_nothing_in_the_way(
    tmp_path: Path,
) -> None:
    out = tmp_path / "fresh"
    notebook(tmp_path / "c.ipynb", 1)
    assert extract(tmp_path, out, Stop("open", ".nbtools-tmp", 2))[0] == KILLED
    (out / f".{MANIFEST}.nbtools-tmp").write_text('{"files": {"READ')  # cut short
    assert extract(tmp_path, out)[0] == 0
    assert leftovers(out) == []


def test_a_file_edited_after_the_kill_is_named_not_overwritten(tmp_path: Path) -> None:
    """The killed write had staged mod5.py; edited by hand since, it is kept and named."""
    out = tmp_path / "outc"
    notebook(tmp_path / "c.ipynb", 1)
    assert extract(tmp_path, out)[0] == 0
    notebook(tmp_path / "c.ipynb", 2)
    assert extract(tmp_path, out, Stop("os.rename", ".nbtools-tmp", 2))[0] == KILLED
    (out / "src/c/mod5.py").write_text("mine\n")
    code, stderr = extract(tmp_path, out)
    assert code == 2
    assert "edited since: src/c/mod5.py." in " ".join(stderr.split())
    assert (out / "src/c/mod5.py").read_text() == "mine\n"
    assert leftovers(out) == []


def test_a_failed_write_into_a_new_folder_removes_the_folders_it_made(tmp_path: Path) -> None:
    """A full disk (here: no file may pass 2 KB): "Nothing was changed", and fresh/ and
    a/ were left behind, empty."""
    notebook(tmp_path / "c.ipynb", 1)
    cells: list[tuple[str, str, list[str]]] = [
        ("code", f"#| export big\nDATA = {'x' * 4000!r}", [])
    ]
    (tmp_path / "c.ipynb").write_text(json.dumps(make_notebook(cells)))
    out = tmp_path / "a/fresh"
    done = run(tmp_path, "extract", "c.ipynb", "-o", str(out), "--lineage", "off", file_size=2048)
    assert done.returncode == 2, done.stderr
    assert "Nothing was changed" in done.stderr
    assert not (tmp_path / "a").exists()


def test_a_killed_write_that_cannot_be_finished_is_a_clear_refusal(tmp_path: Path) -> None:
    """A folder made where the killed write was to move a module: exit 2 naming it, as
    any write into the output refuses it (before: the same refusal)."""
    out = tmp_path / "outc"
    notebook(tmp_path / "c.ipynb", 1)
    assert extract(tmp_path, out)[0] == 0
    notebook(tmp_path / "c.ipynb", 2)
    assert extract(tmp_path, out, Stop("os.rename", ".nbtools-tmp", 2))[0] == KILLED
    (out / "src/c/mod5.py").unlink()
    (out / "src/c/mod5.py").mkdir()
    code, stderr = extract(tmp_path, out)
    assert code == 2
    assert "a folder where the package's file src/c/mod5.py goes" in " ".join(stderr.split())
    assert "Traceback" not in stderr


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` (temporary files too) with its content."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "stop",
    [
        Stop("os.rename", f".{MANIFEST}.nbtools-tmp"),  # every file moved but the manifest
        Stop("os.rename", ".nbtools-tmp", 3),  # old and new modules side by side
        Stop("open", ".nbtools-tmp", 3),  # staging, nothing moved
    ],
)
def test_a_check_of_a_half_written_package_fails_telling_to_extract_again_and_writes_nothing(
    tmp_path: Path, stop: Stop
) -> None:
    """Killed (with the same notebook as the check's) just before its manifest took its
    place, the write left every module new under the old manifest: --check said "up to
    date", exit 0; killed earlier, it said the modules were out of date. Either way it now
    fails (exit 1) naming the half-written package and what settles it, and changes nothing;
    the next extraction settles it, and the check passes."""
    out = tmp_path / "outc"
    notebook(tmp_path / "c.ipynb", 1)
    assert extract(tmp_path, out)[0] == 0
    notebook(tmp_path / "c.ipynb", 2)
    assert extract(tmp_path, out, stop)[0] == KILLED
    left = snapshot(out)
    check = ["extract", str(tmp_path / "c.ipynb"), "-o", str(out), "--check"]
    checked = run(tmp_path, *check)
    assert checked.returncode == 1, checked.stderr
    assert " ".join(checked.stderr.split()) == (
        f"Error: The package in {out} is half-written: an nbtools extract writing it was "
        f"stopped before it ended (its journal, .{MANIFEST}.nbtools-tmp, is still there). "
        "Run nbtools extract again, without --check (or, in JupyterLab, click Productionize "
        "in the notebook's toolbar, then Write and test in the Package section): it finishes "
        "or undoes that write, then writes the package."
    )
    assert snapshot(out) == left
    assert extract(tmp_path, out)[0] == 0
    assert run(tmp_path, *check).returncode == 0
    assert leftovers(out) == []
