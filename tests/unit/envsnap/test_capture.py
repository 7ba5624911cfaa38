"""The capture script, run in a real interpreter over hand-made site directories."""

from __future__ import annotations

import ast
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtools.envsnap import kernel_capture
from nbtools.envsnap.capture import REDACTED, _quote, allowed_environment, safe_value
from nbtools.envsnap.kernel_capture import (
    BOOTSTRAP,
    CAPTURE_SCRIPT,
    OLDEST_PYTHON,
    CaptureError,
    RunningCapture,
    capture_interpreter,
)
from nbtools.project import Project
from tests import held
from tests.envsnap_support import EnvKernel, edit_in_place, write_dist


def run_capture(site: Path, cache: Path | None = None, **env: str) -> dict[str, Any]:
    environ = {"PATH": os.environ["PATH"], "PYTHONPATH": str(site), **env}
    return capture_interpreter([sys.executable], environ, cache)


def by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {record["name"]: record for record in document["distributions"]}


def test_reads_name_version_installer_origin_and_import_names(tmp_path: Path) -> None:
    write_dist(tmp_path, "alpha-pkg", "1.2.0", top_level=["alpha"])
    write_dist(
        tmp_path,
        "beta",
        "0.1",
        direct_url={"url": "file:///src/beta", "dir_info": {"editable": True}},
        record=[
            "beta/__init__.py,,",
            "beta_ext.cpython-311-x86_64-linux-gnu.so,,",
            "solo.py,,",
            "beta-0.1.dist-info/METADATA,,",
            "../../bin/beta,,",
        ],
    )
    document = run_capture(tmp_path)
    found = by_name(document)
    assert found["alpha-pkg"]["version"] == "1.2.0"
    assert found["alpha-pkg"]["installer"] == "pip"
    assert found["alpha-pkg"]["top_level"] == ["alpha"]
    assert found["alpha-pkg"]["wheel_tags"] == ["py3-none-any"]
    assert found["beta"]["direct_url"]["dir_info"] == {"editable": True}
    assert found["beta"]["top_level"] == ["beta", "beta_ext", "solo"]
    assert document["python"]["version"] == sys.version.split()[0]
    assert document["python"]["executable"]
    assert document["platform"]["system"] == sys.platform
    assert str(tmp_path) in document["paths"]


def test_broken_metadata_is_recorded_and_capture_continues(tmp_path: Path) -> None:
    write_dist(tmp_path, "good", "1.0")
    (write_dist(tmp_path, "nometa", "2.0") / "METADATA").unlink()
    write_dist(tmp_path, "noversion", "3.0", metadata="Metadata-Version: 2.1\nName: noversion\n")
    write_dist(tmp_path, "binary", "4.0", metadata=b"Name: bin\xff\xfe\nVersion: 4.0\n")
    (tmp_path / "empty-9.dist-info").mkdir()
    found = by_name(run_capture(tmp_path))
    assert found["good"]["version"] == "1.0"
    assert "broken" not in found["good"]
    assert found["nometa"] == {**found["nometa"], "version": "2.0", "broken": "METADATA is missing"}
    assert found["noversion"]["broken"] == "METADATA has no Version field"
    assert "unreadable" in found["binary"]["broken"]
    assert found["empty"]["broken"] == "METADATA is missing"


def test_the_first_distribution_of_a_name_on_the_path_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_dist(first, "dup", "2.0")
    write_dist(second, "Dup", "1.0")
    environ = {"PYTHONPATH": os.pathsep.join([str(first), str(second)])}
    records = [
        r
        for r in capture_interpreter([sys.executable], environ)["distributions"]
        if r["name"].lower() == "dup"
    ]
    assert [r["version"] for r in records] == ["2.0"]


def test_cache_is_used_until_site_packages_change(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    write_dist(site, "one", "1.0")
    cold = run_capture(site, cache)
    warm = run_capture(site, cache)
    assert (cold["cached"], warm["cached"]) == (False, True)
    assert warm["distributions"] == cold["distributions"]

    write_dist(site, "two", "2.0")
    after_install = run_capture(site, cache)
    assert after_install["cached"] is False
    assert "two" in by_name(after_install)

    # An upgrade in place: pip replaces the dist-info directory.
    old = site / "one-1.0.dist-info"
    for child in old.iterdir():
        child.unlink()
    old.rmdir()
    write_dist(site, "one", "1.1")
    after_upgrade = run_capture(site, cache)
    assert by_name(after_upgrade)["one"]["version"] == "1.1"
    assert run_capture(site, cache)["cached"] is True

    for child in (two := site / "two-2.0.dist-info").iterdir():  # uninstalled
        child.unlink()
    two.rmdir()
    after_removal = run_capture(site, cache)
    assert after_removal["cached"] is False
    assert "two" not in by_name(after_removal)
    assert run_capture(site, cache)["distributions"] == after_removal["distributions"]


def test_metadata_edited_in_place_within_the_same_second_is_seen(tmp_path: Path) -> None:
    """The cache key holds each METADATA file's own stat (inode, size, modification and
    change times), not only its folder's: editing a file in place changes no folder."""
    site, cache = tmp_path / "site", tmp_path / "cache"
    folder = write_dist(site, "edited", "1.0")
    assert by_name(run_capture(site, cache))["edited"]["version"] == "1.0"
    assert run_capture(site, cache)["cached"] is True
    folder_mtime = folder.stat().st_mtime_ns

    edit_in_place(folder / "METADATA", b"Version: 1.0", b"Version: 1.1")
    assert folder.stat().st_mtime_ns == folder_mtime
    edited = run_capture(site, cache)
    assert (edited["cached"], by_name(edited)["edited"]["version"]) == (False, "1.1")
    assert run_capture(site, cache)["cached"] is True


def code_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("capture-*.code"))


