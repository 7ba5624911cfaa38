"""Recreating a snapshot's environment in a fresh virtual environment, then verifying it."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.markers import InvalidMarker, default_environment
from packaging.specifiers import SpecifierSet

from nbtools import audit
from nbtools.envsnap.diff import SnapshotDiff, diff
from nbtools.envsnap.kernel_capture import (
    OLDEST_PYTHON,
    capture_interpreter,
    interpreter_markers,
    snapshot_from_document,
)
from nbtools.envsnap.model import Distribution, MarkerEnvironment, Snapshot
from nbtools.envsnap.pylock import marker_holds
from nbtools.envsnap.requirements import header, requirement_line
from nbtools.errors import CheckFailedError, InvalidInputError, NotFoundError
from nbtools.paths import real_path
from nbtools.processes import run_watched

if TYPE_CHECKING:
    from nbtools.project import Project

#: File written into the new environment listing what was installed.
REQUIREMENTS_FILE = "nbtools-requirements.txt"
#: File marking a directory a recreate holds (created with ``O_EXCL``; removed at its end).
CLAIM_FILE = ".nbtools-recreate"


@dataclass(frozen=True)
class RecreateReport:
    """What was installed, what could not be, and how the result compares to the snapshot."""

    directory: Path
    python: str
    installed: int
    skipped: list[dict[str, str]]
    verification: SnapshotDiff
    warnings: list[str]
    non_reproducible: list[dict[str, str]]

    @property
    def mismatches(self) -> list[str]:
        """Pinned distributions missing or at another version in the new environment."""
        skipped = {item["name"] for item in self.skipped}
        return [
            change.describe()
            for change in self.verification.changes
            if change.kind != "added" and change.name not in skipped
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "python": self.python,
            "installed": self.installed,
            "skipped": self.skipped,
            "mismatches": self.mismatches,
            "verification": self.verification.to_dict(),
            "warnings": self.warnings,
            "non_reproducible": self.non_reproducible,
        }


def _reinstallable(dist: Distribution) -> str:
    """Why ``dist`` cannot be installed again, or ``""`` when it can."""
    if dist.broken:
        return f"broken metadata: {dist.broken}"
    if requirement_line(dist) is None:
        return "no version recorded"
    if dist.local_path is not None and not Path(dist.local_path).exists():
        return f"{dist.origin} install from {dist.local_path}, which no longer exists"
    return ""


def _interpreter_version(python: str) -> str | None:
    """The Python version ``python`` runs (``3.11.7``), or None when it is no interpreter
    that runs (it fails, or prints anything else: ``echo``)."""
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print(sys.version.split()[0])"],
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=60,
            check=False,
        )
    except OSError:
        return None
    version = result.stdout.strip()
    return version if result.returncode == 0 and _VERSION.fullmatch(version) else None


#: What ``sys.version`` starts with: ``3.11.7``, ``3.13.0rc1``, ``3.14.0a1+``.
_VERSION = re.compile(r"\d+\.\d+(\.\d+)?[a-z0-9+]*")


def choose_python(snapshot: Snapshot, python: str | None) -> tuple[str, list[str]]:
    """The interpreter to build the venv with (``python``, else the snapshot's own when it
    still runs the same version, else ours), and a warning if its version differs. A
    ``python`` that is no interpreter, or older than :data:`OLDEST_PYTHON`, is refused, and
    so is an interpreter the snapshot's ``requires_python`` (a pylock.toml's) does not allow.
    """
    given = bool(python)
    wanted = snapshot.python_version
    recorded = str(snapshot.python.get("executable") or "")
    if python:
        version = _interpreter_version(python)
        if version is None:
            raise InvalidInputError(
                f"{python!r} is not a Python interpreter that runs.", field="python"
            )
        if tuple(int(part) for part in version.split(".")[:2]) < OLDEST_PYTHON:
            oldest = ".".join(map(str, OLDEST_PYTHON))
            raise InvalidInputError(
                f"{python} runs Python {version}; a recreated environment needs Python "
                f"{oldest} or later (nbtools reads it to verify it).",
                field="python",
            )
        # pip and venv start in a directory of their own (run_watched): a path, not a name
        python = os.path.abspath(shutil.which(python) or python)
    elif recorded and wanted and _interpreter_version(recorded) == wanted:
        python, version = recorded, wanted
    else:
        python, version = sys.executable, sys.version.split()[0]
    if snapshot.requires_python and not SpecifierSet(snapshot.requires_python).contains(
        version, prereleases=True
    ):
        raise InvalidInputError(
            f"{snapshot.origin} requires Python {snapshot.requires_python} (the requires-python "
            f"of the lock and of its packages); {python} is {version}, and PEP 751 forbids "
            "installing it with that. Give an interpreter it allows (`nbtools env recreate "
            "--python PATH`).",
            field="python" if given else "snapshot",
        )
    warnings = []
    if wanted and version != wanted:
        warnings.append(
            f"The snapshot was taken with Python {wanted}; {python} is {version}. "
            f"A faithful copy needs Python {wanted}: `nbtools env recreate --python PATH` "
            "takes an interpreter."
        )
    return python, warnings


def _run(args: list[str], what: str) -> None:
    result = run_watched(args)  # pip and what it starts go with this process
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        raise CheckFailedError(f"{what} failed (exit {result.returncode}):\n{tail}", command=args)


def pinned_line(dist: Distribution) -> tuple[str, bool]:
    """The requirement line installing ``dist``, with ``--hash`` options when the snapshot
    recorded hashes for it, and whether it has them."""
    line = str(requirement_line(dist))
    if not dist.pinned_hashes:
        return line, False
    options = " ".join(f"--hash={value}" for value in dist.pinned_hashes)
    return f"{line.split('  #', 1)[0]} {options}", True


def _pip_install(venv_python: str, requirements: Path, *options: str) -> list[str]:
    return [
        venv_python,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--disable-pip-version-check",
        "--no-input",  # nobody can answer (no standard input): a host asking for a login fails
        *options,
        "-r",
        str(requirements),
    ]


def check_recreate(
    snapshot: Snapshot, directory: Path, project: Project | None = None, python: str | None = None
) -> tuple[str, list[str]]:
    """The checks made before a recreate starts (:func:`recreate` makes them, and a dry run
    only them): ``directory`` (:func:`check_new_directory`), never in ``project``'s store
    directory (nbtools' own files), then the interpreter (:func:`choose_python`: what it
    returns) and the snapshot's ``environments`` for it (:func:`check_environments`)."""
    check_new_directory(directory)
    if project is not None and project.in_store(directory):
        raise InvalidInputError(
            f"{directory} is in the nbtools store directory {project.store_dir}, which nbtools "
            "manages: choose another place.",
            directory=str(directory),
        )
    interpreter, warnings = choose_python(snapshot, python)
    check_environments(snapshot, interpreter, "python" if python else "snapshot")
    return interpreter, warnings


