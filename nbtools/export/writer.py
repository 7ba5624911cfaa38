"""Writing a package to disk safely, and checking whether the one on disk is stale.

The output directory keeps a manifest (``.nbtools-extract.json``) of the files nbtools wrote
and their hashes. Only those files are ever replaced or removed, and only while they are
unchanged since nbtools wrote them. A file we did not write, or one edited by hand, stops the
write unless ``force`` is given; even then it is kept, moved aside to ``<name>.orig``.

A package belongs to the notebooks its manifest names: another notebook's package, or files
nbtools did not write, refuse the write too (:mod:`nbtools.export.ownership`).

A write checks everything it needs before it writes anything, and undoes itself when it fails
(:mod:`nbtools.export.staging`): a refused or failed write changes nothing, and a write into a
new folder that fails leaves no folder behind. A write stopped half-way (killed) is finished or
undone by the next one, before it compares anything: nbtools' own leftovers never stop it.
"""

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nbtools.digest import sha256_hex
from nbtools.errors import ConflictError, InvalidInputError
from nbtools.export.build import Extraction, is_version
from nbtools.export.model import MANIFEST, manifest_text
from nbtools.export.ownership import foreign_refusal, notebook_from, owner_refusal
from nbtools.export.staging import (
    TEMPORARY,
    Staged,
    check_places,
    check_writable,
    missing_folders,
    recover,
    write_failed,
)
from nbtools.locks import exclusive
from nbtools.outfiles import FORCE
from nbtools.paths import nearest_folder, path_limit, real_path, resolve_inside


class FileChange:
    """How one file of the package compares with the disk: ``status`` is new, changed,
    unchanged or removed."""

    __slots__ = ("content", "path", "status")

    def __init__(self, path: str, status: str, content: str | None) -> None:
        self.path, self.status, self.content = path, status, content

    def to_dict(self, with_content: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "status": self.status}
        if with_content:
            data["content"] = self.content
        return data


def check_output(out: Path) -> None:
    """Refuse an output directory that is a file, or that a file stands in the way of, or
    that the system cannot resolve (a name too long for the file system, a loop of links)."""
    real_path(out, str(out), "output")
    for path in (out, *out.parents):
        if path.is_dir():
            return
        if path.exists() or path.is_symlink():
            where = "is" if path == out else f"cannot be made: {path} is"
            raise InvalidInputError(
                f"The output {out} {where} not a directory. Choose another output directory, "
                "or move that file away.",
                path=str(path),
                field="output",
            )


def check_path_lengths(extraction: Extraction, out: Path) -> None:
    """Refuse an output directory whose path leaves the package's files too little room: the
    whole path of each, and of the temporary file it is first written to, must fit the
    system's limit (4096 bytes on Linux). Names fit already: :mod:`.cells` limits them."""
    directory = out.resolve()
    limit = path_limit(nearest_folder(directory)) - 1  # the limit counts the terminating NUL
    longest = max(extraction.files, key=lambda path: len(path.encode()))
    size = len(os.fsencode(directory / longest)) + len(TEMPORARY.format(""))
    if size > limit:
        raise InvalidInputError(
            f"The output {out} leaves too little room for the package's files: {longest} would "
            f"have a path of {size} bytes while it is written, where the system allows {limit}. "
            "Choose an output directory with a shorter path.",
            path=str(out),
            field="output",
        )


