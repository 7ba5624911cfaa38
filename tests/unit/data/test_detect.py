"""What the static detector sees: IPython syntax never hides a cell, the imports that name
``nbtools.data``, and literal paths read as the catalog reads a location."""

from __future__ import annotations

import json
import os

import pytest

from nbtools import audit
from nbtools.data.catalog import add_dataset, dataset_spec
from nbtools.data.check import check_notebook, enforce_rule
from nbtools.data.detect import NotebookData, project_location, scan
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


def test_the_imports_naming_nbtools_data_are_followed() -> None:
    """Before, only ``nbtools.data.path("x")`` and ``data.path("x")`` were declared uses."""
    cells = [
        ("code", 'p("b")\no("c", "w")', []),  # the cells share one namespace, in any order
        ("code", "import nbtools.data as nd\nnd.path('a')", []),
        ("code", "from nbtools.data import path as p, open as o", []),
        ("code", "from nbtools import data as d\nd.open(name='d')", []),
        ("code", "import nbtools\nnbtools.data.path(mode='w', name='e')", []),
        ("code", "pd.read_csv(filepath_or_buffer='f.csv')\nopen(file='g.txt')", []),
        ("code", "nd.path(variable)\nfrom other import path as q\nq('not-ours')", []),
    ]
    found = scan(make_notebook(cells))
    assert [(f.value, f.cell, f.line) for f in found.declared] == [
        ("b", 0, 1),
        ("c", 0, 2),
        ("a", 1, 2),
        ("d", 3, 2),
        ("e", 4, 2),
    ]
    assert [(f.value, f.cell) for f in found.undeclared] == [("f.csv", 5), ("g.txt", 5)]


def test_a_notebook_naming_no_data_call_is_not_read_but_any_cell_naming_one_is() -> None:
    """The text test runs on all the cells at once first: most notebooks read no data."""
    plain = [("code", f"x{i} = len('op' + 'en')\n!ls", []) for i in range(3)]  # !ls: no Python
    assert scan(make_notebook(plain)) == NotebookData((), ())
    fullwidth = ("code", "z = \uff4f\uff50\uff45\uff4e('e.txt')", [])  # "open", not ASCII
    found = scan(make_notebook([*plain, fullwidth, *plain]))
    assert [(f.value, f.cell) for f in found.undeclared] == [("e.txt", 3)]
    broken = ("code", "pd.read_csv('f.csv')\nx = (", [])
    found = scan(make_notebook([*plain, ("markdown", "open('no.csv')", []), broken]))
    assert [(cell.cell, cell.line) for cell in found.unreadable] == [(4, 2)]
    assert [(f.value, f.cell) for f in found.undeclared] == [("f.csv", 4)]
    found = scan(make_notebook([*plain, ("code", "partial(open, 'g.csv')()", [])]))
    assert [(f.value, f.cell) for f in found.undeclared] == [("g.csv", 3)]
    found = scan(make_notebook([*plain, ("code", "getattr(pd, kind)('g.csv')", [])]))
    assert [(call.call, call.cell) for call in found.unresolved] == [
        ("getattr(pd, kind)('g.csv')", 3)
    ]
    moving = ("code", "import os\nos.chdir(where)\n%cd /tmp", [])
    assert scan(make_notebook([moving, *plain])) == NotebookData((), ())  # no relative path
    found = scan(make_notebook([moving, *plain, ("code", "open('h.csv')", [])]))
    assert [call.call for call in found.unresolved] == ["open('h.csv')"]


def test_a_star_import_declares_path_and_open() -> None:
    cells = [("code", "from nbtools.data import *\nx = open('customers')\npath('scores')", [])]
    assert [f.value for f in scan(make_notebook(cells)).declared] == ["customers", "scores"]


def test_a_literal_is_read_as_the_catalog_reads_a_location(project: Project) -> None:
    root = project.root
    (root / "data").mkdir()
    os.symlink(root / "data", root / "linkdir")
    os.symlink(root / "loop", root / "loop")
    cases = {
        # before: kept absolute, or joined to the notebook's directory as text
        f"{root}/data/x.csv": "data/x.csv",
        f"file://{root}/data/x.csv": "data/x.csv",
        f"file://localhost{root}/data/x.csv": "data/x.csv",
        f"file:{root}/nb/../data/x.csv": "data/x.csv",
        "../linkdir/x.csv": "data/x.csv",  # a symlink inside the root
        f"{root}/linkdir/x.csv": "data/x.csv",
        "../data/x.csv": "data/x.csv",
        "x.csv": "nb/x.csv",
        "./sub//y.csv": "nb/sub/y.csv",
        # no catalog location: as written
        "../../outside.csv": "../../outside.csv",
        "/etc/passwd": "/etc/passwd",
        "file:///srv/x.csv": "file:///srv/x.csv",
        "file://server/x.csv": "file://server/x.csv",
        "simplecache::file:///srv/x.csv": "simplecache::file:///srv/x.csv",
        "s3://b/x.csv": "s3://b/x.csv",
        "../loop/x.csv": "../loop/x.csv",
        "a\0b.csv": "a\0b.csv",
        "x" * 5000: "x" * 5000,
    }
    assert {literal: project_location(project, "nb/a.ipynb", literal) for literal in cases} == (
        cases
    )


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


