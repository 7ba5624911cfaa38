from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbtools import versioning
from nbtools.errors import NotebookError, NotFoundError
from nbtools.project import Project
from nbtools.versioning.diff import diff
from tests.unit.versioning.conftest import edit, rich_notebook, write


def cells_by_status(model: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [cell for cell in model["cells"] if cell["status"] == status]


def test_disk_against_latest_shows_source_line_changes(project: Project, nb_path: Path) -> None:
    nb = rich_notebook()
    versioning.commit(project, "nb.ipynb", write(nb_path, nb))
    write(nb_path, edit(nb, 1, "x = 1\ny = 3\nprint(x + y)\nprint('done')\n"))
    model = diff(project, "nb.ipynb")
    assert (model["a"]["label"], model["b"]["label"]) == ("version 1", "file on disk")
    assert model["summary"] == {"added": 0, "removed": 0, "modified": 1, "moved": 0, "unchanged": 3}
    [cell] = cells_by_status(model, "modified")
    assert cell["b_index"] == 1
    assert cell["source"] == [
        {"op": " ", "text": "x = 1"},
        {"op": "-", "text": "y = 2"},
        {"op": "+", "text": "y = 3"},
        {"op": " ", "text": "print(x + y)"},
        {"op": "+", "text": "print('done')"},
    ]


@pytest.mark.parametrize(
    ("before", "after", "lines"),
    [
        # the last line gains its newline and a line after it: only the new line is a change
        ("plot()", "plot()\n# tweak", [(" ", "plot()"), ("+", "# tweak")]),
        (
            "a = 1\nplot()",
            "a = 1\nplot()\nshow()",
            [(" ", "a = 1"), (" ", "plot()"), ("+", "show()")],
        ),
        # and loses it with the line after it
        ("plot()\n# tweak", "plot()", [(" ", "plot()"), ("-", "# tweak")]),
        # a line that really changed is still shown removed and added
        ("plot()", "plot(1)\n# tweak", [("-", "plot()"), ("+", "plot(1)"), ("+", "# tweak")]),
    ],
)
def test_a_last_line_that_only_gains_or_loses_its_newline_is_unchanged(
    project: Project, nb_path: Path, before: str, after: str, lines: list[tuple[str, str]]
) -> None:
    nb = rich_notebook()
    versioning.commit(project, "nb.ipynb", write(nb_path, edit(nb, 2, before)))
    write(nb_path, edit(nb, 2, after))
    [cell] = cells_by_status(diff(project, "nb.ipynb"), "modified")
    assert [(line["op"], line["text"]) for line in cell["source"]] == lines


def test_without_changes_on_disk_the_newest_differing_version_is_compared(
    project: Project, nb_path: Path
) -> None:
    nb = rich_notebook()
    versioning.commit(project, "nb.ipynb", write(nb_path, nb))
    versioning.commit(project, "nb.ipynb", write(nb_path, edit(nb, 0, "# Title")))
    model = diff(project, "nb.ipynb")  # the file is version 2: compared with version 1
    assert (model["a"]["label"], model["b"]["label"]) == ("version 1", "file on disk")
    assert (model["a"]["ref"], model["b"]["ref"]) == ("1", "disk")
    assert model["cells"][0]["source"][0] == {"op": "-", "text": "# Forecast"}
    one_side = diff(project, "nb.ipynb", "1")
    assert (one_side["a"]["ref"], one_side["b"]["ref"]) == ("1", "disk")
    assert diff(project, "nb.ipynb", "2", "disk")["identical"]


def test_a_file_back_at_an_older_content_skips_the_versions_equal_to_it(
    project: Project, nb_path: Path
) -> None:
    """v1 = A, v2 = B, v3 = C, v4 = B again (restored): the file (B) against v3, not v4."""
    a = rich_notebook()
    b = edit(a, 0, "# B")
    versioning.commit(project, "nb.ipynb", write(nb_path, a))
    versioning.commit(project, "nb.ipynb", write(nb_path, b))
    versioning.commit(project, "nb.ipynb", write(nb_path, edit(a, 0, "# C")))
    versioning.commit(project, "nb.ipynb", write(nb_path, b))
    model = diff(project, "nb.ipynb")
    assert (model["a"]["label"], model["b"]["label"]) == ("version 3", "file on disk")
    assert model["cells"][0]["source"] == [{"op": "-", "text": "# C"}, {"op": "+", "text": "# B"}]


def test_a_file_equal_to_its_only_version_has_no_differences(
    project: Project, nb_path: Path
) -> None:
    versioning.commit(project, "nb.ipynb", write(nb_path, rich_notebook()))
    model = diff(project, "nb.ipynb")
    assert (model["a"]["label"], model["b"]["label"]) == ("version 1", "file on disk")
    assert model["identical"]


def test_without_a_file_the_last_two_versions_are_compared(project: Project, nb_path: Path) -> None:
    nb = rich_notebook()
    versioning.commit(project, "nb.ipynb", write(nb_path, nb))
    versioning.commit(project, "nb.ipynb", write(nb_path, edit(nb, 0, "# Title")))
    nb_path.unlink()
    model = diff(project, "nb.ipynb")
    assert (model["a"]["label"], model["b"]["label"]) == ("version 1", "version 2")


def test_cells_added_removed_moved_and_outputs_and_metadata(project: Project) -> None:
    old = rich_notebook()
    new = rich_notebook(image_seed=2)  # a different figure
    new["cells"][1]["outputs"][0]["text"] = "4\n"
    new["cells"][1]["execution_count"] = 7
    new["cells"][1]["metadata"]["tags"] = ["parameters", "slow"]
    new["cells"] = [new["cells"][1], new["cells"][0], new["cells"][2]]  # move, drop the last
    new["cells"].append(
        {
            "id": "fresh",
            "cell_type": "code",
            "metadata": {},
            "source": "z = 9",
            "outputs": [],
            "execution_count": None,
        }
    )
    new["metadata"]["kernelspec"]["name"] = "python3.12"
    versioning.commit(project, "nb.ipynb", old)
    versioning.commit(project, "nb.ipynb", new)
    model = diff(project, "nb.ipynb", "1", "2")
    assert model["summary"] == {"added": 1, "removed": 1, "modified": 1, "moved": 1, "unchanged": 1}
    [added] = cells_by_status(model, "added")
    assert added["source"] == [{"op": "+", "text": "z = 9"}]
    [removed] = cells_by_status(model, "removed")
    assert removed["outputs"][0]["output_type"] == "error"
    [moved] = cells_by_status(model, "moved")
    assert (moved["id"], moved["a_index"], moved["b_index"]) == ("cell-1", 1, 0)
    assert moved["execution_count"] == [1, 7]
    assert [c["key"] for c in moved["metadata"]] == ["tags"]
    assert moved["outputs"][0]["change"] == "modified"
    assert (moved["outputs"][0]["before"], moved["outputs"][0]["text"]) == ("3", "4")
    [figure] = cells_by_status(model, "modified")
    assert figure["outputs"][0]["changed"] == ["image/png"]
    assert (figure["outputs"][0]["index"], figure["outputs"][0]["before_index"]) == (0, 0)
    assert model["metadata"] == [
        {
            "key": "kernelspec",
            "change": "modified",
            "before": old["metadata"]["kernelspec"],
            "after": new["metadata"]["kernelspec"],
        }
    ]
    json.dumps(model)  # the model is plain JSON


def test_a_cell_whose_id_changed_is_removed_and_added(project: Project) -> None:
    old = rich_notebook()
    new = json.loads(json.dumps(old))
    new["cells"][3]["id"] = "another"
    new["cells"][3]["source"] = "2 / 1"
    versioning.commit(project, "nb.ipynb", old)
    versioning.commit(project, "nb.ipynb", new)
    summary = diff(project, "nb.ipynb", "1", "2")["summary"]
    assert (summary["added"], summary["removed"], summary["modified"]) == (1, 1, 0)


def test_diff_of_a_truncated_file_on_disk_is_a_clear_error(project: Project, nb_path: Path) -> None:
    data = write(nb_path, rich_notebook())
    versioning.commit(project, "nb.ipynb", data)
    nb_path.write_bytes(data[:100])
    with pytest.raises(NotebookError, match=r"looks truncated.*version store was not changed"):
        diff(project, "nb.ipynb")
    assert [v.number for v in versioning.history(project, "nb.ipynb")] == [1]


def test_diff_needs_a_version(project: Project, nb_path: Path) -> None:
    write(nb_path, rich_notebook())
    with pytest.raises(NotFoundError, match="has no versions yet"):
        diff(project, "nb.ipynb")
