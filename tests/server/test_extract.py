"""``POST /nbtools/api/extract`` on a real Jupyter server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from nbtools.export.model import MANIFEST
from tests import held
from tests.conftest import make_notebook, unwritable

CELLS = [
    ("markdown", "# Demo\n\n> Doubles numbers.", []),
    ("code", "n = 2", ["parameters"]),
    ("code", "def double(x):\n    return 2 * x", ["export"]),
    ("code", "record('value', double(n))", ["main"]),
    ("code", "assert double(2) == 4", ["test"]),
]


def put_notebook(root: Path, name: str, cells: list[tuple[str, str, list[str]]]) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(json.dumps(make_notebook(cells)))


async def post(jp_fetch: Any, **body: Any) -> dict[str, Any]:
    response = await jp_fetch("nbtools", "api", "extract", method="POST", body=json.dumps(body))
    assert response.code == 200
    result: dict[str, Any] = json.loads(response.body)
    return result


async def error(jp_fetch: Any, **body: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbtools", "api", "extract", method="POST", body=json.dumps(body))
    assert info.value.response is not None
    return info.value.code, json.loads(info.value.response.body)


async def test_preview_returns_files_with_contents_and_writes_nothing(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    put_notebook(jp_root_dir, "work/demo.ipynb", CELLS)
    report = await post(jp_fetch, path="work/demo.ipynb")
    assert report["mode"] == "preview"
    assert report["written"] is False
    assert (report["output"], report["notebook"]) == ("work/demo", "work/demo.ipynb")
    files = {f["path"]: f for f in report["files"]}
    assert files["src/demo/core.py"]["status"] == "new"
    assert "def double(x):" in files["src/demo/core.py"]["content"]
    assert [c["role"] for c in report["cells"]] == ["export", "main", "test"]
    assert report["parameters"][0]["name"] == "n"
    assert not (jp_root_dir / "work/demo").exists()


async def test_write_and_test_reports_each_test_with_its_cell(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    report = await post(jp_fetch, path="demo.ipynb", output="pkgs/demo", dry_run=False, test=True)
    assert report["written"] is True
    assert (jp_root_dir / "pkgs/demo/src/demo/pipeline.py").is_file()
    (test,) = report["tests"]["tests"]
    assert (test["name"], test["outcome"], test["cell"]) == ("test_cell_5", "passed", 4)
    check = await post(jp_fetch, path="demo.ipynb", output="pkgs/demo", check=True)
    assert (check["ok"], check["stale"]) == (True, False)


async def test_a_package_keeps_its_version_unless_one_is_sent(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """The wizard sends no version when its field is empty: a check said a package written
    with version 1.2.0 was stale, and a write set it back to 0.1.0."""
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    await post(jp_fetch, path="demo.ipynb", output="demo", version="1.2.0", dry_run=False)
    check = await post(jp_fetch, path="demo.ipynb", output="demo", check=True)
    assert (check["ok"], check["stale"]) == (True, False)
    await post(jp_fetch, path="demo.ipynb", output="demo", version="", dry_run=False)
    assert 'version = "1.2.0"' in (jp_root_dir / "demo/pyproject.toml").read_text()
    code, body = await error(jp_fetch, path="demo.ipynb", output="new", version="1.x")
    assert (code, body["details"]["field"]) == (400, "version")


async def test_unsaved_content_is_previewed(jp_fetch: Any, jp_root_dir: Path) -> None:
    content = make_notebook([("code", "def f():\n    return missing", ["export"])])
    report = await post(jp_fetch, path="new.ipynb", content=content)
    (problem,) = report["problems"]
    assert (problem["cell"], problem["line"], problem["code"]) == (0, 2, "undefined-name")


@pytest.mark.parametrize("line", [1, None, ["x"], {"a": 1}, True])
@pytest.mark.parametrize("cell_id", ["cell-1", "", None])
async def test_a_source_line_that_is_not_text_names_content_and_the_cell(
    jp_fetch: Any, jp_root_dir: Path, line: Any, cell_id: str | None
) -> None:
    """It was a 400 naming no field, its cell as '' (a blank id, or none in nbformat 4.4)."""
    content = make_notebook([("code", "n = 2", ["parameters"]), ("code", "x = 1", ["export"])])
    content["cells"][1]["source"] = ["def f():\n", "    return 1\n", line]
    if cell_id is None:
        del content["cells"][1]["id"]
    else:
        content["cells"][1]["id"] = cell_id
    for dry_run in (True, False):
        code, body = await error(jp_fetch, path="new.ipynb", content=content, dry_run=dry_run)
        assert (code, body["error"]) == (400, "NotebookError")
        assert (body["details"]["field"], body["details"]["cell"]) == ("content", 1)
        assert body["message"].startswith(
            "'content': cell 2 has a source line that is not text (line 3 of its list): the "
            "notebook is damaged."
        )
    assert not (jp_root_dir / "new").exists()


@pytest.mark.parametrize("dry_run", [True, False])
async def test_names_too_long_for_the_file_system_are_400_naming_the_field_and_the_cell(
    jp_fetch: Any, jp_root_dir: Path, dry_run: bool
) -> None:
    """A module, a package or an output whose name no file system takes: a 500 (OSError, File
    name too long), even in a preview, where now the module is refused at its cell."""
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    long_module = make_notebook([("code", "#| export " + "m" * 300 + "\nx = 1", [])])
    code, body = await error(jp_fetch, path="new.ipynb", content=long_module, dry_run=dry_run)
    assert (code, body["details"]["field"]) == (400, "content")
    assert body["message"].startswith(
        "The notebook has no cell that can be exported:\nerror: cell 1: The cell cannot be "
        f"exported: the module '{'m' * 60}…' is too long for its file's name: its name has 300 "
        "bytes (UTF-8), where a module's file name may have 200."
    )
    metadata = make_notebook([("code", "x = 1", ["export"])])
    metadata["metadata"]["nbdev"] = {"default_exp": "m" * 300}
    code, body = await error(jp_fetch, path="new.ipynb", content=metadata, dry_run=dry_run)
    assert (code, body["details"]["field"]) == (400, "content")
    assert "nbdev's default_exp" in body["message"]
    code, body = await error(jp_fetch, path="demo.ipynb", name="p" * 201, dry_run=dry_run)
    assert (code, body["details"]["field"]) == (400, "name")
    for output in ("o" * 300, "new/" + "o" * 300, "new/" + "/".join(["o" * 200] * 21)):
        # a name too long in a folder not made yet: a preview went on, a write made new/ and
        # answered 500 (File name too long)
        code, body = await error(jp_fetch, path="demo.ipynb", output=output, dry_run=dry_run)
        assert (code, body["details"]["field"]) == (400, "output")
        assert "too long for the file system" in body["message"]
    assert sorted(path.name for path in jp_root_dir.iterdir()) == [".nbtools", "demo.ipynb"]


async def test_code_nested_too_deeply_for_python_s_parser_is_a_problem_at_its_cell(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """A chain of unary operators overflows Python's parser: its MemoryError was a 500."""
    deep = "-" * 100_000 + "1"
    content = make_notebook(
        [("code", f"n = {deep}", ["parameters"]), ("code", f"#| export\nx = {deep}", [])]
    )
    report = await post(jp_fetch, path="new.ipynb", content=content)
    found = sorted((p["cell"], p["line"], p["code"]) for p in report["problems"])
    assert found == [(0, 1, "too-deep"), (1, 2, "too-deep")]
    code, body = await error(jp_fetch, path="new.ipynb", content=content, dry_run=False)
    assert (code, body["error"], body["details"]["field"]) == (400, "CheckFailedError", "content")
    assert not (jp_root_dir / "new").exists()


