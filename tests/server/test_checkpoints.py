"""Saving through Jupyter's contents API records versions; checkpoints are versions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from tornado.httpclient import HTTPClientError

from jupyter_nbtools.checkpoints import AsyncNbtoolsCheckpoints
from nbtools import versioning
from nbtools.cli.app import cli
from nbtools.project import Project
from tests.server.test_extract import CELLS, post, put_notebook
from tests.unit.versioning.conftest import edit, rich_notebook


async def save(jp_fetch: Any, path: str, nb: dict[str, Any]) -> Any:
    body = json.dumps({"type": "notebook", "format": "json", "content": nb})
    response = await jp_fetch("api", "contents", path, method="PUT", body=body)
    return json.loads(response.body)


async def checkpoints(jp_fetch: Any, path: str, method: str = "GET", *rest: str) -> Any:
    response = await jp_fetch(
        "api",
        "contents",
        path,
        "checkpoints",
        *rest,
        method=method,
        body=b"" if method == "POST" else None,
        allow_nonstandard_methods=True,
    )
    return json.loads(response.body) if response.body else None


async def history(jp_fetch: Any, path: str) -> dict[str, Any]:
    response = await jp_fetch("nbtools", "api", "versions", params={"path": path})
    return json.loads(response.body)  # type: ignore[no-any-return]


async def test_every_save_records_a_version_and_checkpoints_list_them(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    assert isinstance(jp_serverapp.contents_manager.checkpoints, AsyncNbtoolsCheckpoints)
    nb = rich_notebook()
    await save(jp_fetch, "nb.ipynb", nb)
    created = await checkpoints(jp_fetch, "nb.ipynb", "POST")  # what JupyterLab does on Ctrl+S
    assert created["id"] == "1"  # the save already recorded it: no duplicate
    await save(jp_fetch, "nb.ipynb", edit(nb, 1, "x = 2"))
    await save(jp_fetch, "nb.ipynb", edit(nb, 1, "x = 2"))  # identical: no new version
    listed = await checkpoints(jp_fetch, "nb.ipynb")
    # The newest version only: JupyterLab would number a longer list 0, 1, ... in its revert
    # dialog, contradicting the version numbers.
    assert [c["id"] for c in listed] == ["2"]
    versions = (await history(jp_fetch, "nb.ipynb"))["versions"]
    assert [v["number"] for v in versions] == [2, 1]


async def test_revert_to_checkpoint_restores_a_version(jp_fetch: Any, jp_root_dir: Path) -> None:
    nb = rich_notebook()
    await save(jp_fetch, "nb.ipynb", nb)
    await save(jp_fetch, "nb.ipynb", edit(nb, 1, "x = 2"))
    await checkpoints(jp_fetch, "nb.ipynb", "POST", "1")
    on_disk = json.loads((jp_root_dir / "nb.ipynb").read_text())
    assert "".join(on_disk["cells"][1]["source"]).startswith("x = 1")
    versions = (await history(jp_fetch, "nb.ipynb"))["versions"]
    assert (versions[0]["number"], versions[0]["kind"]) == (3, "restore")
    for missing in ("9", str(2**31), "99999999999999999999"):  # past any the store holds
        with pytest.raises(HTTPClientError) as info:
            await checkpoints(jp_fetch, "nb.ipynb", "POST", missing)
        assert info.value.code == 404, missing
        assert (
            f"nb.ipynb has no version '{missing}'"
            in json.loads(info.value.response.body)["message"]
        )
    assert len((await history(jp_fetch, "nb.ipynb"))["versions"]) == 3


async def test_rename_and_move_keep_the_history(jp_fetch: Any, jp_root_dir: Path) -> None:
    await save(jp_fetch, "nb.ipynb", rich_notebook())
    (jp_root_dir / "sub").mkdir()
    body = json.dumps({"path": "sub/renamed.ipynb"})
    await jp_fetch("api", "contents", "nb.ipynb", method="PATCH", body=body)
    assert [v["number"] for v in (await history(jp_fetch, "sub/renamed.ipynb"))["versions"]] == [1]
    await jp_fetch("api", "contents", "sub", method="PATCH", body=json.dumps({"path": "moved"}))
    assert len((await history(jp_fetch, "moved/renamed.ipynb"))["versions"]) == 1
    assert (await history(jp_fetch, "nb.ipynb"))["versions"] == []


async def test_a_renamed_notebook_updates_its_package_without_force(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """Renamed in JupyterLab, the notebook takes its package along (the manifest names its
    new path): extracting it again updates that package, with or without an output. It was
    refused (409, another notebook's package, ``gone``) until forced, and without an output a
    second package was started beside the notebook."""
    put_notebook(jp_root_dir, "nbs/report.ipynb", CELLS)
    await post(jp_fetch, path="nbs/report.ipynb", output="packages/report", dry_run=False)
    body = json.dumps({"path": "nbs/quarterly.ipynb"})
    await jp_fetch("api", "contents", "nbs/report.ipynb", method="PATCH", body=body)
    manifest = json.loads((jp_root_dir / "packages/report/.nbtools-extract.json").read_text())
    assert manifest["notebook_path"] == "../../nbs/quarterly.ipynb"
    again = {"path": "nbs/quarterly.ipynb", "output": "packages/report", "dry_run": False}
    assert (await post(jp_fetch, **again))["written"] is True
    found = await post(jp_fetch, path="nbs/quarterly.ipynb", dry_run=False)
    assert (found["output"], found["orphans"]) == ("packages/report", [])


async def test_a_set_s_package_follows_its_folder_renamed(jp_fetch: Any, jp_root_dir: Path) -> None:
    """A set's package (``nbtools extract nbs``): its folder renamed in JupyterLab, the
    manifest names each notebook's new path, and extracting the renamed folder updates the
    package. No package followed, and the write was refused as another notebooks'."""
    put_notebook(jp_root_dir, "nbs/a.ipynb", CELLS)
    put_notebook(jp_root_dir, "nbs/b.ipynb", [("code", "#| default_exp b\n#| export\nz = 3", [])])

    def extract(folder: str) -> Result:
        command = ["--root", str(jp_root_dir), "extract", str(jp_root_dir / folder)]
        places = ["-o", str(jp_root_dir / "lib"), "--lineage", "wait"]
        return CliRunner().invoke(cli, [*command, *places])

    assert (written := extract("nbs")).exit_code == 0, written.output
    await jp_fetch("api", "contents", "nbs", method="PATCH", body=json.dumps({"path": "work"}))
    manifest = json.loads((jp_root_dir / "lib/.nbtools-extract.json").read_text())
    paths = [manifest["notebook_path"], *(n["notebook_path"] for n in manifest["notebooks"])]
    assert paths == ["../work/a.ipynb", "../work/a.ipynb", "../work/b.ipynb"]
    assert (again := extract("work")).exit_code == 0, again.output


async def test_a_deleted_notebook_s_history_set_aside_by_a_rename_is_named_by_the_log(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """h2.ipynb is deleted, then h1.ipynb renamed to h2.ipynb: h1's history takes the path,
    and h2's own is set aside as ``h2.ipynb~ID``, which ``version log h2.ipynb`` names."""
    nb = rich_notebook()
    await save(jp_fetch, "h2.ipynb", nb)
    await save(jp_fetch, "h2.ipynb", edit(nb, 1, "x = 2"))
    await jp_fetch("api", "contents", "h2.ipynb", method="DELETE")
    await save(jp_fetch, "h1.ipynb", edit(nb, 1, "x = 'h1'"))
    body = json.dumps({"path": "h2.ipynb"})
    await jp_fetch("api", "contents", "h1.ipynb", method="PATCH", body=body)
    assert len((await history(jp_fetch, "h2.ipynb"))["versions"]) == 1  # h1's

    def log(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--root", str(jp_root_dir), "version", "log", *args])

    logged = log("h2.ipynb", "--json")
    assert logged.exit_code == 0, logged.output
    assert len(json.loads(logged.stdout)) == 1
    (aside,) = set(re.findall(r"h2\.ipynb~\d+", logged.stderr))
    assert f"`nbtools version log '{aside}'`" in logged.stderr
    older = log(aside, "--json")
    assert older.exit_code == 0, older.output
    assert [v["number"] for v in json.loads(older.stdout)] == [2, 1]


async def test_concurrent_saves_are_all_recorded_ending_with_what_is_on_disk(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    nb = rich_notebook()
    sources = [f"tab {n}" for n in range(6)]
    await asyncio.gather(*(save(jp_fetch, "nb.ipynb", edit(nb, 1, s)) for s in sources))
    versions = (await history(jp_fetch, "nb.ipynb"))["versions"]
    project = Project(jp_root_dir)
    try:
        recorded = [
            versioning.version_notebook(project, versioning.get(project, v["id"])) for v in versions
        ]
    finally:
        project.close()
    assert {nb["cells"][1]["source"] for nb in recorded} == set(sources)
    on_disk = json.loads((jp_root_dir / "nb.ipynb").read_text())
    assert "".join(on_disk["cells"][1]["source"]) == recorded[0]["cells"][1]["source"]
    # The checkpoint asked for afterwards is that newest version, the file as it is.
    assert (await checkpoints(jp_fetch, "nb.ipynb", "POST"))["id"] == str(versions[0]["number"])


async def test_a_versioning_failure_never_blocks_a_save_and_is_reported(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    packs = jp_root_dir / ".nbtools" / "versions" / "packs"
    packs.parent.mkdir(parents=True)
    packs.write_text("a file where the store expects a folder")
    nb = rich_notebook()
    saved = await save(jp_fetch, "nb.ipynb", nb)  # saved all the same
    assert saved["path"] == "nb.ipynb"
    assert (jp_root_dir / "nb.ipynb").exists()
    created = await checkpoints(jp_fetch, "nb.ipynb", "POST")
    assert created["id"] == "unrecorded"
    reply = await history(jp_fetch, "nb.ipynb")
    assert reply["versions"] == []
    assert reply["failure"]["operation"] == "record"
    assert "packs" in reply["failure"]["message"]
    packs.unlink()
    await save(jp_fetch, "nb.ipynb", edit(nb, 1, "x = 3"))
    reply = await history(jp_fetch, "nb.ipynb")
    assert (len(reply["versions"]), reply["failure"]) == (1, None)


async def test_a_failed_recording_stays_reported_until_a_save_is_recorded(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """Jupyter lists the checkpoints after every save, and JupyterLab then asks for one: a
    save whose version could not be recorded stays reported (and the history unchanged)
    through both, until a later save is recorded."""
    nb = rich_notebook()
    await save(jp_fetch, "nb.ipynb", nb)  # version 1
    lock = jp_root_dir / ".nbtools" / "versions" / "write.lock"
    lock.unlink()
    lock.mkdir()  # a damaged store: the lock file is a folder
    await save(jp_fetch, "nb.ipynb", edit(nb, 1, "x = 2"))  # saved all the same
    reply = await history(jp_fetch, "nb.ipynb")
    assert [v["number"] for v in reply["versions"]] == [1]
    assert reply["failure"]["operation"] == "record"
    assert reply["failure"]["message"] == (  # the path at fault and what to do, not the bare
        # IsADirectoryError(21, 'Is a directory')
        f"Cannot lock the version store: {lock} is a folder where the store keeps a file "
        f"(Is a directory). Move it out of {lock.parent} (nbtools makes the file again), "
        "then try again."
    )
    assert (await checkpoints(jp_fetch, "nb.ipynb", "POST"))["id"] == "unrecorded"
    assert [c["id"] for c in await checkpoints(jp_fetch, "nb.ipynb")] == ["1"]
    assert (await history(jp_fetch, "nb.ipynb"))["failure"]["operation"] == "record"

    lock.rmdir()
    await save(jp_fetch, "nb.ipynb", edit(nb, 1, "x = 3"))
    reply = await history(jp_fetch, "nb.ipynb")
    assert ([v["number"] for v in reply["versions"]], reply["failure"]) == ([2, 1], None)


async def test_other_files_keep_their_usual_checkpoints(jp_fetch: Any) -> None:
    body = json.dumps({"type": "file", "format": "text", "content": "hello"})
    await jp_fetch("api", "contents", "notes.txt", method="PUT", body=body)
    created = await checkpoints(jp_fetch, "notes.txt", "POST")
    assert created["id"] == "checkpoint"
    await save(jp_fetch, "nb.ipynb", rich_notebook())
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("api", "contents", "nb.ipynb", "checkpoints", "1", method="DELETE")
    assert info.value.code == 400
    assert "keeps every version" in info.value.response.body.decode()
    assert [c["id"] for c in await checkpoints(jp_fetch, "nb.ipynb")] == ["1"]


async def test_a_checkpoint_after_a_save_reads_the_notebook_again_only_if_it_changed(
    jp_fetch: Any, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JupyterLab asks for a checkpoint after every save: while the file is as that save
    wrote it, the checkpoint is the save's version, without reading the file again. Any
    change on disk (an outside edit, a touch, a version recorded by another process, a
    rename) makes the checkpoint read and record the file as it is."""
    import jupyter_nbtools.checkpoints as module

    reads: list[str] = []
    real = module.disk_content
    monkeypatch.setattr(module, "disk_content", lambda p, key: reads.append(key) or real(p, key))
    file = jp_root_dir / "nb.ipynb"
    nb = rich_notebook()
    await save(jp_fetch, "nb.ipynb", nb)
    assert (await checkpoints(jp_fetch, "nb.ipynb", "POST"))["id"] == "1"
    assert reads == []

    file.write_text(json.dumps(edit(nb, 1, "x = 'edited outside'")))  # not through Jupyter
    assert (await checkpoints(jp_fetch, "nb.ipynb", "POST"))["id"] == "2"
    assert (await checkpoints(jp_fetch, "nb.ipynb", "POST"))["id"] == "2"
    assert reads == ["nb.ipynb"]  # the second request found the file as the first read it

    file.touch()  # same content, another identity: read again, nothing new recorded
    assert (await checkpoints(jp_fetch, "nb.ipynb", "POST"))["id"] == "2"
    assert len(reads) == 2

    project = Project(jp_root_dir)  # another process records other content meanwhile
    try:
        versioning.commit(project, "nb.ipynb", edit(nb, 1, "x = 'from the CLI'"))
    finally:
        project.close()
    assert (await checkpoints(jp_fetch, "nb.ipynb", "POST"))["id"] == "4"  # the disk again
    assert len(reads) == 3
    latest = (await history(jp_fetch, "nb.ipynb"))["versions"][0]
    assert latest["number"] == 4

    body = json.dumps({"path": "renamed.ipynb"})
    await jp_fetch("api", "contents", "nb.ipynb", method="PATCH", body=body)
    assert (await checkpoints(jp_fetch, "renamed.ipynb", "POST"))["id"] == "4"
    assert reads[-1] == "renamed.ipynb"


async def test_a_save_that_failed_stops_counting_as_in_progress(
    jp_fetch: Any, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save that fails after the pre-save hook never reaches the post-save hook; once it is
    STALE_SAVE_SECONDS old it no longer makes the next save look concurrent (which would
    record the file again after each save and read it again for each checkpoint)."""
    import jupyter_nbtools.checkpoints as module

    reads: list[str] = []
    real = module.disk_content
    monkeypatch.setattr(module, "disk_content", lambda p, key: reads.append(key) or real(p, key))
    nb = rich_notebook()
    (jp_root_dir / "nb.ipynb").mkdir()  # where the file should go: the write fails
    with pytest.raises(HTTPClientError):
        await save(jp_fetch, "nb.ipynb", nb)
    (jp_root_dir / "nb.ipynb").rmdir()

    monkeypatch.setattr(module, "STALE_SAVE_SECONDS", 0.0)  # the failed save is long past
    await save(jp_fetch, "nb.ipynb", edit(nb, 1, "x = 2"))
    newest = (await history(jp_fetch, "nb.ipynb"))["versions"][0]["number"]
    assert (await checkpoints(jp_fetch, "nb.ipynb", "POST"))["id"] == str(newest)
    assert reads == []  # the save was alone: its file was neither recorded nor read again


async def test_a_lone_surrogate_is_recorded_by_the_save_hook_and_restorable(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """JSON can hold a lone surrogate ("\\ud83d"), which no UTF-8 encodes: the save hook
    records it as it is, and a good version restored over the file writes it back whole."""
    nb = rich_notebook()
    await save(jp_fetch, "nb.ipynb", nb)
    damaged = edit(nb, 1, "x\ud83d = 1")
    with contextlib.suppress(HTTPClientError):  # Jupyter's own writer cannot encode it
        await save(jp_fetch, "nb.ipynb", damaged)
    reply = await history(jp_fetch, "nb.ipynb")
    assert (len(reply["versions"]), reply["failure"]) == (2, None)
    newest = reply["versions"][0]["id"]
    response = await jp_fetch("nbtools", "api", "versions", str(newest), "notebook")
    assert json.loads(response.body)["cells"][1]["source"] == "x\ud83d = 1"
    (jp_root_dir / "nb.ipynb").write_text(
        json.dumps(damaged, indent=1), encoding="ascii"
    )  # the file as a JSON writer escaping everything holds it
    await checkpoints(jp_fetch, "nb.ipynb", "POST", "1")  # revert to the good version
    on_disk = json.loads((jp_root_dir / "nb.ipynb").read_text(encoding="utf-8"))
    assert on_disk["cells"][1]["source"] == nb["cells"][1]["source"].splitlines(True)
    reply = await history(jp_fetch, "nb.ipynb")
    assert [v["kind"] for v in reply["versions"]] == ["restore", "auto", "auto"]


async def test_a_notebook_of_nbformat_3_is_told_to_be_upgraded_then_recorded(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """Only a client of the contents API sends an nbformat 3 notebook (JupyterLab upgrades a
    notebook when it opens it); Jupyter writes it as sent. No version of it is recorded, and
    the Versions section says why and what to do, which works: opened, it is version 4."""
    old = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {"cells": [{"cell_type": "code", "input": "x = 1", "outputs": [], "metadata": {}}]}
        ],
    }
    await save(jp_fetch, "old.ipynb", old)
    assert json.loads((jp_root_dir / "old.ipynb").read_text())["nbformat"] == 3
    assert (await checkpoints(jp_fetch, "old.ipynb", "POST"))["id"] == "unrecorded"
    reply = await history(jp_fetch, "old.ipynb")
    assert reply["versions"] == []
    assert reply["failure"]["message"] == (
        "old.ipynb has nbformat 3; only version 4 notebooks are supported. "
        "Open and save it in JupyterLab to upgrade it."
    )
    opened = json.loads((await jp_fetch("api", "contents", "old.ipynb")).body)["content"]
    assert opened["nbformat"] == 4
    await save(jp_fetch, "old.ipynb", opened)
    reply = await history(jp_fetch, "old.ipynb")
    assert (len(reply["versions"]), reply["failure"]) == (1, None)
    assert json.loads((jp_root_dir / "old.ipynb").read_text())["cells"][0]["source"] == ["x = 1"]
