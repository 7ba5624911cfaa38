"""Writing a package's files so that a refused, failed or stopped write changes nothing.

Before anything is written, the places the write changes are checked: no file where one of the
package's folders goes and nothing but a file where one of its files goes
(:func:`check_places`), and every folder it writes in, or the nearest existing one above a
folder it makes, writable (:func:`check_writable`). Then each new content is written to a
temporary file beside its target (``.<name>.nbtools-tmp``), making the folders it needs
(:class:`Staged`), the new manifest's first; if one of these writes fails (a full disk, a
folder made read-only in the meantime), the temporary files and the folders made for them are
removed. Only then does each file take its place, with one ``os.replace``: the generated
files, then the removal of the files the package no longer has, then the manifest, last. Every
refusal is bad input naming the output (``InvalidInputError``, ``details["field"]``:
``output``).

The new manifest's temporary file is the write's journal: it lists every file of the new
package with its hash. A write stopped half-way (killed, the power lost) leaves it, and the
next write into the directory, under the directory's lock, settles it first
(:func:`recover`): when every file is either in place or staged whole, it finishes the moves;
otherwise (it was stopped while staging, before any file took its place) it removes the
temporary files and the folders made for them. A check, which writes nothing, fails on it
(:func:`check_settled`). No fsync is added: a write costs one more ``open`` (of a journal that
is not there).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from nbtools.digest import sha256_hex
from nbtools.errors import CheckFailedError, InvalidInputError
from nbtools.export.model import MANIFEST
from nbtools.paths import nearest_folder, resolve_inside

#: The name a file is written to first, beside it, before it replaces the file.
TEMPORARY = ".{}.nbtools-tmp"


def check_places(out: Path, paths: Iterable[str]) -> None:
    """Refuse ``out`` when a file (or a link to none) stands where a folder of ``paths``
    (``/``-separated, relative to ``out``) goes, or anything but a file where one of them
    goes: no write could replace it."""
    folders: set[str] = set()
    for path in sorted(paths):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in folders:
                continue
            folders.add(folder)
            place = out / folder
            if os.path.lexists(place) and not place.is_dir():
                raise _in_the_way(out, place, f"a file where the package's folder {folder}/ goes")
        place = out / path
        if os.path.lexists(place) and not (place.is_file() or place.is_symlink()):
            kind = "a folder" if place.is_dir() else "no regular file"
            raise _in_the_way(out, place, f"{kind} where the package's file {path} goes")


def _in_the_way(out: Path, place: Path, what: str) -> InvalidInputError:
    return InvalidInputError(
        f"The output {out} cannot take the package: {place} is {what}. Move it away, or "
        "choose another output directory.",
        path=str(place),
        field="output",
    )


def check_writable(out: Path, targets: Iterable[Path]) -> None:
    """Refuse when ``out`` or a folder holding one of ``targets`` cannot be written (for a
    missing folder: the nearest existing one above it, where it would be made)."""
    folders = {nearest_folder(out.absolute())}
    folders.update(nearest_folder(target.parent.absolute()) for target in targets)
    for folder in sorted(folders):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InvalidInputError(
                f"The output {out} cannot be written: nbtools may not write in {folder}. Make "
                "it writable, or choose another output directory.",
                path=str(folder),
                field="output",
            )


def write_failed(out: Path, error: OSError, changed: bool) -> InvalidInputError:
    """The refusal of a write that failed (``changed``: after some file took its place)."""
    where = f" at {error.filename}" if error.filename else ""
    outcome = (
        "Some files were replaced already: write again once it is fixed."
        if changed
        else "Nothing was changed."
    )
    return InvalidInputError(
        f"Writing the package into {out} failed{where}: {error.strerror or error}. {outcome}",
        path=str(error.filename or out),
        field="output",
    )


def missing_folders(folder: Path) -> list[Path]:
    """The folders from the nearest existing one above ``folder`` down to it, the outermost
    first: the ones a write making ``folder`` makes."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    return missing[::-1]


def temporary_of(target: Path) -> Path:
    """Where ``target``'s new content is written first."""
    return target.with_name(TEMPORARY.format(target.name))


