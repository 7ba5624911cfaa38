"""``version verify`` with a ``version gc`` running meanwhile: what gc removes is no damage."""

from __future__ import annotations

import os
from pathlib import Path

from nbtools import versioning
from nbtools.project import Project
from tests.conftest import opened_for_writing
from tests.held import Stop, fifo, start
from tests.unit.versioning.test_retention import ten_versions


def test_verify_reports_no_damage_for_what_a_gc_meanwhile_removed(
    project: Project, tmp_path: Path
) -> None:
    """verify listed the objects, then gc removed most of them while it read the first:
    "damaged objects …: No such file or directory", exit 1, for a healthy store."""
    ten_versions(project)
    pipe = fifo(tmp_path / "held")
    verify = start(project.root, "version", "verify", stop=Stop("open", "/packs/", fifo=pipe))
    writer = opened_for_writing(pipe, verify)  # verify waits at its first read of a pack
    try:
        report = versioning.collect_garbage(project, keep=1)
        assert report.objects_removed > 0
    finally:
        os.close(writer)
    out, err = verify.communicate(timeout=120)
    assert verify.returncode == 0, (out + err).decode()
    assert b"damaged" not in out
