"""``nbtools env`` with requirements files as pip writes them and as nbtools exports them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.envsnap.pylock import parse_pylock
from nbtools.envsnap.recreate import check_recreate
from nbtools.errors import InvalidInputError
from tests.envsnap_support import OTHER_PYTHON, OURS, EnvKernel, install_kernel, write_dist
from tests.unit.envsnap.conftest import EnvCommand, snapshot_id
from tests.unit.envsnap.test_recreate import build_wheel

VCS_URL = "https://github.com/x/vcspkg.git"
ARCHIVE_URL = "https://example.org/files/arch-1.5.tar.gz"


def test_a_pip_freeze_file_of_direct_installs_matches_the_kernel_that_has_them(
    nbtools: EnvCommand, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    """``pip freeze`` writes a direct install as ``name @ URL``, without its version: the
    version is unknown there, so only where it came from is compared, and no line says
    ``None``."""
    vcs_info = {"vcs": "git", "commit_id": "abc123"}
    write_dist(env_kernel.site, "vcspkg", "2.0", direct_url={"url": VCS_URL, "vcs_info": vcs_info})
    write_dist(env_kernel.site, "arch", "1.5", direct_url={"url": ARCHIVE_URL, "archive_info": {}})
    freeze = tmp_path / "freeze.txt"
    assert nbtools("export", "--kernel", "envtest", "-o", str(freeze)).exit_code == 0
    # As pip freeze writes them: the URL without nbtools' "# name==version" comment.
    pinned = [line for line in freeze.read_text().splitlines() if " @ " not in line]
    freeze.write_text(
        "\n".join([*pinned, f"arch @ {ARCHIVE_URL}", f"vcspkg @ git+{VCS_URL}@abc123"])
    )
    same = nbtools("check", str(freeze), "--kernel", "envtest")
    assert same.exit_code == 0, same.output
    assert "No drift" in same.stdout
    assert nbtools("diff", str(freeze), snapshot_id(nbtools)).stdout.endswith(": no differences\n")

    freeze.write_text(freeze.read_text().replace("@abc123", "@def456"))
    moved = nbtools("check", str(freeze), "--kernel", "envtest")
    assert moved.exit_code == 1
    assert (
        f"~ vcspkg (version unknown) -> 2.0 (changed): vcs {VCS_URL}@def456 -> vcs {VCS_URL}@abc123"
        in moved.stdout
    )
    assert "None" not in moved.output
    assert "arch" not in moved.stdout


def test_an_export_pins_a_version_that_is_not_pep_440_so_that_it_reads_back(
    nbtools: EnvCommand, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    """``snap==2.0.0-SNAPSHOT`` is no requirement (``==`` takes PEP 440 versions only):
    such a version is pinned with ``===``, in the line and in a direct install's comment."""
    write_dist(env_kernel.site, "snap", "2.0.0-SNAPSHOT")
    vcs_info = {"vcs": "git", "commit_id": "abc123"}
    write_dist(
        env_kernel.site, "vcspkg", "1.0-custom", direct_url={"url": VCS_URL, "vcs_info": vcs_info}
    )
    taken = snapshot_id(nbtools)
    requirements = tmp_path / "req.txt"
    assert nbtools("export", taken, "-o", str(requirements)).exit_code == 0
    lines = requirements.read_text().splitlines()
    assert "snap===2.0.0-SNAPSHOT" in lines
    assert f"vcspkg @ git+{VCS_URL}@abc123  # vcspkg===1.0-custom" in lines
    assert any(line.startswith("click==") for line in lines)  # PEP 440 versions keep "=="

    imported = nbtools("import", str(requirements))
    assert imported.exit_code == 0, imported.output
    same = nbtools("diff", taken, str(requirements))
    assert same.exit_code == 0, same.output
    assert same.stdout.endswith(": no differences\n")
    assert nbtools("check", str(requirements), "--kernel", "envtest").exit_code == 0


