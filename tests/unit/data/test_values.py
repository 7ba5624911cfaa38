"""The data check follows what a notebook's names hold as far as a static reader can soundly,
and fails closed where it cannot: before, ``pd.read_csv(loc)``, ``reader = pd.read_csv`` or
``p = nbtools.data.path`` hid a restricted dataset from the usage rule."""

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
from tests.unit.data.conftest import found

C = "data/customers.csv"


@pytest.mark.parametrize(
    "sources",
    [
        # names given to a reader or to nbtools.data's functions, in any cell
        ("import nbtools\np = nbtools.data.path", "df = pd.read_csv(p('customers'))"),
        ("from nbtools import data as d\nf = d.path", "f('customers')"),
        ("import nbtools.data\nd = nbtools.data", "x = 1", "d.open('customers')"),
        ("reader = pd.read_csv", "x = 1", f"reader({C!r})"),
        ("reader = pd.read_csv", "r2 = reader", f"r2({C!r})"),  # through one another
        ("read, show = pd.read_csv, print", f"read({C!r})"),
        # a name bound to a literal, across cells, the last value in cell order
        (f"loc = {C!r}", "x = 1", "pd.read_csv(loc)"),
        ("loc = 'data/public.csv'", f"loc = {C!r}\ndf = pd.read_csv(filepath_or_buffer=loc)"),
        ("loc: str = 'data/'\nloc += 'customers.csv'", "open(loc)"),
        ("base = 'data'", "open(base + '/customers.csv')"),
        # constant folding: concatenation, f-strings, pathlib and os.path joins
        ("pd.read_csv('data/' + 'customers.csv')",),
        ("name = 'customers'\nkind = 'csv'", "pd.read_csv(f'data/{name}.{kind}')"),
        ("import pathlib\npd.read_csv(pathlib.Path('data') / 'customers.csv')",),
        ("DATA = Path('data')", "f = DATA / 'customers.csv'\npd.read_parquet(str(f))"),
        ("pd.read_csv(Path('.').joinpath('data', 'customers.csv').resolve())",),
        ("import os\npd.read_csv(os.path.join('data', 'customers.csv'))",),
        ("Path('data/customers.csv').read_text()",),
        ("Path('data', 'customers.csv').open('rb')",),
        # a function reads a name bound once in the whole notebook; its own assignments
        ("DATA = Path('data')", "def load():\n    return pd.read_csv(DATA / 'customers.csv')"),
        ("def load():\n    loc = 'data/customers.csv'\n    return open(loc)",),
        # inside a block, in order; the code a magic runs
        ("with x:\n    loc = 'data/customers.csv'\n    open(loc)",),
        ("%%time\nloc = 'data/customers.csv'\ndf = pd.read_csv(loc)",),
        (f"loc = {C!r}\n%matplotlib inline", "%time df = pd.read_csv(loc)"),
        (f"loc = {C!r}", "%time n = len(loc)", "%%capture out\nn = len(loc)", "open(loc)"),
        ("pd.read_csv((loc := 'data/customers.csv'))",),
    ],
)
def test_a_dataset_behind_a_name_is_found(sources: tuple[str, ...]) -> None:
    declared, paths, unresolved = found(*sources)
    assert (declared or paths, unresolved) == (
        ["customers"] if declared else [C],
        [],
    )
    assert set(paths) <= {C}


