"""The notebook the jobs of these tests run."""

from __future__ import annotations

import pytest

from tests.conftest import NotebookFactory


@pytest.fixture
def notebook(notebook_factory: NotebookFactory) -> str:
    """``nb.ipynb``, one cell tagged ``parameters`` (``n = 1``): its path in the project."""
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    return "nb.ipynb"
