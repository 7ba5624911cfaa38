"""Notebooks with outputs and images for the versioning tests."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path
from typing import Any

import pytest

from nbtools.project import Project
from tests.conftest import make_notebook


def png_base64(size: int = 3000, seed: int = 1, newline: bool = True) -> str:
    """Incompressible bytes dressed as a PNG, base64-encoded as kernels write them."""
    raw = b"\x89PNG\r\n\x1a\n" + random.Random(seed).randbytes(size)
    return base64.b64encode(raw).decode() + ("\n" if newline else "")


def rich_notebook(image_seed: int = 1) -> dict[str, Any]:
    """Markdown, code with stream, image and error outputs, and an attachment."""
    nb = make_notebook(
        [
            ("markdown", "# Forecast\n\nSome *text*.", []),
            ("code", "x = 1\ny = 2\nprint(x + y)\n", ["parameters"]),
            ("code", "plot()", []),
            ("code", "1 / 0", []),
        ]
    )
    nb["cells"][0]["attachments"] = {"a.png": {"image/png": png_base64(200, seed=7)}}
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "3\n"}]
    nb["cells"][1]["execution_count"] = 1
    nb["cells"][2]["outputs"] = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"image/png": png_base64(seed=image_seed), "text/plain": "<Figure>"},
        },
        {
            "output_type": "execute_result",
            "execution_count": 2,
            "metadata": {},
            "data": {"application/json": {"a": [1, 2]}, "text/html": "<b>x</b>\n<i>y</i>"},
        },
    ]
    nb["cells"][3]["outputs"] = [
        {
            "output_type": "error",
            "ename": "ZeroDivisionError",
            "evalue": "division by zero",
            "traceback": ["Traceback", "ZeroDivisionError"],
        }
    ]
    return nb


def write(path: Path, nb: dict[str, Any]) -> bytes:
    """Write ``nb`` as JupyterLab would (nbformat's line lists) and return the bytes."""
    from nbtools.versioning.files import notebook_bytes

    data = notebook_bytes(nb)
    path.write_bytes(data)
    return data


def edit(nb: dict[str, Any], cell: int, source: str) -> dict[str, Any]:
    """A copy of ``nb`` with one cell's source replaced."""
    copy = json.loads(json.dumps(nb))
    copy["cells"][cell]["source"] = source
    return copy


@pytest.fixture
def nb_path(project: Project) -> Path:
    return project.root / "nb.ipynb"
