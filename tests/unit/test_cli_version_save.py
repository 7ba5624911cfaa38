"""``nbtools version save`` of several notebooks and folders: each saved, said a line each,
``--json`` a list; a path among them that cannot be saved refuses them all."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.test_cli_version import as_json, nbtools
from tests.unit.versioning.conftest import edit, rich_notebook, write


def numbers(root: Path, path: str) -> list[int]:
    logged = nbtools(root, "log", path, "--json")
    assert logged.exit_code == 0, logged.output
    return [v["number"] for v in json.loads(logged.stdout)]


def three(root: Path) -> None:
    """``a.ipynb``, and ``nbs/b.ipynb`` and ``nbs/sub/c.ipynb`` with ``nbs/_draft.ipynb``,
    which a folder skips as extract's reading of one does."""
    for name in ("a.ipynb", "nbs/b.ipynb", "nbs/sub/c.ipynb", "nbs/_draft.ipynb"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        write(root / name, edit(rich_notebook(), 1, f"x = {name!r}"))


def test_several_notebooks_and_a_folder_are_each_saved(tmp_path: Path) -> None:
    """It took one NOTEBOOK: ``version save a.ipynb nbs`` was a usage error."""
    three(tmp_path)
    saved = nbtools(tmp_path, "save", "a.ipynb", "nbs", "-m", "release")
    assert saved.exit_code == 0, saved.output
    assert saved.output.splitlines() == [
        "Recorded version 1 of a.ipynb (4 cells changed).",
        "Recorded version 1 of nbs/b.ipynb (4 cells changed).",
        "Recorded version 1 of nbs/sub/c.ipynb (4 cells changed).",
    ]
    assert numbers(tmp_path, "nbs/_draft.ipynb") == []
    write(tmp_path / "nbs/b.ipynb", edit(rich_notebook(), 1, "x = 2"))
    models = as_json(nbtools(tmp_path, "save", "nbs", "--json"))  # a folder: a list
    assert [(m["path"], m["number"], m["recorded"]) for m in models] == [
        ("nbs/b.ipynb", 2, True),
        ("nbs/sub/c.ipynb", 1, False),
    ]
    one = as_json(nbtools(tmp_path, "save", "a.ipynb", "--json"))  # one notebook: its object
    assert (one["path"], one["number"], one["message"]) == ("a.ipynb", 1, "release")


def test_a_path_that_cannot_be_saved_refuses_them_all(tmp_path: Path) -> None:
    """Each refused with exit 2 naming it, and no notebook saved, also those given before."""
    three(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.ipynb").write_text("{}")
    refusals = {
        "gone.ipynb": "No such notebook or folder: ",
        "empty": "It holds no notebook either",
        "notes.ipynb": "notes.ipynb is JSON but not a notebook",
        "a.ipynb": "is given twice",
    }
    for path, message in refusals.items():
        refused = nbtools(tmp_path, "save", "a.ipynb", "nbs", path, "--json")
        assert refused.exit_code == 2, refused.output
        assert message in refused.stderr
        assert json.loads(refused.stdout)["error"]
        for saved in ("a.ipynb", "nbs/b.ipynb", "nbs/sub/c.ipynb"):
            assert numbers(tmp_path, saved) == []


def test_a_refused_message_leaves_a_moved_notebook_s_history_where_it_is(
    tmp_path: Path,
) -> None:
    """``mv nb.ipynb renamed.ipynb; version save renamed.ipynb -m ''``: the save moved
    nb.ipynb's history to renamed.ipynb, then refused the empty message."""
    write(tmp_path / "nb.ipynb", rich_notebook())
    assert nbtools(tmp_path, "save", "nb.ipynb").exit_code == 0
    (tmp_path / "nb.ipynb").rename(tmp_path / "renamed.ipynb")
    refused = nbtools(tmp_path, "save", "renamed.ipynb", "-m", " ")
    assert refused.exit_code == 2, refused.output
    assert "The version message is empty" in refused.stderr
    assert numbers(tmp_path, "nb.ipynb") == [1]
    assert numbers(tmp_path, "renamed.ipynb") == []
