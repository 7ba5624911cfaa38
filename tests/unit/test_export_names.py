"""The scope analysis finds the names code reads from outside, following Python's rules."""

from __future__ import annotations

import ast

from nbtools.export.names import analyze
from nbtools.export.outline import FromImport, outline, public_names


def external(code: str) -> set[str]:
    return set(analyze(ast.parse(code)).external())


def test_functions_see_their_arguments_and_module_names() -> None:
    code = "import os\nLIMIT = 3\ndef f(a, *rest, key=DEFAULT, **kw):\n    return a + LIMIT + b + os.sep\n"
    assert external(code) == {"DEFAULT", "b"}


def test_methods_do_not_see_class_attributes() -> None:
    code = "class A:\n    size = 1\n    def m(self):\n        return size\n    twice = size * 2\n"
    assert external(code) == {"size"}


def test_comprehensions_walrus_except_match_and_lambda() -> None:
    code = (
        "squares = [y * y for y in data if (total := y) > limit]\n"
        "pairs = {k: v for k, v in items}\n"
        "f = lambda q, r=default: q + r + outer\n"
        "try:\n    pass\nexcept ValueError as err:\n    print(err, total)\n"
        "match point:\n    case (px, *others):\n        print(px, others)\n"
    )
    assert external(code) == {"data", "limit", "items", "default", "outer", "point"}


def test_names_inside_calls_attributes_literals_and_f_strings() -> None:
    code = (
        "x = f(*args, key=val, **extra).attr[idx]\n"
        "y = {**mapping, k: v}\n"
        "z = f'{fmt!r:>{width}}'\n"
        "w = -a < b <= c if not flag else d.e.g\n"
    )
    assert external(code) == {
        "f", "args", "val", "extra", "idx", "mapping", "k", "v", "fmt", "width",
        "a", "b", "c", "flag", "d",
    }  # fmt: skip


def test_global_and_nonlocal() -> None:
    code = (
        "def setup():\n    global CONFIG\n    CONFIG = 1\n"
        "def outer():\n    n = 0\n    def inner():\n        nonlocal n\n        n += 1\n"
        "    return inner\n"
        "def use():\n    return CONFIG\n"
    )
    assert external(code) == set()


def test_star_imports_and_import_statements_are_recorded() -> None:
    names = analyze(ast.parse("from math import *\nimport numpy as np\nfrom a.b import c as d\n"))
    assert names.star_imports == [(1, "math")]
    assert {n: ast.unparse(s) for n, s in names.imports.items()} == {
        "np": "import numpy as np",
        "d": "from a.b import c as d",
    }


def test_a_name_the_code_binds_again_is_not_where_it_was_imported_from() -> None:
    """An import is where a name comes from only when nothing else binds it at the top level:
    not after an assignment, a def, a loop, a global in a function or another import of it."""
    code = (
        "from typing import Any\nAny = 5\n"
        "from math import sqrt\ndef sqrt(x):\n    return x\n"
        "import os\nfor os in []: pass\n"
        "from math import pi\ndef tau():\n    global pi\n    pi = 3\n"
        "try:\n    import ujson as json\nexcept ImportError:\n    import json\n"
        "import re\nimport re\n"
        "from math import e\ndef local():\n    e = 1\n    from cmath import e\n"
    )
    names = analyze(ast.parse(code))
    assert {n: ast.unparse(s) for n, s in names.imports.items()} == {
        "re": "import re",
        "e": "from math import e",
    }
    assert {"Any", "sqrt", "os", "pi", "json", "re", "e"} <= names.bound


def test_star_imports_nested_in_statements_are_found_in_source_order() -> None:
    code = (
        "try:\n    from fast import *\nexcept ImportError:\n    from .slow import *\n"
        "if True:\n    from ..shared.util import *\n"
        "from math import *; import os\n"
    )
    names = analyze(ast.parse(code))
    assert names.star_imports == [(2, "fast"), (4, ".slow"), (6, "..shared.util"), (7, "math")]
    assert names.modules == {"fast", "math", "os"}


def test_public_names_follow_nbdevs_rules() -> None:
    trees = [
        ast.parse("a, b = 1, 2\n_hidden = 3\ndef f(): ...\n@patch\ndef g(): ...\nclass K: ..."),
        ast.parse("_all_ = ['_hidden', f]\nc: int = 3"),
    ]
    assert public_names([outline(tree) for tree in trees]) == ["a", "b", "c", "f", "K", "_hidden"]


def test_an_outline_holds_the_top_levels_future_and_absolute_from_imports() -> None:
    tree = ast.parse(
        "from __future__ import annotations\nfrom . import sibling\n"
        "def f():\n    from pkg.inner import x\n  \nif True:\n    from pkg.b import y\n"
        "x = 1; from pkg.a import z\n"
    )
    found = outline(tree)
    assert found.future
    assert found.from_imports == (
        FromImport("__future__", 1, 0),
        FromImport("pkg.a", 8, 7),
    )
    assert outline(ast.parse("import __future__\nfrom pkg import a")).future is False
