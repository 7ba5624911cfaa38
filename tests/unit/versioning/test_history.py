from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from nbtools import versioning
from nbtools.errors import InvalidInputError, NotebookError, NotFoundError
from nbtools.project import Project
from nbtools.store.tables import notebooks
from nbtools.versioning.content import version_notebook
from nbtools.versioning.tables import version_objects, versions
from tests.unit.versioning.conftest import edit, rich_notebook, write


def test_commit_records_a_version_and_identical_content_makes_none(
    project: Project, nb_path: Path
) -> None:
    data = write(nb_path, rich_notebook())
    first = versioning.commit(project, "nb.ipynb", data, user="ada")
    assert (first.number, first.recorded, first.user, first.kind) == (1, True, "ada", "auto")
    assert (first.size, first.cells, first.cells_changed) == (len(data), 4, 4)
    again = versioning.commit(project, "./nb.ipynb", json.loads(data))  # same notebook, as a dict
    assert (again.id, again.recorded) == (first.id, False)
    assert versioning.latest(project, "nb.ipynb") == again


def test_each_change_is_a_new_version_counting_changed_cells(
    project: Project, nb_path: Path
) -> None:
    nb = rich_notebook()
    versioning.commit(project, "nb.ipynb", write(nb_path, nb))
    second = versioning.commit(project, "nb.ipynb", write(nb_path, edit(nb, 1, "x = 5")))
    nb3 = edit(nb, 1, "x = 5")
    del nb3["cells"][3]
    nb3["cells"].append({"id": "new", "cell_type": "markdown", "metadata": {}, "source": "n"})
    third = versioning.commit(project, "nb.ipynb", nb3)
    assert [second.number, second.cells_changed] == [2, 1]
    assert [third.number, third.cells_changed] == [3, 2]
    assert [v.number for v in versioning.history(project, "nb.ipynb")] == [3, 2, 1]
    assert version_notebook(project, second)["cells"][1]["source"] == "x = 5"


def test_a_message_names_the_latest_version_or_records_a_new_one(
    project: Project, nb_path: Path
) -> None:
    data = write(nb_path, rich_notebook())
    versioning.commit(project, "nb.ipynb", data)
    named = versioning.commit(project, "nb.ipynb", data, message="baseline")
    assert (named.number, named.recorded, named.message, named.named) == (
        1,
        False,
        "baseline",
        True,
    )
    same = versioning.commit(project, "nb.ipynb", data, message="baseline")
    assert same.id == named.id
    renamed = versioning.commit(project, "nb.ipynb", data, message="release 1")
    assert (renamed.number, renamed.recorded, renamed.cells_changed) == (2, True, 0)
    with pytest.raises(InvalidInputError, match="message is empty"):
        versioning.commit(project, "nb.ipynb", data, message="  ")


def stored_bytes(project: Project) -> int:
    with project.store.connection() as connection:
        return connection.scalar(select(func.sum(version_objects.c.length))) or 0


def test_unchanged_cells_and_images_are_stored_once(project: Project, nb_path: Path) -> None:
    nb = rich_notebook()
    versioning.commit(project, "nb.ipynb", write(nb_path, nb))
    first = stored_bytes(project)
    for step in range(10):
        versioning.commit(project, "nb.ipynb", write(nb_path, edit(nb, 1, f"x = {step}")))
    # ten more versions cost less than 100 bytes each: a new source and a manifest delta
    assert stored_bytes(project) - first < 10 * 100
    with project.store.connection() as connection:
        deltas = connection.scalar(select(func.count()).where(version_objects.c.base.is_not(None)))
    assert deltas >= 10


