"""Helpers shared by the export tests: build notebooks in memory and extract them; install an
extracted package's console scripts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from nbtools.export.build import Extraction, ExtractOptions, extract
from nbtools.export.model import Problem
from tests.conftest import make_notebook

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Cells = list[tuple[str, str, list[str]]]

#: The launcher pip writes for a console script (distlib's): the entry point's module imported
#: at its top level, then its function called with the script's own command line.
LAUNCHER = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from {module} import {function}
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit({function}())
"""


def notebook(*cells: tuple[str, str, list[str]]) -> dict[str, Any]:
    return make_notebook(list(cells))


def extraction(*cells: tuple[str, str, list[str]], package: str = "pkg") -> Extraction:
    return extract(notebook(*cells), "analysis.ipynb", ExtractOptions(package=package))


def problems(*cells: tuple[str, str, list[str]]) -> list[tuple[int, int, str]]:
    """(cell index, line, code) of every problem, for compact assertions."""
    return [(p.cell, p.line, p.code) for p in extraction(*cells).problems]


def only(found: list[Problem], code: str) -> Problem:
    matching = [p for p in found if p.code == code]
    assert len(matching) == 1, found
    return matching[0]


def install_console_scripts(package_dir: Path, into: Path) -> Path:
    """What installing the package extracted into ``package_dir`` leaves of its console
    scripts (``[project.scripts]``), without pip (no build backend here): its ``.dist-info``,
    whose entry points ``importlib.metadata`` reads, in ``into/site`` (returned: the directory
    to put on the import path, beside the package's ``src``), and a launcher for each script
    in ``into/bin``."""
    project = tomllib.loads((package_dir / "pyproject.toml").read_text())["project"]
    site, bin_dir = into / "site", into / "bin"
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    bin_dir.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    scripts = project.get("scripts", {})
    lines = [f"{name} = {target}" for name, target in scripts.items()]
    (info / "entry_points.txt").write_text("\n".join(["[console_scripts]", *lines, ""]))
    for name, target in scripts.items():
        module, function = target.split(":")
        launcher = bin_dir / name
        launcher.write_text(
            LAUNCHER.format(python=sys.executable, module=module, function=function)
        )
        launcher.chmod(0o755)
    return site
