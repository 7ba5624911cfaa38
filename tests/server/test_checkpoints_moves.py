"""A notebook renamed in JupyterLab keeps its history and its packages through the server's
rename hook (:func:`nbtools.lineage.follow_move`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.export.model import MANIFEST
from tests.server.test_extract import CELLS, post, put_notebook


def notebook_path(package: Path) -> str:
    """The notebook the package's manifest names, from its directory."""
    return json.loads((package / MANIFEST).read_text())["notebook_path"]  # type: ignore[no-any-return]


async def test_a_package_written_without_lineage_follows_its_notebook_renamed(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """``nbtools extract --lineage off``: no version pins the package, and it did not follow
    the rename (re-extracting into it was refused as another notebook's until forced). Its
    manifest names the notebook's path, which the rename now follows; another notebook's
    package is left as it is."""
    for name in ("report", "other"):
        put_notebook(jp_root_dir, f"nbs/{name}.ipynb", CELLS)
        command = ["--root", str(jp_root_dir), "extract", str(jp_root_dir / f"nbs/{name}.ipynb")]
        output = ["-o", str(jp_root_dir / f"packages/{name}"), "--lineage", "off"]
        written = CliRunner().invoke(cli, [*command, *output])
        assert written.exit_code == 0, written.output
    body = json.dumps({"path": "nbs/quarterly.ipynb"})
    await jp_fetch("api", "contents", "nbs/report.ipynb", method="PATCH", body=body)
    assert notebook_path(jp_root_dir / "packages/report") == "../../nbs/quarterly.ipynb"
    assert notebook_path(jp_root_dir / "packages/other") == "../../nbs/other.ipynb"
    again = {"path": "nbs/quarterly.ipynb", "output": "packages/report", "dry_run": False}
    assert (await post(jp_fetch, **again))["written"] is True
