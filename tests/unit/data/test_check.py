from __future__ import annotations

import json

import pytest

from nbtools.data.catalog import add_dataset, dataset_spec
from nbtools.data.check import check_notebook
from nbtools.data.detect import READERS, scan
from nbtools.errors import InvalidInputError, PolicyRefusedError
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.unit.data.conftest import share_a_location

CODE = """\
%matplotlib inline
import pandas as pd, nbtools
from nbtools import data
x = pd.read_csv("../data/customers.csv")
y = nbtools.data.path("scores")
data.open("nope", "w")
z = pd.read_parquet(f"data/{day}.parquet")
open("notes.txt").read()
pl.scan_parquet("s3://bucket/events.parquet")
!ls
"""


def test_scan_finds_declared_names_and_literal_paths_in_order() -> None:
    nb = make_notebook([("markdown", 'open("no.csv")', []), ("code", CODE, []), ("code", "(", [])])
    found = scan(nb)
    assert [(f.value, f.cell, f.line) for f in found.declared] == [
        ("scores", 1, 5),
        ("nope", 1, 6),
    ]
    assert [(f.value, f.line) for f in found.undeclared] == [
        ("../data/customers.csv", 4),
        ("notes.txt", 8),
        ("s3://bucket/events.parquet", 9),
    ]


def test_scan_skips_no_call_a_cell_makes() -> None:
    cells = [
        ("code", "def reader(p):\n    return p\n\nx = reader('a.csv')", []),
        ("code", "import pandas as pd\nf = pd.read_csv\ny = f('b.csv')", []),
        ("code", "y = pd . read_csv (\n  'c.csv')", []),
        ("code", "data.\\\npath('d')", []),
        ("code", "z = \uff4f\uff50\uff45\uff4e('e.txt')", []),  # fullwidth "open"
    ]
    found = scan(make_notebook(cells))
    assert [(f.value, f.cell, f.line) for f in found.declared] == [("d", 3, 1)]
    # before, ``f = pd.read_csv`` hid b.csv: a name given to a reader is a reader
    assert [(f.value, f.cell) for f in found.undeclared] == [
        ("b.csv", 1),
        ("c.csv", 2),
        ("e.txt", 4),
    ]


def test_scan_reads_deeply_nested_code_and_reports_what_python_cannot_compile() -> None:
    deep = " + 1" * 2000  # Python compiles it (up to about 3000 levels)
    too_deep = " + 1" * 4000
    cells = [
        ("code", f"x = pd.read_csv('deep.csv'){deep}", []),
        ("code", f"y = pd.read_csv('too-deep.csv'){too_deep}", []),
        # beyond what Python's parser reads: its MemoryError was a crash (a 500 over REST)
        ("code", "z = pd.read_csv('unary.csv') + " + "-" * 100_000 + "1", []),
        ("code", "%time f()\nz = pd.read_csv('unary.csv') + " + "-" * 100_000 + "1", []),
    ]
    found = scan(make_notebook(cells))
    assert [(f.value, f.cell) for f in found.undeclared] == [("deep.csv", 0)]
    unreadable = [(cell.cell, cell.line) for cell in found.unreadable]
    assert unreadable == [(1, 1), (2, 1), (3, 1)]  # never skipped


def test_every_reader_is_found_in_a_cell_naming_only_it() -> None:
    """The quick text test before parsing rules no reader out (a reader added later too)."""
    cells = [("code", f"x = pd.{name}('{name}.data')", []) for name in sorted(READERS)]
    found = scan(make_notebook([*cells, ("code", "data.path('named')", [])]))
    assert [f.value for f in found.undeclared] == [f"{name}.data" for name in sorted(READERS)]
    assert [f.value for f in found.declared] == ["named"]


def _catalog(project: Project) -> None:
    for name, declared in {
        "customers": {
            "location": "data/customers.csv",
            "classification": "personal",
            "purposes": ["churn"],
        },
        "scores": {"location": "data/scores.csv"},
        "events": {"location": "s3://bucket/events.parquet", "purposes": ["reporting"]},
    }.items():
        add_dataset(project, dataset_spec(project, name, declared))


def _notebook(project: Project) -> None:
    (project.root / "nb").mkdir()
    (project.root / "nb" / "a.ipynb").write_text(json.dumps(make_notebook([("code", CODE, [])])))


def test_uses_undeclared_data_and_unknown_names(project: Project) -> None:
    _catalog(project)
    _notebook(project)
    result = check_notebook(project, "nb/a.ipynb", "churn", enforce=False)
    assert [(u.dataset, u.how, u.refused is not None) for u in result.uses] == [
        ("scores", "declared", False),
        ("customers", "detected", False),
        ("events", "detected", True),
    ]
    assert [(f.value, f.dataset) for f in result.undeclared] == [
        ("../data/customers.csv", "customers"),
        ("notes.txt", None),
        ("s3://bucket/events.parquet", "events"),
    ]
    assert [f.value for f in result.unknown] == ["nope"]


