"""gc, references that pin versions, and history across renames."""

from __future__ import annotations

import pytest

from nbtools import audit, versioning
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.project import Project
from nbtools.versioning.gc import disk_usage
from nbtools.versioning.objects import ObjectStore
from tests.unit.versioning.conftest import edit, png_base64, rich_notebook


def numbers(project: Project, path: str = "nb.ipynb") -> list[int]:
    return [v.number for v in versioning.history(project, path)]


def ten_versions(project: Project) -> list[versioning.Version]:
    versions = []
    for step in range(10):
        nb = edit(rich_notebook(image_seed=step), 1, f"x = {step}")  # a new figure each time
        versions.append(
            versioning.commit(project, "nb.ipynb", nb, message="v3" if step == 2 else None)
        )
    return versions


def test_gc_keeps_the_last_n_named_and_referenced_versions(project: Project) -> None:
    versions = ten_versions(project)
    versioning.pin(project, versions[4].id, "run", "run-17")
    versioning.pin(project, versions[4].id, "run", "run-17")  # idempotent
    assert versioning.references(project, versions[4].id) == [{"kind": "run", "ref": "run-17"}]
    dry = versioning.collect_garbage(project, keep=3, dry_run=True, user="ana")
    assert sorted(v["number"] for v in dry.versions_removed) == [1, 2, 4, 6, 7]
    assert numbers(project) == list(range(10, 0, -1))  # a dry run removes nothing
    assert audit.list_entries(project, action="version.gc") == []  # nor audits anything
    store_dir = project.store_dir / "versions"
    before = disk_usage(store_dir)
    report = versioning.collect_garbage(project, keep=3, user="ana")
    assert numbers(project) == [10, 9, 8, 5, 3]
    assert report.objects_removed > 0
    (entry,) = audit.list_entries(project, action="version.*")  # history deleted: audited
    assert (entry.actor, entry.action, entry.target) == ("ana", "version.gc", "5 versions")
    assert entry.summary == {
        "keep": 3,
        "removed": {"nb.ipynb": [1, 2, 4, 6, 7]},
        "objects_removed": report.objects_removed,
    }
    versioning.collect_garbage(project, keep=3, user="ana")  # nothing left to remove
    assert len(audit.list_entries(project, action="version.gc")) == 1
    assert report.bytes_after < before
    assert versioning.verify(project).ok
    for version in versioning.history(project, "nb.ipynb"):
        source = versioning.version_notebook(project, version)["cells"][1]["source"]
        assert source == f"x = {version.number - 1}"
    assert ObjectStore(store_dir).pack_numbers() == [2]  # the pack was compacted


def test_unpinned_versions_become_collectable(project: Project) -> None:
    versions = ten_versions(project)
    versioning.pin(project, versions[0].id, "extraction", "pkg-1")
    versioning.collect_garbage(project, keep=1)
    assert numbers(project) == [10, 3, 1]
    assert versioning.unpin(project, "extraction", "pkg-1") == 1
    versioning.collect_garbage(project, keep=1)
    assert numbers(project) == [10, 3]


def test_gc_refuses_to_drop_every_version(project: Project) -> None:
    with pytest.raises(InvalidInputError, match="at least 1"):
        versioning.collect_garbage(project, keep=0)


def test_pin_checks_its_input(project: Project) -> None:
    with pytest.raises(NotFoundError, match="no version with id 5"):
        versioning.pin(project, 5, "run", "1")
    version = versioning.commit(project, "nb.ipynb", rich_notebook())
    with pytest.raises(InvalidInputError, match="needs a kind"):
        versioning.pin(project, version.id, "", "1")


def test_gc_removes_leftovers_of_interrupted_saves(project: Project) -> None:
    versioning.commit(project, "nb.ipynb", rich_notebook())
    store = ObjectStore(project.store_dir / "versions")
    with store.pack_path(1).open("ab") as pack:
        pack.write(b"half-written object")
    stray = store.loose_dir / "ab" / ".cdef.tmp"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"partial")
    versioning.collect_garbage(project)
    assert not stray.exists()
    assert b"half-written" not in store.pack_path(store.pack_numbers()[-1]).read_bytes()
    assert versioning.verify(project).ok


def test_a_rename_keeps_the_history(project: Project) -> None:
    versioning.commit(project, "nb.ipynb", rich_notebook())
    versioning.commit(project, "dir/a.ipynb", rich_notebook())
    (project.root / "dir").mkdir()
    assert versioning.rename(project, "nb.ipynb", "renamed.ipynb") == 1
    assert numbers(project, "renamed.ipynb") == [1]
    assert numbers(project, "nb.ipynb") == []
    assert versioning.rename(project, "dir", "moved") == 1
    assert numbers(project, "moved/a.ipynb") == [1]


def test_a_rename_onto_a_deleted_notebooks_history_sets_that_history_aside(
    project: Project,
) -> None:
    versioning.commit(project, "a.ipynb", rich_notebook())
    versioning.commit(project, "b.ipynb", edit(rich_notebook(), 1, "b"))
    versioning.commit(project, "b.ipynb", edit(rich_notebook(), 1, "b2"))
    versioning.rename(project, "b.ipynb", "a.ipynb")
    assert numbers(project, "a.ipynb") == [2, 1]
    assert numbers(project, "a.ipynb~1") == [1]


def test_images_are_restored_exactly_after_gc(project: Project) -> None:
    nb = rich_notebook()
    nb["cells"][2]["outputs"][0]["data"]["image/png"] = png_base64(300_000)
    version = versioning.commit(project, "nb.ipynb", nb)
    versioning.collect_garbage(project, keep=1)
    assert versioning.version_notebook(project, version) == nb
