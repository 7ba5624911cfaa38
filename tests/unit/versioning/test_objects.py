"""Damage and crashes: detected by hash, reported by name, other versions still readable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from nbtools import versioning
from nbtools.project import Project
from nbtools.versioning.content import version_notebook
from nbtools.versioning.history import Version
from nbtools.versioning.objects import LOOSE_LIMIT, DamagedObjectError, ObjectStore, StoredObject
from nbtools.versioning.tables import version_objects
from tests.conftest import make_notebook
from tests.unit.versioning.conftest import edit, png_base64, rich_notebook


def three_versions(project: Project) -> list[Version]:
    nb = rich_notebook()
    return [
        versioning.commit(project, "nb.ipynb", edit(nb, 1, source)) for source in ("a", "b", "c")
    ]


def source_record(project: Project, version: Version) -> StoredObject:
    """The stored object holding cell 1's source in ``version``."""
    import json

    store = ObjectStore(project.store_dir / "versions")
    with project.store.connection() as connection:
        manifest = json.loads(store.read(connection, [version.manifest])[version.manifest])
        return store.records(connection, [manifest["cells"][1]["source"]]).popitem()[1]


def test_small_objects_are_packed_and_large_ones_get_their_own_file(project: Project) -> None:
    nb = rich_notebook()
    nb["cells"][2]["outputs"][0]["data"]["image/png"] = png_base64(LOOSE_LIMIT + 10)
    versioning.commit(project, "nb.ipynb", nb)
    with project.store.connection() as connection:
        records = connection.execute(select(version_objects)).all()
    loose = [r for r in records if r.pack is None]
    assert [r.size for r in loose] == [LOOSE_LIMIT + 18]
    store = ObjectStore(project.store_dir / "versions")
    assert store.loose_path(loose[0].sha).stat().st_size == LOOSE_LIMIT + 18
    assert store.pack_numbers() == [1]
    assert {r.pack for r in records if r not in loose} == {1}


def test_a_corrupted_object_is_reported_and_other_versions_stay_readable(
    project: Project,
) -> None:
    first, second, third = three_versions(project)
    damaged = source_record(project, second)
    store = ObjectStore(project.store_dir / "versions")
    with store.pack_path(damaged.pack or 0).open("r+b") as pack:
        pack.seek(damaged.offset)
        pack.write(b"X" * damaged.length)
    with pytest.raises(DamagedObjectError, match=damaged.sha[:12]) as info:
        version_notebook(project, second)
    assert info.value.details["problem"] == "corrupt"
    assert version_notebook(project, first)["cells"][1]["source"] == "a"
    assert version_notebook(project, third)["cells"][1]["source"] == "c"
    report = versioning.verify(project)
    assert not report.ok
    assert [d["sha"] for d in report.damaged_objects] == [damaged.sha]
    assert [v["number"] for v in report.unreadable_versions] == [2]
    # a new save still works, without using the damaged object as a delta base
    fourth = versioning.commit(project, "nb.ipynb", edit(rich_notebook(), 1, "d"))
    assert version_notebook(project, fourth)["cells"][1]["source"] == "d"


def test_a_missing_object_file_is_reported_by_name(project: Project) -> None:
    nb = rich_notebook()
    nb["cells"][2]["outputs"][0]["data"]["image/png"] = png_base64(LOOSE_LIMIT + 10)
    with_image = versioning.commit(project, "nb.ipynb", nb)
    without = versioning.commit(project, "other.ipynb", rich_notebook())
    store = ObjectStore(project.store_dir / "versions")
    with project.store.connection() as connection:
        loose = connection.execute(
            select(version_objects).where(version_objects.c.pack.is_(None))
        ).one()
    store.loose_path(loose.sha).unlink()
    with pytest.raises(DamagedObjectError, match="No such file or directory") as info:
        version_notebook(project, with_image)
    assert info.value.details == {
        "sha": loose.sha,
        "location": str(store.loose_path(loose.sha)),
        "problem": "missing",
    }
    assert version_notebook(project, with_image, images=False)  # diffs still work
    assert version_notebook(project, without)["cells"][1]["source"].startswith("x = 1")


