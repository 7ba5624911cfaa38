"""``extract_set`` (nbtools/export/build.py) called directly, as ``run_extract`` calls it: the
set's notebooks by path, each named as messages, markers and the manifest name it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.errors import InvalidInputError
from nbtools.export.build import ExtractOptions, extract_set
from tests.unit.export_helpers import notebook

CORE = notebook(
    ("code", "#| default_exp core", []),
    ("code", "#| export\ndef f(): return 1", []),
)
OTHER = notebook(
    ("code", "#| default_exp other", []),
    ("code", "#| export\ndef g(): return undefined_name", []),
)


def test_two_notebooks_of_one_file_name_are_named_by_their_paths() -> None:
    """Was: ``extract_set`` took the names, and only ``run_extract`` made two of one file name
    unique: called directly, both were ``00_core.ipynb`` in markers, problems and the source."""
    found = extract_set(
        [(Path("nbs/00_core.ipynb"), CORE), (Path("nbs/sub/00_core.ipynb"), OTHER)],
        ExtractOptions(package="mylib"),
    )
    assert [member.name for member in found.source.members] == [
        "00_core.ipynb",
        "sub/00_core.ipynb",
    ]
    assert "# %% sub/00_core.ipynb cell 2 (id cell-1)" in found.files["src/mylib/other.py"]
    [problem] = found.problems
    assert (problem.notebook, problem.cell, problem.code) == (
        "sub/00_core.ipynb",
        1,
        "undefined-name",
    )


def test_one_notebook_given_twice_is_refused_naming_it() -> None:
    """Was: two entries of ``a.ipynb`` made a package of the notebook twice, every name of it
    defined again by its second copy."""
    with pytest.raises(InvalidInputError) as refused:
        extract_set(
            [(Path("nbs/a.ipynb"), CORE), (Path("nbs/./a.ipynb"), CORE)],
            ExtractOptions(package="mylib"),
        )
    assert refused.value.message == "a.ipynb is given twice. Each notebook of a set is given once."
    assert refused.value.details == {"field": "notebooks"}
