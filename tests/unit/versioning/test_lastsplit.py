"""A save splits only the cells that changed since the last split of the same notebook, and
stores exactly what a full split would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nbtools import versioning
from nbtools.project import Project
from nbtools.versioning.content import version_notebook
from nbtools.versioning.lastsplit import (
    LAST_SPLITS,
    KnownCell,
    LastSplit,
    LastSplits,
    private_copy,
    same_json,
)
from nbtools.versioning.parts import canonical_json, split
from tests.unit.versioning.conftest import edit, rich_notebook


def copied(nb: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(nb))
    return result


def known(nb: dict[str, Any]) -> list[KnownCell]:
    parts = split(nb)
    return [
        KnownCell(private_copy(cell), entry, encoded)
        for cell, entry, encoded in zip(nb["cells"], parts.cells, parts.entry_json, strict=True)
    ]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ({"a": [1, "x", None]}, {"a": [1, "x", None]}, True),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),  # the order of keys is not written
        (1, True, False),
        (1, 1.0, False),
        (0, False, False),
        (0.0, -0.0, False),
        (float("nan"), float("nan"), False),  # never taken as unchanged: split again
        ({"a": 1}, {"a": 1, "b": None}, False),
        ({"a": 1}, {"b": 1}, False),
        ([1, 2], [1, 2, 3], False),
        ("1", 1, False),
        ({"a": [{"b": "x"}]}, {"a": [{"b": "y"}]}, False),
        ([], {}, False),
    ],
)
def test_cells_are_the_same_only_when_their_json_is(a: Any, b: Any, same: bool) -> None:
    assert same_json(a, b) is same
    assert same_json(b, a) is same


def test_a_split_with_known_cells_gives_the_same_manifest_as_a_full_split() -> None:
    before = rich_notebook()
    last = known(before)
    changed = edit(before, 1, "x = 5")
    changed["cells"][2]["metadata"]["scrolled"] = True
    changed["cells"].insert(0, {"id": "new", "cell_type": "raw", "metadata": {}, "source": "r"})
    changed["cells"][3], changed["cells"][4] = changed["cells"][4], changed["cells"][3]  # moved
    for nb in (before, changed):
        full, quick = split(nb), split(nb, known=last)
        assert quick.manifest_bytes == full.manifest_bytes == canonical_json(full.manifest)
        assert quick.manifest_sha == full.manifest_sha
    quick = split(changed, known=last)
    # the moved and the untouched cells come from the last split, found by their ids
    assert [cell is not None for cell in quick.reused] == [False, True, False, True, False]
    # only the new and the edited cells' blobs are produced again
    assert set(quick.blobs) < set(split(changed).blobs)


def test_cells_without_ids_are_matched_by_position() -> None:
    before = rich_notebook()
    for cell in before["cells"]:
        del cell["id"]
    before["nbformat_minor"] = 4
    changed = edit(before, 1, "x = 5")
    quick = split(changed, known=known(before))
    assert [cell is not None for cell in quick.reused] == [True, False, True, True]
    assert quick.manifest_sha == split(changed).manifest_sha


def test_a_value_that_only_compares_equal_is_split_again() -> None:
    before = rich_notebook()
    changed = copied(before)
    changed["cells"][1]["execution_count"] = True  # == 1, but written as true
    changed["cells"][2]["outputs"][1]["data"]["application/json"]["a"] = [1.0, 2]
    quick = split(changed, known=known(before))
    assert quick.reused[1:3] == [None, None]
    assert quick.manifest_sha == split(changed).manifest_sha != split(before).manifest_sha


def test_a_notebook_changed_in_place_after_a_save_is_recorded_with_its_change(
    project: Project,
) -> None:
    nb = rich_notebook()
    versioning.commit(project, "nb.ipynb", nb)
    nb["cells"][1]["source"] = "changed in place"  # the same dict objects, edited
    nb["cells"][2]["outputs"][0]["data"]["text/plain"] = "<Other figure>"
    second = versioning.commit(project, "nb.ipynb", nb)
    assert (second.recorded, second.number, second.cells_changed) == (True, 2, 2)
    restored = version_notebook(project, second)["cells"]
    assert restored[1]["source"] == "changed in place"
    assert restored[2]["outputs"][0]["data"]["text/plain"] == "<Other figure>"


def nbtools(project: Project, *args: str) -> None:
    main = "from nbtools.cli.main import main; main()"
    command = [sys.executable, "-c", main, "--root", str(project.root), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_a_save_after_another_process_recorded_and_collected_is_stored_in_full(
    project: Project,
) -> None:
    """Another process records a version without the image and collects the first version,
    whose image goes with it: this process's last split is no longer the latest version, so
    its next save is split in full and the image is stored again, not named while missing."""
    nb = rich_notebook()
    versioning.commit(project, "nb.ipynb", nb)
    assert LAST_SPLITS.get(project.root / ".nbtools" / "versions", "nb.ipynb") is not None
    without_image = copied(nb)
    without_image["cells"][2]["outputs"] = []
    (project.root / "nb.ipynb").write_text(json.dumps(without_image))
    nbtools(project, "version", "save", "nb.ipynb")
    nbtools(project, "version", "gc", "--keep", "1")
    third = versioning.commit(project, "nb.ipynb", edit(nb, 1, "x = 9"))
    assert [v.number for v in versioning.history(project, "nb.ipynb")] == [3, 2]
    assert versioning.verify(project).ok
    restored = version_notebook(project, third)
    assert restored["cells"][1]["source"] == "x = 9"
    assert restored["cells"][2] == nb["cells"][2]


def test_the_last_splits_are_bounded_in_notebooks_and_bytes() -> None:
    splits = LastSplits(notebooks=2, size=100)
    store = Path("/store")
    one = LastSplit("sha", [])
    splits.put(store, "a", one, 40)
    splits.put(store, "b", one, 40)
    splits.put(store, "c", one, 40)  # over 100 bytes and over 2 notebooks: "a" goes
    assert [splits.get(store, name) is not None for name in "abc"] == [False, True, True]
    splits.put(store, "d", one, 101)  # larger than the whole budget: not kept
    assert splits.get(store, "d") is None
    splits.put(store, "b", one, 10)  # replaced, not counted twice: 50 bytes held
    splits.put(store, "e", one, 50)  # 100 bytes, but 3 notebooks: "c", used least lately, goes
    assert [splits.get(store, name) is not None for name in "bce"] == [True, False, True]
    splits.forget(store, "b")
    assert splits.get(store, "b") is None
    assert splits.get(Path("/other"), "e") is None  # another project's store


def nested(depth: int, leaf: Any) -> Any:
    """``leaf`` inside ``depth`` levels of alternating lists and objects."""
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def test_a_cell_nested_as_deep_as_json_allows_is_saved_and_compared(project: Project) -> None:
    # As deep as Python's JSON reader and writer go (each level one call of theirs, under the
    # recursion limit): the comparison and the copy of the last split walk it without recursion.
    depth = sys.getrecursionlimit() - 100
    nb = rich_notebook()
    nb["cells"][2]["outputs"][0]["data"]["application/json"] = {"tree": nested(depth, 1)}
    json.loads(json.dumps(nb))  # a notebook Jupyter can read and write
    versioning.commit(project, "nb.ipynb", nb)
    nb = edit(nb, 1, "x = 2")
    second = versioning.commit(project, "nb.ipynb", nb)
    assert (second.number, second.cells_changed) == (2, 1)  # the deep cell taken unchanged
    nb["cells"][2]["outputs"][0]["data"]["application/json"] = {"tree": nested(depth, 2)}
    third = versioning.commit(project, "nb.ipynb", nb)
    assert (third.number, third.cells_changed) == (3, 1)  # a change at the bottom is seen
    assert version_notebook(project, third) == nb
    assert same_json(nested(depth, 1), nested(depth, 1.0)) is False
    copy = private_copy(nested(depth, [1]))
    assert copy == nested(depth, [1])