def test_a_truncated_pack_is_detected(project: Project) -> None:
    first, _, third = three_versions(project)
    store = ObjectStore(project.store_dir / "versions")
    last = source_record(project, third)
    os.truncate(store.pack_path(1), last.offset + 1)
    with pytest.raises(DamagedObjectError, match=r"truncated|damaged"):
        version_notebook(project, third)
    assert version_notebook(project, first)["cells"][1]["source"] == "a"


CRASHING_WRITER = """
import sys
from pathlib import Path
from nbtools import versioning
from nbtools.project import Project
from tests.unit.versioning.conftest import edit, rich_notebook
project = Project(Path(sys.argv[1]))
nb = rich_notebook()
latest = versioning.latest(project, "nb.ipynb")
step = latest.number if latest else 0
print("ready", flush=True)
while True:
    step += 1
    versioning.commit(project, "nb.ipynb", edit(nb, 1, "x = %d" % step))
    print("saved", flush=True)
"""


@pytest.mark.slow
def test_a_writer_killed_mid_save_loses_nothing_and_exposes_nothing_half_written(
    project: Project,
) -> None:
    assert project.store.revision()  # the store exists before the writers start
    for delay in (0.0, 0.15, 0.3):
        writer = subprocess.Popen(
            [sys.executable, "-c", CRASHING_WRITER, str(project.root)],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).parents[3],
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == b"ready"
        # killed while it saves on and on, a while after its first save (however loaded the
        # machine: the kill never comes before a version exists)
        assert writer.stdout.readline().strip() == b"saved"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        versions = versioning.history(project, "nb.ipynb")
        assert versions
        assert [v.number for v in versions] == list(range(len(versions), 0, -1))
        assert versioning.verify(project).ok
    for version in versioning.history(project, "nb.ipynb"):
        assert version_notebook(project, version)["cells"][1]["source"] == f"x = {version.number}"
    # whatever the kills left half-written is unreferenced, and gc reclaims it
    versioning.collect_garbage(project, keep=1000)
    assert versioning.verify(project).ok


def test_a_save_takes_its_bases_from_memory_and_every_other_read_from_disk(
    project: Project,
) -> None:
    first, second = three_versions(project)[:2]
    base = source_record(project, second)
    store = ObjectStore(project.store_dir / "versions")
    with project.store.connection() as connection:
        written = store.read(connection, [base.sha])[base.sha]
    assert base.pack is not None
    pack = store.pack_path(base.pack)
    pack.write_bytes(b"\0" * pack.stat().st_size)  # every object on disk damaged
    with project.store.connection() as connection:
        assert store.read(connection, [base.sha], recent=True) == {base.sha: written}
        with pytest.raises(DamagedObjectError):
            store.read(connection, [base.sha])
    with pytest.raises(DamagedObjectError):
        version_notebook(project, first)


def test_a_remembered_object_whose_row_is_gone_is_reported_missing(project: Project) -> None:
    version = three_versions(project)[-1]
    gone = source_record(project, version)
    with project.store.connection(write=True) as connection:
        connection.execute(delete(version_objects).where(version_objects.c.sha == gone.sha))
    store = ObjectStore(project.store_dir / "versions")
    with project.store.connection() as connection, pytest.raises(DamagedObjectError) as raised:
        store.read(connection, [gone.sha], recent=True)
    assert raised.value.details["problem"] == "missing"


def test_remembered_content_is_bounded_in_entries_and_bytes() -> None:
    from nbtools.versioning.objects import DELTA_LIMIT, _Recent

    recent = _Recent(entries=2, size=10)
    recent.put("a", b"1234")
    recent.put("b", b"5678")
    recent.put("c", b"9")  # three entries: the oldest goes
    assert recent.get(["a", "b", "c"]) == {"b": b"5678", "c": b"9"}
    recent.put("d", b"abcdefgh")  # over 10 bytes: the oldest go until it fits
    assert recent.get(["b", "c", "d"]) == {"c": b"9", "d": b"abcdefgh"}
    recent.put("e", b"x" * (DELTA_LIMIT + 1))  # never a delta base: not kept
    assert recent.get(["e"]) == {}


