"""Two metadata directories of one distribution in one site directory (an interrupted upgrade
leaves both): the snapshot records the one ``importlib.metadata`` reads, names both, and
says so wherever it is shown; real interpreters over hand-made site directories."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from nbtools.envsnap.kernel_capture import capture_interpreter
from tests.envsnap_support import EnvKernel, write_dist
from tests.unit.envsnap.conftest import EnvCommand, snapshot_id


def importlib_reads(site: Path, name: str) -> str:
    """The version ``importlib.metadata`` gives for ``name`` with ``site`` on the path."""
    code = f"import importlib.metadata as m; print(m.version({name!r}))"
    environ = {"PATH": os.environ["PATH"], "PYTHONPATH": str(site)}
    found = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    return found.stdout.strip()


def test_the_version_importlib_reads_is_recorded_and_every_directory_named(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    for version in ("1.0", "2.0", "10.0"):  # in name order, 1.0 comes first; "10.0" before "2.0"
        write_dist(site, "twice", version)
    write_dist(site, "single", "1.0")
    listed = [str(site / name) for name in os.listdir(site) if name.startswith("twice-")]
    reads = importlib_reads(site, "twice")
    assert listed[0] == str(site / f"twice-{reads}.dist-info")

    environ = {"PATH": os.environ["PATH"], "PYTHONPATH": str(site)}
    for cache in (None, tmp_path / "cache", tmp_path / "cache"):  # read, written, cached
        document = capture_interpreter([sys.executable], environ, cache)
        found = {record["name"]: record for record in document["distributions"]}
        assert found["twice"]["version"] == reads
        assert found["twice"]["duplicates"] == listed
        assert "duplicates" not in found["single"]
    assert document["cached"] is True


def test_a_second_directory_elsewhere_on_the_path_is_no_duplicate(tmp_path: Path) -> None:
    """Another path entry holding the name (a user site over the system's) is shadowed, as
    imports shadow it: the first entry's is recorded, with no warning."""
    first, second = tmp_path / "first", tmp_path / "second"
    write_dist(first, "dup", "2.0")
    write_dist(second, "dup", "1.0")
    environ = {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join(map(str, (first, second)))}
    (record,) = [
        r
        for r in capture_interpreter([sys.executable], environ)["distributions"]
        if r["name"] == "dup"
    ]
    assert (record["version"], "duplicates" in record) == ("2.0", False)


def test_the_cli_warns_naming_both_and_a_repair_is_a_change(
    nbtools: EnvCommand, env_kernel: EnvKernel
) -> None:
    site = env_kernel.site
    write_dist(site, "torn", "1.0")
    write_dist(site, "torn", "2.0")
    write_dist(site, "whole", "1.0")
    reads = importlib_reads(site, "torn")
    stale = "torn-1.0.dist-info" if reads == "2.0" else "torn-2.0.dist-info"
    warning = (
        f"{site} holds 2 metadata directories of it, torn-{reads}.dist-info (read by "
        f"importlib.metadata: its version is the one recorded) and {stale}, left by an "
        "interrupted upgrade or removal, so its files may mix their versions: remove the "
        "directory of the version not wanted, then reinstall the other "
        f"(pip install --force-reinstall torn=={reads})"
    )

    taken = nbtools("snapshot", "--kernel", "envtest")
    assert taken.exit_code == 0, taken.output
    assert f"Warning: torn {reads}: {warning}" in taken.stderr
    assert "whole" not in taken.stderr
    torn_id = snapshot_id(nbtools)

    shown = nbtools("show", torn_id)
    assert f"Not reproducible: torn {reads}: {warning}" in shown.stderr
    model = json.loads(nbtools("show", torn_id, "--json").stdout)
    torn = next(d for d in model["distributions"] if d["name"] == "torn")
    assert torn["version"] == reads
    assert torn["duplicates"] == [str(site / f"torn-{reads}.dist-info"), str(site / stale)]
    assert torn["non_reproducible"] == warning
    exported = nbtools("export", torn_id, "--format", "requirements")
    assert f"# not reproducible: {warning}\ntorn=={reads}\n" in exported.stdout

    shutil.rmtree(site / stale)  # repaired: one directory again, a snapshot of its own
    repaired_id = snapshot_id(nbtools)
    assert repaired_id != torn_id
    changed = json.loads(nbtools("diff", torn_id, repaired_id, "--json").stdout)
    assert changed["lines"] == [
        f"~ torn {reads} -> {reads} (changed): one metadata directory again"
    ]
    assert "Warning" not in nbtools("snapshot", "--kernel", "envtest").stderr
