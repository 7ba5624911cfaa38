"""A reader reached through ``getattr`` or ``functools.partial`` is followed, and one the check
cannot name fails closed: before, ``getattr(pd, "read_csv")(loc)``, ``getattr(pd, kind)(loc)``
and ``partial(pd.read_csv, sep=";")(loc)`` read a restricted dataset unseen."""

from __future__ import annotations

import json

import pytest

from nbtools.data.catalog import add_dataset, dataset_spec
from nbtools.data.check import check_notebook
from nbtools.errors import PolicyRefusedError
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.unit.data.conftest import found

C = "data/customers.csv"


@pytest.mark.parametrize(
    "sources",
    [
        # getattr with the name written as a literal is the attribute
        ("import pandas as pd", f"getattr(pd, 'read_csv')({C!r})"),
        ("import pandas as pd", "r = getattr(pd, 'read_csv', None)", "x = 1", f"r({C!r})"),
        (f"getattr(Path({C!r}), 'read_text')()",),
        (f"getattr(__builtins__, 'open')({C!r})",),
        ("import nbtools.data as nd", "getattr(nd, 'path')('customers')"),
        # a partial binds its arguments when it is made; the call adds its own
        ("import functools", "load = functools.partial(pd.read_csv, sep=';')", f"load({C!r})"),
        ("from functools import partial", "o = partial(open, mode='r')", f"o(file={C!r})"),
        ("from functools import partial", f"o = partial(open, {C!r})", "x = 1", "o()"),
        (f"from functools import partial\npartial(pd.read_csv, {C!r})()",),
        (f"loc = {C!r}\no = partial(open, loc)", "loc = 'data/public.csv'", "o()"),
        (f"o = partial(open, {C!r})", "o2 = partial(o, 'r')", "o2()"),  # of a partial
        (f"p = partial(Path({C!r}).open, 'rb')", "p()"),  # a path's method
        (f"r = pd.read_csv\nload = partial(r, {C!r})", "load()"),  # of a name given a reader
        ("from functools import partial as bind", f"load = bind(pd.read_csv, {C!r})", "load()"),
        ("import nbtools.data as nd\np = partial(nd.path, mode='w')", "p('customers')"),
        (f"o = partial(open, {C!r})", "def f():\n    return o()"),  # a constant
        ("name = 'customers'", "import nbtools\np = partial(nbtools.data.path, name)", "p()"),
    ],
)
def test_a_reader_through_getattr_or_partial_is_found(sources: tuple[str, ...]) -> None:
    declared, paths, unresolved = found(*sources)
    assert (declared or paths, unresolved) == (["customers"] if declared else [C], [])


@pytest.mark.parametrize(
    ("sources", "call"),
    [
        # a function taken by a computed name from a package holding readers
        (("import pandas as pd", f"getattr(pd, kind)({C!r})"), f"getattr(pd, kind)({C!r})"),
        (("import pandas as pd", "f = getattr(pd, 'read_' + k)", "x = 1", "f(C)"), "f(C)"),
        (("import pyarrow.parquet as pq", "getattr(pq, name)(C)"), "getattr(pq, name)(C)"),
        (("from pandas import io", "getattr(io.parsers, name)(C)"), "getattr(io.parsers, name)(C)"),
        (("import pandas as pd", "m = pd", "getattr(m, name)(C)"), "getattr(m, name)(C)"),
        (("import builtins\ngetattr(builtins, name)(C)",), "getattr(builtins, name)(C)"),
        (("import nbtools", "getattr(nbtools.data, f)('x')"), "getattr(nbtools.data, f)('x')"),
        (("getattr(pd, name)(C)",), "getattr(pd, name)(C)"),  # pd bound by no cell: %run's?
        ((f"getattr(Path({C!r}), how)()",), f"getattr(Path({C!r}), how)()"),  # a path
        (("import pandas as pd", "partial(getattr(pd, k), C)()"), "partial(getattr(pd, k), C)()"),
        # a partial whose value is not known where it is called
        ((f"if x:\n    o = partial(open, {C!r})", "o()"), "o()"),
        (("o = partial(open, *parts)", "o()"), "o()"),
        ((f"o = partial(open, {C!r})", "o = partial(open, 'a.csv')", "def f():\n    o()"), "o()"),
        ((f"o = partial(open, {C!r})", "for o in readers:\n    pass", "o()"), "o()"),
        (("o = partial(open, loc)", "o()"), "o()"),
    ],
)
def test_a_reader_the_check_cannot_name_is_unresolved(sources: tuple[str, ...], call: str) -> None:
    declared, paths, unresolved = found(*sources)
    assert (declared, unresolved) == ([], [call])
    assert C not in paths


