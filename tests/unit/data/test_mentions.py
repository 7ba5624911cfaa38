"""What a notebook's text tells the data check before it parses a cell
(:mod:`nbtools.data.mentions`): a notebook naming no data passes without the detector, and
the detector, reading it, would have found nothing in it."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from nbtools.data.calls import DIRECTORY, METHODS, READERS
from nbtools.data.detect import scan
from nbtools.data.mentions import NAME_PARTS, names_no_data
from tests.conftest import make_notebook, run_python

R_KERNEL = {"kernelspec": {"name": "ir", "display_name": "R", "language": "R"}}


@pytest.mark.parametrize(
    ("sources", "metadata", "no_data"),
    [
        (["x = 1", "def f(a):\n    return a * 2", "print(f(x))"], {}, True),
        ([], {}, True),
        (["x = 1", "df = pd.read_csv(name)"], {}, False),  # a reader
        (["with open('a.txt') as f:\n    pass"], {}, False),
        (["import nbtools"], {}, False),  # nbtools.data under any name
        (["g = getattr(pd, kind)"], {}, False),  # a function by a computed name
        (["os.chdir('data')"], {}, False),
        (["\uff4f\uff50\uff45\uff4e('a.csv')"], {}, False),  # fullwidth: Python reads `open`
        (["x = 1"], R_KERNEL, False),  # not Python: the check cannot tell
    ],
)
def test_a_notebook_naming_no_data_is_one_the_detector_finds_nothing_in(
    sources: list[str], metadata: dict[str, Any], no_data: bool
) -> None:
    nb = make_notebook([("code", source, []) for source in sources])
    nb["metadata"].update(metadata)
    assert names_no_data(nb) is no_data
    found = scan(nb)
    if no_data:  # what the detector says of it: read whole, nothing found
        assert found.read_whole
        assert found.declared == found.undeclared == ()


def test_every_name_of_a_data_call_holds_a_part_the_text_test_looks_for() -> None:
    for name in {"path", "getattr", "partial", *READERS, *METHODS, *DIRECTORY}:
        assert any(part in name for part in NAME_PARTS), name


def test_a_notebook_naming_no_data_is_passed_without_importing_the_detector() -> None:
    code = (
        "import sys\n"
        "from nbtools.data import names_no_data\n"
        "from tests.conftest import make_notebook\n"
        "print(names_no_data(make_notebook([('code', 'x = 1', [])])), "
        "'nbtools.data.detect' in sys.modules)\n"
    )
    assert run_python(code).stdout.split() == ["True", "False"]
    assert "nbtools.data.detect" in sys.modules  # this process imported it (scan, above)