@pytest.mark.parametrize(
    ("sources", "call"),
    [
        (("pd.read_csv(some_var)",), "pd.read_csv(some_var)"),
        (("import nbtools\nnbtools.data.path(name)",), "nbtools.data.path(name)"),
        (("def load(name):\n    return nbtools.data.path(name)",), "nbtools.data.path(name)"),
        (("reader = pd.read_csv", "reader(loc)"), "reader(loc)"),
        (("pd.read_csv(f'data/{day}.csv')",), "pd.read_csv(f'data/{day}.csv')"),
        (("pd.read_csv(**options)",), "pd.read_csv(**options)"),
        (("pd.read_csv(*args)",), "pd.read_csv(*args)"),
        (("pd.read_csv(loc.strip())",), "pd.read_csv(loc.strip())"),
        (("pd.read_csv(DATA['customers'])",), "pd.read_csv(DATA['customers'])"),
        (("p.read_text()",), "p.read_text()"),
        # a name bound otherwise than by a simple assignment holds no known value after it
        (("loc = 'a.csv'", "for loc in files:\n    pass", "pd.read_csv(loc)"), "pd.read_csv(loc)"),
        (("loc = 'a.csv'", "import data_paths as loc", "open(loc)"), "open(loc)"),
        (("loc = 'a.csv'", "loc, other = files", "open(loc)"), "open(loc)"),
        (("loc = 'a.csv'", "del loc", "open(loc)"), "open(loc)"),
        # a block may run zero, one or many times
        (("loc = 'a.csv'", f"if x:\n    loc = {C!r}", "open(loc)"), "open(loc)"),
        (("loc = 'a.csv'", f"for i in x:\n    open(loc)\n    loc = {C!r}"), "open(loc)"),
        (("loc = 'a.csv'", f"with suppress(E):\n    loc = {C!r}", "open(loc)"), "open(loc)"),
        # what may bind any name unseen
        (("loc = 'a.csv'", "%run setup.py", "open(loc)"), "open(loc)"),
        (("loc = 'a.csv'", "%%capture loc\nprint(1)", "open(loc)"), "open(loc)"),
        (("loc = 'a.csv'", "from helpers import *", "open(loc)"), "open(loc)"),
        (("loc = 'a.csv'", "x = (", "open(loc)"), "open(loc)"),  # not Python: not read
        (("loc = 'a.csv'", f"exec('loc = {C!r}')", "open(loc)"), "open(loc)"),
        (("loc = 'a.csv'", f"globals()['loc'] = {C!r}", "open(loc)"), "open(loc)"),
        (
            ("loc = 'a.csv'", f"def f():\n    global loc\n    loc = {C!r}", "f()\nopen(loc)"),
            "open(loc)",
        ),
        (("loc = 'a.csv'", f"%time loc = {C!r}\nopen(loc)"), "open(loc)"),
        # code that runs later sees a name bound more than once as unknown
        (("loc = 'a.csv'\ndef f():\n    return open(loc)", f"loc = {C!r}\nf()"), "open(loc)"),
        (("loc = 'a.csv'\ng = (open(loc) for _ in [0])", f"loc = {C!r}"), "open(loc)"),
        (("loc = 'a.csv'\nf = lambda: open(loc)", f"loc = {C!r}"), "open(loc)"),
        (("loc = 'a.csv'", "def f(loc):\n    return open(loc)"), "open(loc)"),
        (("loc = 'a.csv'", "[open(loc) for loc in files]"), "open(loc)"),
        (("loc = 'a.csv'", "from pylab import *\ndef f():\n    return open(loc)"), "open(loc)"),
    ],
)
def test_a_location_the_check_cannot_know_is_unresolved(
    sources: tuple[str, ...], call: str
) -> None:
    declared, paths, unresolved = found(*sources)
    assert (declared, unresolved) == ([], [call])
    assert C not in paths


@pytest.mark.parametrize(
    "source",
    [
        "pd.read_csv(io.StringIO(text))",
        "open(3)",
        "import nbtools\ndf = pd.read_csv(nbtools.data.path('x'))",  # checked as declared
        "import nbtools\nwith nbtools.data.open('x') as f:\n    df = pd.read_csv(f)",
        "with open('a.csv') as f, open(f'{f.name}.bak') as g:\n    pd.read_csv(f)",
        "import nbtools\np = nbtools.data.path('x')\ndf = pd.read_parquet(p)",
        "df = pd.read_csv('a.csv')\nopen()",
    ],
)
def test_what_a_data_call_returned_or_no_location_is_not_unresolved(source: str) -> None:
    unresolved = found(source)[2]
    assert unresolved == ([] if "g:" not in source else ["open(f'{f.name}.bak')"])


def test_a_name_only_in_a_cell_naming_no_reader_is_followed() -> None:
    """The cells are read whole once a location depends on a name: ``loc`` is bound in a cell
    the quick text test skips."""
    cells = ["loc = 'data/public.csv'", "pd.read_csv(loc)", f"loc = {C!r}", "pd.read_csv(loc)"]
    assert found(*cells)[1:] == (["data/public.csv", C], [])


