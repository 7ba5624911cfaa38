"""``nbtools extract --check`` on a package an older nbtools wrote: stale only in the files
nbtools writes around the notebook's code, with no change of the notebook, it passes with a
note saying to extract once after the upgrade (before: exit 1, "out of date with the
notebook", a red build no change of the user's caused); any other change still fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbtools import __version__
from nbtools.digest import sha256_hex
from nbtools.export.model import MANIFEST, manifest_text
from tests.conftest import NotebookFactory
from tests.unit.test_cli import run_cli
from tests.unit.test_cli_extract import GOOD

INIT = "src/calc/__init__.py"
NOTE = "Run nbtools extract without --check once to update the package after this upgrade"


def extracted(notebook_factory: NotebookFactory, tmp_path: Path) -> tuple[Path, Path]:
    nb = notebook_factory("calc.ipynb", GOOD)
    out = tmp_path / "out"
    written = run_cli("extract", str(nb), "-o", str(out), "--lineage", "off")
    assert written.returncode == 0, written.stderr
    return nb, out


def as_an_older_nbtools_wrote_it(out: Path, version: str | None = None) -> None:
    """The package as another nbtools wrote it: its ``__init__.py`` framed otherwise, the
    manifest recording that file's hash (nbtools wrote it) and ``version`` (``None``: no
    version, as nbtools wrote manifests before recording it)."""
    init = out / INIT
    init.write_text(init.read_text().replace('"""', '"""Framed otherwise. ', 1))
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"][INIT] = sha256_hex(init.read_bytes())
    manifest.pop("nbtools_version", None)
    if version is not None:
        manifest["nbtools_version"] = version
    (out / MANIFEST).write_text(manifest_text(manifest))


def test_a_package_stale_only_in_nbtools_framing_passes_the_check_with_a_note(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb, out = extracted(notebook_factory, tmp_path)
    assert json.loads((out / MANIFEST).read_text())["nbtools_version"] == __version__
    as_an_older_nbtools_wrote_it(out)
    checked = run_cli("extract", str(nb), "-o", str(out), "--check")
    assert checked.returncode == 0, checked.stderr
    # the note and a summary: it printed the diff and the files as a failing check does
    assert checked.stdout.splitlines()[1:] == [
        "  up to date: 1 file(s) differ only as the note says (--diff shows them)"
    ]
    assert "note: the package was written by an older nbtools" in checked.stderr
    assert NOTE in checked.stderr
    diffed = run_cli("extract", str(nb), "-o", str(out), "--check", "--diff")
    assert diffed.returncode == 0, diffed.stderr
    assert f"changed   {INIT}" in diffed.stdout  # the diff and the files, when asked for
    assert "Framed otherwise." in diffed.stdout
    refused = run_cli("extract", str(nb), "-o", str(out), "--diff")  # a write has no diff
    assert (refused.returncode, "give --check too" in refused.stderr) == (2, True)
    assert "Framed otherwise." in (out / INIT).read_text()  # nothing written
    as_json = run_cli("extract", str(nb), "-o", str(out), "--check", "--json")
    report = json.loads(as_json.stdout)
    assert (as_json.returncode, report["ok"], report["stale"]) == (0, True, True)
    assert report["framing_only"] is True
    assert NOTE in as_json.stderr
    # extracted once, the package is up to date and records the nbtools that wrote it
    assert run_cli("extract", str(nb), "-o", str(out), "--lineage", "off").returncode == 0
    again = run_cli("extract", str(nb), "-o", str(out), "--check")
    assert (again.returncode, "up to date" in again.stdout, again.stderr) == (0, True, "")


def test_a_recorded_older_version_is_named(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb, out = extracted(notebook_factory, tmp_path)
    as_an_older_nbtools_wrote_it(out, "0.0.1")
    checked = run_cli("extract", str(nb), "-o", str(out), "--check")
    assert checked.returncode == 0, checked.stderr
    assert f"written by nbtools 0.0.1, and nbtools {__version__} writes" in checked.stderr


@pytest.mark.parametrize("change", ["notebook", "same nbtools", "version", "edited by hand"])
def test_any_other_change_still_fails_the_check(
    notebook_factory: NotebookFactory, tmp_path: Path, change: str
) -> None:
    nb, out = extracted(notebook_factory, tmp_path)
    as_an_older_nbtools_wrote_it(out, __version__ if change == "same nbtools" else None)
    options: list[str] = []
    if change == "notebook":
        nb.write_text(nb.read_text().replace("2 * x", "x + x"))
    elif change == "version":
        options = ["--version", "2.0.0"]
    elif change == "edited by hand":
        (out / INIT).write_text((out / INIT).read_text() + "# mine\n")
    checked = run_cli("extract", str(nb), "-o", str(out), "--check", "--json", *options)
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    assert (report["ok"], report["stale"], report["framing_only"]) == (False, True, False)
    assert "out of date with the notebook" in checked.stderr
    assert NOTE not in checked.stderr