def check_environments(snapshot: Snapshot, python: str, field: str) -> None:
    """Refuse a snapshot of a pylock.toml whose ``environments`` name none interpreter
    ``python`` (the one :func:`choose_python` chose) is (PEP 751: an installer must raise an error), its markers evaluated with the
    values ``python`` reports (:func:`interpreter_markers`; nbtools' own need no asking);
    the error names ``field``, the input that chose it."""
    if not snapshot.environments:
        return
    here: MarkerEnvironment | None = (
        {name: str(value) for name, value in default_environment().items()}
        if python == sys.executable
        else interpreter_markers(python)
    )
    if here is None:
        raise InvalidInputError(
            f"{python} did not report its environment markers, which {snapshot.origin}'s "
            "environments are checked with.",
            field=field,
        )
    try:
        if any(marker_holds(marker, "requirement", (), here) for marker in snapshot.environments):
            return
    except InvalidMarker as exc:
        raise InvalidInputError(
            f"{snapshot.origin}: invalid environments marker: {exc}", field="snapshot"
        ) from None
    described = ", ".join(
        f"{name} {here.get(name)!r}"
        for name in ("sys_platform", "platform_machine", "implementation_name", "python_version")
    )
    raise InvalidInputError(
        f"{snapshot.origin} is locked for the environments {list(snapshot.environments)}; "
        f"{python} ({described}) is none of them, and PEP 751 forbids installing it "
        "with it. Recreate it where one of them holds (`nbtools env recreate --python PATH` "
        "takes another interpreter), or lock it for this one.",
        field=field,
        environments=list(snapshot.environments),
    )


