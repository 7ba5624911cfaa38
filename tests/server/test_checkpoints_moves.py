"""A notebook moved in the shell, or renamed in JupyterLab, keeps its history and its packages
through the server's save and rename hooks (:func:`nbtools.lineage.continue_moved`,
:func:`nbtools.lineage.follow_move`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.export.model import MANIFEST
from tests.server.test_checkpoints import history, save
from tests.server.test_extract import CELLS, post, put_notebook


def notebook_path(package: Path) -> str:
    """The notebook the package's manifest names, from its directory."""
    return json.loads((package / MANIFEST).read_text())["notebook_path"]  # type: ignore[no-any-return]


async def test_a_notebook_moved_with_mv_continues_its_history_at_its_first_save(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """``mv nbs/report.ipynb nbs/quarterly.ipynb``, then the notebook edited and saved in
    JupyterLab: the file the save replaces is the gone notebook's latest version, so its
    history continues there and its package follows, as ``nbtools version save`` does. The
    save started a history of its own (version 1), and the package stayed another
    notebook's."""
    put_notebook(jp_root_dir, "nbs/report.ipynb", CELLS)
    await post(jp_fetch, path="nbs/report.ipynb", output="packages/report", dry_run=False)
    (jp_root_dir / "nbs/report.ipynb").rename(jp_root_dir / "nbs/quarterly.ipynb")
    nb = json.loads((jp_root_dir / "nbs/quarterly.ipynb").read_text())
    nb["cells"][1]["source"] = "n = 3"  # edited before its first save
    await save(jp_fetch, "nbs/quarterly.ipynb", nb)
    versions = (await history(jp_fetch, "nbs/quarterly.ipynb"))["versions"]
    assert [v["number"] for v in versions] == [2, 1]
    assert (await history(jp_fetch, "nbs/report.ipynb"))["versions"] == []
    assert notebook_path(jp_root_dir / "packages/report") == "../../nbs/quarterly.ipynb"
    again = {"path": "nbs/quarterly.ipynb", "output": "packages/report", "dry_run": False}
    assert (await post(jp_fetch, **again))["written"] is True


async def test_a_copy_saved_in_jupyterlab_starts_a_history_of_its_own(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """The notebook it has the content of still exists: a copy, not a move."""
    put_notebook(jp_root_dir, "nbs/report.ipynb", CELLS)
    await post(jp_fetch, path="nbs/report.ipynb", output="packages/report", dry_run=False)
    copy = (jp_root_dir / "nbs/report.ipynb").read_text()
    (jp_root_dir / "nbs/copy.ipynb").write_text(copy)
    await save(jp_fetch, "nbs/copy.ipynb", json.loads(copy))
    assert [v["number"] for v in (await history(jp_fetch, "nbs/copy.ipynb"))["versions"]] == [1]
    assert len((await history(jp_fetch, "nbs/report.ipynb"))["versions"]) == 1
    assert notebook_path(jp_root_dir / "packages/report") == "../../nbs/report.ipynb"


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


async def test_a_package_that_cannot_follow_a_rename_is_warned_of_in_the_server_s_log(
    jp_fetch: Any,
    jp_root_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A package outside the server's root under a path of over 255 characters is pinned by a
    hash of its path, which cannot be turned back into the directory: the rename says it did
    not follow, and how to update it (before: nothing was said)."""
    put_notebook(jp_root_dir, "nbs/report.ipynb", CELLS)
    outside = tmp_path_factory.mktemp("elsewhere") / ("o" * 200) / ("x" * 60)
    command = ["--root", str(jp_root_dir), "extract", str(jp_root_dir / "nbs/report.ipynb")]
    written = CliRunner().invoke(cli, [*command, "-o", str(outside), "--lineage", "wait"])
    assert written.exit_code == 0, written.output
    body = json.dumps({"path": "nbs/quarterly.ipynb"})
    await jp_fetch("api", "contents", "nbs/report.ipynb", method="PATCH", body=body)
    assert notebook_path(outside).endswith("/nbs/report.ipynb")
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == [
        "nbtools: Warning: a package extracted from nbs/report.ipynb still names it: a directory "
        "whose path is longer than 255 characters is only found inside the project (at most 6 "
        "folders deep), and this one is not. Extract nbs/quarterly.ipynb into it again with "
        "-o DIR --force."
    ]
