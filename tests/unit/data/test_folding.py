"""A location built with ``.format`` or ``%`` of known text is followed, as an f-string is:
before, ``pd.read_csv("data/{}.csv".format("customers"))`` was unresolved, and a substitution
the check does not follow stays so; bytes are not taken for the text they would show."""

from __future__ import annotations

import json

import pytest

from nbtools.data.catalog import add_dataset, dataset_spec
from nbtools.data.check import check_notebook
from nbtools.data.formatting import formatted, printf
from nbtools.errors import PolicyRefusedError
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.unit.data.conftest import found

C = "data/customers.csv"


@pytest.mark.parametrize(
    "sources",
    [
        ("pd.read_csv('data/{}.csv'.format('customers'))",),
        ("pd.read_csv('{0}/{1}.{ext}'.format('data', 'customers', ext='csv'))",),
        ("name = 'customers'", "pd.read_csv('data/{n!s}.csv'.format(n=name))"),
        ("template = 'data/{}.csv'", "x = 1", "pd.read_csv(template.format('customers'))"),
        ("pd.read_csv('data/{}.csv'.format('customers', 'unused'))",),  # as str.format
        ("pd.read_csv('data/%s.csv' % 'customers')",),
        ("pd.read_csv('%s/%s.csv' % ('data', 'customers'))",),
        ("pd.read_csv('%(d)s/%(n)s.csv' % {'d': 'data', 'n': 'customers', 'x': 'y'})",),
        ("DATA = Path('data')", "pd.read_csv('%s/customers.csv' % DATA)"),  # str() of a path
        ("DATA = Path('data')", "pd.read_csv('{}/customers.csv'.format(DATA))"),
        ("open(b'data/%s.csv' % b'customers')",),  # bytes % bytes
        ("open(b'data/' + b'customers.csv')",),
        ("open(os.fspath(b'data/customers.csv'))",),
    ],
)
def test_a_location_formatted_from_known_text_is_found(sources: tuple[str, ...]) -> None:
    assert found(*sources) == ([], [C], [])


@pytest.mark.parametrize(
    "source",
    [
        # as an f-string: a value not known, a format spec, another conversion
        "pd.read_csv('data/{}.csv'.format(day))",
        "pd.read_csv('data/%s.csv' % day)",
        "pd.read_csv('data/%s.csv' % (day,))",
        "pd.read_csv('data/{:>9}.csv'.format('customers'))",
        "pd.read_csv('data/%9s.csv' % 'customers')",
        "pd.read_csv('data/{!r}.csv'.format('customers'))",
        "pd.read_csv('data/%r.csv' % 'customers')",
        "pd.read_csv('data/%d.csv' % 3)",
        # what str.format and % do not take the way the check would guess
        "pd.read_csv('data/{0.name}.csv'.format(table))",
        "pd.read_csv('data/{0[1]}.csv'.format(tables))",
        "pd.read_csv('data/{}{0}.csv'.format('a', 'b'))",  # a ValueError
        "pd.read_csv('data/{}.csv'.format(*names))",
        "pd.read_csv('data/{n}.csv'.format(**names))",
        "pd.read_csv('data/{}.csv'.format())",  # an IndexError
        "pd.read_csv('data/%s.csv' % ('a', 'b'))",  # not all arguments converted
        "pd.read_csv('data/%s.csv' % {'n': 'customers'})",  # the dictionary itself
        "pd.read_csv('data/%(n)s.csv' % {'m': 'customers'})",
        "pd.read_csv('data/%(n)s.csv' % {**names})",
        "pd.read_csv(str.format('data/{}.csv', 'customers'))",
        "pd.read_csv(Path('data/%s') % 'x')",
        # bytes show as b'…' in text: not followed
        "pd.read_csv(f\"data/{b'customers'}.csv\")",
        "pd.read_csv('data/{}.csv'.format(b'customers'))",
        "pd.read_csv('data/%s.csv' % b'customers')",
        "pd.read_csv(str(b'data/customers.csv'))",
        "open('data/' + b'customers.csv')",  # a TypeError
        "open(b'data/%s.csv' % 'customers')",
        "open(Path(b'data/customers.csv'))",
    ],
)
def test_a_substitution_the_check_does_not_follow_is_unresolved(source: str) -> None:
    assert found(source) == ([], [], [source.replace('"', "'") if "b'" not in source else source])


def test_a_restricted_dataset_behind_format_or_percent_is_refused(project: Project) -> None:
    spec = {"location": C, "classification": "personal", "purposes": ["billing"]}
    add_dataset(project, dataset_spec(project, "customers", spec))
    for location in ("'data/{}.csv'.format('customers')", "'data/%s.csv' % 'customers'"):
        cells = [("code", "import pandas as pd", []), ("code", f"pd.read_csv({location})", [])]
        (project.root / "nb.ipynb").write_text(json.dumps(make_notebook(cells)))
        with pytest.raises(PolicyRefusedError) as caught:
            check_notebook(project, "nb.ipynb", "marketing")
        assert [use["dataset"] for use in caught.value.details["refused"]] == ["customers"]
        assert caught.value.details.get("unresolved") is None


@pytest.mark.parametrize(
    ("template", "args", "keywords", "text"),
    [
        ("{}-{}", ["a", "b"], {}, "a-b"),
        ("{1}{0}{1}", ["a", "b"], {}, "bab"),
        ("{{}}{k}", [], {"k": "v"}, "{}v"),
        ("{k!s}", [], {"k": "v"}, "v"),
        ("{", [], {}, None),
        ("{}{0}", ["a"], {}, None),
        ("{k}", [], {}, None),
        ("{k:>3}", [], {"k": "v"}, None),
        ("{k!a}", [], {"k": "v"}, None),
        ("{\u0661}", ["a", "b"], {}, None),  # an Arabic-Indic digit
    ],
)
def test_formatted_follows_plain_fields_only(
    template: str, args: list[str], keywords: dict[str, str], text: str | None
) -> None:
    assert formatted(template, args, keywords) == text
    if text is not None:
        assert template.format(*args, **keywords) == text


@pytest.mark.parametrize(
    ("template", "values", "text"),
    [
        ("%s-%s", ["a", "b"], "a-b"),
        ("%s", "a", "a"),
        ("100%%/%s", "a", "100%/a"),
        ("%(k)s%%", {"k": "v", "x": "y"}, "v%"),
        ("no field", [], "no field"),
        ("no field", "a", None),
        ("%s", [], None),
        ("%s%", ["a"], None),
        ("%(k)s", ["a"], None),
        ("%s", {"k": "v"}, None),
        ("%-3s", ["a"], None),
        ("%(k(1))s", {"k(1)": "v"}, None),
    ],
)
def test_printf_follows_plain_conversions_only(
    template: str, values: str | list[str] | dict[str, str], text: str | None
) -> None:
    assert printf(template, values) == text
    if text is not None:
        assert template % (tuple(values) if isinstance(values, list) else values) == text
