"""Shared fixtures: notebook files made on demand, and projects in temporary roots."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtools.project import Project

pytest_plugins = ["pytest_jupyter.jupyter_server"]

NotebookFactory = Callable[..., Path]


def make_notebook(
    cells: list[tuple[str, str, list[str]]], kernel: str = "python3"
) -> dict[str, Any]:
    """A v4.5 notebook from (cell_type, source, tags) triples, with stable cell ids."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": kernel, "display_name": kernel, "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [
            {
                "id": f"cell-{index}",
                "cell_type": cell_type,
                "source": source,
                "metadata": {"tags": tags} if tags else {},
                **({"outputs": [], "execution_count": None} if cell_type == "code" else {}),
            }
            for index, (cell_type, source, tags) in enumerate(cells)
        ],
    }


@pytest.fixture
def notebook_factory(tmp_path: Path) -> NotebookFactory:
    """Write a notebook under ``tmp_path``: ``notebook_factory("a.ipynb", [("code", "x=1", [])])``."""

    def write(name: str, cells: list[tuple[str, str, list[str]]], **kwargs: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(make_notebook(cells, **kwargs), indent=1))
        return path

    return write


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A project rooted at ``tmp_path`` with a real SQLite store."""
    opened = Project(tmp_path)
    yield opened
    opened.close()