def _minor_version(python: str) -> str:
    """The ``python_version`` marker of interpreter ``python``."""
    done = subprocess.run(
        [python, "-c", "import sys; print('{}.{}'.format(*sys.version_info))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.skipif(OTHER_PYTHON is None, reason="no second Python on this machine")
def test_a_file_s_markers_are_read_for_the_kernel_s_python_not_nbtools_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A universal file pins for several Pythons; `check` read it for nbtools' own: with a
    kernel on another Python, its line was left out (drift '+ newer 1.0') and the line for
    nbtools' Python kept (drift '- older 1.0')."""
    venv = tmp_path / "venv"  # nothing installed but what the test writes
    subprocess.run([str(OTHER_PYTHON), "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    kernel = install_kernel(tmp_path / "jupyter" / "kernels", tmp_path / "site", "other", python)
    write_dist(kernel.site, "pinned", "1.0")
    theirs = _minor_version(python)
    write_dist(kernel.site, "newer", "1.0")  # only the kernel's Python gets it
    universal = tmp_path / "requirements.txt"
    universal.write_text(
        "pinned==1.0\n"
        f'newer==1.0 ; python_version == "{theirs}"\n'
        f'older==1.0 ; python_version == "{OURS}"\n'
    )
    root = tmp_path / "project"
    root.mkdir()
    env = ["--root", str(root), "env"]
    missing = CliRunner().invoke(cli, [*env, "check", "gone.txt", "--kernel", "other"])
    assert missing.exit_code == 2, missing.output  # refused before the kernel is read
    assert json.loads(CliRunner().invoke(cli, [*env, "list", "--json"]).stdout) == []
    checked = CliRunner().invoke(cli, [*env, "check", str(universal), "--kernel", "other"])
    assert (checked.exit_code, checked.stdout.split(":")[0]) == (0, "No drift"), checked.output


@pytest.mark.slow
@pytest.mark.skipif(OTHER_PYTHON is None, reason="no second Python on this machine")
def test_recreate_with_another_python_reads_the_file_for_that_python(tmp_path: Path) -> None:
    """`recreate --python X` read a universal file for nbtools' own Python: the line for X
    was left out and the new venv got nothing ("Installed 0")."""
    wheel = build_wheel(tmp_path, "VALUE = 1\n")
    universal = tmp_path / "requirements.txt"
    universal.write_text(
        f'tinypkg @ {wheel.as_uri()} ; python_version == "{_minor_version(str(OTHER_PYTHON))}"  '
        "# tinypkg==1.0\n"
        f'absent==1.0 ; python_version == "{OURS}"\n'
    )
    root = tmp_path / "project"
    root.mkdir()
    args = ["env", "recreate", str(universal), str(tmp_path / "copy"), "--python"]
    made = CliRunner().invoke(cli, ["--root", str(root), *args, str(OTHER_PYTHON), "--json"])
    assert made.exit_code == 0, made.output
    report = json.loads(made.stdout)
    assert (report["installed"], report["mismatches"]) == (1, [])


@pytest.mark.skipif(OTHER_PYTHON is None, reason="no second Python on this machine")
def test_a_lock_s_environments_are_checked_for_the_python_recreate_is_given(
    tmp_path: Path,
) -> None:
    """A lock's ``environments`` were checked for nbtools' own Python whatever ``--python``
    chose: a lock for X was refused with X ("this machine is none of them"), and one for
    nbtools' Python went ahead with X, which it was not locked for."""
    python = str(OTHER_PYTHON)
    lock = 'lock-version = "1.0"\ncreated-by = "hand"\npackages = []\n'
    theirs = parse_pylock(
        f"environments = [\"python_version == '{_minor_version(python)}'\"]\n" + lock
    )
    ours = parse_pylock(f"environments = [\"python_version == '{OURS}'\"]\n" + lock)
    check_recreate(theirs, tmp_path / "venv", python=python)
    check_recreate(ours, tmp_path / "venv")  # nbtools' own Python, chosen without --python
    with pytest.raises(InvalidInputError, match="locked for the environments") as info:
        check_recreate(ours, tmp_path / "venv", python=python)
    assert info.value.details["field"] == "python"
    assert f"python_version '{_minor_version(python)}'" in str(info.value)
    with pytest.raises(InvalidInputError, match="locked for the environments") as info:
        check_recreate(theirs, tmp_path / "venv")
    assert info.value.details["field"] == "snapshot"
    written = tmp_path / "pylock.toml"
    written.write_text(f"environments = [\"python_version == '{OURS}'\"]\n" + lock)
    root = tmp_path / "project"
    root.mkdir()
    args = ["env", "recreate", str(written), str(tmp_path / "venv"), "--python", python]
    refused = CliRunner().invoke(cli, ["--root", str(root), *args])
    assert refused.exit_code == 2, refused.output
    assert "locked for the environments" in refused.output
    assert not (tmp_path / "venv").exists()


def test_check_refuses_a_bad_reference_before_it_starts_the_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check REFERENCE --kernel K` started K's interpreter and waited for its report before
    it read REFERENCE: a missing or malformed file, or an unknown id, was refused only after
    a whole capture (and an unknown kernel before a missing file). Now the reference is
    refused first, and the kernel's interpreter (a wrapper that leaves a file when it
    starts) never runs; a marker of the file is still read for the kernel's Python."""
    started = tmp_path / "started"
    wrapper = tmp_path / "python-wrapper"
    venv = tmp_path / "venv"  # nothing installed but what the test writes
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    wrapper.write_text(f'#!/bin/sh\ntouch "{started}"\nexec "{venv}/bin/python" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    kernel = install_kernel(tmp_path / "jupyter" / "kernels", tmp_path / "site", "k", str(wrapper))
    write_dist(kernel.site, "pinned", "1.0")
    unpinned, lock, notebook = tmp_path / "req.txt", tmp_path / "pylock.toml", tmp_path / "a.ipynb"
    unpinned.write_text("pinned==1.0\nrequests>=2\n")
    lock.write_text("lock-version = [\n")
    notebook.write_text("{}")
    root = tmp_path / "project"
    root.mkdir()
    env = ["--root", str(root), "env"]
    for reference, problem in (
        ("gone.txt", "does not exist"),
        (str(unpinned), "line 2"),
        (str(lock), "not valid TOML"),
        (str(notebook), "is a notebook"),
        ("abcdef12", "abcdef12"),
    ):
        refused = CliRunner().invoke(cli, [*env, "check", reference, "--kernel", "k"])
        assert (refused.exit_code, problem in refused.output) == (2, True), refused.output
        assert not started.exists(), reference
    unknown = CliRunner().invoke(cli, [*env, "check", "gone.txt", "--kernel", "nosuch"])
    assert "gone.txt does not exist" in unknown.output
    universal = tmp_path / "universal.txt"  # its marked line is unpinned: left out for 3.x
    universal.write_text('pinned==1.0\nold>=1 ; python_version < "3"\n')
    checked = CliRunner().invoke(cli, [*env, "check", str(universal), "--kernel", "k"])
    assert (checked.exit_code, checked.stdout.split(":")[0]) == (0, "No drift"), checked.output
    assert started.exists()
