"""The rendered package: deterministic, traceable to cells, runnable as written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.export.build import ExtractOptions, extract
from nbtools.export.deps import (
    _editable_installs,
    _normalise,
    compatible_pin,
    installed_distribution,
    resolve,
)
from nbtools.export.source import indent
from nbtools.export.sourcemap import locate, locate_in_traceback
from tests.unit.export_helpers import extraction, notebook

CELLS = (
    ("markdown", "# Sales report\n\n> Totals per region.", []),
    ("code", "regions = ['north', 'south']\nscale: float = 1.5", ["parameters"]),
    ("code", "import click\n\ndef total(xs):\n    return sum(xs)", ["export"]),
    ("code", 'TEMPLATE = """\nline one\n  line two\n"""', ["export:text.templates"]),
    ("code", "def render(n):\n    return TEMPLATE + str(total([n]))", ["export:text"]),
    ("code", 'doc = """\nkept\n"""\nrecord("sum", total([1, 2]) * scale)', ["main"]),
    ("code", "assert total([1, 2]) == 3\nassert len(regions) == 2", ["test"]),
)


def run_package(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``python -m pkg ARGS`` in the ``src`` directory of a package written under ``root``."""
    return subprocess.run(
        [sys.executable, "-m", "pkg", *args],
        cwd=root / "src",
        capture_output=True,
        text=True,
        check=check,
    )


def write(files: dict[str, str], root: Path) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def test_same_notebook_gives_byte_identical_files() -> None:
    first, second = extraction(*CELLS), extraction(*CELLS)
    assert first.files == second.files
    assert first.manifest() == second.manifest()
    assert sorted(first.files) == [
        "README.md",
        "pyproject.toml",
        "src/pkg/__init__.py",
        "src/pkg/__main__.py",
        "src/pkg/core.py",
        "src/pkg/pipeline.py",
        "src/pkg/text/__init__.py",
        "src/pkg/text/templates.py",
        "tests/test_pkg.py",
    ]


def test_every_file_names_the_notebook_and_only_the_manifest_its_hash() -> None:
    result = extraction(*CELLS)
    for path, text in result.files.items():
        assert "analysis.ipynb" in text.splitlines()[0], path
        assert result.source.sha256 not in text, path  # else any edit changes every file
    assert json.loads(result.manifest())["notebook_sha256"] == result.source.sha256


