"""``nbtools extract`` refusing the names a generated package cannot use, as a user runs it:
a parameter whose option is the package command's own, modules importing each other, a
package named after a library, a notebook name with no ASCII form."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import NotebookFactory
from tests.unit.test_cli import run_cli


def test_a_parameter_named_help_is_refused_at_its_line_and_nothing_is_written(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    cells = [
        ("code", "days = 3\nhelp = 1", ["parameters"]),
        ("code", "from nbtools import record\nrecord('out', help + days)", ["main"]),
    ]
    nb = notebook_factory("pp.ipynb", cells)
    refused = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), "--lineage", "off")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "error: cell 1, line 2: The package's command line cannot take the parameter " in (
        refused.stderr
    )
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "out").exists()
    notebook_factory(
        "pp.ipynb", [(kind, code.replace("help", "help_value"), tags) for kind, code, tags in cells]
    )
    written = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), "--lineage", "off")
    assert written.returncode == 0, written.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "pp", "--help"],
        cwd=tmp_path / "out/src",
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--help-value HELP_VALUE" in usage.stdout
