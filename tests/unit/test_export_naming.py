"""The package's name and its modules' names: ASCII for the package (it is also the
distribution's name), any Python identifier for a module, both read as Python reads them."""

# ruff: noqa: RUF001 - the letters that look like ASCII ones are what these tests are about

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.errors import InvalidInputError
from nbtools.export.build import ExtractOptions, extract
from nbtools.export.cells import classify
from nbtools.export.naming import check_package_name, suggest_package_name
from tests.conftest import run_python
from tests.unit.export_helpers import extraction, notebook, only
from tests.unit.test_export_render import write


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Sales Report", "sales_report"),
        ("Ünïcode", "unicode"),  # accents dropped, not the letters carrying them
        ("Évaluation des modèles", "evaluation_des_modeles"),
        ("Straße", "strasse"),
        ("Œuvre Ælfred", "oeuvre_aelfred"),
        ("İstanbul", "istanbul"),
        ("ﬁle", "file"),  # NFKC, as Python reads an identifier
        ("x²", "x2"),
        ("２０２４ report", "nb_2024_report"),  # fullwidth digits; a name starts with a letter
        ("٣ data", "nb_3_data"),  # a digit of another script is its ASCII digit
        ("Class", "nb_class"),  # a keyword
        ("match", "match"),  # a soft keyword is a valid name
        ("Logging", "logging_pkg"),  # a standard-library module
        ("Report – Q3 📊", "report_q3"),  # symbols and punctuation separate words
    ],
)
def test_the_default_name_is_the_notebooks_name_in_ascii(text: str, name: str) -> None:
    assert suggest_package_name(text) == name
    assert check_package_name(name) == name


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Анализ", "its letters А н а л и з have no ASCII form"),
        ("数据分析", "its letters 数 据 分 析 have no ASCII form"),
        ("sales_Анализ", "its letters А н а л и з have no ASCII form"),  # mixed scripts
        ("Ωmega", "its letters Ω have no ASCII form"),
        ("дддддддддд абвгдежзий", "its letters д а б в г е ж з …"),
        ("📊", "it has no letter or digit"),
        ("---", "it has no letter or digit"),
    ],
)
def test_a_name_with_no_ascii_form_is_refused_never_mangled(text: str, shown: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        suggest_package_name(text)
    assert raised.value.message.startswith(f"No package name can be made from {text!r}: {shown}")
    assert raised.value.message.endswith(
        "Name the package with ASCII letters, digits and underscores."
    )
    assert raised.value.details["field"] == "name"


@pytest.mark.parametrize(
    ("name", "reason", "suggestion"),
    [
        (
            "évaluation",
            "is not ASCII, and a package's name is also its distribution's",
            "evaluation",
        ),
        ("ﬁle", "is not ASCII", "file"),
        ("анализ", "is not ASCII", None),
        ("2nd", "is not a Python identifier", "nb_2nd"),
        ("my-pkg", "is not a Python identifier", "my_pkg"),
        ("class", "is a Python keyword", "nb_class"),
        ("json", "would shadow the standard-library module", "json_pkg"),
        ("Sales", "should be lowercase", "sales"),
    ],
)
def test_a_given_name_is_refused_for_its_own_reason(
    name: str, reason: str, suggestion: str | None
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        check_package_name(name)
    assert f"Invalid package name {name!r}: it {reason}" in raised.value.message
    assert raised.value.details.get("suggestion") == suggestion
    assert raised.value.details["field"] == "name"
    if suggestion is None:
        assert "Name the package with ASCII letters" in raised.value.message


def test_a_package_name_has_at_most_200_characters() -> None:
    """Its files' names (``tests/test_<name>_service.py``, written first under a temporary
    name) must fit the file system's 255 bytes; a default from a longer notebook name is its
    first 200 characters."""
    assert check_package_name("p" * 200) == "p" * 200
    with pytest.raises(InvalidInputError) as raised:
        check_package_name("p" * 201)
    assert raised.value.message == (
        f"Invalid package name '{'p' * 60}…': it has 201 characters, and a package's name at "
        "most 200 (the names of its files must fit the file system's). Give a shorter name."
    )
    assert raised.value.details == {"name": "p" * 201, "field": "name"}
    assert suggest_package_name("Report " * 40) == ("report_" * 29)[:200].rstrip("_")
    assert suggest_package_name("a" * 199 + " b") == "a" * 199  # cut at a separator: no "_"
    with pytest.raises(InvalidInputError) as not_ascii:  # its suggestion is cut too
        check_package_name("ß" * 150)
    assert not_ascii.value.details["suggestion"] == "s" * 200


def test_the_notebooks_file_name_gives_the_default_and_a_non_ascii_one_asks_for_a_name() -> None:
    nb = notebook(("code", "x = 1", ["export"]))
    assert extract(nb, "nbs/Évaluation.ipynb", ExtractOptions()).package == "evaluation"
    with pytest.raises(InvalidInputError, match="from 'Анализ': its letters"):
        extract(nb, "nbs/Анализ.ipynb", ExtractOptions())
    assert extract(nb, "nbs/Анализ.ipynb", ExtractOptions("analiz")).package == "analiz"


def test_a_module_name_is_any_python_identifier_read_as_python_reads_it(tmp_path: Path) -> None:
    result = extraction(
        ("code", "def f():\n    return 1", ["export:é"]),
        ("code", "def g():\n    return f() + 1", ["export:données.chargement"]),
        ("code", "def h():\n    return 3", ["export:ﬁle"]),  # the module file
        ("code", "#| export dataДанные\ndef k():\n    return g()", []),  # mixed scripts
        ("code", "assert f() + g() + h() + k() == 8", ["test"]),
    )
    assert result.problems == []
    assert {"src/pkg/é.py", "src/pkg/données/chargement.py", "src/pkg/file.py"} <= set(result.files)
    assert "from ..é import f" in result.files["src/pkg/données/chargement.py"]
    write(result.files, tmp_path)
    imported = "import pkg.é, pkg.données.chargement, pkg.ﬁle, pkg.dataДанные; print(pkg.file.h())"
    assert run_python(imported, cwd=tmp_path / "src").stdout == "3\n"


@pytest.mark.parametrize(
    ("tag", "message", "hint"),
    [
        ("export:x²", "'x²' is not a valid module name", "Try 'export:x2'."),
        ("export:ｃｌａｓｓ", "'class' uses a Python keyword", ""),  # NFKC: the keyword class
        ("export:ｐｉｐｅｌｉｎｅ", "'pipeline' is a module the generated package writes", ""),
        ("export:2nd", "'2nd' is not a valid module name", "Try 'export:nd'."),
    ],
)
def test_a_module_name_python_would_not_read_as_written_is_refused(
    tag: str, message: str, hint: str
) -> None:
    classified = classify(notebook(("code", "x = 1", [tag])))
    problem = only(classified.problems, "module-name")
    assert message in problem.message
    assert hint in problem.hint
    assert classified.cells == []


def test_a_default_exp_is_read_as_python_reads_it() -> None:
    classified = classify(
        notebook(("code", "#| default_exp ﬁles", []), ("code", "#| export\nx = 1", []))
    )
    assert classified.default_module == "files"
    assert classified.problems == []


#: A notebook using a library that no environment has (so only its import counts).
UNINSTALLED = [
    ("code", "import zz_no_such_lib\n\ndef f():\n    return zz_no_such_lib.go()", ["export"]),
    ("code", "from zz_no_such_lib import helper", ["test"]),
]


def test_a_default_name_hides_no_library_the_notebook_imports() -> None:
    result = extract(notebook(*UNINSTALLED), "zz_no_such_lib.ipynb", ExtractOptions())
    assert result.package == "zz_no_such_lib_pkg"
    assert "import zz_no_such_lib\n" in result.files["src/zz_no_such_lib_pkg/core.py"]
    assert only(result.problems, "unresolved-import").severity == "warning"  # not ourselves


@pytest.mark.parametrize(
    ("cells", "where"),
    [
        (UNINSTALLED, "(cell 1, line 1)"),  # import, then an attribute it does not define
        ([("code", "x = 1", ["export"]), *UNINSTALLED[1:]], "(cell 2, line 1)"),
        ([("code", "from zz_no_such_lib import *", ["export"])], "(cell 1, line 1)"),
        (
            [
                ("code", "import os", ["export"]),
                ("code", "import zz_no_such_lib as z\nz.go()", ["main"]),
            ],
            "(cell 2, line 1)",
        ),
        (
            [
                ("code", "import zz_no_such_lib\nn = zz_no_such_lib.N", ["parameters"]),
                ("code", "print(n)", ["main"]),
            ],
            "(cell 1, line 1)",
        ),
    ],
)
def test_a_given_name_of_a_library_the_notebook_imports_is_refused(
    cells: list[tuple[str, str, list[str]]], where: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        extraction(*cells, package="zz_no_such_lib")
    assert raised.value.message == (
        f"Invalid package name 'zz_no_such_lib': the notebook imports the library "
        f"zz_no_such_lib {where}, which a package of that name would hide from its own code. "
        "Try 'zz_no_such_lib_pkg'."
    )
    assert raised.value.details["field"] == "name"


def test_the_package_importing_itself_keeps_its_name() -> None:
    """As nbdev notebooks write it: a submodule (perhaps another notebook's), or the
    package's own names."""
    result = extraction(
        ("code", "from pkg.helpers import h\nfrom pkg.data.load import read", ["export"]),
        ("code", "def h():\n    return 1", ["export:helpers"]),
        ("code", "import pkg\nimport pkg as p\nassert pkg.h() == p.helpers.h()", ["test"]),
        ("code", "from pkg import h, helpers, run\nprint(h())", ["main"]),
        ("code", "import pkg\nassert 'site-packages' in pkg.__file__, pkg.__name__", ["test"]),
    )
    assert result.package == "pkg"
    assert "from .helpers import h\nfrom .data.load import read" in result.files["src/pkg/core.py"]


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ("def f():\n    from zz_mylib import helper\n    return helper", 2),  # fastcore's imghdr
        ("from zz_mylib import helper", 1),  # the same at the top, as it was already
    ],
)
def test_a_name_exported_code_takes_from_the_package_is_its_own_wherever_imported(
    code: str, line: int
) -> None:
    """Was, inside a function: "Invalid package name 'zz_mylib': the notebook imports the
    library zz_mylib … Try 'zz_mylib_pkg'", advice that breaks every import of the package."""
    result = extraction(("code", code, ["export"]), package="zz_mylib")
    assert result.package == "zz_mylib"
    problem = only(result.errors, "missing-module")
    assert (problem.cell, problem.line) == (0, line)
    assert problem.message.startswith("'from zz_mylib import helper' takes 'helper' from zz_mylib")


def test_a_module_installed_here_is_not_hidden_but_a_generated_package_keeps_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = notebook(("code", "def f():\n    return 1", ["export"]))
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib/fancy.py").write_text("VALUE = 1\n")
    first = extract(nb, "nbs/report.ipynb", ExtractOptions())
    write(first.files, tmp_path / "out")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.syspath_prepend(str(tmp_path / "out/src"))  # as `pip install -e` would
    assert extract(nb, "nbs/fancy.ipynb", ExtractOptions()).package == "fancy_pkg"
    with pytest.raises(InvalidInputError) as raised:
        extract(nb, "nbs/other.ipynb", ExtractOptions("fancy"))
    assert raised.value.message == (
        "Invalid package name 'fancy': it is the name of a module installed in this "
        "environment, which a package of that name would hide. Try 'fancy_pkg'."
    )
    assert extract(nb, "nbs/report.ipynb", ExtractOptions()).package == "report"
    assert extract(nb, "nbs/report.ipynb", ExtractOptions("report")).package == "report"
    assert suggest_package_name("Click") == "click_pkg"  # nbtools' own command line library


def test_a_module_name_may_be_a_librarys_name(tmp_path: Path) -> None:
    """Inside the package, `import json` is the standard library's, never `pkg.json`."""
    result = extraction(
        ("code", "def dumps(x):\n    return 'mine'", ["export:json"]),
        ("code", "import json\n\ndef f():\n    return json.dumps(1) + dumps(1)", ["export"]),
    )
    assert result.problems == []
    write(result.files, tmp_path)
    code = "from pkg import f; print(f())"
    assert run_python(code, cwd=tmp_path / "src").stdout == "1mine\n"
