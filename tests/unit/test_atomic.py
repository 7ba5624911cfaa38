"""Writing a file whole or not at all (nbtools/atomic.py): what readers see while writers race,
the modes files get, and what a refused write leaves."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtools.atomic import atomic_write, check_writable, replacing
from nbtools.errors import InvalidInputError, NotFoundError


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("durable", [True, False])
def test_a_new_file_gets_the_umask_s_mode_and_an_old_one_keeps_its_own(
    tmp_path: Path, umask_027: None, durable: bool
) -> None:
    new = tmp_path / "new.json"
    atomic_write(new, b"{}", durable=durable)
    assert (new.read_bytes(), mode(new)) == (b"{}", 0o640)
    kept = tmp_path / "kept.json"
    kept.write_bytes(b"old")
    kept.chmod(0o600)
    atomic_write(kept, b"new", durable=durable)
    assert (kept.read_bytes(), mode(kept)) == (b"new", 0o600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.json", "new.json"]


def test_an_exclusive_write_never_replaces_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_bytes(b"mine")
    with pytest.raises(FileExistsError):
        atomic_write(path, b"theirs", exclusive=True)
    assert path.read_bytes() == b"mine"
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"]


def test_racing_writers_and_a_reader_see_only_whole_files(tmp_path: Path, umask_027: None) -> None:
    """Eight threads write the same file while one reads it: every read is one writer's
    whole content, and every file created meanwhile (by any thread) gets the umask's mode:
    no writer ever sets the process's umask, even for a moment."""
    path = tmp_path / "cache.json"
    contents = [bytes([65 + n]) * 200_000 for n in range(8)]
    atomic_write(path, contents[0])
    done = threading.Event()
    seen: set[bytes] = set()

    def read() -> None:
        while not done.is_set():
            seen.add(path.read_bytes())

    def write(content: bytes, index: int) -> None:
        for round_ in range(20):
            atomic_write(path, content, durable=False)
            atomic_write(tmp_path / f"other-{index}-{round_}", b"x", durable=False)

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(c, i)) for i, c in enumerate(contents)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()
    assert seen <= set(contents)
    assert path.read_bytes() in contents
    others = [p for p in tmp_path.iterdir() if p.name.startswith("other-")]
    assert len(others) == 160
    assert {mode(p) for p in [path, *others]} == {0o640}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_block_that_raises_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"old")

    def copy_that_fails() -> None:
        with replacing(path) as handle:
            handle.write(b"half of the new")
            raise RuntimeError("the copy failed")

    with pytest.raises(RuntimeError):
        copy_that_fails()
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]


def test_check_writable_refuses_a_missing_folder_and_a_folder_naming_the_input(
    tmp_path: Path,
) -> None:
    """Before any work: what the caller will write is named as the user gave it, with the
    field it came from (a read-only folder: tests/unit/envsnap/test_cli.py)."""
    with pytest.raises(NotFoundError) as missing:
        check_writable(tmp_path / "nodir" / "x.txt", "nodir/x.txt", "output")
    assert missing.value.message == "The folder of nodir/x.txt does not exist; create it first."
    assert missing.value.details == {"path": "nodir/x.txt", "field": "output"}
    (tmp_path / "taken").mkdir()
    with pytest.raises(InvalidInputError, match=r"^taken is a folder; give a file's name\.$"):
        check_writable(tmp_path / "taken", "taken", "output")
    check_writable(tmp_path / "new.txt", "new.txt", "output")
    (tmp_path / "old.txt").write_text("replaceable")
    check_writable(tmp_path / "old.txt", "old.txt", "output")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt", "taken"]
