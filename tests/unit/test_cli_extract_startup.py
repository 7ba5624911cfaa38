"""``nbtools extract``'s process: what its start-up imports and leaves out, and the cyclic
garbage collector around it (issue #14; docs/performance.md, "Where a CLI command's time goes")."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import NotebookFactory, run_python
from tests.unit.test_cli_extract import GOOD


def test_extraction_imports_nothing_heavy(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory("calc.ipynb", GOOD)
    argv = ["--root", str(nb.parent), "extract", str(nb), "-o", str(tmp_path / "out")]
    code = (  # what `nbtools.cli.main.main` runs, without leaving the process at its end
        "import sys; from nbtools.unused_imports import skip_unused_imports; skip_unused_imports()\n"
        f"from nbtools.cli.app import cli; cli.main({argv!r}, standalone_mode=False)\n"
        "heavy = ('nbformat', 'nbconvert', 'jupyter_server', 'rich', 'sqlalchemy', "
        "'papermill', 'subprocess', 'traitlets.config', 'pickle', 'hashlib', 'dataclasses',\n"
        "'nbtools.export.serving', 'nbtools.data.fields', 'nbtools.data.bindings', 'string',\n"
        "'nbtools.cli.output', 'signal', 'nbtools.data.detect')\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    result = run_python(code)
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "lineage: being recorded in the background" in result.stdout  # the default
    assert (tmp_path / "out/src/calc/core.py").is_file()


def test_the_console_script_s_first_import_makes_no_garbage_for_the_collector() -> None:
    """The console script imports :mod:`nbtools.cli.main` before calling ``main()``, which
    pauses the cyclic garbage collector: that import loads nothing but nbtools' package and the
    module itself (no ``typing``, ``threading`` or ``contextlib``, whose imports made the
    collector pass over the heap before the pause: ≈ 1 % of a short command's instructions)."""
    code = (
        "import re, sys\n"  # what pip's console script imports first
        "before = set(sys.modules)\n"
        "import nbtools.cli.main\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    loaded = run_python(code).stdout.strip()
    assert loaded == str(  # __future__: the annotations statement; gc: built in
        ["__future__", "gc", "nbtools", "nbtools._version", "nbtools.cli", "nbtools.cli.main"]
    )


def test_the_collector_stays_off_only_when_the_process_ends_with_the_command(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """The console script (which exits with the command) leaves the cyclic garbage collector
    off after extracting; the group invoked in a longer-lived process leaves it on."""
    nb = notebook_factory("calc.ipynb", GOOD)
    code = (
        "import gc, sys\n"
        "from nbtools.cli.app import cli\n"
        "from nbtools.cli.context import CliContext\n"
        "for n, ends in enumerate((False, True)):\n"
        f"    argv = ['extract', {str(nb)!r}, '-o', {str(tmp_path)!r} + f'/out{{n}}',"
        " '--lineage', 'off']\n"
        "    cli.main(argv, standalone_mode=False, obj=CliContext(ends_process=ends))\n"
        "    print('collector', gc.isenabled(), file=sys.stderr)\n"
    )
    result = run_python(code)
    assert result.stderr.splitlines() == ["collector True", "collector False"]
    assert (tmp_path / "out1/src/calc/core.py").is_file()


def test_the_console_script_s_extraction_leaves_the_toolkit_s_unused_modules_out(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """The whole process as ``nbtools extract`` runs it (``main()``, which ends it with
    ``os._exit`` after the exit handlers): the modules click, traitlets and pathlib import for
    what an extraction never reads (:data:`~nbtools.unused_imports.TOOLKIT_DEFERRED`) are never
    loaded (issue #14: with a ``parameters`` cell's ``tokenize``, 13.4 M of its 387 M
    instructions). (A ``parameters`` cell's comments and the
    rendering of ``test`` cells read code with ``tokenize``: this notebook has neither.)"""
    nb = notebook_factory("calc.ipynb", [GOOD[1]])
    argv = ["nbtools", "extract", str(nb), "-o", str(tmp_path / "out"), "--lineage", "off"]
    code = (
        "import atexit, sys\n"
        "unused = ('copy', 'fnmatch', 'ipaddress', 'linecache', 'ntpath', 'numbers', 'token',\n"
        "          'tokenize')\n"
        "atexit.register(lambda: print('loaded', [m for m in unused if m in sys.modules]))\n"
        f"sys.argv = {argv!r}\n"
        "from nbtools.cli.main import main\n"
        "main()\n"
    )
    result = run_python(code)
    assert result.stdout.strip().splitlines()[-1] == "loaded []"
    assert (tmp_path / "out/src/calc/core.py").is_file()


def test_readers_a_notebook_does_not_need_are_not_loaded(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """The parameters' reader (:mod:`nbtools.parameters`) and the reader of a package's imports
    of itself (:mod:`nbtools.export.own_imports`) load for a notebook that has a ``parameters``
    cell or a cell importing the package: most have neither (issue #14)."""
    cells = {
        "plain": [GOOD[1]],
        "parameters": [GOOD[0], GOOD[1], GOOD[2]],
        "itself": [GOOD[1], ("code", "from calc.core import double as twice", ["export:more"])],
    }
    readers = ("nbtools.parameters", "nbtools.export.own_imports")
    loaded = {}
    for name, notebook_cells in cells.items():
        nb = notebook_factory(f"{name}/calc.ipynb", notebook_cells)
        argv = ["extract", str(nb), "-o", str(tmp_path / "out" / name), "--lineage", "off"]
        code = (
            "import sys\n"
            f"from nbtools.cli.app import cli; cli.main({argv!r}, standalone_mode=False)\n"
            f"print([m for m in {readers!r} if m in sys.modules])"
        )
        loaded[name] = run_python(code).stdout.strip().splitlines()[-1]
        assert (tmp_path / "out" / name / "src/calc/core.py").is_file()
    assert loaded == {
        "plain": "[]",
        "parameters": "['nbtools.parameters']",
        "itself": "['nbtools.export.own_imports']",
    }
    # what those readers give is still there: run()'s parameter, the import made relative
    assert "    n: int = 2,\n" in (tmp_path / "out/parameters/src/calc/pipeline.py").read_text()
    assert "| `n` | `2` |" in (tmp_path / "out/parameters/README.md").read_text()
    more = (tmp_path / "out/itself/src/calc/more.py").read_text()
    assert "from .core import double as twice\n" in more