async def test_a_problem_names_its_cell_0_based_and_its_line_1_based_in_the_cell(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    # The editor marks the line the problem names (problemLines.ts): the line is
    # counted in the cell as the user sees it, directive lines included.
    content = make_notebook(
        [
            ("code", "x = 1", []),
            ("code", "def total(x):\n    return x +\nrate = 2", ["export"]),
            ("code", "#| export\ndef f():\n    return x +", []),
        ]
    )
    report = await post(jp_fetch, path="new.ipynb", content=content)
    found = sorted((p["cell"], p["line"], p["code"]) for p in report["problems"])
    assert found == [(1, 2, "syntax-error"), (2, 3, "syntax-error")]
    assert {p["cell_id"] for p in report["problems"]} == {c["id"] for c in content["cells"][1:]}


async def test_write_with_problems_is_refused_with_the_problems(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    put_notebook(jp_root_dir, "bad.ipynb", [("code", "y = x + 1", ["main"])])
    code, body = await error(jp_fetch, path="bad.ipynb", dry_run=False)
    assert code == 400
    assert body["error"] == "CheckFailedError"
    assert body["details"]["problems"][0]["cell"] == 0
    assert not (jp_root_dir / "bad").exists()


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "'path'"),
        ({"path": "../outside.ipynb"}, 400, ".."),
        ({"path": "demo.ipynb", "output": "/abs"}, 400, "Absolute paths"),
        ({"path": "missing.ipynb"}, 404, "not found"),
        ({"path": "demo.ipynb", "name": "Bad-Name"}, 400, "Try 'bad_name'"),
        ({"path": "demo.ipynb", "test": "yes"}, 400, "'test' must be true or false"),
        ({"path": "untagged.ipynb"}, 400, "no exported cells"),
        ({"path": "broken.ipynb"}, 400, "not valid JSON"),
    ],
)
async def test_bad_requests_are_4xx_with_a_message(
    jp_fetch: Any, jp_root_dir: Path, body: dict[str, Any], status: int, message: str
) -> None:
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    put_notebook(jp_root_dir, "untagged.ipynb", [("code", "x = 1", [])])
    (jp_root_dir / "broken.ipynb").write_text('{"cells": [')
    code, error_body = await error(jp_fetch, **body)
    assert code == status
    assert message in error_body["message"]


