"""What the static detector sees: IPython syntax never hides a cell."""

from __future__ import annotations

import json

import pytest

from nbtools import audit
from nbtools.data.catalog import add_dataset, dataset_spec
from nbtools.data.check import check_notebook, enforce_rule
from nbtools.data.detect import scan
from nbtools.errors import PolicyRefusedError
from nbtools.project import Project
from tests.conftest import make_notebook

USES = 'nbtools.data.path("customers")'


@pytest.mark.parametrize(
    ("source", "declared", "undeclared", "unreadable"),
    [
        # Before, each of these cells was skipped whole: "uses no catalogued dataset".
        (f"import nbtools.data\nt = %time 1+1\ndf = open({USES}).read()", [3], [], []),
        (f"?len\nx = {USES}", [2], [], []),
        (f"len??\nx = {USES}", [2], [], []),
        (f"x = !ls\nfor f in x:\n    %time {USES}", [3], [], []),
        (f"%%time\nx = {USES}\n", [2], [], []),
        ("\n\n%%time\nx = 1\npd.read_csv('c.csv')\n", [], [("c.csv", 5)], []),  # blank lines
        ("t = %time pd.read_csv('t.csv')", [], [("t.csv", 1)], []),  # the code a magic times
        (f"%%capture out\n%time {USES}", [2], [], []),
        (f"!cat {{{USES}}}", [1], [], []),  # a shell command's {expression}
        ("%%bash\nopen data/x.csv", [], [], []),  # a shell cell is not Python: not read
        # Not IPython either: reported, and what the other lines show is still found.
        (f"n = len(files) ; %who\nx = {USES}", [2], [], [(1, "invalid syntax")]),
        ("x = (\n%time 1\n)\nopen('q.csv')", [], [("q.csv", 4)], [(2, "invalid syntax")]),
        ("%time " * 9 + "open('deep.csv')", [], [], [(1, "magics nested more than 8 deep")]),
        ("open('a.csv')\0", [], [], [(1, "source code string cannot contain null bytes")]),
    ],
)
def test_ipython_syntax_never_hides_a_cell(
    source: str,
    declared: list[int],
    undeclared: list[tuple[str, int]],
    unreadable: list[tuple[int, str]],
) -> None:
    found = scan(make_notebook([("code", "import pandas as pd", []), ("code", source, [])]))
    assert [(f.value, f.cell, f.line) for f in found.declared] == [
        ("customers", 1, line) for line in declared
    ]
    assert [(f.value, f.line) for f in found.undeclared] == undeclared
    assert [(cell.cell, cell.line, cell.error) for cell in found.unreadable] == [
        (1, line, error) for line, error in unreadable
    ]


def _catalog(project: Project, **datasets: dict[str, object]) -> None:
    for name, declared in datasets.items():
        add_dataset(project, dataset_spec(project, name, declared))


def _write(project: Project, *sources: str) -> None:
    cells = [("code", source, []) for source in sources]
    (project.root / "nb.ipynb").write_text(json.dumps(make_notebook(cells)))


CUSTOMERS = {
    "location": "data/customers.csv",
    "classification": "personal",
    "purposes": ["billing"],
}


def test_an_unreadable_cell_fails_closed(project: Project) -> None:
    """A cell the check cannot read could use any dataset: refused when the catalog holds
    one the purpose may not use, with the cell named; allowed (and reported) otherwise."""
    _catalog(project, open_data={"location": "data/open.csv", "classification": "public"})
    _write(project, "import pandas as pd", "n = len(files) ; %who\ndf = pd.read_csv(path)")
    allowed = check_notebook(project, "nb.ipynb", None)
    assert (allowed.refusals(), allowed.purpose_required) == ([], False)
    assert allowed.warnings() == [
        "unreadable cell 2, line 1: invalid syntax (the data it uses cannot be checked)"
    ]
    assert allowed.to_dict()["unreadable"] == [{"cell": 1, "line": 1, "error": "invalid syntax"}]

    _catalog(project, customers=CUSTOMERS)
    assert check_notebook(project, "nb.ipynb", None, enforce=False).purpose_required is True
    for purpose in ("marketing", None):
        with pytest.raises(PolicyRefusedError) as caught:
            check_notebook(project, "nb.ipynb", purpose)
        assert caught.value.details["refused"] == []
        assert caught.value.details["unreadable"] == [
            {"cell": 1, "line": 1, "error": "invalid syntax"}
        ]
        assert caught.value.details["field"] == "purpose"
        assert "cell 2 (line 1: invalid syntax)" in caught.value.message
        assert "'customers' (personal)" in caught.value.message
    assert check_notebook(project, "nb.ipynb", "billing").refusals() == []
    with pytest.raises(PolicyRefusedError):
        enforce_rule(project, "nb.ipynb", "marketing", actor="eve")
    [entry] = audit.list_entries(project, action="policy.refuse")
    assert (entry.actor, entry.summary) == (
        "eve",
        {"purpose": "marketing", "refused": [], "unreadable_cells": [1]},
    )