def test_truncated_or_invalid_content_is_refused_and_the_store_untouched(
    project: Project, nb_path: Path
) -> None:
    data = write(nb_path, rich_notebook())
    for bad, message in [
        (data[: len(data) // 2], "looks truncated"),
        (b"", "is empty"),
        (b'{"nbformat": 4}', "not a notebook"),
    ]:
        with pytest.raises(NotebookError, match=message):
            versioning.commit(project, "nb.ipynb", bad)
    with project.store.connection() as connection:
        assert connection.scalar(select(func.count(notebooks.c.id))) == 0
        assert connection.scalar(select(func.count()).select_from(version_objects)) == 0
    assert not (project.store_dir / "versions" / "packs").exists()


def test_paths_outside_the_root_are_refused(project: Project) -> None:
    with pytest.raises(InvalidInputError, match=r"contains '\.\.'"):
        versioning.commit(project, "../x.ipynb", rich_notebook())


def test_references_resolve_numbers_latest_and_offsets(project: Project, nb_path: Path) -> None:
    nb = rich_notebook()
    for step in range(3):
        versioning.commit(project, "nb.ipynb", edit(nb, 1, f"x = {step}"))
    assert versioning.resolve(project, "nb.ipynb", "2").number == 2
    assert versioning.resolve(project, "nb.ipynb", "latest").number == 3
    assert versioning.resolve(project, "nb.ipynb", "latest~2").number == 1
    assert versioning.get(project, 2).number == 2
    with pytest.raises(NotFoundError, match="has no version 'latest~3'"):
        versioning.resolve(project, "nb.ipynb", "latest~3")
    with pytest.raises(InvalidInputError, match="not a version reference"):
        versioning.resolve(project, "nb.ipynb", "HEAD^")
    with pytest.raises(NotFoundError, match="no version with id 99"):
        versioning.get(project, 99)


@pytest.mark.parametrize(
    "ref",
    [
        "2147483647",  # the largest version number PostgreSQL holds
        "2147483648",  # past it: PostgreSQL would refuse the query
        "9223372036854775807",
        "9223372036854775808",  # past SQLite's largest integer: it would refuse to bind it
        "99999999999999999999",
        "0" * 30 + "1" + "0" * 19,
        "9" * 5000,  # more digits than Python converts
        "latest~9223372036854775807",
        "latest~99999999999999999999",
    ],
)
def test_a_number_past_any_version_is_no_version(project: Project, nb_path: Path, ref: str) -> None:
    versioning.commit(project, "nb.ipynb", write(nb_path, rich_notebook()))
    with pytest.raises(NotFoundError, match=r"nb\.ipynb has no version '") as info:
        versioning.resolve(project, "nb.ipynb", ref)
    assert info.value.details == {"path": "nb.ipynb", "ref": ref, "field": "ref"}


@pytest.mark.parametrize(
    "ref", ["\u0661", "latest~\u0661", "²", "1 2", "+1", "-1", "1.0", "latest~-1"]
)
def test_a_reference_is_ascii_digits_or_latest(project: Project, nb_path: Path, ref: str) -> None:
    """Arabic-Indic or superscript digits are not version numbers, though Python's int()
    reads some of them."""
    versioning.commit(project, "nb.ipynb", write(nb_path, rich_notebook()))
    with pytest.raises(InvalidInputError, match="not a version reference"):
        versioning.resolve(project, "nb.ipynb", ref)
    assert versioning.resolve(project, "nb.ipynb", " 001 ").number == 1


def test_a_history_that_must_exist_tells_a_typo_from_a_new_or_deleted_notebook(
    project: Project, nb_path: Path
) -> None:
    write(project.root / "new.ipynb", rich_notebook())  # never saved as a version
    assert versioning.history(project, "new.ipynb", must_exist=True) == []
    versioning.commit(project, "nb.ipynb", write(nb_path, rich_notebook()))
    nb_path.unlink()  # deleted: its versions are how to bring it back
    assert [v.number for v in versioning.history(project, "nb.ipynb", must_exist=True)] == [1]
    (project.root / "folder.ipynb").mkdir()
    for typo in ("typo.ipynb", "folder.ipynb"):
        assert versioning.history(project, typo) == []
        with pytest.raises(NotFoundError, match="no versions, and there is no such notebook"):
            versioning.history(project, typo, must_exist=True)


@pytest.mark.parametrize("limit", [0, -1, 2**63, 10**30])
def test_a_history_limit_is_from_1_to_the_largest_integer(
    project: Project, nb_path: Path, limit: int
) -> None:
    versioning.commit(project, "nb.ipynb", write(nb_path, rich_notebook()))
    with pytest.raises(InvalidInputError, match="limit must be a whole number from 1 to") as info:
        versioning.history(project, "nb.ipynb", limit)
    assert info.value.details == {"field": "limit"}
    assert len(versioning.history(project, "nb.ipynb", 2**63 - 1)) == 1


def test_concurrent_saves_from_threads_are_all_recorded_in_order(
    project: Project,
) -> None:
    nb = rich_notebook()
    barrier = threading.Barrier(4)

    def save(worker: int) -> None:
        barrier.wait()
        for step in range(5):
            versioning.commit(project, "nb.ipynb", edit(nb, 1, f"w{worker} s{step}"))

    threads = [threading.Thread(target=save, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    versions = versioning.history(project, "nb.ipynb")
    assert [v.number for v in versions] == list(range(20, 0, -1))
    sources = {version_notebook(project, v)["cells"][1]["source"] for v in versions}
    assert sources == {f"w{w} s{s}" for w in range(4) for s in range(5)}
    for worker in range(4):  # each writer's saves keep their order
        numbers = [
            v.number
            for v in reversed(versions)
            if version_notebook(project, v)["cells"][1]["source"].startswith(f"w{worker} ")
        ]
        assert numbers == sorted(numbers)


def _save_in_process(root: str, worker: int) -> None:
    project = Project(Path(root))
    nb = rich_notebook()
    for step in range(5):
        versioning.commit(project, "nb.ipynb", edit(nb, 1, f"p{worker} s{step}"))
    project.close()


def test_two_processes_saving_one_notebook_record_every_save(project: Project) -> None:
    assert project.store.revision()  # the store exists before the workers race to use it
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_save_in_process, args=(str(project.root), w)) for w in (1, 2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with project.store.connection() as connection:
        numbers = sorted(connection.scalars(select(versions.c.number)))
    assert numbers == list(range(1, 11))
    assert versioning.verify(project).ok


def test_history_restore_gc_and_verify_on_each_database(store_url: str, tmp_path: Path) -> None:
    project = Project(tmp_path, db_url=store_url)
    try:
        nb = rich_notebook()
        first = versioning.commit(project, "nb.ipynb", write(tmp_path / "nb.ipynb", nb))
        for step in range(3):
            versioning.commit(
                project, "nb.ipynb", write(tmp_path / "nb.ipynb", edit(nb, 1, f"{step}"))
            )
        versioning.pin(project, first.id, "run", "1")
        versioning.restore(project, versioning.resolve(project, "nb.ipynb", "2"))
        for ref in ("2147483648", "9223372036854775808", "latest~9223372036854775807"):
            with pytest.raises(NotFoundError, match="has no version"):
                versioning.resolve(project, "nb.ipynb", ref)
        assert len(versioning.history(project, "nb.ipynb", 2**63 - 1)) == 5
        versioning.collect_garbage(project, keep=2)
        assert [v.number for v in versioning.history(project, "nb.ipynb")] == [5, 4, 1]
        assert versioning.version_notebook(project, first) == nb
        assert versioning.verify(project).ok
    finally:
        project.close()


def test_a_message_a_database_cannot_hold_is_refused_on_each_database(
    store_url: str, tmp_path: Path
) -> None:
    """PostgreSQL's text holds no NUL and the column at most 4096 characters: such a message
    was a database error there (a 500 in JupyterLab), and stored whole by SQLite."""
    project = Project(tmp_path, db_url=store_url)
    try:
        data = write(tmp_path / "nb.ipynb", rich_notebook())
        for message in ("a\x00b", "x" * 4097):
            with pytest.raises(InvalidInputError) as info:
                versioning.commit(project, "nb.ipynb", data, message=message)
            assert info.value.details == {"field": "message"}
            assert info.value.message == (
                "The message must be text of at most 4096 characters, without NUL."
            )
        assert versioning.history(project, "nb.ipynb") == []
        longest = versioning.commit(project, "nb.ipynb", data, message="x" * 4096)
        assert versioning.get(project, longest.id).message == "x" * 4096
    finally:
        project.close()
