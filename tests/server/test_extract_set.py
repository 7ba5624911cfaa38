"""``POST /nbtools/api/extract`` of a set of notebooks making one package (``notebooks``, or a
folder as ``path``), on a real Jupyter server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_notebook
from tests.server.test_extract import error, post, put_notebook

CORE = [
    ("markdown", "# Core\n\n> The core helpers.", []),
    ("code", "#| default_exp core", []),
    ("code", "#| export\ndef add(a, b):\n    return a + b", []),
    ("code", "assert add(1, 1) == 2", ["test"]),
]
B = [
    ("code", "#| default_exp b", []),
    ("code", "#| export\nfrom mylib.core import *\n\ndef twice(x):\n    return add(x, x)", []),
    ("code", "assert twice(2) == 4", ["test"]),
]


@pytest.fixture
def nbs(jp_root_dir: Path) -> Path:
    put_notebook(jp_root_dir, "nbs/00_core.ipynb", CORE)
    put_notebook(jp_root_dir, "nbs/01_b.ipynb", B)
    return jp_root_dir


async def test_a_listed_set_previews_one_package_naming_each_notebook_s_cells(
    jp_fetch: Any, nbs: Path
) -> None:
    """Before: 'notebooks' was an unknown field (400); only one notebook made a package, and
    01_b's import of mylib.core was refused as missing-module. The unsaved content is 01_b's,
    the notebook 'path' names, whatever its place in the set."""
    unsaved = make_notebook([*B, ("code", "#| export\ndef thrice(x):\n    return 3 * x", [])])
    report = await post(
        jp_fetch,
        path="nbs/01_b.ipynb",
        notebooks=["nbs/00_core.ipynb", "nbs/01_b.ipynb"],
        content=unsaved,
        name="mylib",
        output="pkgs/mylib",
    )
    assert report["problems"] == []
    assert (report["notebook"], report["output"]) == ("nbs/00_core.ipynb", "pkgs/mylib")
    files = {f["path"]: f["content"] for f in report["files"]}
    assert "from .core import *" in files["src/mylib/b.py"]
    assert "def thrice(x):" in files["src/mylib/b.py"]
    cells = [(c["notebook"], c["cell"], c["role"]) for c in report["cells"]]
    assert cells == [
        ("00_core.ipynb", 2, "export"),
        ("00_core.ipynb", 3, "test"),
        ("01_b.ipynb", 1, "export"),
        ("01_b.ipynb", 2, "test"),
        ("01_b.ipynb", 3, "export"),
    ]
    assert [n["notebook"] for n in report["notebooks"]] == ["nbs/00_core.ipynb", "nbs/01_b.ipynb"]
    assert report["notebooks"][1]["data"]["notebook_path"] == "nbs/01_b.ipynb"
    assert not (nbs / "pkgs").exists()


async def test_a_folder_as_path_is_its_notebooks_and_a_write_records_each_version(
    jp_fetch: Any, nbs: Path
) -> None:
    """Before: a folder was refused as no notebook (400)."""
    put_notebook(nbs, "nbs/_scratch.ipynb", [("code", "#| export\nx = 1", [])])
    report = await post(jp_fetch, path="nbs", name="mylib", dry_run=False, test=True)
    assert (report["written"], report["output"]) == (True, "nbs/mylib")
    assert [t["notebook"] for t in report["tests"]["tests"]] == ["00_core.ipynb", "01_b.ipynb"]
    assert {t["outcome"] for t in report["tests"]["tests"]} == {"passed"}
    manifest = json.loads((nbs / "nbs/mylib/.nbtools-extract.json").read_text())
    assert [m["notebook"] for m in manifest["notebooks"]] == ["00_core.ipynb", "01_b.ipynb"]
    versions = report["lineage"]["notebook_versions"]
    assert [v["path"] for v in versions] == ["nbs/00_core.ipynb", "nbs/01_b.ipynb"]
    # the set's package is found again without an output, and is up to date
    check = await post(
        jp_fetch, path="nbs/00_core.ipynb", notebooks=["nbs/00_core.ipynb", "nbs/01_b.ipynb"],
        check=True,
    )  # fmt: skip
    assert (check["output"], check["ok"], check["stale"]) == ("nbs/mylib", True, False)


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"notebooks": ["nbs/00_core.ipynb", "nbs/./00_core.ipynb"]}, "notebooks", "twice"),
        ({"notebooks": ["nbs", "nbs/01_b.ipynb"]}, "notebooks", "twice"),
        ({"notebooks": ["nbs/00_core.ipynb", "../elsewhere.ipynb"]}, "notebooks", "root"),
        ({"notebooks": ["nbs/00_core.ipynb", "nbs/notes.txt"]}, "notebooks", "notes.txt"),
        ({"notebooks": ["nbs/00_core.ipynb", "nbs/gone.ipynb"]}, "notebooks", "gone.ipynb"),
        ({"notebooks": ["nbs/00_core.ipynb", "empty"]}, "notebooks", "holds no notebook"),
        ({"notebooks": ["nbs/00_core.ipynb", 3]}, "notebooks", "path"),
        ({"notebooks": []}, "notebooks", "empty"),
        ({"notebooks": "nbs"}, "notebooks", "array"),
        ({"notebooks": ["nbs/01_b.ipynb"]}, "path", "not one of"),
        ({"path": "empty", "notebooks": None}, "path", "holds no notebook"),
        ({"path": "nbs", "content": make_notebook(B), "notebooks": None}, "content", "folder"),
    ],
)
async def test_a_bad_set_is_a_400_naming_the_field_and_writes_nothing(
    jp_fetch: Any, nbs: Path, body: dict[str, Any], field: str, says: str
) -> None:
    (nbs / "nbs/notes.txt").write_text("not a notebook")
    (nbs / "empty").mkdir()
    request = {"path": "nbs/00_core.ipynb", "name": "mylib", "dry_run": False, **body}
    code, reply = await error(jp_fetch, **{k: v for k, v in request.items() if v is not None})
    assert (code, reply["details"].get("field")) == (400, field), reply
    assert says in reply["message"]
    assert str(nbs) not in reply["message"]  # paths from the root, as every reply names them
    assert not (nbs / "nbs/mylib").exists()


async def test_one_notebook_of_a_set_is_told_its_set_and_the_notebooks_beside_it(
    jp_fetch: Any, nbs: Path
) -> None:
    """What the wizard needs to extract the set rather than the one notebook, or to add the
    notebooks of its folder to a new package. Before: no such fields."""
    put_notebook(nbs, "nbs/_scratch.ipynb", [("code", "x = 1", [])])
    put_notebook(nbs, "nbs/sub/02_c.ipynb", [("code", "x = 1", [])])
    alone = await post(jp_fetch, path="nbs/01_b.ipynb")
    assert alone["set_package"] is None
    assert alone["folder_notebooks"] == ["nbs/00_core.ipynb", "nbs/01_b.ipynb"]  # not sub/'s
    await post(
        jp_fetch, path="nbs/00_core.ipynb", notebooks=["nbs/00_core.ipynb", "nbs/01_b.ipynb"],
        name="mylib", output="pkgs/mylib", dry_run=False,
    )  # fmt: skip
    alone = await post(jp_fetch, path="nbs/01_b.ipynb")
    assert alone["output"] != "pkgs/mylib"  # one notebook alone never replaces its set's package
    assert alone["set_package"] == {
        "output": "pkgs/mylib",
        "package": "mylib",
        "notebooks": ["nbs/00_core.ipynb", "nbs/01_b.ipynb"],
    }
    whole = await post(jp_fetch, path="nbs/01_b.ipynb", notebooks=alone["set_package"]["notebooks"])
    assert (whole["output"], whole["stale"], whole["set_package"]) == ("pkgs/mylib", False, None)


async def test_two_notebooks_of_one_file_name_are_told_apart_by_their_paths(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """Each problem, cell and test of a set names its notebook for people (``a/core.ipynb``,
    from the folder the set shares) and by its path from the root for the wizard, which marks
    the open notebook's own problems by it. Before: the name only, which the wizard took for
    a file name: b/core.ipynb's problems were marked on no notebook, or on the other."""
    put_notebook(jp_root_dir, "nbs/a/core.ipynb", CORE)
    broken = [*B[:1], ("code", "#| export\ndef twice(x):\n    return add_up(x, x)", []), *B[2:]]
    put_notebook(jp_root_dir, "nbs/b/core.ipynb", broken)
    body = {"path": "nbs/a/core.ipynb", "notebooks": ["nbs"], "name": "mylib", "output": "pkg"}
    preview = await post(jp_fetch, **body)
    problems = [(p["notebook"], p["notebook_path"], p["cell"]) for p in preview["problems"]]
    assert problems == [("b/core.ipynb", "nbs/b/core.ipynb", 1)]
    assert {(c["notebook"], c["notebook_path"]) for c in preview["cells"]} == {
        ("a/core.ipynb", "nbs/a/core.ipynb"),
        ("b/core.ipynb", "nbs/b/core.ipynb"),
    }
    code, refused = await error(jp_fetch, **body, dry_run=False)  # the wizard marks these too
    assert code == 400
    assert [p["notebook_path"] for p in refused["details"]["problems"]] == ["nbs/b/core.ipynb"]
    put_notebook(jp_root_dir, "nbs/b/core.ipynb", B)
    written = await post(jp_fetch, **body, dry_run=False, test=True)
    tests = [(t["notebook_path"], t["outcome"]) for t in written["tests"]["tests"]]
    assert tests == [("nbs/a/core.ipynb", "passed"), ("nbs/b/core.ipynb", "passed")]