@pytest.mark.parametrize(
    "sources",
    [
        # a computed name on what holds no reader, getattr not called, no reader wrapped
        ("import numpy as np", "getattr(np, how)(values)"),
        ("class Model:\n    def run(self, step):\n        return getattr(self, step)()",),
        ("import pandas as pd", "print(getattr(pd, name))", "hasattr(pd, 'read_csv')"),
        ("import pandas as pd", "getattr(pd, 'DataFrame')(rows)", "getattr(str, how)(text)"),
        ("from functools import partial", "say = partial(print, sep=';')", f"say({C!r})"),
        ("import pandas as pd", "df = pd.read_csv", "partial_sum = 3", "print(partial_sum)"),
    ],
)
def test_code_merely_naming_a_reader_is_nothing_to_check(sources: tuple[str, ...]) -> None:
    assert found(*sources) == ([], [], [])


def _notebook(project: Project, *sources: str) -> None:
    cells = [("code", source, []) for source in sources]
    (project.root / "nb.ipynb").write_text(json.dumps(make_notebook(cells)))


def test_a_restricted_dataset_read_through_getattr_or_partial_is_refused(
    project: Project,
) -> None:
    """Before, each notebook was "uses no catalogued dataset": allowed for any purpose."""
    spec = {"location": C, "classification": "personal", "purposes": ["billing"]}
    add_dataset(project, dataset_spec(project, "customers", spec))
    for reading in (
        f"getattr(pd, 'read_csv')({C!r})",
        f"load = functools.partial(pd.read_csv, sep=';')\nload({C!r})",
    ):
        _notebook(project, "import functools\nimport pandas as pd", reading)
        with pytest.raises(PolicyRefusedError) as caught:
            check_notebook(project, "nb.ipynb", "marketing")
        assert [use["dataset"] for use in caught.value.details["refused"]] == ["customers"]
        assert check_notebook(project, "nb.ipynb", "billing").uses[0].how == "detected"

    _notebook(project, "import pandas as pd", "kind = input()", f"getattr(pd, kind)({C!r})")
    with pytest.raises(PolicyRefusedError) as caught:
        check_notebook(project, "nb.ipynb", "marketing")
    assert caught.value.details["unresolved"] == [
        {"cell": 2, "line": 1, "call": f"getattr(pd, kind)({C!r})"}
    ]
    assert check_notebook(project, "nb.ipynb", "billing").refusals() == []

    _notebook(project, "import numpy as np", "getattr(np, how)(values)", "x = partial(print)")
    allowed = check_notebook(project, "nb.ipynb", "marketing")
    assert (allowed.refusals(), allowed.unresolved, allowed.warnings()) == ([], (), [])


@pytest.mark.parametrize(
    "sources",
    [
        # a served model loading what a training run kept (the Serve step's own example)
        (
            "import json\nimport nbtools.artifacts",
            "W = json.loads(nbtools.artifacts.load('m.json', run=3).read_text())",
        ),
        (
            "from nbtools import artifacts",
            "p = artifacts.load('m.json')",
            "x = 1",
            "p.read_bytes()",
        ),
        ("from nbtools import artifacts as a", "open(a.load('m.json'))"),
        ("import nbtools.artifacts as arts", "pd.read_csv(arts.load('scores.csv', job='train'))"),
        ("from nbtools.artifacts import load", "Path(load('m.json')).read_text()"),
        (
            "from nbtools.artifacts import load as fetch",
            "with open(fetch('m.json')) as f:\n    f.read()",
        ),
    ],
)
def test_a_runs_artifact_is_no_dataset(sources: tuple[str, ...]) -> None:
    """``nbtools.artifacts.load`` returns a file of the store: reading it names no location,
    where it was *unresolved* and refused the notebook whenever the catalog held restricted
    data (a served model loading its training run's model.json could not be extracted)."""
    assert found(*sources) == ([], [], [])


@pytest.mark.parametrize(
    ("sources", "call"),
    [
        # another module's load, or a load of a name the check cannot tell is nbtools'
        (("import json", "json.load(open(loc))"), "open(loc)"),
        (("import mylib.artifacts as a", "open(a.load('m.json'))"), "open(a.load('m.json'))"),
        (("from pickle import load", "load(open(p, 'rb'))"), "open(p, 'rb')"),
    ],
)
def test_other_loads_stay_unresolved(sources: tuple[str, ...], call: str) -> None:
    assert found(*sources) == ([], [], [call])