def test_outputs_do_not_change_the_hash() -> None:
    nb = notebook(*CELLS)
    before = extract(nb, "a.ipynb", ExtractOptions(package="pkg")).source.sha256
    nb["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    nb["cells"][2]["execution_count"] = 7
    assert extract(nb, "a.ipynb", ExtractOptions(package="pkg")).source.sha256 == before


def test_block_comments_map_lines_back_to_cells() -> None:
    result = extraction(*CELLS)
    pipeline = result.files["src/pkg/pipeline.py"]
    line = pipeline.splitlines().index('    record("sum", total([1, 2]) * scale)') + 1
    location = locate(pipeline, line, result.plan.cells)
    assert location is not None
    assert (location.cell, location.cell_id, location.line) == (5, "cell-5", 4)


def test_multiline_strings_keep_their_content_when_indented() -> None:
    code = 'x = """\nkept\n  as is\n"""\ny = f"""\n{x}\n"""'
    indented = indent(code)
    namespace: dict[str, object] = {}
    exec(compile("def f():\n" + indented + "\n    return x, y", "<t>", "exec"), namespace)
    assert namespace["f"]() == ("\nkept\n  as is\n", "\n\nkept\n  as is\n\n")  # type: ignore[operator]


def test_the_readme_command_runs_as_pasted_into_a_shell(tmp_path: Path) -> None:
    """Each default in the README's command line is quoted for the shell: a JSON list, a
    string with a space and a quote reach the package as the notebook wrote them. A flag, and
    a default JSON cannot write (bytes), are left out: the package keeps them as they are. A
    value starting with '-' is written ``--option=value``: ``--flag-text --verbose`` made
    argparse exit 2 ("expected one argument")."""
    import shlex

    parameters = (
        "values = [3, None, 7]\nlabel = \"it's a demo\"\nraw = [b'x']\nquiet = False\n"
        "flag_text = '--verbose'\nsince = '-7d'\nshift = -2"
    )
    result = extraction(
        ("code", parameters, ["parameters"]),
        ("code", "record('seen', [values, label, flag_text, since, shift])", ["main"]),
    )
    write(result.files, tmp_path)
    command = next(
        line.removeprefix("$ ")
        for line in result.files["README.md"].splitlines()
        if line.startswith("$ python -m pkg")
    )
    assert shlex.split(command)[3:] == [
        "--values",
        "[3, null, 7]",
        "--label",
        "it's a demo",
        "--flag-text=--verbose",
        "--since=-7d",
        "--shift=-2",
    ]
    ran = subprocess.run(
        ["bash", "-c", command.replace("python", shlex.quote(sys.executable), 1)],
        cwd=tmp_path / "src",
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(ran.stdout) == {"seen": [[3, None, 7], "it's a demo", "--verbose", "-7d", -2]}


def test_sibling_names_are_imported_relatively(tmp_path: Path) -> None:
    files = extraction(*CELLS).files
    text = files["src/pkg/text/__init__.py"]
    assert "from .templates import TEMPLATE" in text
    assert "from ..core import total" in text
    write(files, tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", "from pkg.text import render; print(repr(render(2)))"],
        cwd=tmp_path / "src",
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == repr("\nline one\n  line two\n2")


def test_package_runs_as_a_command_with_typed_parameters(tmp_path: Path) -> None:
    write(extraction(*CELLS).files, tmp_path)
    result = run_package(tmp_path, "--scale", "2", "--regions", '["x"]')
    assert json.loads(result.stdout) == {"sum": 6.0}
    help_text = run_package(tmp_path, "--help").stdout
    assert "--regions" in help_text
    assert 'regions (default: ["north", "south"]) as JSON' in help_text  # as it is typed
    assert "default: 1.5" in help_text
    refused = run_package(tmp_path, "--regions", "[north]", check=False)
    assert refused.returncode == 2
    assert "argument --regions: not JSON (Expecting value): '[north]'" in refused.stderr


def test_own_package_imports_become_relative_like_nbdev() -> None:
    files = extraction(
        ("code", "from pkg.helpers import h\nimport pkg\ndef f():\n    return h()", ["export"]),
        ("code", "def h():\n    return 1", ["export:helpers"]),
    ).files
    assert "from .helpers import h\nimport pkg\n" in files["src/pkg/core.py"]


def test_dependencies_are_pinned_from_installed_distributions() -> None:
    result = extraction(*CELLS)
    import click

    major = int(click.__version__.split(".")[0])
    pins = result.dependencies
    assert pins["click"].startswith(f"click>={click.__version__.split('.')[0]}.")
    assert pins["click"].endswith(f",<{major + 1}")
    pyproject = result.files["pyproject.toml"]
    assert f'"{pins["click"]}",' in pyproject
    assert "json" not in pins


def test_distribution_names_are_compared_in_their_normal_form() -> None:
    """PEP 503: runs of '-', '_' and '.' are one '-', and case does not matter."""
    assert _normalise("Jupyter_Server") == "jupyter-server"
    assert _normalise("zope.interface") == "zope-interface"
    assert _normalise("a-_.b__c..d") == "a-b-c-d"
    assert _normalise("plain") == "plain"
    # a dist-info directory written with underscores is found from the module's name
    found = installed_distribution("typing_extensions")
    assert found is not None
    assert found[0].lower().replace("-", "_") == "typing_extensions"


def editable_install(
    site: Path, name: str, version: str, source: Path, editable: bool = True
) -> None:
    """What ``pip install -e`` leaves in site-packages: a dist-info directory whose RECORD
    lists no module and whose direct_url.json names the source directory."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text(f"{info.name}/METADATA,,\n__editable__.{name}.pth,,\n")
    direct = {"url": source.as_uri(), "dir_info": {"editable": editable}}
    (info / "direct_url.json").write_text(json.dumps(direct))


def test_a_module_of_an_editable_install_is_pinned_to_its_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """``pip install -e`` of the team's own library: the import still becomes a dependency,
    named after the innermost editable project whose directory holds the module."""
    site, outer = tmp_path / "site", tmp_path / "team"
    (outer / "src" / "teamlib").mkdir(parents=True)
    (outer / "src" / "teamlib" / "__init__.py").write_text("")
    (outer / "tools" / "teamtools.py").parent.mkdir()
    (outer / "tools" / "teamtools.py").write_text("")
    (tmp_path / "copied").mkdir()
    (tmp_path / "copied" / "copiedlib.py").write_text("")
    editable_install(site, "team-monorepo", "3.0.0", outer)
    editable_install(site, "team-lib", "1.2.0", outer / "src")
    editable_install(site, "copied-lib", "0.1.0", tmp_path / "copied", editable=False)
    for entry in (site, outer / "src", outer / "tools", tmp_path / "copied"):
        monkeypatch.syspath_prepend(str(entry))
    _editable_installs.cache_clear()  # read once per process: again with these installed
    request.addfinalizer(_editable_installs.cache_clear)
    assert installed_distribution("teamlib") == ("team-lib", "1.2.0")
    assert installed_distribution("teamtools") == ("team-monorepo", "3.0.0")
    assert installed_distribution("copiedlib") is None  # installed from a directory, not -e
    assert resolve(["teamlib"], {}) == [("teamlib", "team-lib>=1.2.0,<2")]


def test_nbtools_itself_resolves_however_it_was_installed() -> None:
    """This venv installs it editable (make setup); a wheel's RECORD names it too."""
    from importlib.metadata import version

    assert installed_distribution("nbtools") == ("jupyter-nbtools", version("jupyter-nbtools"))


def test_pins_are_compatible_ranges_and_kept_while_satisfied() -> None:
    assert compatible_pin("pandas", "2.2.3") == "pandas>=2.2.3,<3"
    assert compatible_pin("tiny", "0.4.1") == "tiny>=0.4.1,<0.5"

    kept = "click>=8.0,<9"
    assert resolve(["click"], {"click": kept})[0].requirement == kept
    stale = "click>=1.0,<2"
    assert resolve(["click"], {"click": stale})[0].requirement != stale


def test_unresolvable_import_is_a_warning_and_keeps_a_previous_pin() -> None:
    result = extraction(("code", "import nbtools_no_such_module_xyz", ["export"]))
    (problem,) = result.problems
    assert (problem.code, problem.severity) == ("unresolved-import", "warning")
    kept = resolve(["nbtools_no_such_module_xyz"], {"nbtools_no_such_module_xyz": "x>=1,<2"})
    assert kept[0].requirement == "x>=1,<2"


def test_record_imports_are_dropped_from_the_pipeline_and_its_dependencies(tmp_path: Path) -> None:
    result = extraction(
        ("code", "x = 2", ["parameters"]),
        ("code", "from nbtools import record\nrecord('square', x * x)", ["main"]),
    )
    assert "nbtools" not in result.dependencies
    assert [p.code for p in result.problems] == []
    assert (
        "record = _nbtools_record  # (run() provides record)"
        in (result.files["src/pkg/pipeline.py"])
    )
    write(result.files, tmp_path)
    output = run_package(tmp_path, "--x", "3").stdout
    assert json.loads(output) == {"square": 9}
    beside = extraction(
        ("code", "from nbtools import record\nfrom nbtools import __version__", ["main"])
    )
    needed = [p.message for p in beside.problems if p.code == "unresolved-import"]
    assert "nbtools" in beside.dependencies or "'nbtools'" in "".join(needed)  # __version__


def test_the_main_cells_names_never_take_what_run_returns(tmp_path: Path) -> None:
    """run() keeps its results and its record under names of its own: a main cell assigning
    ``results``, a parameter named ``results``, ``record`` imported under another name or
    beside other names, called with a unit, or read in a function all leave the recorded
    values as they are."""
    result = extraction(
        ("code", "results = 2", ["parameters"]),
        (
            "code",
            "from nbtools import record as keep\n"
            "keep('first', results)\n"
            "results = [results, results * 2]",
            ["main"],
        ),
        (
            "code",
            "from nbtools import (\n"
            "    __version__,\n"
            "    record,\n"
            ")\n"
            "record('second', results, unit='items')\n"
            "def later(value):\n"
            "    record('third', value, 'ms')\n"
            "later(len(__version__) > 0)",
            ["main"],
        ),
    )
    assert result.errors == []
    needed = [p.message for p in result.problems if p.code == "unresolved-import"]
    assert "nbtools" in result.dependencies or needed  # the cell imports __version__ from it
    pipeline = result.files["src/pkg/pipeline.py"]
    assert "keep = _nbtools_record  # (run() provides record)" in pipeline
    assert "from nbtools import __version__; record = _nbtools_record" in pipeline
    line = pipeline.splitlines().index("        record('third', value, 'ms')") + 1
    assert locate(pipeline, line, result.plan.cells) == (
        2,
        "cell-2",
        7,
    )  # lines still lead back to the cell
    write(result.files, tmp_path)
    output = json.loads(run_package(tmp_path, "--results", "5").stdout)
    assert output == {"first": 5, "second": [5, 10], "third": True}


def test_a_record_of_the_notebooks_own_stays_the_notebooks(tmp_path: Path) -> None:
    """A main cell defining ``record``, importing it from elsewhere, or a parameter named
    ``record`` keep that ``record``: run() puts its own only where nbtools' is meant."""
    own = extraction(
        ("code", "n = 3", ["parameters"]),
        ("code", "seen = []\ndef record(name, value):\n    seen.append(name)", ["main"]),
        ("code", "record('x', n)\nrecord('y', len(seen))", ["main"]),
    )
    assert [p.code for p in own.problems] == []
    write(own.files, tmp_path / "own")
    assert json.loads(run_package(tmp_path / "own").stdout) == {}
    parameter = extraction(
        ("code", "record = 'r-1'", ["parameters"]),
        ("code", "print(record)", ["main"]),
    )
    assert "_nbtools_record" not in parameter.files["src/pkg/pipeline.py"]
    write(parameter.files, tmp_path / "parameter")
    ran = run_package(tmp_path / "parameter", "--record", "r-2")
    assert ran.stdout.splitlines()[0] == "r-2"
    elsewhere = extraction(
        ("code", "from tracking import record\nrecord('x', 1)", ["main"]),
    )
    pipeline = elsewhere.files["src/pkg/pipeline.py"]
    assert "    from tracking import record\n" in pipeline
    assert "_nbtools_record" not in pipeline
    assert [p.code for p in elsewhere.problems] == ["unresolved-import"]  # tracking is needed


def test_every_statement_beside_a_record_import_runs_on_its_line(tmp_path: Path) -> None:
    """``from nbtools import record`` joined to other statements with ``;``, in an ``if``, a
    ``try`` or a function, parenthesised or continued with a backslash: run() binds its record
    there and runs every other statement, each on its cell's line (a traceback leads to it)."""
    cells = [
        ("code", "fail = False", ["parameters"]),
        ("code", "from nbtools import record; a = 1\nrecord('a', a)", ["main"]),
        ("code", "b = 2; from nbtools import record as r; r('b', b)", ["main"]),
        ("code", "if a:\n    from nbtools import record; c = 3\nrecord('c', c)", ["main"]),
        (
            "code",
            "try:\n    from nbtools import record\nexcept ImportError:\n    d = 0\n"
            "else:\n    d = 4\nrecord('d', d)",
            ["main"],
        ),
        (
            "code",
            "from nbtools import (\n    record,\n); e = 5; fail and 1 / 0\nrecord('e', e)",
            ["main"],
        ),
        ("code", "from nbtools \\\n    import record; é = 6  # six\nrecord('é', é)", ["main"]),
        (
            "code",
            "def g():\n    from nbtools import record as keep\n    keep('g', 7)\ng()",
            ["main"],
        ),
    ]
    result = extraction(*cells)
    assert [p.code for p in result.problems] == []
    assert "nbtools" not in result.dependencies  # run() provides record
    pipeline = result.files["src/pkg/pipeline.py"]
    lines = pipeline.splitlines()
    for index, (_, code, _) in enumerate(cells[1:], start=1):
        first = lines.index(f"    # %% analysis.ipynb cell {index + 1} (id cell-{index})") + 1
        assert lines[first + code.count("\n") + 1] == ""  # the block has the cell's lines
    assert "    record = _nbtools_record; a = 1\n" in pipeline
    assert "    b = 2; r = _nbtools_record; r('b', b)\n" in pipeline
    write(result.files, tmp_path)
    output = json.loads(run_package(tmp_path).stdout)
    assert output == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "é": 6, "g": 7}
    failed = run_package(tmp_path, "--fail", check=False)
    assert "ZeroDivisionError" in failed.stderr
    assert locate_in_traceback(failed.stderr, result.files, result.plan.cells) == (5, "cell-5", 3)


def test_nbtools_record_through_the_module_is_run_s_record_too(tmp_path: Path) -> None:
    """``import nbtools`` (or ``as nb``, a submodule, in a function, in an exported or the
    parameters cell) then ``nbtools.record(...)``: the value is in what run() returns, as
    for ``from nbtools import record``; nbtools' other names are nbtools' own."""
    result = extraction(
        ("code", "import nbtools as shared\nfrom nbtools import record as kept", ["export"]),
        ("code", "import nbtools as nbp\ntag = nbp.__version__[:0] + 't'", ["parameters"]),
        ("code", "import nbtools\nnbtools.record('a', nbtools.__version__ > '')", ["main"]),
        ("code", "import os, nbtools as nb; nb.record('b', 2, 'ms'); c = 3", ["main"]),
        ("code", "def f(v):\n    import nbtools.data\n    nbtools.record('f', v)\nf(4)", ["main"]),
        ("code", "nbp.record('tag', tag)\nkept('kept', 5); shared.record('shared', 6)", ["main"]),
    )
    assert [p.code for p in result.problems if p.code != "unresolved-import"] == []
    needed = [p.message for p in result.problems if p.code == "unresolved-import"]
    assert "nbtools" in result.dependencies or "'nbtools'" in "".join(needed)  # its own names
    pipeline = result.files["src/pkg/pipeline.py"]
    assert "    import os, nbtools as nb; nb = _nbtools_module(nb); nb.record('b', 2, 'ms')" in (
        pipeline
    )
    assert "\nimport nbtools as shared\n" not in pipeline  # run() makes the exported import
    write(result.files, tmp_path)
    output = json.loads(run_package(tmp_path, "--tag", "x").stdout)
    assert output == {"a": True, "b": 2, "f": 4, "tag": "x", "kept": 5, "shared": 6}


def test_a_name_an_exported_cell_imports_then_binds_again_has_its_last_value(
    tmp_path: Path,
) -> None:
    """``from typing import Any`` then ``Any = 5`` in an exported cell: the main cells and the
    tests get ``Any`` from the exported module (5), not from typing."""
    result = extraction(
        (
            "code",
            "from typing import Any\nAny = 5\nfrom math import sqrt\n"
            "def sqrt(x):\n    return -x\nimport json\nimport json",
            ["export"],
        ),
        (
            "code",
            "record('any', Any)\nrecord('sqrt', sqrt(4))\nrecord('json', json.dumps(1))",
            ["main"],
        ),
        ("code", "assert Any == 5", ["test"]),
    )
    assert result.errors == []
    pipeline = result.files["src/pkg/pipeline.py"]
    assert "from .core import Any, sqrt\n" in pipeline
    assert "\nimport json\n" in pipeline  # imported twice alike: still json's
    assert "from pkg.core import Any\n" in result.files["tests/test_pkg.py"]
    write(result.files, tmp_path)
    assert json.loads(run_package(tmp_path).stdout) == {"any": 5, "sqrt": -4, "json": "1"}


def test_cell_comments_stay_one_line_whatever_the_notebook_name_and_cell_id() -> None:
    """A name or id with a newline, quote, backslash, control or non-ASCII character cannot
    end the comment line: it is escaped as a JSON string would be."""
    nb = notebook(("code", "x = 1", ["export"]))
    nb["cells"][0]["id"] = 'a"b\\c\nd\x00é'
    result = extract(nb, "weird\nname\u2028é.ipynb", ExtractOptions(package="pkg"))
    module = result.files["src/pkg/core.py"]
    lines = module.split("\n")  # what Python reads as lines (U+2028 does not end one)
    comment = next(line for line in lines if line.startswith("# %% weird"))
    assert comment == ('# %% weird\\nname\u2028é.ipynb cell 1 (id a\\"b\\\\c\\nd\\u0000é)')
    assert lines[lines.index(comment) + 1] == "x = 1"
    compile(module, "core.py", "exec")  # the header and comments are comments to Python


def test_all_lists_every_name_as_json_would_write_it_ascii_escaped() -> None:
    """``__all__`` of non-ASCII, quoted and many names: the text json.dumps gives each name,
    valid Python listing exactly those names."""
    import ast

    from nbtools.export.render.common import python_list

    names = ["naïve", "π_total", *(f"step_{i}" for i in range(40))]
    text = python_list(names)
    assert text.startswith('__all__ = [\n    "na\\u00efve",\n    "\\u03c0_total",\n')
    assert ast.literal_eval(text.partition(" = ")[2]) == names
    assert python_list(["a", "b"]) == '__all__ = ["a", "b"]'
