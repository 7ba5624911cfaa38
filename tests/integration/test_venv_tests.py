"""``--venv``: the package is installed with its pinned dependencies in a fresh venv and tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.export.api import ExtractRequest, run_extract
from tests.conftest import NotebookFactory


@pytest.mark.slow
def test_tests_run_against_the_installed_package_in_a_fresh_venv(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory(
        "styled.ipynb",
        [
            (
                "code",
                "import click\n\ndef shout(text):\n    return click.style(text.upper(), bold=True)",
                ["export"],
            ),
            (
                "code",
                "import sys\nassert 'site-packages' in shout.__code__.co_filename or True\n"
                "import styled\nassert 'site-packages' in styled.__file__\n"
                "assert shout('hi') == '\\x1b[1mHI\\x1b[0m'",
                ["test"],
            ),
        ],
    )
    report = run_extract(ExtractRequest(nb, tmp_path / "out", mode="write", test=True, venv=True))
    assert report.extraction.dependencies["click"].startswith("click>=")
    assert report.tests is not None
    assert report.tests.environment == "venv"
    assert [(t.name, t.outcome) for t in report.tests.tests] == [("test_cell_2", "passed")], (
        report.tests.output
    )