def _notebook(project: Project, *sources: str) -> None:
    cells = [("code", source, []) for source in sources]
    (project.root / "nb.ipynb").write_text(json.dumps(make_notebook(cells)))


def test_a_restricted_dataset_behind_a_name_is_refused(project: Project) -> None:
    """Before, both notebooks were "uses no catalogued dataset": allowed for any purpose."""
    spec = {"location": C, "classification": "personal", "purposes": ["billing"]}
    add_dataset(project, dataset_spec(project, "customers", spec))
    _notebook(project, "import pandas as pd", "reader = pd.read_csv", f"loc = {C!r}", "reader(loc)")
    with pytest.raises(PolicyRefusedError) as caught:
        check_notebook(project, "nb.ipynb", "marketing")
    assert [use["dataset"] for use in caught.value.details["refused"]] == ["customers"]
    assert check_notebook(project, "nb.ipynb", "billing").uses[0].how == "detected"


def test_an_unresolved_call_fails_closed(project: Project) -> None:
    """As an unreadable cell: refused when the catalog holds data the purpose may not use,
    naming the call; allowed and reported otherwise."""
    add_dataset(project, dataset_spec(project, "open_data", {"location": "data/open.csv"}))
    _notebook(project, "import pandas as pd", "x = 1\ndf = pd.read_csv(choose())")
    allowed = check_notebook(project, "nb.ipynb", None)
    assert (allowed.refusals(), allowed.purpose_required) == ([], False)
    assert allowed.warnings() == [
        "unresolved: pd.read_csv(choose()) at cell 2, line 2 (the check cannot tell before "
        "the run what it reads)"
    ]
    assert allowed.to_dict()["unresolved"] == [
        {"cell": 1, "line": 2, "call": "pd.read_csv(choose())"}
    ]

    spec = {"location": C, "classification": "personal", "purposes": ["billing"]}
    add_dataset(project, dataset_spec(project, "customers", spec))
    assert check_notebook(project, "nb.ipynb", None, enforce=False).purpose_required is True
    for purpose in ("marketing", None):
        with pytest.raises(PolicyRefusedError) as caught:
            check_notebook(project, "nb.ipynb", purpose)
        details = caught.value.details
        assert (details["refused"], details["field"]) == ([], "purpose")
        assert details["unresolved"] == [{"cell": 1, "line": 2, "call": "pd.read_csv(choose())"}]
        assert "unreadable" not in details
        message = caught.value.message
        assert (
            "cannot tell before the run what pd.read_csv(choose()) (cell 2, line 2) reads, so it"
            in message
        )
        assert "'customers' (personal)" in message
        assert 'nbtools.data.path("name")' in message
    assert check_notebook(project, "nb.ipynb", "billing").refusals() == []
    with pytest.raises(PolicyRefusedError):
        enforce_rule(project, "nb.ipynb", "marketing", actor="eve")
    [entry] = audit.list_entries(project, action="policy.refuse")
    assert entry.summary == {"purpose": "marketing", "refused": [], "unresolved_cells": [1]}


@pytest.mark.parametrize(
    ("sources", "path"),
    [
        # before, each was read from the notebook's directory: "customers.csv"
        (("import os\nos.chdir('data')", "pd.read_csv('customers.csv')"), C),
        (("import os", "os.chdir('data')", "x = 1", "pd.read_csv('customers.csv')"), C),
        (("os.chdir(Path('data'))", "Path('customers.csv').read_text()"), C),
        (("d = 'da' + 'ta'", "os.chdir(d); open('customers.csv')"), C),
        (
            ("os.chdir('data')", "os.chdir('sub')", "open('../customers.csv')"),
            "data/sub/../customers.csv",
        ),
        (("os.chdir('/srv')", "open('customers.csv')"), "/srv/customers.csv"),
        (("getattr(os, 'chdir')('data')", "open('customers.csv')"), C),
        (("partial(os.chdir, 'data')()", "open('customers.csv')"), C),
        # what does not change it
        (
            (
                "os.chdir('data')",
                "from pylab import *",
                "%matplotlib inline",
                "open('customers.csv')",
            ),
            C,
        ),
        (("os.chdir('data')", "model.eval()\nx = 3 % 2", "open('customers.csv')"), C),
        (("def f():\n    return open('data/customers.csv')",), C),  # nothing changes it
        (("%%bash\ncd elsewhere", "open('data/customers.csv')"), C),  # a shell of its own
    ],
)
def test_a_relative_path_is_read_from_the_working_directory(
    sources: tuple[str, ...], path: str
) -> None:
    assert found(*sources) == ([], [path], [])