@pytest.mark.parametrize(
    ("data", "base"),
    [
        (b"", b""),
        (b"same", b"same"),
        (b"", b"all of it removed"),
        (b"all of it new", b""),
        (b"start, edited end", b"start, the end"),
        (b"an edited start", b"the start"),
        (b"aaa", b"aaaa"),  # common start and end overlap: the end is what follows the start
        (b"aaaa", b"aaa"),
        (b"x" * 300 + b"middle" + b"y" * 70_000, b"x" * 300 + b"centre" + b"y" * 70_000),
    ],
)
def test_a_span_delta_gives_back_its_content(data: bytes, base: bytes) -> None:
    from nbtools.versioning.objects import apply_span_delta, span_delta

    assert apply_span_delta(span_delta(data, base), base) == data


def test_a_span_delta_that_does_not_fit_its_base_is_refused() -> None:
    import zlib

    from nbtools.versioning.objects import apply_span_delta, span_delta

    delta = span_delta(b"start and end", b"start, end")
    with pytest.raises(zlib.error, match="longer than its base"):
        apply_span_delta(delta, b"short")
    with pytest.raises(zlib.error, match="cut short"):
        apply_span_delta(b"\x80", b"base")


def test_an_edit_near_the_start_of_a_manifest_longer_than_deflates_window_is_a_small_delta(
    project: Project,
) -> None:
    from nbtools.versioning.objects import SPAN_DELTA

    nb = make_notebook([("code", f"value_{index} = {index}", []) for index in range(400)])
    versioning.commit(project, "nb.ipynb", nb)
    edited = versioning.commit(project, "nb.ipynb", edit(nb, 1, "value_1 = 'changed'"))
    with project.store.connection() as connection:
        manifest = connection.execute(
            select(version_objects).where(version_objects.c.sha == edited.manifest)
        ).one()
    assert manifest.size > 32 * 1024  # longer than deflate's window
    assert (manifest.encoding, manifest.depth) == (SPAN_DELTA, 1)
    assert manifest.length < 200
    assert version_notebook(project, edited)["cells"][1]["source"] == "value_1 = 'changed'"


def test_deltas_of_the_earlier_form_are_still_read(project: Project) -> None:
    """Whole content deflated with the base as dictionary, as stores written before the span
    deltas hold them."""
    import hashlib

    from sqlalchemy import insert

    from nbtools.versioning.objects import DELTA, _deflate

    version = versioning.commit(project, "nb.ipynb", rich_notebook())
    store = ObjectStore(project.store_dir / "versions")
    base = source_record(project, version)
    with project.store.connection() as connection:
        base_content = store.read(connection, [base.sha])[base.sha]
    content = base_content + b"\nprint('one more line')\n"
    stored = _deflate(content, 9, base_content)
    sha = hashlib.sha256(content).hexdigest()
    with store.lock(), project.store.connection(write=True) as connection:
        (offset,) = store.append(1, [stored])
        connection.execute(
            insert(version_objects).values(
                sha=sha, size=len(content), pack=1, offset=offset, length=len(stored),
                encoding=DELTA, base=base.sha, depth=base.depth + 1,
            )
        )  # fmt: skip
    with project.store.connection() as connection:
        assert store.read(connection, [sha]) == {sha: content}


def test_a_delta_chain_ends_at_the_longest_allowed_and_the_next_object_is_whole(
    project: Project,
) -> None:
    from nbtools.versioning.objects import MAX_DEPTH, SPAN_DELTA, ZLIB

    nb = rich_notebook()
    saved = [
        versioning.commit(project, "nb.ipynb", edit(nb, 1, f"x = {step}"))
        for step in range(MAX_DEPTH + 2)
    ]
    with project.store.connection() as connection:
        rows = {
            row.sha: row
            for row in connection.execute(
                select(version_objects).where(
                    version_objects.c.sha.in_([version.manifest for version in saved])
                )
            )
        }
    manifests = [rows[version.manifest] for version in saved]
    assert [row.depth for row in manifests] == [*range(MAX_DEPTH + 1), 0]
    assert [row.encoding for row in manifests] == [ZLIB, *[SPAN_DELTA] * MAX_DEPTH, ZLIB]
    assert all(row.length < 150 for row in manifests[1:-1])
    assert version_notebook(project, saved[MAX_DEPTH])["cells"][1]["source"] == f"x = {MAX_DEPTH}"
