"""Snapshots as files: choosing a format, exporting, and reading a file or id back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtools.atomic import atomic_write
from nbtools.envsnap.index import PackageIndex, Progress, unfollowed
from nbtools.envsnap.kernel_capture import KernelCapture, cache_dir
from nbtools.envsnap.model import MarkerEnvironment, Snapshot
from nbtools.envsnap.pylock import (
    CREATED_BY,
    LockExport,
    parse_pylock,
    to_pylock,
    validate_pylock,
)
from nbtools.envsnap.requirements import (
    WRITTEN_BY,
    check_requirements,
    parse_requirements,
    to_requirements,
)
from nbtools.envsnap.snapshots import get_snapshot, looks_like_id, save_snapshot, store_snapshot
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.infiles import read_regular
from nbtools.jsonvalues import WireModel
from nbtools.outfiles import check_outfile
from nbtools.project import Project
from nbtools.text import check_name_text

if TYPE_CHECKING:
    from nbtools.envsnap.config import EnvSettings

FORMATS = ("pylock", "requirements")

#: File names each format is downloaded or written as by default.
DEFAULT_NAMES = {"pylock": "pylock.toml", "requirements": "requirements.txt"}


@dataclass(frozen=True)
class SnapshotFile(WireModel):
    """A snapshot exported as a file: its default ``filename``, ``format``, the ``snapshot``
    id, the file's ``content``, the distributions a lock file could not pin, and the
    ``index`` a pylock.toml pins files of (without its login; ``None`` for requirements)."""

    filename: str
    format: str
    snapshot: str
    content: str
    unlocked: list[dict[str, Any]]
    index: str | None


def is_pylock_name(name: str) -> bool:
    """PEP 751 names: ``pylock.toml`` or ``pylock.NAME.toml``."""
    return name == "pylock.toml" or (
        name.startswith("pylock.") and name.endswith(".toml") and name.count(".") == 2
    )


def format_for(path: Path | None, requested: str | None) -> str:
    """The export format: as requested, else from the file name, else requirements."""
    if requested is not None and requested not in FORMATS:
        raise InvalidInputError(
            f"Unknown format {requested!r}: use one of {', '.join(FORMATS)}.", format=requested
        )
    chosen = requested or ("pylock" if path and path.suffix == ".toml" else "requirements")
    if chosen == "pylock" and path is not None and not is_pylock_name(path.name):
        raise InvalidInputError(
            f"PEP 751 requires a lock file to be named pylock.toml or pylock.NAME.toml, "
            f"not {path.name!r}.",
            path=str(path),
        )
    return chosen


def check_output(project: Project, path: Path, force: bool = False) -> None:
    """Refuse, before any work, to export to ``path`` where the file could not be written (a
    folder missing or not writable, a folder's name), inside the store directory, or over a
    file nbtools did not export (a hand-written requirements file, another tool's lock file)
    unless ``force`` (:func:`~nbtools.outfiles.check_outfile`, field ``path``)."""
    check_outfile(project, path, "path", ours=_exported, force=force)


def _exported(path: Path) -> bool:
    """Whether the file at ``path`` is an export of nbtools (its header says so)."""
    with path.open(encoding="utf-8", errors="replace") as file:
        head = file.read(4096)  # the header: a large file is not read whole
    return WRITTEN_BY in head or f'created-by = "{CREATED_BY}"' in head


def write_output(path: Path, text: str) -> None:
    """Write an export to ``path`` (checked by :func:`check_output`) whole or not at all: an
    earlier file is replaced only once the new one is complete (a symbolic link's target is
    written, the link kept)."""
    try:
        atomic_write(path.resolve(), text.encode("utf-8"))
    except OSError as error:  # the folder went away, the disk is full
        raise InvalidInputError(
            f"{path} could not be written: {error.strerror}.", path=str(path), field="path"
        ) from None


def export_snapshot(
    project: Project,
    snapshot: Snapshot,
    fmt: str,
    settings: EnvSettings,
    progress: Progress = unfollowed,
) -> LockExport:
    """``snapshot`` as text in ``fmt``, with the distributions a lock file could not pin; a
    pylock.toml pins the files of the index ``settings`` choose (:meth:`EnvSettings.index`,
    asked only then: pip's own index may be one a requirements.txt has no use for), and
    ``progress(done, total)`` follows its look-ups."""
    if fmt == "pylock":
        index = PackageIndex(settings.index(), cache_dir(project))
        return to_pylock(snapshot, index, progress)
    return LockExport(to_requirements(snapshot), [])


def export_file(
    project: Project, snapshot_id: str, fmt: str, settings: EnvSettings, field: str = "snapshot"
) -> SnapshotFile:
    """Stored snapshot ``snapshot_id`` (the input ``field``) as a file in ``fmt`` (one of
    :data:`FORMATS`), under its default name, for a client to save."""
    if fmt not in FORMATS:
        raise InvalidInputError(
            f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.", field="format"
        )
    snapshot = get_snapshot(project, snapshot_id, field)
    result = export_snapshot(project, snapshot, fmt, settings)
    name = DEFAULT_NAMES[fmt]
    return SnapshotFile(name, fmt, snapshot.id, result.text, result.unlocked, result.index)


def parse_file(
    text: str, name: str, folder: Path | None = None, markers: MarkerEnvironment | None = None
) -> Snapshot:
    """A snapshot of a ``pylock*.toml`` or requirements file's contents, read for the
    interpreter whose marker environment is ``markers`` (else nbtools' own); a lock file's
    relative paths are relative to ``folder``, the file's (none for text sent alone)."""
    if _is_lock(name):
        return parse_pylock(text, name, folder, markers)
    return parse_requirements(text, name, markers)


def check_file(text: str, name: str) -> None:
    """Refuse what is wrong with file ``name`` whatever interpreter it is read for (no
    marker evaluated: :func:`parse_file` for one finds the rest), as :func:`parse_file`
    would: a notebook, a lock that is no valid TOML or PEP 751 file, a requirements line
    that is no requirement."""
    if _is_lock(name):
        validate_pylock(text, name)
    else:
        check_requirements(text, name)


def _is_lock(name: str) -> bool:
    """Whether file ``name`` is read as a pylock.toml (else as a requirements file); a
    notebook is refused, saying what to give."""
    if name.endswith(".ipynb"):
        raise InvalidInputError(
            f"{name} is a notebook, not an environment: give a snapshot id (`nbtools env "
            "list`), or a pylock.toml or requirements.txt file; a notebook's runs name their "
            "environment (`nbtools runs show RUN`).",
            path=name,
            field="name",
        )
    return name.endswith(".toml")


def import_text(project: Project, text: str, name: str) -> tuple[Snapshot, bool]:
    """Store what the lock or requirements file ``name`` with contents ``text`` pins (a file
    pinning nothing, as `pip freeze` of a bare venv writes it, is an empty environment): the
    snapshot as stored, and whether this import stored it (False: the same pins were stored
    already, under their first origin). A ``name`` holding NUL, a control character or a
    bidirectional control is refused (:func:`~nbtools.text.check_name_text`)."""
    check_name_text(name, "name", "The file's name")
    return store_snapshot(project, parse_file(text, name))


def import_file(project: Project, path: Path) -> Snapshot:
    """Store what the lock or requirements file at ``path`` pins."""
    return save_snapshot(project, read_file(path))


def read_file(path: Path, markers: MarkerEnvironment | None = None) -> Snapshot:
    """A snapshot of the lock or requirements file at ``path`` (relative to the current
    directory), read for the interpreter of ``markers`` (:func:`parse_file`)."""
    return parse_file(read_text(path), str(path), path.parent, markers)


def read_text(path: Path) -> str:
    """The text of the file at ``path``; refused naming it when it is missing, no regular
    file, unreadable or not UTF-8."""
    try:
        return read_regular(path, field="path").decode("utf-8")
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" in {Path.cwd()} (the current directory)"
        raise NotFoundError(
            f"The file {path} does not exist{where}. Give the path of a pylock.toml or "
            "requirements file, or a snapshot id (`nbtools env list` shows the stored ones).",
            path=str(path),
        ) from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not UTF-8 text.", path=str(path)) from None
    except OSError as error:  # a folder, no permission
        raise InvalidInputError(
            f"{path} cannot be read: {error.strerror}.", path=str(path)
        ) from None


def resolve_snapshot(
    project: Project, reference: str, markers: MarkerEnvironment | None = None
) -> Snapshot:
    """A stored snapshot by id (or unique prefix), or a pylock/requirements file by path,
    read for the interpreter whose marker environment is ``markers`` (:func:`parse_file`;
    a stored snapshot's file was read when it was imported). Which of them
    ``reference`` names: :func:`_locate`."""
    found = _locate(project, reference)
    return found if isinstance(found, Snapshot) else read_file(found, markers)


def _locate(project: Project, reference: str) -> Snapshot | Path:
    """The stored snapshot ``reference`` names by id (or unique prefix), or the path of the
    pylock/requirements file it names (not read yet).

    Hexadecimal digits alone are an id, anything else (a path separator, a suffix such as
    ``.txt``, any other letter) a file's path, said to be missing when it is. A file named
    with hexadecimal digits alone is that file when no stored snapshot's id starts with its
    name, and refused naming both when one does (``./NAME`` is the file)."""
    if not reference.strip():  # Path("") is the current directory
        raise InvalidInputError(
            "No snapshot given: give a snapshot id (`nbtools env list` shows the stored ones) "
            "or the path of a pylock.toml or requirements file.",
            path=reference,
        )
    path = Path(reference)
    if not looks_like_id(reference):
        return path
    try:
        is_file = path.is_file()
    except OSError:  # a name too long to be a file's: an id (or too long to be one)
        is_file = False
    if not is_file:
        return get_snapshot(project, reference)
    try:
        stored = f"snapshot {get_snapshot(project, reference).short_id}"
    except NotFoundError:
        return path
    except InvalidInputError:  # the start of several ids
        stored = "several snapshots"
    raise InvalidInputError(
        f"{reference!r} is both a file ({path.absolute()}) and the start of the id of "
        f"{stored}: write the file as ./{reference}, or give more of the id.",
        path=reference,
    )


def kernel_and_baseline(
    project: Project, kernel_name: str, reference: str
) -> tuple[Snapshot, Snapshot]:
    """For ``check``: kernel ``kernel_name``'s environment now (stored), and the snapshot
    ``reference`` names (:func:`resolve_snapshot`), a file read for the kernel's interpreter:
    its markers evaluated with the values that interpreter reported (a ``python_version >=
    "3.12"`` line holds for a 3.12 kernel whatever Python nbtools runs on).

    A reference refused for what needs no marker (no such id or file, a file that cannot be
    read or parsed: :func:`check_file`) is refused before the kernel's interpreter starts;
    one refused for the kernel's markers, after it: either way nothing is stored."""
    found = _locate(project, reference)
    text = ""
    if isinstance(found, Path):
        text = read_text(found)
        check_file(text, str(found))
    capture = KernelCapture(project, kernel_name)
    try:
        current = capture.snapshot()
    except BaseException:
        capture.cancel()
        raise
    baseline = (
        found
        if isinstance(found, Snapshot)
        else parse_file(text, str(found), found.parent, current.markers)
    )
    return save_snapshot(project, current), baseline