@pytest.mark.parametrize(
    "sources",
    [
        ("os.chdir(where)", "pd.read_csv('customers.csv')"),
        ("if x:\n    os.chdir('data')", "pd.read_csv('customers.csv')"),
        ("with contextlib.chdir('data'):\n    pd.read_csv('customers.csv')",),
        ("from os import chdir\nchdir('data')", "pd.read_csv('customers.csv')"),
        ("go = os.chdir", "go('data')", "pd.read_csv('customers.csv')"),
        ("[os.chdir('data'), pd.read_csv('customers.csv')]",),  # in one statement
        ("%cd data", "pd.read_csv('customers.csv')"),
        ("%cd data\npd.read_csv('customers.csv')",),
        ("%run setup.py", "pd.read_csv('customers.csv')"),
        ("%pushd data", "pd.read_csv('customers.csv')"),
        ("exec(setup)", "pd.read_csv('customers.csv')"),
        ("%time os.chdir('data')\npd.read_csv('customers.csv')",),
        # a function may run at any time: it changes it everywhere, and sees it changed
        ("def go():\n    os.chdir('data')", "go()", "pd.read_csv('customers.csv')"),
        ("os.chdir('data')", "def f():\n    return pd.read_csv('customers.csv')"),
        ("os.chdir('data')", "p = Path('customers.csv').resolve()", "open(p)"),
    ],
)
def test_a_relative_path_from_a_directory_not_known_is_unresolved(
    sources: tuple[str, ...],
) -> None:
    declared, paths, unresolved = found(*sources)
    assert (declared, paths, len(unresolved)) == ([], [], 1)
    assert "customers.csv" in unresolved[0] or unresolved[0] == "open(p)"


def test_a_directory_not_known_leaves_other_locations_known() -> None:
    cells = ["os.chdir(where)", "open('/srv/x.csv')\nopen('s3://b/k.csv')", "data.path('x')"]
    assert found(*cells) == (["x"], ["/srv/x.csv", "s3://b/k.csv"], [])


def test_a_cell_that_may_change_the_directory_and_cannot_be_read_is_reported() -> None:
    """IPython runs a one-line ``cd data`` as ``%cd data``: the check cannot read it."""
    nb = make_notebook([("code", "cd data", []), ("code", "pd.read_csv('customers.csv')", [])])
    assert [(cell.cell, cell.error) for cell in scan(nb).unreadable] == [(0, "invalid syntax")]
    nb = make_notebook([("code", "cd data", []), ("code", "data.path('customers')", [])])
    assert scan(nb).unreadable == ()  # nothing read from the working directory


def test_a_restricted_dataset_read_after_a_chdir_is_refused(project: Project) -> None:
    """The notebook runs from ``nb/`` and moves to the project root, as notebooks often do:
    before, its read was "nb/data/customers.csv", no dataset, allowed for any purpose."""
    spec = {"location": C, "classification": "personal", "purposes": ["billing"]}
    add_dataset(project, dataset_spec(project, "customers", spec))
    (project.root / "nb").mkdir()
    cells = [("code", "import os\nos.chdir('..')", []), ("code", f"pd.read_csv({C!r})", [])]
    (project.root / "nb" / "a.ipynb").write_text(json.dumps(make_notebook(cells)))
    with pytest.raises(PolicyRefusedError) as caught:
        check_notebook(project, "nb/a.ipynb", "marketing")
    assert [use["dataset"] for use in caught.value.details["refused"]] == ["customers"]
    assert check_notebook(project, "nb/a.ipynb", "billing").undeclared[0].value == f"../{C}"