@pytest.mark.parametrize("dry_run", [True, False])
async def test_an_output_that_is_a_file_is_a_400_naming_the_field(
    jp_fetch: Any, jp_root_dir: Path, dry_run: bool
) -> None:
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    (jp_root_dir / "demo").write_text("mine")
    code, body = await error(jp_fetch, path="demo.ipynb", dry_run=dry_run)
    assert (code, body["details"]["field"]) == (400, "output")
    assert "is not a directory" in body["message"]
    assert (jp_root_dir / "demo").read_text() == "mine"


@pytest.mark.parametrize("dry_run", [True, False])
async def test_a_file_in_the_way_of_a_folder_of_the_package_is_a_400_naming_output(
    jp_fetch: Any, jp_root_dir: Path, dry_run: bool
) -> None:
    """A file ``demo/tests`` where the package's tests folder goes: a preview answered 500."""
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    (jp_root_dir / "demo").mkdir()
    (jp_root_dir / "demo/tests").write_text("mine")
    code, body = await error(jp_fetch, path="demo.ipynb", dry_run=dry_run, force=True)
    assert (code, body["details"]["field"]) == (400, "output")
    assert "demo/tests is a file where the package's folder tests/ goes" in body["message"]
    assert [p.name for p in (jp_root_dir / "demo").iterdir()] == ["tests"]


