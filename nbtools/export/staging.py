"""Writing a package's files so that a refused or failed write changes nothing.

Before anything is written, the places the write changes are checked: no file where one of the
package's folders goes and nothing but a file where one of its files goes
(:func:`check_places`), and every folder it writes in, or the nearest existing one above a
folder it makes, writable (:func:`check_writable`). Then each new content is written to a
temporary file beside its target (``.<name>.nbtools-tmp``), making the folders it needs
(:class:`Staged`); if one of these writes fails (a full disk, a folder made read-only in the
meantime), the temporary files and the folders made for them are removed. Only then does each
file take its place, with one ``os.replace``. Every refusal is bad input naming the output
(``InvalidInputError``, ``details["field"]``: ``output``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from nbtools.errors import InvalidInputError
from nbtools.paths import nearest_folder

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


class Staged:
    """New contents written beside their targets, to take their places all at once."""

    def __init__(self) -> None:
        #: (temporary file, target), in the order written.
        self.files: list[tuple[Path, Path]] = []
        #: The folders made for them, the outermost first.
        self.made: list[Path] = []

    def add(self, target: Path, text: str) -> None:
        """Write ``text`` beside ``target`` as it is (no line end translated: the file's hash
        is the text's), making the folders it needs."""
        missing, folder = [], target.parent
        while not folder.is_dir():  # up to the nearest existing folder
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            folder.mkdir()
            self.made.append(folder)
        temporary = target.with_name(TEMPORARY.format(target.name))
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

    def commit(self) -> None:
        """Move every file into its place."""
        while self.files:
            temporary, target = self.files[0]
            os.replace(temporary, target)
            self.files.pop(0)
