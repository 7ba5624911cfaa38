"""``nbtools env export --json``: what was exported, where, and what could not be locked."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from tests.index_mirror import serving_mirror, with_login

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib


def export(root: Path, *args: str) -> Result:
    quiet_pip = {"PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": None}
    runner = CliRunner(env={**quiet_pip, "NBTOOLS_ENV_INDEX_URL": None})
    return runner.invoke(cli, ["--root", str(root), "env", "export", *args, "--json"])


def answer(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_without_o_the_json_holds_the_file_and_with_o_its_path(tmp_path: Path) -> None:
    pins = tmp_path / "pins.txt"
    pins.write_text("six==1.16.0\nalpha==2.0\n", encoding="utf-8")
    printed = answer(export(tmp_path, str(pins)))
    assert (printed["format"], printed["path"], printed["distribution_count"]) == (
        "requirements",
        None,
        2,
    )
    assert (printed["unlocked"], printed["index"]) == ([], None)
    assert "alpha==2.0\nsix==1.16.0\n" in printed["content"]
    assert len(printed["snapshot"]) == 64  # the full id, as the REST API's export names it

    output = tmp_path / "out" / "requirements.txt"
    output.parent.mkdir()
    written = answer(export(tmp_path, str(pins), "-o", str(output)))
    assert (written["path"], written["content"]) == (str(output), None)
    assert output.read_text(encoding="utf-8") == printed["content"]
    assert {k: v for k, v in written.items() if k not in ("path", "content")} == {
        k: v for k, v in printed.items() if k not in ("path", "content")
    }


def test_a_lock_file_s_json_names_its_index_and_what_it_could_not_lock(tmp_path: Path) -> None:
    pins = tmp_path / "pins.txt"
    pins.write_text("six==1.17.0\nsix-extra==1.0\n", encoding="utf-8")
    lock = tmp_path / "pylock.toml"
    with serving_mirror() as mirror:
        index = with_login(mirror, "/simple")
        exported = answer(export(tmp_path, str(pins), "-o", str(lock), "--index-url", index))
    assert (exported["format"], exported["path"], exported["distribution_count"]) == (
        "pylock",
        str(lock),
        2,
    )
    assert exported["index"] == f"{mirror.base}/simple"  # without its login
    assert [(item["name"], item["version"]) for item in exported["unlocked"]] == [
        ("six-extra", "1.0")
    ]
    assert [p["name"] for p in tomllib.loads(lock.read_text(encoding="utf-8"))["packages"]] == [
        "six"
    ]


def test_a_refused_export_is_a_json_error(tmp_path: Path) -> None:
    pins = tmp_path / "pins.txt"
    pins.write_text("six==1.16.0\n", encoding="utf-8")
    mine = tmp_path / "requirements.txt"
    mine.write_text("six\n", encoding="utf-8")  # written by hand
    for args, error, field in [
        (("ffff",), "NotFoundError", "snapshot"),
        ((str(pins), "-o", str(tmp_path / ".nbtools" / "r.txt")), "InvalidInputError", "path"),
        ((str(pins), "-o", str(mine)), "ConflictError", "path"),  # overridden by force
        ((str(pins), "--format", "conda"), "BadParameter", "format"),
    ]:
        result = export(tmp_path, *args)
        assert result.exit_code == 2, result.output
        error_answer = json.loads(result.stdout)
        assert (error_answer["error"], error_answer["details"].get("field")) == (error, field)
        assert error_answer["message"] in result.stderr
        if error == "ConflictError":
            assert error_answer["details"]["override"] == "force"
    assert mine.read_text(encoding="utf-8") == "six\n"