@pytest.mark.parametrize(
    "literal",
    [
        "{root}/data/customers.csv",
        "file://{root}/data/customers.csv",
        "linkdir/customers.csv",
    ],
)
def test_a_literal_path_written_another_way_is_the_dataset(project: Project, literal: str) -> None:
    """Before, these reads matched no dataset: a run for any purpose went unchecked."""
    (project.root / "data").mkdir()
    os.symlink(project.root / "data", project.root / "linkdir")
    _catalog(project, customers=CUSTOMERS)
    _write(project, f"import pandas as pd\ndf = pd.read_csv({literal.format(root=project.root)!r})")
    with pytest.raises(PolicyRefusedError) as caught:
        check_notebook(project, "nb.ipynb", "marketing")
    assert [use["dataset"] for use in caught.value.details["refused"]] == ["customers"]
    assert check_notebook(project, "nb.ipynb", "billing").undeclared[0].dataset == "customers"


def test_an_unreadable_cell_fails_closed(project: Project) -> None:
    """A cell the check cannot read could use any dataset: refused when the catalog holds
    one the purpose may not use, with the cell named; allowed (and reported) otherwise."""
    _catalog(project, open_data={"location": "data/open.csv", "classification": "public"})
    _write(project, "import pandas as pd", "n = len(files) ; %who\nreader = pd.read_csv")
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


def _r_notebook(*sources: str, **metadata: object) -> dict[str, object]:
    nb = make_notebook([("code", source, []) for source in sources])
    nb["metadata"] = metadata or {
        "kernelspec": {"name": "ir", "display_name": "R", "language": "R"},
        "language_info": {"name": "R"},
    }
    return nb


R_CELLS = ('customers <- read.csv("data/customers.csv")', "x <- read_csv(path)", "summary(x)")


@pytest.mark.parametrize(
    ("metadata", "language"),
    [
        ({}, "R"),  # the kernel spec's language, and the language its kernel reported
        ({"kernelspec": {"name": "ir", "display_name": "R", "language": "R"}}, "R"),
        ({"language_info": {"name": "julia"}}, "julia"),
        ({"kernelspec": {"name": "py", "language": "python"}, "language_info": {"name": "R"}}, "R"),
        ({"kernelspec": {"name": "python3", "language": "python"}}, None),
        ({"kernelspec": {"language": "Python"}, "language_info": {"name": "python"}}, None),
        ({"kernelspec": {"name": "ir", "language": " "}}, None),  # none named: read as Python
    ],
)
def test_a_notebook_not_in_python_is_not_read(
    metadata: dict[str, object], language: str | None
) -> None:
    """Before, an R notebook's cells were read as Python: ``read.csv(...)`` names no reader
    (the cell was skipped), ``read_csv(path)`` parsed as a call, others were unreadable."""
    found = scan(_r_notebook(*R_CELLS, **metadata))
    assert found.language == language
    if language is not None:
        assert found == (((), (), (), (), language))
        assert not found.read_whole


def test_a_notebook_not_in_python_fails_closed_saying_so_once(project: Project) -> None:
    _catalog(project, open_data={"location": "data/open.csv", "classification": "public"})
    (project.root / "r.ipynb").write_text(json.dumps(_r_notebook(*R_CELLS)))
    allowed = check_notebook(project, "r.ipynb", None)
    assert (allowed.refusals(), allowed.purpose_required, allowed.language) == ([], False, "R")
    assert allowed.warnings() == [
        "not read: the notebook's kernel language is R, and the check reads Python only (the "
        "data it uses cannot be checked)"
    ]
    assert (allowed.to_dict()["language"], allowed.to_dict()["unreadable"]) == ("R", [])

    _catalog(project, customers=CUSTOMERS)
    assert check_notebook(project, "r.ipynb", None, enforce=False).purpose_required is True
    with pytest.raises(PolicyRefusedError) as caught:
        check_notebook(project, "r.ipynb", "marketing")
    details = caught.value.details
    assert (details["language"], details["refused"], details["field"]) == ("R", [], "purpose")
    assert "unreadable" not in details
    assert "unresolved" not in details
    assert caught.value.message == (
        "The usage rule reads Python only, and this notebook's kernel language is R: it cannot "
        "tell which data the notebook uses, and the catalog holds data the purpose 'marketing' "
        "may not use: 'customers' (personal). Give it a purpose all of them allow, or read the "
        'data in a Python notebook (nbtools.data.path("name")), which the rule can check.'
    )
    assert check_notebook(project, "r.ipynb", "billing").refusals() == []
    with pytest.raises(PolicyRefusedError):
        enforce_rule(project, "r.ipynb", "marketing", actor="eve")
    [entry] = audit.list_entries(project, action="policy.refuse")
    assert entry.summary == {"purpose": "marketing", "refused": [], "language": "R"}