def read_manifest(out: Path) -> dict[str, Any]:
    """The manifest of a previous extraction into ``out`` (empty if there is none)."""
    path = out / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInputError(
            f"{path} is damaged (not JSON). Restore it from version control, or delete it and "
            "extract again, forcing the write.",
            path=str(path),
            field="output",
            override=FORCE,
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise InvalidInputError(
            f"{path} is not an nbtools manifest.", path=str(path), field="output"
        )
    return data


def previous_manifest(out: Path) -> dict[str, Any]:
    """The manifest of the package in ``out``, if there is one (:func:`read_manifest`)."""
    return read_manifest(out) if out.is_dir() else {}


def previous_dependencies(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Module → requirement pins from the previous extraction's ``manifest``, if any."""
    deps = manifest.get("dependencies", {})
    return {str(k): str(v) for k, v in deps.items()} if isinstance(deps, dict) else {}


def previous_version(out: Path, manifest: Mapping[str, Any]) -> str | None:
    """The version of the package nbtools wrote in ``out`` (its ``pyproject.toml``'s, as it
    is now; ``manifest``: the package's), kept when no version is asked for; None when ``out``
    holds no such package."""
    path = out / "pyproject.toml"
    text = _read(path) if "pyproject.toml" in manifest.get("files", {}) else None
    if text is None:
        return None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        project = tomllib.loads(text).get("project")
    except tomllib.TOMLDecodeError as error:
        project, found = None, f"no TOML ({error})"
    else:
        found = "no [project] version"
    version = project.get("version") if isinstance(project, dict) else None
    if isinstance(version, str) and is_version(version):
        return version
    if version is not None:
        found = f"the version {version!r}"
    raise InvalidInputError(
        f"The package's version cannot be kept: {path} has {found}, where a PEP 440 "
        "version such as 1.2.0 belongs. Give the version.",
        path=str(path),
        field="version",
    )


#: What reading a file that is not there (a folder, or under a file) raises.
_ABSENT = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


def _file_hash(path: Path) -> str | None:
    try:
        return sha256_hex(path.read_bytes())
    except _ABSENT:
        return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (*_ABSENT, UnicodeDecodeError):
        return None


def check_targets(extraction: Extraction, out: Path) -> None:
    """Refuse an output where a file stands in the way of one of the package's folders, or a
    folder where one of its files goes (generated now, or recorded by the manifest): no write
    could replace it (:func:`~nbtools.export.staging.check_places`)."""
    if out.is_dir():
        check_places(out, {*extraction.files, *read_manifest(out).get("files", {})})


def compare(extraction: Extraction, out: Path) -> list[FileChange]:
    """Every generated file's status against ``out``, plus files that would be removed, and
    the manifest when the purpose it records is not the extraction's."""
    manifest = read_manifest(out) if out.is_dir() else {}
    recorded = manifest.get("files", {})
    changes = []
    for path, content in extraction.files.items():
        on_disk = _read(out / path)
        status = "new" if on_disk is None else "unchanged" if on_disk == content else "changed"
        changes.append(FileChange(path, status, content))
    for path in sorted(set(recorded) - set(extraction.files)):
        if (out / path).exists():
            changes.append(FileChange(path, "removed", None))
    purpose = _purpose_change(extraction, manifest)
    return changes if purpose is None else [*changes, purpose]


def _purpose_change(extraction: Extraction, manifest: Mapping[str, Any]) -> FileChange | None:
    """The manifest with the extraction's purpose, when it records another one (or none): a
    package's service serves for the purpose its manifest records, so a package extracted
    for another purpose is out of date. None for a package not written yet."""
    if not manifest or manifest.get("purpose") == extraction.purpose:
        return None
    body = {key: value for key, value in manifest.items() if key != "purpose"}
    if extraction.purpose is not None:
        body["purpose"] = extraction.purpose
    return FileChange(MANIFEST, "changed", manifest_text(body))


def unified_diff(changes: list[FileChange], out: Path) -> str:
    """A unified diff from the package on disk to the one the notebook gives."""
    import difflib

    chunks: list[str] = []
    for change in changes:
        if change.status == "unchanged":
            continue
        old = _read(out / change.path) or ""
        new = change.content or ""
        chunks += difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile="/dev/null" if change.status == "new" else f"a/{change.path}",
            tofile="/dev/null" if change.status == "removed" else f"b/{change.path}",
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


def _targets(extraction: Extraction, out: Path, recorded: dict[str, str]) -> dict[str, Path]:
    """Each file the write may replace or remove (generated now, or recorded by the manifest),
    resolved inside ``out``, in path order: resolved once for the checks and the write."""
    return {path: resolve_inside(out, path) for path in sorted({*extraction.files, *recorded})}


def _conflicts(
    extraction: Extraction, targets: Mapping[str, Path], recorded: dict[str, str]
) -> list[str]:
    """Files the write would replace or remove (``targets``) that nbtools did not write as
    they are now."""
    conflicts = []
    for path, target in targets.items():
        current = _file_hash(target)
        if current is None or (
            path in extraction.files and _read(target) == extraction.files[path]
        ):
            continue
        if recorded.get(path) != current:
            conflicts.append(path)
    return conflicts


def write(
    extraction: Extraction,
    out: Path,
    force: bool = False,
    lineage: Callable[[], Mapping[str, Any] | None] | None = None,
    notebook: Path | None = None,
    store_dir: Path | None = None,
    others: Sequence[Path] = (),
    shown_from: Path | None = None,
) -> list[FileChange]:
    """Write the package into ``out``; returns what changed. Refuses to lose anyone's work.

    ``lineage``, called once nothing stands in the way of the write, returns what the
    manifest records of the package's origin (see :mod:`nbtools.lineage.extraction`).
    ``notebook``: the notebook's file, whose path from ``out`` the manifest records (with
    ``others``, the other notebooks of a set, in order). ``store_dir``: the project's store
    directory, never a file in the package's way. ``shown_from``: the folder a refusal names
    a set's notebooks from (:func:`~nbtools.export.notebook_set.dropping_refusal`).
    Everything is checked before anything is written, and a write that fails is undone
    (:mod:`nbtools.export.staging`): a refused write changes nothing, and leaves none of the
    folders it made for ``out``.
    """
    check_writable(out, [])
    made = missing_folders(out)
    try:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise write_failed(out, error, changed=False) from None
        with exclusive(out, directory=True):  # one writer of the package at a time
            notebooks = (notebook, *others)
            return _write(extraction, out, force, lineage, notebooks, store_dir, shown_from)
    except BaseException:
        for folder in reversed(made):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise


def refusal(
    extraction: Extraction,
    out: Path,
    notebook: Path | None = None,
    store_dir: Path | None = None,
    others: Sequence[Path] = (),
    shown_from: Path | None = None,
) -> ConflictError | None:
    """What refuses a write of ``extraction`` into ``out`` without ``force``, if anything: files
    nbtools did not generate there, another notebook's package, or files edited by hand
    (``notebook``, ``store_dir``, ``others`` and ``shown_from`` as for :func:`write`)."""
    manifest = read_manifest(out) if out.is_dir() else {}
    recorded = manifest.get("files", {})
    conflicts = _conflicts(extraction, _targets(extraction, out, recorded), recorded)
    notebooks = (notebook, *others)
    return _refusal(extraction, out, manifest, notebooks, conflicts, store_dir, shown_from)


def _refusal(
    extraction: Extraction,
    out: Path,
    manifest: Mapping[str, Any],
    notebooks: Sequence[Path | None],
    conflicts: list[str],
    store_dir: Path | None,
    shown_from: Path | None,
) -> ConflictError | None:
    owner = (
        owner_refusal(manifest, out, extraction.source.name, notebooks)
        if manifest
        else foreign_refusal(out, store_dir)
    )
    if owner is not None:
        return owner
    if "notebooks" in manifest:  # a set's package: imported only for one
        from nbtools.export.notebook_set import dropping_refusal

        dropping = dropping_refusal(manifest, out, notebooks, shown_from)
        if dropping is not None:
            return dropping
    if conflicts:
        return ConflictError(
            f"These files in {out} were not written by nbtools or were edited since: "
            f"{', '.join(conflicts)}. Move your changes into the notebook, or force the write "
            "(each is kept as <name>.orig).",
            path=str(out),
            files=conflicts,
            kind="edited-files",
            override=FORCE,
        )
    return None


def _write(
    extraction: Extraction,
    out: Path,
    force: bool,
    lineage: Callable[[], Mapping[str, Any] | None] | None,
    notebooks: Sequence[Path | None],
    store_dir: Path | None,
    shown_from: Path | None,
) -> list[FileChange]:
    manifest = read_manifest(out)
    try:
        if recover(out, manifest.get("files", {})):  # a write stopped half-way
            manifest = read_manifest(out)
    except OSError as error:
        raise write_failed(out, error, changed=True) from None
    recorded = manifest.get("files", {})
    targets = _targets(extraction, out, recorded)
    check_places(out, targets)  # what no write can replace, forced or not
    conflicts = _conflicts(extraction, targets, recorded)
    refused = _refusal(extraction, out, manifest, notebooks, conflicts, store_dir, shown_from)
    if refused is not None and not force:
        raise refused
    changes = compare(extraction, out)
    files = [change for change in changes if change.path != MANIFEST]  # the manifest: below
    backups = _backups(conflicts, targets)
    changed = [targets[c.path] for c in files if c.status != "unchanged"]
    check_writable(out, [*changed, *backups])
    staged = Staged()
    try:
        origin = lineage() if lineage is not None else None
        paths = [notebook_from(out, n) for n in notebooks if n is not None]
        # the journal
        staged.add(out / MANIFEST, extraction.manifest(origin, next(iter(paths), None), paths[1:]))
        for change in files:  # the files generated or recorded: each one of the targets
            if change.status in ("new", "changed") and change.content is not None:
                staged.add(targets[change.path], change.content)
    except OSError as error:
        staged.discard()
        raise write_failed(out, error, changed=False) from None
    try:
        for target, backup in backups.items():
            os.replace(target, backup)
        staged.commit(out, [targets[c.path] for c in files if c.status == "removed"])
    except OSError as error:
        staged.discard()
        raise write_failed(out, error, changed=True) from None
    return changes


def _backups(conflicts: list[str], targets: Mapping[str, Path]) -> dict[Path, Path]:
    """Each file in the way (``conflicts``) and where a forced write keeps it,
    ``<name>.orig``: refused, before any file is moved, when one of those exists already."""
    backups = {
        targets[path]: targets[path].with_name(targets[path].name + ".orig") for path in conflicts
    }
    taken = [backup for backup in backups.values() if os.path.lexists(backup)]
    if taken:
        raise ConflictError(
            f"{', '.join(map(str, taken))} exist{'s' if len(taken) == 1 else ''} already: move "
            f"{'it' if len(taken) == 1 else 'them'} away before forcing the write (nothing "
            "was changed).",
            path=str(taken[0]),
            files=[str(backup) for backup in taken],
        )
    return backups