@pytest.mark.parametrize(
    ("purpose", "refused"),
    [
        # events is internal but lists a purpose: without one it is refused too.
        (None, ["customers", "events"]),
        ("ads", ["customers", "events"]),
        ("reporting", ["customers"]),
    ],
)
def test_refusals_name_dataset_classification_purpose_and_allowed(
    project: Project, purpose: str | None, refused: list[str]
) -> None:
    _catalog(project)
    _notebook(project)
    with pytest.raises(PolicyRefusedError) as caught:
        check_notebook(project, "nb/a.ipynb", purpose)
    details = caught.value.details
    assert [use["dataset"] for use in details["refused"]] == refused
    assert details["purpose"] == purpose
    assert "'customers'" in caught.value.message
    assert "personal" in caught.value.message
    assert "churn" in caught.value.message
    if purpose:
        assert repr(purpose) in caught.value.message


def test_a_bad_purpose_is_bad_input(project: Project) -> None:
    _notebook(project)
    with pytest.raises(InvalidInputError) as caught:
        check_notebook(project, "nb/a.ipynb", "not a purpose")
    assert caught.value.details["field"] == "purpose"


def test_a_file_inside_a_catalogued_folder_or_url_prefix_is_a_use_of_that_dataset(
    project: Project,
) -> None:
    """A table catalogued as its folder (partitioned Parquet, a Spark output, an object-store
    prefix): a notebook reading one of its files needed no purpose, and ran, although the
    dataset is personal."""
    (project.root / "data" / "customers").mkdir(parents=True)
    (project.root / "data" / "customers" / "part-0.csv").write_text("id\n1\n")
    folder = {"location": "data/customers", "classification": "personal", "purposes": ["churn"]}
    add_dataset(project, dataset_spec(project, "customers", folder))
    prefix = {"location": "s3://bucket/events", "purposes": ["billing"]}
    add_dataset(project, dataset_spec(project, "events", prefix))
    add_dataset(project, dataset_spec(project, "eventsx", {"location": "s3://bucket/eventsx"}))
    code = """import pandas as pd
a = pd.read_csv("data/customers/part-0.csv")
b = pd.read_parquet("s3://bucket/events/day=1/part-0.parquet")
c = pd.read_parquet("s3://bucket/events-old/x.parquet")"""
    (project.root / "nb.ipynb").write_text(json.dumps(make_notebook([("code", code, [])])))

    with pytest.raises(PolicyRefusedError) as caught:
        check_notebook(project, "nb.ipynb", None)
    assert [use["dataset"] for use in caught.value.details["refused"]] == ["customers", "events"]
    result = check_notebook(project, "nb.ipynb", "churn", enforce=False)
    assert [(u.dataset, u.refused is not None) for u in result.uses] == [
        ("customers", False),
        ("events", True),
    ]
    assert [(f.value, f.dataset) for f in result.undeclared] == [
        ("data/customers/part-0.csv", "customers"),
        ("s3://bucket/events/day=1/part-0.parquet", "events"),
        ("s3://bucket/events-old/x.parquet", None),  # a prefix ends at a "/"
    ]


def test_every_dataset_at_a_location_is_checked_and_the_strictest_decides(
    project: Project,
) -> None:
    """A store from before one location held one dataset may hold two; before, the check
    matched the file to one of them only (here the public copy: allowed)."""
    declared = {"location": "data/c.csv", "classification": "personal", "purposes": ["billing"]}
    add_dataset(project, dataset_spec(project, "zz_personal", declared))
    spec = {"location": "data/copy.csv", "classification": "public"}
    add_dataset(project, dataset_spec(project, "aa_copy", spec))
    share_a_location(project, ["aa_copy"], "data/c.csv")  # as an older store could hold them
    code = "import pandas as pd\nx = pd.read_csv('data/c.csv')"
    (project.root / "nb.ipynb").write_text(json.dumps(make_notebook([("code", code, [])])))

    result = check_notebook(project, "nb.ipynb", "marketing", enforce=False)
    assert [(u.dataset, u.refused is not None) for u in result.uses] == [
        ("aa_copy", False),
        ("zz_personal", True),
    ]
    assert [f.dataset for f in result.undeclared] == ["zz_personal"]
    with pytest.raises(PolicyRefusedError) as caught:
        check_notebook(project, "nb.ipynb", "marketing")
    assert [use["dataset"] for use in caught.value.details["refused"]] == ["zz_personal"]
    allowed = check_notebook(project, "nb.ipynb", "billing")
    assert allowed.refused == ()
    assert [f.dataset for f in allowed.undeclared] == ["zz_personal"]  # the higher level