async def test_an_output_that_is_the_set_s_package_names_it_as_the_one_found(
    jp_fetch: Any, nbs: Path
) -> None:
    """One notebook of a set given its set's package as ``output`` is told that set, as
    without an output, so the wizard extracts the set there rather than asking to replace
    it with the one notebook. Before: ``set_package`` was null with an output. Another set's
    package, or one notebook's, is not its set's: a write there stays refused (409)."""
    put_notebook(nbs, "other/x.ipynb", [("code", "#| export\ndef x():\n    return 1", [])])
    put_notebook(nbs, "other/y.ipynb", [("code", "#| export\ndef y():\n    return 2", [])])
    await post(jp_fetch, path="nbs", name="mylib", output="pkgs/mylib", dry_run=False)
    await post(jp_fetch, path="other", name="xy", output="pkgs/xy", dry_run=False)
    await post(jp_fetch, path="other/x.ipynb", output="pkgs/x", dry_run=False)
    alone = await post(jp_fetch, path="nbs/01_b.ipynb", output="pkgs/mylib")
    assert alone["set_package"] == {
        "output": "pkgs/mylib",
        "package": "mylib",
        "notebooks": ["nbs/00_core.ipynb", "nbs/01_b.ipynb"],
    }
    whole = await post(jp_fetch, path="nbs/01_b.ipynb", notebooks=["nbs"], output="pkgs/mylib")
    assert (whole["stale"], whole["set_package"]) == (False, None)
    for output in ("pkgs/xy", "pkgs/x", "pkgs/new"):
        assert (await post(jp_fetch, path="nbs/01_b.ipynb", output=output))["set_package"] is None
    code, refused = await error(jp_fetch, path="nbs/01_b.ipynb", output="pkgs/xy", dry_run=False)
    assert (code, refused["details"]["kind"]) == (409, "another-notebook")