def check_new_directory(directory: Path) -> None:
    """Refuse a ``directory`` that exists and is not an empty directory, whose path is too
    long for the file system (:func:`~nbtools.paths.real_path`), or that could not be made:
    the nearest part of its path that exists is not a folder (``afile/x``) or not one this
    process may write to."""
    real_path(directory, str(directory), "directory")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InvalidInputError(
            f"{directory} exists and is not an empty directory; nbtools never installs over "
            "existing files. Choose a new directory.",
            directory=str(directory),
        )
    nearest = _nearest_existing(directory)
    problem = (
        "is not a folder"
        if not nearest.is_dir()
        else ""
        if os.access(nearest, os.W_OK | os.X_OK)
        else "is a folder this process may not write to"
    )
    if problem:
        raise InvalidInputError(
            f"{directory} cannot be made: {nearest} {problem}. Choose another directory.",
            directory=str(directory),
        )


def _stored(project: Project, snapshot: Snapshot) -> bool:
    """Whether ``snapshot`` is a stored one (else read from a file, and never stored)."""
    from nbtools.envsnap.snapshots import get_snapshot

    try:
        get_snapshot(project, snapshot.id)
    except NotFoundError:
        return False
    return True


def _nearest_existing(directory: Path) -> Path:
    """``directory`` (absolute) if it exists, else its nearest parent that does."""
    absolute = Path(os.path.abspath(directory))
    return next(path for path in (absolute, *absolute.parents) if os.path.lexists(path))


def recreate(
    snapshot: Snapshot,
    directory: Path,
    python: str | None = None,
    *,
    project: Project | None = None,
    actor: str | None = None,
) -> RecreateReport:
    """Make a venv at ``directory`` (new or empty) and install the snapshot's pinned set.

    Hashes the snapshot recorded are enforced: the hashed distributions are installed with
    pip's ``--require-hashes`` (all of them in one step when every one is hashed, else first,
    the rest after). The directory is claimed first (:class:`_Claim`: a second recreate into
    it is refused), and when anything fails it is left as it was (removed with the folders
    made for it, or emptied again). With ``project``, audited there as ``env.recreate`` by ``actor`` once the checks
    passed, before anything is installed (pip runs the packages' build code).
    """
    interpreter, warnings = check_recreate(snapshot, directory, project, python)
    given = str(directory)
    # A symbolic link to an empty directory: the venv goes where it points (venv refuses links).
    directory = Path(os.path.realpath(directory))
    skipped: list[dict[str, str]] = []
    hashed: list[str] = []
    plain: list[str] = []
    for dist in snapshot.distributions:
        reason = _reinstallable(dist)
        if reason:
            skipped.append({"name": dist.name, "version": dist.version or "", "reason": reason})
            continue
        line, has_hashes = pinned_line(dist)
        (hashed if has_hashes else plain).append(line)
    claim = _Claim.of(directory, given)
    try:
        if project is not None:
            shown = project.relative(directory) if project.contains(directory) else str(directory)
            stored = _stored(project, snapshot)
            summary = {
                "snapshot": snapshot.id,
                "stored": stored,
                "directory": shown,
                "python": interpreter,
                "distributions": len(hashed) + len(plain),
            }
            target = f"snapshot {snapshot.short_id}" if stored else f"file {snapshot.origin}"
            audit.record_now(project.store, actor, "env.recreate", target, summary)
        _install(interpreter, directory, snapshot, hashed, plain)
        venv_python = _venv_python(directory)
        document = capture_interpreter([venv_python])
    except BaseException:
        claim.undo()
        raise
    claim.release()
    result = snapshot_from_document(document, origin=str(directory))
    return RecreateReport(
        directory,
        interpreter,
        len(hashed) + len(plain),
        skipped,
        diff(snapshot, result),
        warnings,
        [
            {"name": dist.name, "version": dist.version or "", "reason": dist.non_reproducible}
            for dist in snapshot.distributions
            if dist.non_reproducible
        ],
    )


