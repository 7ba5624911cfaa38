"""``--venv``: the package is installed with its pinned dependencies in a fresh venv and tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.export.api import ExtractRequest, run_extract
from tests.conftest import NotebookFactory
from tests.unit.test_cli import run_cli


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


@pytest.mark.slow
def test_a_relative_output_is_installed_from_its_directory_not_looked_up_by_name(
    notebook_factory: NotebookFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``solo.ipynb``'s package goes to ``solo`` (relative, no ``-o``): pip was given
    ``solo[test]``, PyPI's unrelated project ``solo``. Without an index (nothing is fetched
    here), pip given the directory reads its pyproject.toml and asks for its build backend;
    given the name, it looks for a distribution ``solo``."""
    notebook_factory("solo.ipynb", [("code", "def f():\n    return 1", ["export"])])
    (tmp_path / "wheels").mkdir()  # an empty wheelhouse: nothing to install from
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "wheels"))
    result = run_cli("extract", "solo.ipynb", "--venv", "--lineage", "off", cwd=tmp_path)
    assert result.returncode == 1
    assert "Installing the package into a fresh venv failed" in result.stderr
    assert "No matching distribution found for hatchling" in result.stderr, result.stderr
    assert "requirement solo" not in result.stderr
