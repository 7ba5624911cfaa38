"""The size of a notebook file, computed cell by cell with cached cell sizes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from nbtools import versioning
from nbtools.project import Project
from nbtools.versioning.files import notebook_bytes, notebook_size
from nbtools.versioning.parts import split
from tests.conftest import make_notebook
from tests.unit.versioning.conftest import edit, png_base64, rich_notebook


def exact(nb: dict[str, Any]) -> None:
    """The computed size equals the bytes written, the first time and from the cache."""
    for _ in range(2):
        assert notebook_size(nb, split(nb)) == len(notebook_bytes(nb))


def unicode_notebook() -> dict[str, Any]:
    nb = make_notebook([("markdown", "# Café ☕\n\nnaïve — 日本語", []), ("code", "s = 'é'", [])])
    nb["metadata"]["title"] = "Ünïcode"
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "é\n€"}]
    return nb


def test_a_lone_surrogate_is_written_as_its_json_escape() -> None:
    written = notebook_bytes(lone_surrogates())
    written.decode("utf-8")  # valid UTF-8, as Jupyter reads it
    assert b'"x\\ud83d = 1\\n"' in written
    assert json.loads(written)["cells"][0]["outputs"][0]["text"] == ["\ud800\n"]


def lone_surrogates() -> dict[str, Any]:
    """Lone surrogates, which JSON holds ("\\ud83d") but UTF-8 cannot: written as escapes."""
    nb = make_notebook([("code", "x\ud83d = 1\ny = '\udc00'", [])])
    nb["metadata"]["title"] = "\udfff"
    nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "\ud800\n"}]
    return nb


@pytest.mark.parametrize(
    "nb",
    [
        rich_notebook(),
        json.loads(notebook_bytes(rich_notebook())),  # the on-disk form: text as line lists
        unicode_notebook(),
        make_notebook([]),  # no cells
        make_notebook([("code", "", [])]),  # an empty cell
        lone_surrogates(),
    ],
    ids=["rich", "on-disk-form", "unicode", "no-cells", "empty-cell", "lone-surrogates"],
)
def test_size_is_the_file_size(nb: dict[str, Any]) -> None:
    exact(nb)


def test_same_content_split_differently_into_lines_is_sized_as_written() -> None:
    # Both cells have the same manifest entry (the text joined), but not the same bytes on
    # disk: a list of lines is written as it is split.
    as_text = make_notebook([("code", "a = 1\nb = 2\n", [])])
    as_lines = copy.deepcopy(as_text)
    as_lines["cells"][0]["source"] = ["a = ", "1\nb = 2\n"]
    assert split(as_text).manifest_sha == split(as_lines).manifest_sha
    exact(as_text)
    exact(as_lines)
    exact(as_text)


def test_the_trusted_flag_counts_though_it_is_not_stored() -> None:
    nb = rich_notebook()
    exact(nb)
    nb["cells"][1]["metadata"]["trusted"] = True
    exact(nb)


def test_an_edited_cell_is_sized_anew() -> None:
    nb = rich_notebook()
    exact(nb)
    exact(edit(nb, 1, "x = 10\ny = 20\nprint(x + y)  # é\n"))
    changed = copy.deepcopy(nb)
    changed["cells"][2]["outputs"][0]["data"]["image/png"] = png_base64(seed=3)
    exact(changed)


def test_an_image_changed_in_one_character_is_a_new_image() -> None:
    nb = rich_notebook()
    text = nb["cells"][2]["outputs"][0]["data"]["image/png"]
    before = {sha for sha, blob in split(nb).blobs.items() if blob.binary}
    other = text[:100] + ("A" if text[100] != "A" else "B") + text[101:]
    nb["cells"][2]["outputs"][0]["data"]["image/png"] = other
    after = {sha for sha, blob in split(nb).blobs.items() if blob.binary}
    assert len(before - after) == 1


def test_a_version_recorded_from_the_contents_model_has_the_file_size(project: Project) -> None:
    nb = rich_notebook()
    first = versioning.commit(project, "nb.ipynb", nb)
    second = versioning.commit(project, "nb.ipynb", edit(nb, 1, "z = 3\n"))
    assert first.size == len(notebook_bytes(nb))
    assert second.size == len(notebook_bytes(edit(nb, 1, "z = 3\n")))