class Staged:
    """New contents written beside their targets, to take their places all at once; the
    first one written, the new manifest, takes its place last (the write's journal)."""

    def __init__(self) -> None:
        #: (temporary file, target), in the order written.
        self.files: list[tuple[Path, Path]] = []
        #: The folders made for them, the outermost first.
        self.made: list[Path] = []

    def add(self, target: Path, text: str) -> None:
        """Write ``text`` beside ``target`` as it is (no line end translated: the file's hash
        is the text's), making the folders it needs."""
        for folder in missing_folders(target.parent):
            folder.mkdir()
            self.made.append(folder)
        temporary = temporary_of(target)
        with temporary.open("w", encoding="utf-8", newline="") as stream:
            self.files.append((temporary, target))  # made: removed if the write fails
            stream.write(text)

    def discard(self) -> None:
        """Remove the temporary files left and the folders made for them (once empty)."""
        for temporary, _ in self.files:
            temporary.unlink(missing_ok=True)
        for folder in reversed(self.made):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()

    def commit(self, out: Path, removed: Iterable[Path]) -> None:
        """Move every file into its place, remove the files in ``removed`` (and the folders
        in ``out`` they leave empty), then move the first file staged, the manifest."""
        while len(self.files) > 1:
            temporary, target = self.files[1]
            os.replace(temporary, target)
            self.files.pop(1)
        for target in removed:
            if target.exists():
                target.unlink()
                remove_empty_parents(target.parent, out)
        if self.files:
            os.replace(*self.files.pop())


def recover(out: Path, recorded: Mapping[str, str]) -> bool:
    """Settle a write into ``out`` that was stopped half-way, if its journal (the staged
    manifest) is there: finish it when it had staged every file, else undo it. ``recorded``:
    the hashes of the files the manifest in place lists, the package before that write.
    Whether there was such a write."""
    journal = temporary_of(out / MANIFEST)
    try:
        text = journal.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    try:
        files = json.loads(text)["files"]
    except (ValueError, KeyError, TypeError):  # stopped while the journal itself was written
        files = None
    new = {path: resolve_inside(out, path) for path in files or {}}
    check_places(out, new)  # what no move can replace, named
    finish = files is not None and all(
        files[path] in (_hash(target), _hash(temporary_of(target))) for path, target in new.items()
    )
    for path, target in new.items():
        temporary, current = temporary_of(target), _hash(target)
        if finish and current != files[path] and current in (None, recorded.get(path)):
            os.replace(temporary, target)
        elif temporary.exists():  # not staged whole, or the file was edited since: named next
            temporary.unlink()
            remove_empty_parents(temporary.parent, out)
    if not finish:
        journal.unlink()
        return True
    for path in sorted(set(recorded) - set(files)):
        target = resolve_inside(out, path)
        if _hash(target) == recorded[path]:
            target.unlink()
            remove_empty_parents(target.parent, out)
    os.replace(journal, out / MANIFEST)
    return True


def half_written(out: Path) -> str | None:
    """What to tell of the package in ``out`` when a write into it was stopped half-way: its
    journal is there, and the files in place may be the old package's, the new one's, or both
    (the manifest in place then describing them or not). None when no write was stopped. The
    next write settles it (:func:`recover`); the sentence names the JupyterLab controls as
    they read (the toolbar's Productionize, the Package section's Write and test)."""
    journal = temporary_of(out / MANIFEST)
    if not os.path.lexists(journal):
        return None
    return (
        f"The package in {out} is half-written: an nbtools extract writing it was stopped "
        f"before it ended (its journal, {journal.name}, is still there). Run nbtools extract "
        "again, without --check (or, in JupyterLab, click Productionize in the notebook's "
        "toolbar, then Write and test in the Package section): it finishes or undoes that "
        "write, then writes the package."
    )


def check_settled(out: Path) -> None:
    """Fail a check of ``out`` (which changes nothing) when a write into it was stopped
    half-way (:func:`half_written`)."""
    said = half_written(out)
    if said is not None:
        journal = temporary_of(out / MANIFEST)
        raise CheckFailedError(said, output=str(out), journal=str(journal))


def _hash(path: Path) -> str | None:
    try:
        return sha256_hex(path.read_bytes())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def remove_empty_parents(directory: Path, out: Path) -> None:
    """Remove ``directory`` and the folders above it, up to ``out``, while they are empty."""
    root = out.resolve()
    while directory.resolve() != root and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
