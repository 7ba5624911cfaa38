"""``nbtools env …`` end to end: real kernel specs, real interpreter, real SQLite store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nbtools import audit
from nbtools.envsnap import write_output
from nbtools.errors import InvalidInputError
from nbtools.project import Project
from tests.envsnap_support import EnvKernel, write_dist
from tests.unit.envsnap.conftest import snapshot_id


def test_snapshot_list_show(nbtools, env_kernel: EnvKernel) -> None:  # type: ignore[no-untyped-def]
    write_dist(env_kernel.site, "widget", "1.0")
    taken = snapshot_id(nbtools)
    listed = json.loads(nbtools("list", "--json").stdout)
    assert [row["id"] for row in listed] == [taken]
    assert listed[0]["origin"] == "envtest"
    shown = nbtools("show", taken[:8])
    assert shown.exit_code == 0
    assert "widget" in shown.stdout
    assert taken[:12] in shown.stdout
    assert "conda env" not in shown.stdout  # not a conda environment: no empty row
    as_json = json.loads(nbtools("show", taken, "--json").stdout)
    assert as_json["id"] == taken
    assert {key: as_json[key] for key in listed[0]} == listed[0]  # list's keys, same values


def test_unknown_kernel_exits_2_listing_kernels(nbtools) -> None:  # type: ignore[no-untyped-def]
    result = nbtools("snapshot", "--kernel", "nope")
    assert result.exit_code == 2
    assert "No kernel named 'nope'. Installed kernels:" in result.stderr
    assert "envtest" in result.stderr


def test_a_kernel_with_an_invalid_spec_file_exits_2_naming_the_file(  # type: ignore[no-untyped-def]
    nbtools, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    spec_file = env_kernel.kernels / "badjson" / "kernel.json"
    spec_file.parent.mkdir()
    spec_file.write_text('{"argv": [')
    baseline = tmp_path / "requirements.txt"
    baseline.write_text("six==1.16.0\n")
    for args in (("snapshot",), ("check", str(baseline)), ("export",)):
        result = nbtools(*args, "--kernel", "badjson")
        assert result.exit_code == 2, result.output
        assert f"Kernel 'badjson' has an invalid spec file, {spec_file}: it is not valid JSON" in (
            result.stderr
        )
        assert "See --kernel." in result.stderr
        assert "No kernel named" not in result.stderr


def test_check_passes_then_exits_1_listing_drift(nbtools, env_kernel: EnvKernel) -> None:  # type: ignore[no-untyped-def]
    write_dist(env_kernel.site, "stable", "1.0")
    write_dist(env_kernel.site, "bumped", "1.0")
    baseline = snapshot_id(nbtools)
    ok = nbtools("check", baseline, "--kernel", "envtest")
    assert ok.exit_code == 0
    assert "No drift" in ok.stdout

    write_dist(env_kernel.site, "newcomer", "0.1")
    old = env_kernel.site / "bumped-1.0.dist-info"
    for child in old.iterdir():
        child.unlink()
    old.rmdir()
    write_dist(env_kernel.site, "bumped", "2.0")
    drift = nbtools("check", baseline, "--kernel", "envtest")
    assert drift.exit_code == 1
    assert "+ newcomer 0.1" in drift.stdout
    assert "~ bumped 1.0 -> 2.0 (upgraded)" in drift.stdout
    assert "drifted from snapshot" in drift.stderr

    as_json = nbtools("check", baseline, "--kernel", "envtest", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["summary"] == "1 added, 1 upgraded"


def test_export_import_and_diff_files(nbtools, env_kernel: EnvKernel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_dist(env_kernel.site, "alpha", "1.0")
    requirements = tmp_path / "requirements.txt"
    exported = nbtools("export", "--kernel", "envtest", "-o", str(requirements))
    assert exported.exit_code == 0, exported.output
    assert "alpha==1.0" in requirements.read_text()
    taken = snapshot_id(nbtools)

    edited = tmp_path / "edited.txt"
    edited.write_text(requirements.read_text().replace("alpha==1.0", "alpha==0.9"))
    difference = nbtools("diff", str(requirements), str(edited))
    assert difference.exit_code == 0
    assert "~ alpha 1.0 -> 0.9 (downgraded)" in difference.stdout
    same = nbtools("diff", str(requirements), str(requirements))
    assert same.exit_code == 0
    (line,) = same.stdout.splitlines()  # the summary says it: no second line repeating it
    assert line.endswith(": no differences")
    assert nbtools("check", str(requirements), "--kernel", "envtest").exit_code == 0

    imported = json.loads(nbtools("import", str(edited), "--json").stdout)
    assert imported["source"] == "requirements"
    against = json.loads(nbtools("diff", imported["id"], taken, "--json").stdout)
    assert {
        "name": "alpha",
        "kind": "upgraded",
        "old": "0.9",
        "new": "1.0",
        "detail": "",
    } in against["changes"]


def test_export_replaces_its_own_file_and_keeps_anyone_else_s(
    nbtools, env_kernel: EnvKernel, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    write_dist(env_kernel.site, "alpha", "1.0")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("alpha>=0.5  # ours, by hand\n")
    refused = nbtools("export", "--kernel", "envtest", "-o", str(requirements))
    assert refused.exit_code == 2
    assert (
        "exists and was not written by nbtools: choose another file, or force replacing it. "
        "See --output or --force."
    ) in refused.stderr
    assert requirements.read_text() == "alpha>=0.5  # ours, by hand\n"
    forced = nbtools("export", "--kernel", "envtest", "-o", str(requirements), "--force")
    assert forced.exit_code == 0, forced.output
    assert "alpha==1.0" in requirements.read_text()
    again = nbtools("export", "--kernel", "envtest", "-o", str(requirements))  # its own export
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (
            "nodir/pylock.toml",
            "The folder of nodir/pylock.toml does not exist; create it first. See --output.",
        ),
        ("folder/pylock.toml", "File 'folder/pylock.toml' is a directory."),
        (".nbtools/pylock.toml", ".nbtools/pylock.toml is in the nbtools store directory"),
        ("sub/../.nbtools/envcache/pylock.toml", "choose another place. See --output."),
        ("ping/pylock.toml", "goes through a loop of symbolic links"),  # was a RuntimeError
    ],
)
def test_an_export_that_could_not_be_written_is_refused_before_any_work(  # type: ignore[no-untyped-def]
    nbtools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str, message: str
) -> None:
    """Neither the kernel (none of that name) nor the index (nothing listens there) is asked:
    the output is checked first, and nothing is written."""
    root = tmp_path / "project"
    monkeypatch.chdir(root)
    (root / "folder" / "pylock.toml").mkdir(parents=True)
    (root / "sub").mkdir()
    (root / "ping").symlink_to("pong")
    (root / "pong").symlink_to("ping")
    before = sorted(root.rglob("*"))
    unreachable = "http://127.0.0.1:9/simple"
    result = nbtools("export", "--kernel", "nope", "--index-url", unreachable, "-o", output)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert sorted(root.rglob("*")) == before


def test_an_export_into_a_folder_one_may_not_write_is_refused(tmp_path: Path) -> None:
    """In a process that permissions stop: when the tests run as root, one without the
    capabilities that override them."""
    unprivileged: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("root writes anywhere, and setpriv (util-linux) is missing to stop it")
        unprivileged = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    pins, locked = tmp_path / "requirements.txt", tmp_path / "locked"
    pins.write_text("six==1.16.0\n")
    locked.mkdir()
    locked.chmod(0o555)
    nbtools_command = [sys.executable, "-c", "from nbtools.cli.main import main; main()"]
    export = ["env", "export", str(pins), "-o", str(locked / "r.txt")]
    result = subprocess.run(
        [*unprivileged, *nbtools_command, "--root", str(tmp_path), *export],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert (
        f"The folder of {locked / 'r.txt'} is not writable; choose another place. See --output."
    ) in result.stderr
    assert list(locked.iterdir()) == []


def test_an_export_replaces_the_earlier_file_whole(  # type: ignore[no-untyped-def]
    nbtools, tmp_path: Path
) -> None:
    """Written beside it and renamed over it: a reader of the old file (a hard link here) sees
    it whole, never a truncated or half-written one; its mode is kept, a link stays a link."""
    pins = tmp_path / "pins.txt"
    pins.write_text("six==1.16.0\n")
    output = tmp_path / "requirements.txt"
    assert nbtools("export", str(pins), "-o", str(output)).exit_code == 0
    earlier = output.read_text()
    os.link(output, tmp_path / "reader-of-the-old-file")
    output.chmod(0o640)
    pins.write_text("six==1.17.0\n")
    result = nbtools("export", str(pins), "-o", str(output))
    assert result.exit_code == 0, result.output
    assert "six==1.17.0" in output.read_text()
    assert (tmp_path / "reader-of-the-old-file").read_text() == earlier
    assert output.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    link = tmp_path / "current.txt"
    link.symlink_to(output)
    assert nbtools("export", str(pins), "-o", str(link), "--format", "requirements").exit_code == 0
    assert link.is_symlink()
    assert "six==1.17.0" in output.read_text()


def test_an_export_whose_folder_went_away_meanwhile_is_exit_2(tmp_path: Path) -> None:
    """Checked before the work, the folder can still go while the index is asked."""
    with pytest.raises(InvalidInputError) as info:
        write_output(tmp_path / "gone" / "pylock.toml", "lock-version = '1.0'\n")
    assert info.value.message == (
        f"{tmp_path / 'gone' / 'pylock.toml'} could not be written: No such file or directory."
    )
    assert info.value.details["field"] == "path"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("export", "--format", "pylock", "-o", "lock.toml"),
            "named pylock.toml or pylock.NAME.toml",
        ),
        (("show", "ffff"), "No snapshot 'ffff'"),
        (("diff", "ffff", "ab12"), "No snapshot 'ffff'"),
        (("show", "f" * 60_000), "(60000 characters) is not a snapshot id"),
        (("diff", "f" * 65, "ffff"), "(65 characters) is not a snapshot id"),
        (("show", "z" * 300), "cannot be read: File name too long."),  # not hex: a file
        (("check", "a" * 300, "--kernel", "envtest"), "is not a snapshot id"),
        # '' said ". cannot be read: Is a directory."
        (("show", ""), "No snapshot given: give a snapshot id"),
        (("diff", "  ", "ffff"), "No snapshot given: give a snapshot id"),
    ],
)
def test_bad_input_exits_2(nbtools, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    result = nbtools(*args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    "reference", ["requirments.txt", "pylock.tml", "envs/prod.txt", "python3", "abc-1"]
)
def test_a_missing_file_is_said_to_be_missing_where_it_was_looked_for(  # type: ignore[no-untyped-def]
    nbtools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: str
) -> None:
    """Anything but hexadecimal digits is a file's path, read from the current directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    for args in (
        ("show", reference),
        ("diff", "requirements.txt", reference),
        ("check", reference),
    ):
        result = nbtools(*args)
        assert result.exit_code == 2, result.output
        assert (
            f"The file {reference} does not exist in {tmp_path} (the current directory)."
            in result.stderr
        )
        assert "snapshot id (ids are hexadecimal)" not in result.stderr
    absolute = tmp_path / "gone" / "pylock.toml"
    result = nbtools("show", str(absolute))
    assert result.exit_code == 2
    assert f"The file {absolute} does not exist. Give the path of a" in result.stderr