@dataclass(frozen=True)
class _Claim:
    """A directory one recreate holds (:meth:`of`): the claim file it made there, and the
    directories it created for it (outermost first, ``directory`` itself last if new)."""

    directory: Path
    made: tuple[Path, ...]

    @classmethod
    def of(cls, directory: Path, given: str) -> _Claim:
        """Claim ``directory`` (real, checked new or empty; ``given`` as the user wrote it)
        for this recreate: its missing folders are made, then :data:`CLAIM_FILE` in it with
        ``O_EXCL``, which only one recreate can create; refused (nothing of it left) when
        another recreate holds it, or wrote in it since it was checked."""
        missing: list[Path] = []
        for path in (directory, *directory.parents):
            if os.path.lexists(path):
                break
            missing.insert(0, path)
        made = []
        try:
            for path in missing:
                with contextlib.suppress(FileExistsError):  # made meanwhile: not this call's
                    os.mkdir(path)
                    made.append(path)
            os.close(os.open(directory / CLAIM_FILE, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            cls(directory, tuple(made)).remove_folders()
            raise InvalidInputError(
                f"{given} is being recreated by another command; choose another directory.",
                directory=given,
            ) from None
        except OSError as error:
            cls(directory, tuple(made)).remove_folders()
            raise InvalidInputError(
                f"{given} cannot be made: {error.strerror}.", directory=given
            ) from None
        claim = cls(directory, tuple(made))
        if [child.name for child in directory.iterdir()] != [CLAIM_FILE]:
            claim.release()
            claim.remove_folders()
            raise InvalidInputError(
                f"{given} is no longer empty: something else wrote in it. nbtools never "
                "installs over existing files. Choose a new directory.",
                directory=given,
            )
        return claim

    def release(self) -> None:
        """The recreate is over: the directory is anyone's again."""
        with contextlib.suppress(OSError):
            (self.directory / CLAIM_FILE).unlink()

    def remove_folders(self) -> None:
        """Remove the folders this call made that are empty (another recreate may be using
        one: it is left), innermost first."""
        for path in reversed(self.made):
            with contextlib.suppress(OSError):
                os.rmdir(path)

    def undo(self) -> None:
        """Remove what a failed recreate made: the directory when it made it, else what the
        directory now holds (it was empty), then the folders it made for it. Never raises:
        the failure that got here is the one to tell."""
        if self.directory in self.made:
            shutil.rmtree(self.directory, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                for child in list(self.directory.iterdir()):
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)
        self.remove_folders()


def _venv_python(directory: Path) -> str:
    return str(directory / ("Scripts" if os.name == "nt" else "bin") / "python")


def _install(
    interpreter: str, directory: Path, snapshot: Snapshot, hashed: list[str], plain: list[str]
) -> None:
    _run([interpreter, "-m", "venv", str(directory)], f"Creating the venv {directory}")
    venv_python = _venv_python(directory)
    if not os.path.exists(venv_python):
        raise CheckFailedError(
            f"{interpreter} -m venv {directory} ended without error but made no "
            f"{venv_python}: it is not an interpreter that makes venvs.",
            command=[interpreter, "-m", "venv", str(directory)],
        )
    requirements = directory / REQUIREMENTS_FILE
    requirements.write_text("\n".join([*header(snapshot), *hashed, *plain]) + "\n", "utf-8")
    if hashed and not plain:
        _run(
            _pip_install(venv_python, requirements, "--require-hashes"),
            f"Installing {len(hashed)} distributions (hashes required) into {directory}",
        )
        return
    # pip's hash-checking mode applies to a whole file: the two parts are installed from
    # files of their own, in a folder removed afterwards (DIR keeps the whole pinned set)
    with tempfile.TemporaryDirectory(prefix="nbtools-pins-") as parts:
        for lines, options, what in (
            (hashed, ("--require-hashes",), f"{len(hashed)} hashed distributions"),
            (plain, (), f"{len(plain)} distributions"),
        ):
            if lines:
                part = Path(parts) / ("hashed.txt" if options else "unhashed.txt")
                part.write_text("\n".join(lines) + "\n", "utf-8")
                _run(
                    _pip_install(venv_python, part, *options),
                    f"Installing {what} into {directory}",
                )