@pytest.mark.parametrize(
    ("sources", "datasets", "paths"),
    [
        # the items of the iterable written in the call, or of a tuple held in a name
        (("import pandas as pd", f"dfs = list(map(pd.read_csv, [{C!r}, 'data/b.csv']))"), [], [C, "data/b.csv"]),
        (("import pandas as pd", f"files = ({C!r}, 'data/b.csv')", "list(map(pd.read_csv, files))"), [], [C, "data/b.csv"]),
        ((f"FILES = ({C!r},)", "def load():\n    return list(map(open, FILES))"), [], [C]),
        (("import pandas as pd", f"r = pd.read_csv\nlist(map(r, {{{C!r}}}))"), [], [C]),
        (("from functools import partial", f"list(map(partial(pd.read_csv, sep=';'), [{C!r}]))"), [], [C]),
        (("import nbtools", "list(map(nbtools.data.path, ['customers', 'orders']))"), ["customers", "orders"], []),
        (("import pandas as pd", "list(map(pd.read_csv, []))"), [], []),
        # a pool's map, and submit: the function called with the arguments that follow it
        (("with ThreadPoolExecutor() as pool:", f"    list(pool.map(pd.read_csv, ({C!r},)))"), [], [C]),
        ((f"pool.imap_unordered(pd.read_parquet, [{C!r}])",), [], [C]),
        ((f"future = executor.submit(pd.read_csv, {C!r}, sep=';')",), [], [C]),
        ((f"client.submit(open, file={C!r})",), [], [C]),
    ],
)  # fmt: skip
def test_a_reader_given_to_map_or_submit_reads_what_it_is_called_with(
    sources: tuple[str, ...], datasets: list[str], paths: list[str]
) -> None:
    """`map(pd.read_csv, files)` read the files unseen (a reader given to a function, not
    called, was not followed): `map` and a pool's `.map` call it with each item of a known
    iterable, `submit` with the arguments that follow it."""
    assert found("\n".join(sources)) == (datasets, paths, [])


@pytest.mark.parametrize(
    ("sources", "call"),
    [
        # items not known: a list in a name can change (append) before the map runs
        ((f"files = [{C!r}]", "files.append(other)", "list(map(pd.read_csv, files))"), "map(pd.read_csv, files)"),
        (("list(map(pd.read_csv, files))",), "map(pd.read_csv, files)"),
        ((f"list(map(pd.read_csv, [*more, {C!r}]))",), f"map(pd.read_csv, [*more, {C!r}])"),
        (("import os", "os.chdir(where)", "list(map(open, ['a.csv']))"), "map(open, ['a.csv'])"),
        # what calls it with what the check cannot know
        (("frames = paths.apply(pd.read_csv)",), "paths.apply(pd.read_csv)"),
        (("Thread(target=open, args=(loc,)).start()",), "Thread(target=open, args=(loc,))"),
        (("import pandas as pd", "list(map(getattr(pd, kind), files))"), "map(getattr(pd, kind), files)"),
        (("def map(f, xs):\n    return f(secret)", f"map(open, [{C!r}])"), f"map(open, [{C!r}])"),
    ],
)  # fmt: skip
def test_a_reader_given_to_a_call_the_check_cannot_follow_is_unresolved(
    sources: tuple[str, ...], call: str
) -> None:
    """Such a reader was passed over as code merely naming it: the call it is given to is
    unresolved (it could read any dataset)."""
    declared, paths, unresolved = found(*sources)
    assert (declared, unresolved) == ([], [call])
    assert C not in paths


def test_a_reader_only_shown_or_inspected_is_nothing_to_check() -> None:
    assert found("import pandas as pd", "print(pd.read_csv)", "help(open)") == ([], [], [])


def test_a_restricted_dataset_read_through_map_is_refused(project: Project) -> None:
    """Before, `map(pd.read_csv, (...))` was "uses no catalogued dataset": allowed for any
    purpose; a map over files the check cannot know was allowed too."""
    spec = {"location": C, "classification": "personal", "purposes": ["billing"]}
    add_dataset(project, dataset_spec(project, "customers", spec))
    _notebook(project, "import pandas as pd", f"frames = list(map(pd.read_csv, ({C!r},)))")
    with pytest.raises(PolicyRefusedError) as caught:
        check_notebook(project, "nb.ipynb", "marketing")
    assert [use["dataset"] for use in caught.value.details["refused"]] == ["customers"]
    assert check_notebook(project, "nb.ipynb", "billing").uses[0].how == "detected"
    _notebook(project, "import pandas as pd", "frames = list(map(pd.read_csv, files))")
    with pytest.raises(PolicyRefusedError) as caught:
        check_notebook(project, "nb.ipynb", "marketing")
    assert caught.value.details["unresolved"] == [
        {"cell": 1, "line": 1, "call": "map(pd.read_csv, files)"}
    ]
