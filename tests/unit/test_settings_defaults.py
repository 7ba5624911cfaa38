"""The settings' values while nothing sets them, read without traitlets
(:mod:`nbtools.settings_defaults`): the table is what the traits give, it is not read once a
file it was derived from changes or anything sets a setting, and ``nbtools extract`` then
imports no traitlets (issue #14; docs/performance.md)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from nbtools.config import NbtoolsSettings
from nbtools.settings_defaults import (
    SOURCES,
    TABLE,
    derived_table,
    read_table,
    unset_defaults,
)
from tests.conftest import NotebookFactory, run_python
from tests.unit.test_cli_extract import GOOD

PACKAGE = Path(__file__).parents[2] / "nbtools"


def test_the_table_holds_what_the_traits_give_an_instance_built_from_no_setting() -> None:
    """Fails when a trait of NbtoolsSettings (or the rule naming its variables) changed and
    the table was not written again: ``python -m nbtools.settings_defaults``."""
    settings = NbtoolsSettings()
    given = {name: getattr(settings, name) for name in settings.trait_names(config=True)}
    assert read_table() == given
    assert derived_table() == {**derived_table(), "NbtoolsSettings": given}


def test_a_table_is_not_read_once_a_file_it_was_derived_from_changes(tmp_path: Path) -> None:
    for name in (*SOURCES, TABLE):
        shutil.copy(PACKAGE / name, tmp_path / name)
    assert read_table(tmp_path) == read_table()
    for name in SOURCES:
        source = (tmp_path / name).read_bytes()
        # one character of a default: the table would give ".nbtools" for ".nbtoolz"
        (tmp_path / name).write_bytes(source.replace(b'".nbtools"', b'".nbtoolz"', 1) + b" ")
        assert read_table(tmp_path) is None, name
        (tmp_path / name).write_bytes(source)
        assert read_table(tmp_path) == read_table()
    (tmp_path / TABLE).write_text("{", encoding="utf-8")
    assert read_table(tmp_path) is None
    (tmp_path / TABLE).unlink()
    assert read_table(tmp_path) is None


def test_anything_setting_a_setting_leaves_the_table_unread(tmp_path: Path) -> None:
    """A config file, a flag, any ``$NBTOOLS_…`` variable (another class's too: its reader
    warns about one it does not know); an empty variable sets nothing."""
    assert unset_defaults({"NBTOOLS_ROOT": "", "HOME": "/h"}, None, {}) == read_table()
    assert unset_defaults({}, None, {"JobsSettings": {}}) == read_table()
    assert unset_defaults({}, tmp_path / "c.py", {}) is None
    assert unset_defaults({}, None, {"NbtoolsSettings": {"root_dir": "/x"}}) is None
    for variable in ("NBTOOLS_STORE_DIR", "NBTOOLS_JOBS_WORKERS", "NBTOOLS_CONFIG"):
        assert unset_defaults({variable: "x"}, None, {}) is None, variable


def _extract(nb: Path, tmp_path: Path, *flags: str, **environ: str) -> tuple[str, list[str]]:
    """``nbtools extract`` as the console script runs it, in the notebook's folder, with only
    ``environ``'s ``NBTOOLS_`` variables: its report's first line (the notebook as the project
    names it) and the lines of its standard error, the last one saying whether traitlets was
    imported."""
    argv = ["nbtools", *flags, "extract", str(nb), "-o", str(tmp_path / "out"), "--lineage", "off"]
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('traitlets', 'traitlets' in sys.modules, file=sys.stderr))\n"
        f"sys.argv = {argv!r}\n"
        "from nbtools.cli.main import main\n"
        "main()\n"
    )
    env = {name: value for name, value in os.environ.items() if not name.startswith("NBTOOLS_")}
    result = run_python(code, cwd=nb.parent, env={**env, **environ})
    assert (tmp_path / "out/src/calc/core.py").is_file()
    return result.stdout.splitlines()[0], result.stderr.splitlines()


def test_an_extraction_setting_nothing_imports_no_traitlets(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory("calc.ipynb", GOOD)
    report, stderr = _extract(nb, tmp_path)
    assert report.startswith("calc.ipynb: ")  # in the project: the working directory's
    assert stderr[-1] == "traitlets False"


def test_an_extraction_given_a_setting_reads_it_with_the_traits(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory("calc.ipynb", GOOD)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for flags, environ in (
        ((), {"NBTOOLS_ROOT": str(elsewhere)}),
        (("--root", str(elsewhere)), {}),
    ):
        report, stderr = _extract(nb, tmp_path, *flags, **environ)
        assert report.startswith(f"{nb}: ")  # outside the root set
        assert stderr[-1] == "traitlets True"
    report, stderr = _extract(nb, tmp_path, NBTOOLS_ROOTT=str(elsewhere))
    assert report.startswith("calc.ipynb: ")
    assert any("$NBTOOLS_ROOTT is not one nbtools reads" in line for line in stderr)
