"""Logins in direct URLs (``pkg @ https://user:token@host/pkg.whl``, a ``git+https://TOKEN@``
VCS URL, an installed distribution's ``direct_url.json``) are never stored, so never
exported, shown or compared; a login that is no secret (``${TOKEN}``, ``git@``) is kept, as
PEP 610 allows. Real interpreters, real stores, the CLI as a user runs it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from nbtools.envsnap import get_snapshot
from nbtools.envsnap.kernel_capture import capture_interpreter
from nbtools.envsnap.model import Distribution, Snapshot
from nbtools.envsnap.tables import env_snapshots
from nbtools.project import Project
from tests.envsnap_support import EnvKernel, write_dist
from tests.unit.envsnap.conftest import EnvCommand, snapshot_id

SECRETS = ("s3cr3t-tok", "ghp_TOKEN123", "pa55word", "tok999")
HASHES = {"sha256": "ab" * 32}

#: direct_url.json as an installer that does not redact it (pip does) may write it, and the
#: URL a snapshot keeps of it.
INSTALLED = {
    "privwheel": (
        {"url": "https://bot:s3cr3t-tok@pkgs.example/privwheel-1.0-py3-none-any.whl",
         "archive_info": {"hashes": HASHES}},
        "https://pkgs.example/privwheel-1.0-py3-none-any.whl",
    ),
    "privvcs": (
        {"url": "https://ghp_TOKEN123@github.com/o/privvcs",
         "vcs_info": {"vcs": "git", "commit_id": "c0ffee"}},
        "https://github.com/o/privvcs",
    ),
    "sshvcs": (
        {"url": "ssh://git@github.com/o/sshvcs", "vcs_info": {"vcs": "git", "commit_id": "be5"}},
        "ssh://git@github.com/o/sshvcs",
    ),
    "envlogin": (
        {"url": "https://${PIP_USER}:${PIP_TOKEN}@pkgs.example/envlogin-4.0.tar.gz",
         "archive_info": {"hashes": HASHES}},
        "https://${PIP_USER}:${PIP_TOKEN}@pkgs.example/envlogin-4.0.tar.gz",
    ),
}  # fmt: skip

REQUIREMENTS = (
    "other @ https://u:pa55word@files.example/other-1.0.tar.gz  # other==1.0\n"
    "vcsdep @ git+https://me:tok999@git.example/v.git@abc123\n"
    "-e git+https://ghp_TOKEN123@github.com/o/mine.git@de4d#egg=mine\n"
    "shared @ https://${TOKEN}@files.example/shared-2.0.tar.gz  # shared==2.0\n"
)


def no_secret_in(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret, text)


def install_all(site: Path) -> None:
    for version, (name, (direct_url, _)) in enumerate(INSTALLED.items(), start=1):
        write_dist(site, name, f"{version}.0", direct_url=direct_url)


def test_a_capture_keeps_no_secret_login_not_even_in_its_cache(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    install_all(site)
    environ = {"PATH": os.environ["PATH"], "PYTHONPATH": str(site)}
    for _ in ("written", "cached"):
        document = capture_interpreter([sys.executable], environ, cache)
        urls = {
            record["name"]: record["direct_url"]["url"]
            for record in document["distributions"]
            if record["name"] in INSTALLED
        }
        assert urls == {name: kept for name, (_, kept) in INSTALLED.items()}
        no_secret_in(json.dumps(document))
    assert document["cached"] is True
    no_secret_in(*(file.read_text() for file in cache.glob("env-*.json")))


def test_snapshot_show_and_export_of_a_kernel_show_no_login(
    nbtools: EnvCommand, env_kernel: EnvKernel
) -> None:
    install_all(env_kernel.site)
    taken = nbtools("snapshot", "--kernel", "envtest", "--json")
    assert taken.exit_code == 0, taken.output
    shown = nbtools("show", json.loads(taken.stdout)["id"])
    exported = nbtools("export", json.loads(taken.stdout)["id"], "--format", "requirements")
    no_secret_in(taken.output, shown.output, exported.output)
    lines = exported.stdout.splitlines()
    assert "privvcs @ git+https://github.com/o/privvcs@c0ffee  # privvcs==2.0" in lines
    assert (
        "privwheel @ https://pkgs.example/privwheel-1.0-py3-none-any.whl  # privwheel==1.0"
    ) in lines


def test_imported_files_keep_no_login_in_the_store_exports_or_diffs(
    nbtools: EnvCommand, tmp_path: Path
) -> None:
    given = tmp_path / "requirements.txt"
    given.write_text(REQUIREMENTS)
    imported = nbtools("import", str(given), "--json")
    assert imported.exit_code == 0, imported.output
    stored = json.loads(imported.stdout)
    urls = {d["name"]: d["direct_url"]["url"] for d in stored["distributions"]}
    assert urls == {
        "other": "https://files.example/other-1.0.tar.gz",
        "vcsdep": "https://git.example/v.git",
        "mine": "https://github.com/o/mine.git",
        "shared": "https://${TOKEN}@files.example/shared-2.0.tar.gz",  # filled in by pip
    }
    requirements = nbtools("export", stored["id"], "--format", "requirements")
    pylock = nbtools("export", stored["id"], "--format", "pylock")
    assert pylock.exit_code == 0, pylock.output
    assert "shared @ https://${TOKEN}@files.example/shared-2.0.tar.gz" in requirements.stdout
    assert 'url = "https://git.example/v.git"' in pylock.stdout

    changed = tmp_path / "changed.txt"
    changed.write_text(REQUIREMENTS.replace("other-1.0", "other-1.1").replace("==1.0", "==1.1"))
    difference = nbtools("diff", str(given), str(changed))
    assert "~ other 1.0 -> 1.1 (upgraded): archive https://files.example/other-1.0.tar.gz ->" in (
        difference.stdout
    )
    bad = tmp_path / "bad.txt"
    bad.write_text("broken @ https://u:pa55word@files.example/x.whl ; not a marker\n")
    refused = nbtools("import", str(bad))
    assert refused.exit_code == 2
    assert "https://files.example/x.whl" in refused.stderr
    no_secret_in(
        imported.output, requirements.output, pylock.output, difference.output, refused.output
    )
    for name in ("show", "diff"):
        args = (stored["id"],) if name == "show" else (stored["id"], str(changed))
        no_secret_in(nbtools(name, *args).output, nbtools(name, *args, "--json").output)


def test_a_login_already_stored_is_not_shown_again(project: Project) -> None:
    """A snapshot stored before logins were dropped is read back without them."""
    secret = {"url": "https://bot:s3cr3t-tok@pkgs.example/a.whl", "archive_info": {}}
    snapshot = Snapshot("requirements", "old.txt", (Distribution("a", "1.0"),))
    document: dict[str, Any] = snapshot.to_dict()
    document["distributions"][0]["direct_url"] = secret
    with project.store.connection(write=True) as connection:
        connection.execute(
            insert(env_snapshots).values(
                id=snapshot.id,
                source="requirements",
                origin="old.txt",
                python_version=None,
                distribution_count=1,
                created_at=snapshot.created_at,
                captured_at=snapshot.created_at,
                document=json.dumps(document),
            )
        )
    [read] = get_snapshot(project, snapshot.id).distributions
    assert read.direct_url == {"url": "https://pkgs.example/a.whl", "archive_info": {}}


def test_a_file_with_a_variable_login_matches_the_environment_pip_made_from_it(
    nbtools: EnvCommand, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    """pip records an install from ``https://${TOKEN}@host/…`` without the login: the file
    and the environment it made are no drift."""
    write_dist(
        env_kernel.site,
        "shared",
        "2.0",
        direct_url={"url": "https://files.example/shared-2.0.tar.gz", "archive_info": {}},
    )
    taken = snapshot_id(nbtools)
    pinned = tmp_path / "requirements.txt"
    pinned.write_text("shared @ https://${TOKEN}@files.example/shared-2.0.tar.gz  # shared==2.0\n")
    compared = json.loads(nbtools("diff", taken, str(pinned), "--json").stdout)
    assert [c for c in compared["changes"] if c["name"] == "shared"] == []
