"""Helpers shared by the export tests: build notebooks in memory and extract them."""

from __future__ import annotations

from typing import Any

from nbtools.export.build import Extraction, ExtractOptions, extract
from nbtools.export.model import Problem
from tests.conftest import make_notebook

Cells = list[tuple[str, str, list[str]]]


def notebook(*cells: tuple[str, str, list[str]]) -> dict[str, Any]:
    return make_notebook(list(cells))


def extraction(*cells: tuple[str, str, list[str]], package: str = "pkg") -> Extraction:
    return extract(notebook(*cells), "analysis.ipynb", ExtractOptions(package=package))


def problems(*cells: tuple[str, str, list[str]]) -> list[tuple[int, int, str]]:
    """(cell index, line, code) of every problem, for compact assertions."""
    return [(p.cell, p.line, p.code) for p in extraction(*cells).problems]


def only(found: list[Problem], code: str) -> Problem:
    matching = [p for p in found if p.code == code]
    assert len(matching) == 1, found
    return matching[0]