def test_a_folder_given_as_a_file_cannot_be_read(nbtools, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = nbtools("show", str(tmp_path))
    assert result.exit_code == 2
    assert f"{tmp_path} cannot be read: Is a directory." in result.stderr


def test_a_file_named_like_the_start_of_a_stored_id_is_refused_naming_both(  # type: ignore[no-untyped-def]
    nbtools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hexadecimal digits alone are an id; a file of that name is read only when no stored
    snapshot's id starts with it, and ``./NAME`` always names the file."""
    monkeypatch.chdir(tmp_path)
    ids: dict[str, list[str]] = {}  # first hex digit → ids, until two share one
    version = 0
    while not any(len(found) > 1 for found in ids.values()):
        version += 1
        pins = tmp_path / "pins.txt"
        pins.write_text(f"six==1.{version}.0\n")
        stored = json.loads(nbtools("import", str(pins), "--json").stdout)["id"]
        ids.setdefault(stored[0], []).append(stored)
    shared, (first, _) = next((k, v) for k, v in ids.items() if len(v) > 1)
    single = first[:6]
    unused = next(digit for digit in "0123456789abcdef" if digit not in ids)
    for name in (single, shared, unused):
        (tmp_path / name).write_text("alpha==1.0\n")

    refused = nbtools("show", single)
    assert refused.exit_code == 2
    assert (
        f"'{single}' is both a file ({tmp_path / single}) and the start of the id of snapshot "
        f"{first[:12]}: write the file as ./{single}, or give more of the id."
    ) in refused.stderr
    several = nbtools("diff", shared, f"./{single}")
    assert several.exit_code == 2
    assert "and the start of the id of several snapshots" in several.stderr

    as_file = json.loads(nbtools("show", f"./{single}", "--json").stdout)
    assert [d["name"] for d in as_file["distributions"]] == ["alpha"]
    as_id = json.loads(nbtools("show", first[:7], "--json").stdout)
    assert as_id["id"] == first
    no_snapshot_starts_so = json.loads(nbtools("show", unused, "--json").stdout)
    assert [d["name"] for d in no_snapshot_starts_so["distributions"]] == ["alpha"]


def test_malformed_import_names_the_line(nbtools, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "requirements.txt"
    bad.write_text("six==1.16.0\nrequests>=2\n")
    result = nbtools("import", str(bad))
    assert result.exit_code == 2
    assert f"{bad}, line 2: 'requests>=2' is not pinned" in result.stderr
    lock = tmp_path / "pylock.toml"
    lock.write_text('lock-version = "1.0"\ncreated-by = "x"\npackages = [\n')
    result = nbtools("diff", str(lock), str(bad))
    assert result.exit_code == 2
    assert "pylock.toml, line 3: not valid TOML" in result.stderr


def test_a_notebook_given_as_an_environment_says_what_to_give(nbtools, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "analysis.ipynb").write_text('{"cells": []}')
    for command in ("check", "show", "import"):
        result = nbtools(command, str(tmp_path / "analysis.ipynb"))
        assert result.exit_code == 2
        assert "analysis.ipynb is a notebook, not an environment: give a snapshot id" in (
            result.stderr
        )


def test_non_reproducible_entries_are_flagged_in_show_export_and_recreate(  # type: ignore[no-untyped-def]
    nbtools, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    write_dist(env_kernel.site, "steady", "1.0")  # from an index
    write_dist(
        env_kernel.site,
        "pinned-vcs",
        "2.0",
        direct_url={
            "url": "https://git.example/p.git",
            "vcs_info": {"vcs": "git", "commit_id": "ab12"},
        },
    )
    write_dist(
        env_kernel.site,
        "mine",
        "0.1",
        direct_url={"url": checkout.as_uri(), "dir_info": {"editable": True}},
    )
    write_dist(
        env_kernel.site,
        "local-wheel",
        "3.0",
        direct_url={"url": (tmp_path / "w.whl").as_uri(), "archive_info": {}},
    )
    write_dist(
        env_kernel.site,
        "floating-vcs",
        "4.0",
        direct_url={"url": "https://git.example/f.git", "vcs_info": {"vcs": "git"}},
    )
    taken = snapshot_id(nbtools)
    flagged = {
        "mine": "editable install: its code is whatever the directory holds now",
        "local-wheel": f"installed from the local path {tmp_path / 'w.whl'}, which may change",
        "floating-vcs": "VCS install without a recorded commit",
    }

    shown = nbtools("show", taken)
    assert shown.exit_code == 0
    for name, reason in flagged.items():
        assert f"Not reproducible: {name} " in shown.stderr
        assert reason in shown.stderr
    assert "steady" not in shown.stderr
    assert "pinned-vcs" not in shown.stderr
    as_json = json.loads(nbtools("show", taken, "--json").stdout)
    reasons = {d["name"]: d["non_reproducible"] for d in as_json["distributions"]}
    assert reasons["steady"] is None
    assert reasons["pinned-vcs"] is None
    assert reasons["floating-vcs"] == flagged["floating-vcs"]

    exported = nbtools("export", taken, "--format", "requirements")
    assert exported.exit_code == 0
    lines = exported.stdout.splitlines()
    mine = next(i for i, line in enumerate(lines) if line.startswith("-e "))
    assert lines[mine - 1] == f"# not reproducible: {flagged['mine']}"
    assert f"Not reproducible: mine 0.1: {flagged['mine']}" in exported.stderr

    recreated = nbtools("recreate", taken, str(tmp_path / "copy"))
    assert f"Not reproducible: mine 0.1: {flagged['mine']}" in recreated.stderr
    # audited as it started (pip then runs the packages' build code), whatever came of it
    project = Project(tmp_path / "project")
    try:
        (entry,) = audit.list_entries(project, action="env.*")
    finally:
        project.close()
    assert (entry.action, entry.actor) == ("env.recreate", audit.current_actor())
    assert entry.target == f"snapshot {entry.summary['snapshot'][:12]}"
    assert entry.summary["stored"] is True
    assert entry.summary["snapshot"].startswith(taken)
    assert entry.summary["directory"] == str(tmp_path / "copy")  # outside the root: as given
    assert entry.summary["python"] == sys.executable


def test_a_file_pinning_nothing_is_an_empty_environment(nbtools, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """What `pip freeze` writes for a bare venv (nothing), or a lock without packages."""
    empty = tmp_path / "requirements.txt"
    empty.write_text("# pinned later\n\n--index-url https://pypi.org/simple\n")
    lock = tmp_path / "pylock.toml"
    lock.write_text('lock-version = "1.0"\ncreated-by = "x"\npackages = []\n')
    for path in (empty, lock):
        result = nbtools("import", str(path), "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["distributions"] == []
    compared = nbtools("diff", str(empty), str(lock))
    assert compared.exit_code == 0, compared.output


def test_recreate_into_a_used_directory_is_refused_before_it_says_it_starts(  # type: ignore[no-untyped-def]
    nbtools, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.16.0\n")
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    result = nbtools("recreate", str(requirements), str(used))
    assert result.exit_code == 2
    assert "exists and is not an empty directory" in result.stderr
    assert "Recreating" not in result.stderr
    assert [p.name for p in used.iterdir()] == ["keep.txt"]
    under_a_file = nbtools("recreate", str(requirements), str(used / "keep.txt" / "venv"))
    assert under_a_file.exit_code == 2  # bad input, not a failed check (1)
    assert f"{used / 'keep.txt'} is not a folder" in under_a_file.stderr
    assert "Recreating" not in under_a_file.stderr