async def test_an_output_that_cannot_be_written_is_a_400_naming_output(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """A read-only folder: the write answered 500 (PermissionError)."""
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    (jp_root_dir / "rodir").mkdir()
    with unwritable(jp_root_dir / "rodir"):
        code, body = await error(jp_fetch, path="demo.ipynb", output="rodir/pkg", dry_run=False)
    assert (code, body["details"]["field"]) == (400, "output")
    assert "may not write in" in body["message"]
    assert list((jp_root_dir / "rodir").iterdir()) == []


async def test_foreign_files_conflict_with_409(jp_fetch: Any, jp_root_dir: Path) -> None:
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    (jp_root_dir / "demo").mkdir()
    (jp_root_dir / "demo" / "mine.txt").write_text("keep")
    code, body = await error(jp_fetch, path="demo.ipynb", dry_run=False)
    assert code == 409
    assert (body["details"]["files"], body["details"]["kind"]) == (["mine.txt"], "foreign-files")
    assert (jp_root_dir / "demo" / "mine.txt").read_text() == "keep"


async def test_a_conflict_in_the_root_names_it_from_the_root_without_the_store(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """An output of "." is the Jupyter root: the refusal names it "." as the reply's
    ``output`` would (never the server's own path), and nbtools' store there is no file in
    the package's way."""
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    (jp_root_dir / "mine.txt").write_text("keep")
    code, body = await error(jp_fetch, path="demo.ipynb", output=".", dry_run=False)
    assert code == 409
    assert (jp_root_dir / ".nbtools").is_dir()  # the server's store
    assert body["details"]["files"] == ["demo.ipynb", "mine.txt"]
    assert body["details"]["path"] == "."
    assert body["message"].startswith(
        ". already holds files nbtools did not generate (demo.ipynb, mine.txt). "
    )
    assert str(jp_root_dir) not in json.dumps(body)


async def test_a_generated_file_edited_by_hand_conflicts_with_409_and_force_keeps_it(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    await post(jp_fetch, path="demo.ipynb", dry_run=False)
    core = jp_root_dir / "demo/src/demo/core.py"
    core.write_text(core.read_text() + "\n# my fix\n")
    code, body = await error(jp_fetch, path="demo.ipynb", dry_run=False)
    assert code == 409
    assert body["details"]["kind"] == "edited-files"
    assert body["details"]["files"] == ["src/demo/core.py"]
    assert "# my fix" in core.read_text()  # nothing written
    forced = await post(jp_fetch, path="demo.ipynb", dry_run=False, force=True)
    assert forced["written"] is True
    assert "# my fix" not in core.read_text()
    assert "# my fix" in (core.parent / "core.py.orig").read_text()


async def test_refusals_name_the_fields_this_api_takes_not_the_command_line_s(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """A 409 said "pass --force", a test of a preview "write it first (mode 'write')":
    neither is something a REST client or JupyterLab sends (they send force: true, and
    dry_run: false). Both notebooks are named by their paths, not their file names."""
    put_notebook(jp_root_dir, "notebooks/forecast.ipynb", CELLS)
    put_notebook(jp_root_dir, "nbs/forecast.ipynb", CELLS)
    await post(jp_fetch, path="nbs/forecast.ipynb", output="nbs/sales_report", dry_run=False)
    code, body = await error(
        jp_fetch, path="notebooks/forecast.ipynb", output="nbs/sales_report", dry_run=False
    )
    assert (code, body["details"]["override"], body["details"]["field"]) == (409, "force", "output")
    assert body["message"] == (
        "nbs/sales_report holds the package of another notebook, nbs/forecast.ipynb. Choose "
        "another output directory, or force the write to replace that package with "
        "notebooks/forecast.ipynb's."
    )
    code, body = await error(jp_fetch, path="notebooks/forecast.ipynb", test=True)
    assert (code, body["details"]["field"]) == (400, "test")
    assert body["message"] == (
        "Tests run on a written package: write the package (not a preview) or check the one "
        "written before."
    )


async def test_a_parameter_named_help_is_a_problem_at_its_line(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    cells = [("code", "help = 1", ["parameters"]), ("code", "print(help)", ["main"])]
    put_notebook(jp_root_dir, "pp.ipynb", cells)
    preview = await post(jp_fetch, path="pp.ipynb")
    (problem,) = preview["problems"]
    assert (problem["cell"], problem["line"], problem["code"]) == (0, 1, "reserved-name")
    code, body = await error(jp_fetch, path="pp.ipynb", dry_run=False)
    assert (code, body["error"]) == (400, "CheckFailedError")
    assert "option --help is the command's own" in body["details"]["problems"][0]["message"]


async def test_modules_taking_names_from_each_other_are_a_problem(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    cells = [
        ("code", "def f():\n    return g()", ["export:a"]),
        ("code", "def g():\n    return f", ["export:b"]),
    ]
    put_notebook(jp_root_dir, "circ.ipynb", cells)
    (problem,) = (await post(jp_fetch, path="circ.ipynb"))["problems"]
    assert (problem["cell"], problem["line"], problem["code"]) == (1, 2, "import-cycle")
    code, body = await error(jp_fetch, path="circ.ipynb", dry_run=False)
    assert (code, body["error"]) == (400, "CheckFailedError")
    assert not (jp_root_dir / "circ").exists()


async def test_a_notebook_name_with_no_ascii_form_asks_for_the_name_field(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    put_notebook(jp_root_dir, "nbs/Анализ.ipynb", CELLS)
    code, body = await error(jp_fetch, path="nbs/Анализ.ipynb")
    assert (code, body["details"]["field"]) == (400, "name")
    assert "'Анализ': its letters А н а л и з have no ASCII" in body["message"]  # noqa: RUF001
    named = await post(jp_fetch, path="nbs/Анализ.ipynb", name="analiz")
    assert (named["package"], named["output"]) == ("analiz", "nbs/analiz")
    put_notebook(jp_root_dir, "nbs/Évaluation.ipynb", CELLS)
    accented = await post(jp_fetch, path="nbs/Évaluation.ipynb")
    assert (accented["package"], accented["output"]) == ("evaluation", "nbs/evaluation")


async def test_a_package_never_hides_a_library_its_notebook_imports(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    cells = [("code", "import click\n\ndef f():\n    return click.style('x')", ["export"])]
    put_notebook(jp_root_dir, "click.ipynb", cells)
    report = await post(jp_fetch, path="click.ipynb")
    assert (report["package"], report["output"]) == ("click_pkg", "click_pkg")
    assert "click" in report["dependencies"]
    code, body = await error(jp_fetch, path="click.ipynb", name="click")
    assert (code, body["details"]["field"], body["details"]["suggestion"]) == (
        400,
        "name",
        "click_pkg",
    )


async def test_a_parameter_default_json_cannot_write_is_previewed_as_computed(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """``pairs = {(1, 2): 0.5}`` answered 500 ("keys must be str, int, …")."""
    put_notebook(
        jp_root_dir,
        "pairs.ipynb",
        [("code", "pairs = {(1, 2): 0.5}", ["parameters"]), ("code", "x = pairs", ["main"])],
    )
    reply = await post(jp_fetch, path="pairs.ipynb")
    (parameter,) = reply["parameters"]
    assert (parameter["type"], parameter["default"]) == ("str", None)
    assert parameter["computed"] == "{(1, 2): 0.5}"


async def test_an_empty_content_is_a_400_naming_content(jp_fetch: Any, jp_root_dir: Path) -> None:
    """``"content": {}`` was ignored: the file at ``path`` was previewed instead (200)."""
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    code, body = await error(jp_fetch, path="demo.ipynb", content={})
    assert (code, body["details"]["field"]) == (400, "content")
    assert "not a notebook" in body["message"]


async def test_a_preview_of_a_half_written_package_says_so_in_a_check_s_words(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """An extraction killed (SIGKILL) before its manifest took its place left the package
    half-written: the preview compared its files with it and said nothing of it."""
    put_notebook(jp_root_dir, "demo.ipynb", CELLS)
    extract = ["extract", "demo.ipynb", "-o", "pkgs/demo", "--lineage", "off"]
    killed = held.run(jp_root_dir, *extract, stop=held.Stop("os.rename", f".{MANIFEST}."))
    assert killed.returncode == held.KILLED, killed.stderr
    checked = held.run(jp_root_dir, *extract, "--check")
    assert checked.returncode == 1
    said = " ".join(checked.stderr.split()).removeprefix("Error: ")
    report = await post(jp_fetch, path="demo.ipynb", output="pkgs/demo")
    assert report["half_written"] == said.replace(f"{jp_root_dir}/", "")
    assert report["half_written"].startswith("The package in pkgs/demo is half-written: ")
    code, body = await error(jp_fetch, path="demo.ipynb", output="pkgs/demo", check=True)
    assert (code, body["message"]) == (400, report["half_written"])
    written = await post(jp_fetch, path="demo.ipynb", output="pkgs/demo", dry_run=False)
    assert written["written"] is True
    settled = await post(jp_fetch, path="demo.ipynb", output="pkgs/demo")
    assert settled["half_written"] is None
