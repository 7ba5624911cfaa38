"""``nbtools env`` with requirements files as pip writes them and as nbtools exports them."""

from __future__ import annotations

from pathlib import Path

from tests.envsnap_support import EnvKernel, write_dist
from tests.unit.envsnap.conftest import EnvCommand, snapshot_id

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
