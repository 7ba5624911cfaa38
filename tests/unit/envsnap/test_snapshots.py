from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import psutil
import pytest
from sqlalchemy import func, insert, select

from nbtools.envsnap import diff, get_snapshot, list_snapshots, snapshot_kernel
from nbtools.envsnap.model import Distribution, Snapshot
from nbtools.envsnap.snapshots import save_snapshot
from nbtools.envsnap.tables import env_snapshots
from nbtools.errors import InvalidInputError, NotFoundError, StoreError
from nbtools.project import Project
from tests.envsnap_support import EnvKernel, edit_in_place, install_kernel, write_dist


def test_snapshot_kernel_captures_in_the_kernels_interpreter_and_stores(
    project: Project, env_kernel: EnvKernel
) -> None:
    write_dist(env_kernel.site, "onlyinkernel", "0.3")
    snapshot = snapshot_kernel(project, "envtest")
    assert snapshot.by_key()["onlyinkernel"].version == "0.3"
    assert snapshot.kernel is not None
    assert snapshot.kernel["name"] == "envtest"
    assert snapshot.source == "kernel"
    assert snapshot.origin == "envtest"
    assert len(snapshot.id) == 64
    stored = get_snapshot(project, snapshot.id)
    assert stored == snapshot.seen(stored.created_at, stored.created_at)
    assert stored.created_at.tzinfo is not None


def test_identical_environments_share_one_id_and_one_row(
    project: Project, env_kernel: EnvKernel
) -> None:
    write_dist(env_kernel.site, "same", "1.0")
    install_kernel(env_kernel.kernels, env_kernel.site, name="twin", MODE="other")
    first = snapshot_kernel(project, "envtest")
    again = snapshot_kernel(project, "twin")
    assert first.id == again.id
    assert again.created_at == first.created_at  # first seen, kept
    with project.store.connection() as connection:
        assert connection.scalar(select(func.count()).select_from(env_snapshots)) == 1
    assert [row["id"] for row in list_snapshots(project)] == [first.id]

    write_dist(env_kernel.site, "more", "2.0")
    changed = snapshot_kernel(project, "envtest")
    assert changed.id != first.id
    assert [c.describe() for c in diff(first, changed).changes] == ["+ more 2.0"]
    assert list_snapshots(project)[0]["id"] == changed.id


def test_kernel_env_secrets_are_not_stored(project: Project, env_kernel: EnvKernel) -> None:
    install_kernel(env_kernel.kernels, env_kernel.site, name="secret", SERVICE_TOKEN="s3cret")
    snapshot = snapshot_kernel(project, "secret")
    assert snapshot.kernel is not None
    assert snapshot.kernel["env"]["SERVICE_TOKEN"] == "<redacted>"
    with project.store.connection() as connection:
        assert "s3cret" not in connection.scalars(select(env_snapshots.c.document)).one()


def test_broken_distribution_is_kept_in_the_stored_snapshot(
    project: Project, env_kernel: EnvKernel
) -> None:
    (write_dist(env_kernel.site, "cracked", "1.0") / "METADATA").unlink()
    snapshot = get_snapshot(project, snapshot_kernel(project, "envtest").id)
    assert [d.name for d in snapshot.broken()] == ["cracked"]


def _stored(project: Project, name: str) -> Snapshot:
    return save_snapshot(project, Snapshot("requirements", "r.txt", (Distribution(name, "1.0"),)))


def test_lookup_by_prefix_and_its_errors(project: Project) -> None:
    snapshots = [_stored(project, f"pkg{i}") for i in range(40)]
    target = snapshots[0]
    assert get_snapshot(project, target.id[:12]).id == target.id
    assert get_snapshot(project, target.id.upper()).id == target.id
    with pytest.raises(NotFoundError, match="nbtools env list"):
        get_snapshot(project, "0" * 64)
    with pytest.raises(NotFoundError, match="not a snapshot id"):
        get_snapshot(project, "python3")
    shared = next(
        a.id[0] for a in snapshots for b in snapshots if a is not b and a.id[0] == b.id[0]
    )
    with pytest.raises(InvalidInputError, match="ambiguous") as info:
        get_snapshot(project, shared, field="old")
    assert info.value.details["field"] == "old"


@pytest.mark.parametrize("length", [65, 60_000])
def test_an_id_longer_than_any_is_bad_input_naming_its_field(project: Project, length: int) -> None:
    """Not a lookup: 60,000 characters made SQLite's LIKE refuse the pattern (a 500)."""
    stored = _stored(project, "pkg")  # a row for the pattern to be matched against
    assert get_snapshot(project, stored.id + " ").id == stored.id  # 64, and spaces around
    with pytest.raises(InvalidInputError, match="is not a snapshot id") as info:
        get_snapshot(project, stored.id + "a" * (length - 64), field="snapshot_id")
    assert info.value.details == {"field": "snapshot_id"}
    assert f"({length} characters)" in info.value.message
    assert len(info.value.message) < 200


