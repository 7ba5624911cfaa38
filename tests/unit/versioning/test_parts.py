from __future__ import annotations

import json
from typing import Any

import pytest

from nbtools.errors import NotebookError
from nbtools.versioning.content import comparable
from nbtools.versioning.files import notebook_bytes
from nbtools.versioning.parts import assemble, encode_image, split
from tests.conftest import make_notebook
from tests.unit.versioning.conftest import png_base64, rich_notebook


def rebuild(nb: dict[str, Any]) -> dict[str, Any]:
    parts = split(nb)
    blobs = {sha: blob.data() for sha, blob in parts.blobs.items()}
    images = {sha: blob.data() for sha, blob in parts.blobs.items() if blob.binary}
    return assemble(parts.manifest, blobs, lambda mime, sha, fmt: encode_image(images[sha], fmt))


def test_split_and_assemble_round_trip_every_kind_of_content() -> None:
    nb = rich_notebook()
    nb["metadata"]["custom"] = {"nested": [1, 2.5, None]}
    nb["extra_top_level"] = True
    assert rebuild(nb) == nb


def test_images_are_stored_decoded_and_once() -> None:
    nb = rich_notebook()
    nb["cells"][2]["outputs"].append(dict(nb["cells"][2]["outputs"][0]))
    parts = split(nb)
    images = [blob for blob in parts.blobs.values() if blob.binary]
    assert len(images) == 2  # the figure (twice in the notebook, stored once) and the attachment
    figure = max(images, key=lambda blob: blob.size)
    assert figure.data().startswith(b"\x89PNG")
    assert figure.size == 3008


def test_base64_that_does_not_round_trip_stays_text() -> None:
    wrapped = "\n".join(png_base64(300, newline=False)[i : i + 76] for i in range(0, 400, 76))
    nb = rich_notebook()
    nb["cells"][2]["outputs"][0]["data"]["image/png"] = wrapped
    nb["cells"][2]["outputs"][0]["data"]["image/jpeg"] = "not base64 at all!"
    parts = split(nb)
    assert not any(blob.binary and blob.size > 1000 for blob in parts.blobs.values())
    assert rebuild(nb) == nb


def test_on_disk_and_in_memory_forms_give_the_same_manifest() -> None:
    nb = rich_notebook()
    on_disk = json.loads(notebook_bytes(nb))
    assert isinstance(on_disk["cells"][1]["source"], list)
    in_memory = json.loads(json.dumps(nb))
    in_memory["cells"][1]["metadata"]["trusted"] = True  # what the contents manager adds
    in_memory["metadata"]["orig_nbformat"] = 4
    assert split(on_disk).manifest_sha == split(in_memory).manifest_sha


def test_any_content_change_changes_the_manifest() -> None:
    base = split(rich_notebook()).manifest_sha
    assert split(rich_notebook(image_seed=2)).manifest_sha != base
    moved = rich_notebook()
    moved["cells"].reverse()
    assert split(moved).manifest_sha != base


def test_notebook_bytes_match_nbformat() -> None:
    import nbformat

    nb = rich_notebook()
    expected = nbformat.writes(nbformat.from_dict(json.loads(json.dumps(nb)))) + "\n"
    assert notebook_bytes(nb).decode() == expected


def test_comparable_replaces_images_with_their_hash() -> None:
    nb = comparable(split(rich_notebook()))
    image = nb["cells"][2]["outputs"][0]["data"]["image/png"]
    assert image.startswith("<image/png sha256:")
    assert comparable(split(rich_notebook()))["cells"] == nb["cells"]


@pytest.mark.parametrize(
    ("nb", "message"),
    [
        ({"nbformat": 3, "cells": []}, "only version 4 notebooks are supported"),
        ({"nbformat": 4, "cells": {}}, "'cells' must be a list"),
        ({"nbformat": 4, "cells": [{"cell_type": "bogus"}]}, "cell 1 is not a valid cell"),
        ({"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}, "invalid source"),
        (
            {"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "outputs": {}}]},
            "invalid outputs",
        ),
    ],
)
def test_invalid_notebooks_are_refused_with_the_problem(nb: dict[str, Any], message: str) -> None:
    with pytest.raises(NotebookError, match=message):
        split(nb, source="bad.ipynb")


def test_notebook_without_ids_round_trips() -> None:
    nb = make_notebook([("code", "a", []), ("raw", "b", [])])
    for cell in nb["cells"]:
        del cell["id"]
    nb["nbformat_minor"] = 4
    assert rebuild(nb) == nb