def test_the_compiled_script_is_kept_and_a_damaged_copy_is_replaced(tmp_path: Path) -> None:
    """The first capture into a cache compiles the script and keeps its code; the next loads
    it (same document); unreadable code is compiled again and rewritten."""
    site, cache = tmp_path / "site", tmp_path / "cache"
    write_dist(site, "one", "1.0")
    first = run_capture(site, cache)
    [code] = code_files(cache)
    assert f"-{sys.hexversion:x}-" in code.name
    kept = code.read_bytes()
    second = run_capture(site, cache)
    assert (first["cached"], second["cached"]) == (False, True)
    assert {**second, "cached": False} == first
    for damage in (b"", kept[: len(kept) // 2], b"not marshal data"):
        code.write_bytes(damage)
        assert by_name(run_capture(site, cache))["one"]["version"] == "1.0"
        assert code_files(cache) == [code]
        assert code.read_bytes() == kept


def test_two_captures_at_once_into_an_empty_cache(tmp_path: Path) -> None:
    """Both compile and write the cache files (each whole, by rename); both documents agree."""
    site, cache = tmp_path / "site", tmp_path / "cache"
    write_dist(site, "one", "1.0")
    environ = {"PATH": os.environ["PATH"], "PYTHONPATH": str(site)}
    running = [RunningCapture([sys.executable], environ, cache) for _ in range(2)]
    first, second = (capture.document() for capture in running)
    assert first["distributions"] == second["distributions"]
    assert "one" in by_name(first)
    assert len(code_files(cache)) == 1
    assert not list(cache.glob("*.tmp"))
    assert run_capture(site, cache)["cached"] is True


def test_modules_in_the_working_directory_cannot_break_a_capture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached capture imports nothing beyond the interpreter's start-up (``-c`` puts the
    working directory first on ``sys.path``), so a project's own ``zlib.py`` changes nothing
    (reading distributions, without a cache, imports ``json``, hence ``_json``)."""
    site, cache, project = tmp_path / "site", tmp_path / "cache", tmp_path / "project"
    write_dist(site, "one", "1.0")
    assert run_capture(site, cache)["cached"] is False
    project.mkdir()
    for name in ("__future__", "zlib", "_json", "marshal"):
        (project / f"{name}.py").write_text("raise SystemExit(7)\n")
    monkeypatch.chdir(project)
    assert by_name(run_capture(site, cache))["one"]["version"] == "1.0"  # the code loaded
    [code] = code_files(cache)
    code.unlink()
    assert run_capture(site, cache)["cached"] is True  # the script compiled
    assert code_files(cache) == [code]


def test_a_large_report_is_written_whole_before_the_interpreter_exits(tmp_path: Path) -> None:
    """The script ends its interpreter without tearing it down (``os._exit``) once its
    report, far larger than a stdout buffer, is flushed."""
    site, cache = tmp_path / "site", tmp_path / "cache"
    names = {f"package-number-{i}" for i in range(400)}
    for name in names:
        write_dist(site, name, "1.0")
    for _ in range(2):  # read, then from the cache
        document = run_capture(site, cache)
        assert len(json.dumps(document)) > 64 * 1024
        assert names <= set(by_name(document))
    assert document["cached"] is True


def test_strings_are_written_as_json_writes_them() -> None:
    for text in (
        "",
        "plain",
        'a"b\\c',
        "\n\t\r\b\f\x00\x1f\x7f",
        "é",
        "日本",
        "\U0001f600",
        "\udcff",
    ):
        assert _quote(text) == json.dumps(text), text


def test_environment_is_allowlisted_and_secrets_never_recorded(tmp_path: Path) -> None:
    document = run_capture(
        tmp_path,
        PYTHONHASHSEED="0",
        PYTHON_API_TOKEN="tok-123",
        OMP_NUM_THREADS="2",
        PIP_INDEX_URL="https://user:hunter2@pypi.example/simple",
        AWS_SECRET_ACCESS_KEY="abc",
        HOME="/home/someone",
    )
    environment = document["environment"]
    assert environment["PYTHONHASHSEED"] == "0"
    assert environment["OMP_NUM_THREADS"] == "2"
    assert environment["PYTHON_API_TOKEN"] == REDACTED
    assert environment["PIP_INDEX_URL"] == "https://***@pypi.example/simple"
    assert "AWS_SECRET_ACCESS_KEY" not in environment
    assert "HOME" not in environment
    assert "hunter2" not in str(document)
    assert "tok-123" not in str(document)


def test_secret_rules() -> None:
    for name in ("GITHUB_TOKEN", "db_password", "MY_SECRET", "API_KEY", "GCP_CREDENTIALS"):
        assert safe_value(name, "x") == REDACTED
    assert safe_value("PIP_EXTRA_INDEX_URL", "a://u:p@h/x b://h2/y") == "a://***@h/x b://h2/y"
    assert allowed_environment({"LC_ALL": "C", "PATH": "/bin", "TZ": "UTC"}) == {
        "LC_ALL": "C",
        "TZ": "UTC",
    }


def test_capture_script_keeps_to_the_oldest_python_s_syntax() -> None:
    """Its syntax, the bootstrap's, and signatures whose annotations the oldest Python read
    (3.7) can evaluate (without ``from __future__ import annotations``, an import, each one is
    evaluated at definition)."""
    tree = ast.parse(CAPTURE_SCRIPT.read_text(), feature_version=OLDEST_PYTHON)
    ast.parse(BOOTSTRAP, feature_version=OLDEST_PYTHON)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            annotations = [node.returns, *(argument.annotation for argument in arguments)]
            for annotation in annotations:
                assert isinstance(annotation, ast.Name | ast.Constant), ast.dump(annotation)


def test_a_report_larger_than_a_pipe_is_written_before_it_is_read() -> None:
    """The interpreter ends on its own with a 200 kB report nobody has read yet (a pipe would
    hold it at 64 KiB), and the report is read whole afterwards."""
    big = "import sys, json; sys.stdout.write(json.dumps({'x': 'é' * 200_000}))"
    capture = RunningCapture([sys.executable, "-c", big])  # the script becomes its argv
    assert capture.process.wait(timeout=60) == 0
    assert capture.document() == {"x": "é" * 200_000}
    assert capture.report.closed


@pytest.fixture
def newer_python_needed(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This interpreter taken for one too old: the oldest Python read is the next version."""
    monkeypatch.setattr(kernel_capture, "OLDEST_PYTHON", (sys.version_info[0], 99))
    kernel_capture._bootstrap.cache_clear()
    yield ".".join(map(str, sys.version_info[:3]))
    monkeypatch.undo()
    kernel_capture._bootstrap.cache_clear()


def test_an_interpreter_too_old_is_told_by_its_version(newer_python_needed: str) -> None:
    """Its own traceback (an AttributeError on Python 3.6 and 2.7) said nothing useful."""
    with pytest.raises(CaptureError) as caught:
        capture_interpreter([sys.executable])
    assert caught.value.message == (
        f"{sys.executable} runs Python {newer_python_needed}; environment snapshots need Python "
        f"{sys.version_info[0]}.99 or later. Snapshot a kernel with a newer Python."
    )


@pytest.mark.parametrize("version", ["2.7.18", "3.6.15"])
def test_python_2_and_3_6_are_told_they_are_too_old(version: str) -> None:
    """Where this machine has them (pyenv's builds): the bootstrap is read by Python 2 too."""
    python = Path.home() / ".pyenv" / "versions" / version / "bin" / "python"
    if not python.exists():
        pytest.skip(f"no Python {version} here")
    with pytest.raises(CaptureError, match=rf"runs Python {version}; .* need Python 3\.7 or"):
        capture_interpreter([str(python)])


def test_a_full_disk_says_the_report_could_not_be_written_and_leaves_no_file(
    tmp_path: Path, env_kernel: EnvKernel
) -> None:
    """No file may pass 40 KiB (a full disk): before, "…/python printed something other than
    the environment: Unterminated string starting at." (the report cut short, the child
    exiting 0), and each attempt left a 40 KiB ``envcache/env-….json.PID.tmp``."""
    root = tmp_path / "project"
    root.mkdir()
    project = Project(root)
    project.store  # noqa: B018 (the store made beforehand, when files may grow)
    project.close()
    for _ in range(2):
        done = held.run(root, "env", "snapshot", "--kernel", "envtest", file_size=40 * 1024)
        assert done.returncode != 0
        assert "cannot write the report: File too large" in done.stderr, done.stderr
        assert "something other than the environment" not in done.stderr
    assert [p.name for p in (root / ".nbtools/envcache").iterdir() if ".tmp" in p.name] == []