def test_two_writers_storing_the_same_snapshot_at_once_both_succeed(
    postgres_url: str, tmp_path: Path
) -> None:
    """Several job workers start runs on a fresh PostgreSQL store at the same moment."""
    snapshot = Snapshot("requirements", "r.txt", (Distribution("same", "1.0"),))
    first, second = Project(tmp_path, db_url=postgres_url), Project(tmp_path, db_url=postgres_url)
    try:
        with first.store.connection(write=True) as connection:  # inserted, not committed yet
            connection.execute(insert(env_snapshots).values(
                id=snapshot.id, source="requirements", origin="r.txt", python_version="",
                distribution_count=1, created_at=snapshot.created_at,
                captured_at=snapshot.created_at, document=json.dumps(snapshot.to_dict()),
            ))  # fmt: skip
            errors: list[BaseException] = []

            def race() -> None:
                try:
                    save_snapshot(second, snapshot)
                except BaseException as error:
                    errors.append(error)

            racer = threading.Thread(target=race)
            racer.start()  # its insert waits on the uncommitted key, then conflicts
            racer.join(0.5)
        racer.join(30)
        assert not racer.is_alive()
        assert errors == []
        assert save_snapshot(second, snapshot).id == snapshot.id
        with second.store.connection() as connection:
            assert connection.scalar(select(func.count()).select_from(env_snapshots)) == 1
    finally:
        first.close()
        second.close()


def counting_interpreter(directory: Path) -> tuple[str, Path]:
    """An interpreter command that counts its starts in a log (this Python underneath)."""
    log = directory / "starts.log"
    wrapper = directory / "python-counting"
    wrapper.write_text(f'#!/bin/sh\necho start >> "{log}"\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper), log


def starts(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_a_process_captures_an_unchanged_interpreter_once(
    project: Project, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    python, log = counting_interpreter(tmp_path)
    install_kernel(env_kernel.kernels, env_kernel.site, name="counted", python=python)
    write_dist(env_kernel.site, "stable", "1.0")
    first = snapshot_kernel(project, "counted")
    again = snapshot_kernel(project, "counted")
    assert (again.id, starts(log)) == (first.id, 1)

    write_dist(env_kernel.site, "installed", "0.1")  # pip install: a new metadata directory
    installed = snapshot_kernel(project, "counted")
    assert starts(log) == 2
    assert [c.describe() for c in diff(first, installed).changes] == ["+ installed 0.1"]

    upgraded = write_dist(env_kernel.site, "stable", "2.0")  # an upgrade replaces the directory
    (env_kernel.site / "stable-1.0.dist-info").rename(tmp_path / "removed.dist-info")
    assert upgraded.is_dir()
    after = snapshot_kernel(project, "counted")
    assert starts(log) == 3
    assert [c.describe() for c in diff(installed, after).changes] == [
        "~ stable 1.0 -> 2.0 (upgraded)"
    ]
    assert snapshot_kernel(project, "counted").id == after.id
    assert starts(log) == 3


def test_a_process_sees_metadata_edited_in_place(
    project: Project, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    """Its in-process check uses the capture cache's key: a METADATA file edited in place
    (same inode, size and modification time; only its change time moves) is captured again."""
    python, log = counting_interpreter(tmp_path)
    install_kernel(env_kernel.kernels, env_kernel.site, name="counted", python=python)
    folder = write_dist(env_kernel.site, "patched", "1.0")
    first = snapshot_kernel(project, "counted")
    assert (snapshot_kernel(project, "counted").id, starts(log)) == (first.id, 1)

    edit_in_place(folder / "METADATA", b"Version: 1.0", b"Version: 1.5")
    after = snapshot_kernel(project, "counted")
    assert starts(log) == 2
    assert [c.describe() for c in diff(first, after).changes] == ["~ patched 1.0 -> 1.5 (upgraded)"]


def test_a_path_entry_that_appears_later_is_seen(
    project: Project, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    """A user site-packages nothing was installed into yet does not exist; once it does, the
    next capture looks again."""
    python, log = counting_interpreter(tmp_path)
    later = tmp_path / "later-site"
    path = f"{env_kernel.site}{os.pathsep}{later}"
    install_kernel(
        env_kernel.kernels, env_kernel.site, name="later", python=python, PYTHONPATH=path
    )
    first = snapshot_kernel(project, "later")
    assert snapshot_kernel(project, "later").id == first.id
    assert starts(log) == 1
    write_dist(later, "arrived", "1.0")
    arrived = snapshot_kernel(project, "later")
    assert starts(log) == 2
    assert [c.describe() for c in diff(first, arrived).changes] == ["+ arrived 1.0"]


def test_a_user_site_packages_created_after_a_capture_is_seen(
    project: Project, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    """``site`` leaves a missing user site-packages off ``sys.path``: the first ``pip install
    --user`` creates it, and the next capture in the same process looks again (it reused the
    last snapshot). Python outside a venv: a venv has no user site."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    user_base = tmp_path / "userbase"
    install_kernel(
        env_kernel.kernels,
        env_kernel.site,
        name="user",
        python=str(base),
        PYTHONUSERBASE=str(user_base),
    )
    first = snapshot_kernel(project, "user")
    assert snapshot_kernel(project, "user").id == first.id
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    write_dist(user_base / "lib" / version / "site-packages", "arrived", "1.0")
    arrived = snapshot_kernel(project, "user")
    assert [c.describe() for c in diff(first, arrived).changes] == ["+ arrived 1.0"]


def test_a_store_that_cannot_open_stops_the_capture_it_overlapped(
    tmp_path: Path, env_kernel: EnvKernel
) -> None:
    """The capture starts before the store opens; a store that fails leaves no interpreter."""
    project = Project(tmp_path / "root", db_url="nosuchdialect://nowhere")
    # The capture's interpreter is a child of this process. Only children are compared: the
    # test PostgreSQL of this worker, a child already, starts and ends backends of its own.
    before = set(psutil.Process().children())
    with pytest.raises(StoreError, match="nosuchdialect"):
        snapshot_kernel(project, "envtest")
    assert set(psutil.Process().children()) - before == set()
