"""``POST /nbtools/api/extract`` on a real Jupyter server: whose package a folder holds (one
notebook's, a set's, a renamed notebook's) and which package a write without an output updates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.server.test_extract import CELLS, error, post, put_notebook


async def test_another_notebooks_package_conflicts_with_409_naming_it(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    put_notebook(jp_root_dir, "a.ipynb", CELLS)
    put_notebook(jp_root_dir, "b.ipynb", CELLS)
    await post(jp_fetch, path="a.ipynb", output="pkg", dry_run=False)
    manifest = (jp_root_dir / "pkg" / ".nbtools-extract.json").read_text()
    code, body = await error(jp_fetch, path="b.ipynb", output="pkg", dry_run=False)
    assert code == 409
    assert (body["details"]["notebook"], body["details"]["gone"]) == ("a.ipynb", False)
    assert body["details"]["kind"] == "another-notebook"
    assert body["details"]["field"] == "output"
    assert "a.ipynb" in body["message"]
    assert (jp_root_dir / "pkg" / ".nbtools-extract.json").read_text() == manifest
    # A preview into the same folder is fine: it writes nothing.
    assert (await post(jp_fetch, path="b.ipynb", output="pkg"))["written"] is False
    forced = await post(jp_fetch, path="b.ipynb", output="pkg", dry_run=False, force=True)
    assert forced["written"] is True
    assert json.loads((jp_root_dir / "pkg" / ".nbtools-extract.json").read_text())["notebook"] == (
        "b.ipynb"
    )


async def test_one_notebook_of_a_set_written_into_its_package_conflicts_with_409(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """Was: written, the other notebooks' modules removed; then refused naming the field
    ``notebook``, which the request has none of."""
    from nbtools.export.api import ExtractRequest, run_extract
    from nbtools.export.build import ExtractOptions

    put_notebook(jp_root_dir, "a.ipynb", CELLS)
    put_notebook(jp_root_dir, "b.ipynb", [("code", "def half(x):\n    return x / 2", ["export:b"])])
    a, b, out = jp_root_dir / "a.ipynb", jp_root_dir / "b.ipynb", jp_root_dir / "pkg"
    run_extract(ExtractRequest(a, out, ExtractOptions("demo"), mode="write", others=(b,)))
    manifest = (out / ".nbtools-extract.json").read_text()
    code, body = await error(jp_fetch, path="a.ipynb", output="pkg", dry_run=False)
    assert code == 409
    details = body["details"]
    assert (details["kind"], details["notebooks"], details["override"]) == (
        "dropped-notebooks",
        ["b.ipynb"],
        "force",
    )
    assert details["field"] == "notebooks"  # the set's field, as its other refusals name
    assert "would remove what b.ipynb exports" in body["message"]
    assert str(jp_root_dir) not in json.dumps(body)
    assert (out / ".nbtools-extract.json").read_text() == manifest
    forced = await post(jp_fetch, path="a.ipynb", output="pkg", dry_run=False, force=True)
    assert forced["written"] is True
    assert not (out / "src/demo/b.py").exists()


async def test_without_an_output_the_notebook_s_own_package_is_the_one_updated(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """The wizard's Output directory left empty: the package written before to
    ``packages/demo`` (by the command line, say) is previewed and updated, not a second one
    started beside the notebook; a notebook of the same name in another folder is not taken
    for it."""
    put_notebook(jp_root_dir, "nbs/demo.ipynb", CELLS)
    put_notebook(jp_root_dir, "other/demo.ipynb", CELLS)
    await post(jp_fetch, path="nbs/demo.ipynb", output="packages/demo", dry_run=False)
    preview = await post(jp_fetch, path="nbs/demo.ipynb")
    assert preview["output"] == "packages/demo"
    assert {f["status"] for f in preview["files"]} == {"unchanged"}
    written = await post(jp_fetch, path="nbs/demo.ipynb", dry_run=False)
    assert (written["output"], written["written"]) == ("packages/demo", True)
    assert not (jp_root_dir / "nbs/demo").exists()
    assert (await post(jp_fetch, path="other/demo.ipynb"))["output"] == "other/demo"
    renamed = await post(jp_fetch, path="nbs/demo.ipynb", name="demo2")
    assert renamed["output"] == "nbs/demo2"  # another package name: not that package


async def test_a_renamed_notebook_is_told_of_its_old_package_and_can_take_it_over(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """Without an output, the reply lists the packages whose notebook is gone (the wizard
    offers them); writing into one is refused until forced, with ``gone`` in the refusal."""
    put_notebook(jp_root_dir, "nbs/report.ipynb", CELLS)
    await post(jp_fetch, path="nbs/report.ipynb", output="packages/report", dry_run=False)
    assert (await post(jp_fetch, path="nbs/report.ipynb"))["orphans"] == []  # it has its own
    (jp_root_dir / "nbs/report.ipynb").rename(jp_root_dir / "nbs/quarterly.ipynb")
    preview = await post(jp_fetch, path="nbs/quarterly.ipynb")
    assert preview["output"] == "nbs/quarterly"
    assert preview["orphans"] == [
        {"output": "packages/report", "notebook": "nbs/report.ipynb", "package": "report"}
    ]
    chosen = await post(jp_fetch, path="nbs/quarterly.ipynb", output="packages/report")
    assert chosen["orphans"] == []  # an output chosen: nothing to offer
    manifest = (jp_root_dir / "packages/report/.nbtools-extract.json").read_text()
    body = {"path": "nbs/quarterly.ipynb", "output": "packages/report", "name": "report"}
    code, refused = await error(jp_fetch, **body, dry_run=False)
    assert code == 409
    assert (refused["details"]["notebook"], refused["details"]["gone"]) == ("report.ipynb", True)
    assert (jp_root_dir / "packages/report/.nbtools-extract.json").read_text() == manifest
    taken = await post(jp_fetch, **body, dry_run=False, force=True)
    assert (taken["package"], taken["written"]) == ("report", True)
    assert (await post(jp_fetch, path="nbs/quarterly.ipynb"))["output"] == "packages/report"
    assert not (jp_root_dir / "nbs/quarterly").exists()


@pytest.mark.parametrize("cwd", ["inside", "above"])
async def test_the_notebooks_a_write_would_drop_are_named_from_the_root_wherever_the_server_runs(
    jp_fetch: Any, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch, cwd: str
) -> None:
    """A server whose working directory is strictly inside its root named them from there
    (``b.ipynb`` for ``nbs/b.ipynb``), one started above its root from there
    (``…/root/nbs/b.ipynb``): the wizard showed paths that are not the file browser's."""
    from nbtools.export.api import ExtractRequest, run_extract
    from nbtools.export.build import ExtractOptions

    put_notebook(jp_root_dir, "nbs/a.ipynb", CELLS)
    put_notebook(
        jp_root_dir, "nbs/b.ipynb", [("code", "def half(x):\n    return x / 2", ["export:b"])]
    )
    a, b, out = jp_root_dir / "nbs/a.ipynb", jp_root_dir / "nbs/b.ipynb", jp_root_dir / "pkg"
    run_extract(ExtractRequest(a, out, ExtractOptions("demo"), mode="write", others=(b,)))
    # the server is in this process: its working directory is this one's
    monkeypatch.chdir(jp_root_dir / "nbs" if cwd == "inside" else jp_root_dir.parent)
    code, body = await error(jp_fetch, path="nbs/a.ipynb", output="pkg", dry_run=False)
    assert code == 409
    details = body["details"]
    assert (details["kind"], details["notebooks"]) == ("dropped-notebooks", ["nbs/b.ipynb"])
    assert details["command"] == "nbtools extract nbs -o pkg"  # run from the root
    assert "would remove what nbs/b.ipynb exports" in body["message"]
    assert "(nbtools extract nbs -o pkg)" in body["message"]
