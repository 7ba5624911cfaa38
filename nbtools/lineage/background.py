"""Recording an extracted package's lineage in a background process.

Committing the notebook as a version and snapshotting its kernel's environment open the store
(SQLAlchemy) and start the kernel's interpreter: several times what the extraction itself
costs. So ``nbtools extract`` writes the package with a *pending* lineage in its manifest (a
token, the notebook and its kernel) and starts a detached process, which records both and fills
them in. The manifest is rewritten only under the output directory's lock and only while it
still holds the same token, so a newer extraction is never overwritten. If the notebook's
exported content changed on disk before the version was taken, the manifest says so instead of
naming a version the package did not come from.

    NBTOOLS_LINEAGE_SPEC=<JSON> python -m nbtools.lineage.background

(started by :func:`nbtools.processes.own_module_command`: the directory the command ran in is
not on its ``sys.path``).

The specification travels in the environment, which only the same user can read: it holds the
store's URL, which may carry a database password that a command line would show to everyone.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from nbtools.errors import ConflictError, NbtoolsError
from nbtools.notebooks import Notebook, kernel_name
from nbtools.processes import own_module_command
from nbtools.project import Project

#: What ``nbtools extract`` says about a pending lineage.
PENDING = "being recorded in the background (the manifest gets it in a moment)"
#: Why a recording pins nothing: a newer write of the package (or its removal) came first.
SUPERSEDED = "the package was written again (or removed) before its version was pinned"
#: Where the background processes' own failures are written, in the store directory.
LOG = "lineage.log"
#: The environment variable carrying the process's specification (JSON).
SPEC_VARIABLE = "NBTOOLS_LINEAGE_SPEC"
#: Seconds the process tries again while the store cannot be written (another process holds
#: its write lock): then the manifest records the problem instead.
PATIENCE = 300.0
#: What a pending lineage whose recording process is gone says (:func:`stopped`).
STOPPED = (
    "its recording stopped before it finished (the process {pid} was killed, or its machine "
    "stopped): extract again to record it"
)


class BackgroundRecorder:
    """``record(nb, out)`` for :class:`nbtools.export.api.ExtractRequest`'s ``lineage``: it
    returns the pending lineage for the manifest; :meth:`launch`, once the package is written
    and the command has reported, starts the process that records it.

    ``others``: a set's other notebooks, whose versions are recorded and pinned with
    ``notebook``'s (the pending entry lists them all, ``notebooks``).

    With ``release``, for a package written without lineage (``--lineage off``): the manifest
    gets none, and if the package it replaces named a version, the process releases that pin
    (the package no longer holds that version's code); nothing is started otherwise."""

    def __init__(
        self,
        project: Project,
        notebook: Path,
        *,
        actor: str | None = None,
        release: bool = False,
        others: Sequence[Path] = (),
    ) -> None:
        self.project = project
        self.notebook = notebook
        self.others = tuple(others)
        self.actor = actor
        self.release = release
        self.spec: dict[str, Any] | None = None

    def __call__(self, nb: Notebook, out: Path) -> dict[str, Any] | None:
        project = self.project
        if self.release:  # called under the directory's lock, before the manifest is replaced
            if _names_a_version(out):
                self.spec = {**self._store(), "release": True, "out": str(out.resolve())}
            return None
        pending: dict[str, Any] = {
            "pending": os.urandom(8).hex(),
            "notebook": project.relative(self.notebook),
        }
        if self.others:
            pending["notebooks"] = [project.relative(n) for n in (self.notebook, *self.others)]
        self.spec = {
            **pending,
            **self._store(),
            "kernel": kernel_name(nb),
            "out": str(out.resolve()),
            "actor": self.actor,
        }
        return pending

    def _store(self) -> dict[str, str]:
        project = self.project
        return {
            "root": str(project.root),
            "store_dir": str(project.store_dir),
            "db_url": project.db_url,
        }

    def launch(self) -> None:
        """Start the recording process, if a package was written (it outlives the command)."""
        if self.spec is None:
            return
        store_dir = self.project.store_dir
        store_dir.mkdir(parents=True, exist_ok=True)
        log = os.open(store_dir / LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:  # posix_spawn: importing subprocess would cost more than spawning
            os.posix_spawn(
                sys.executable,
                own_module_command(__name__),
                {**os.environ, SPEC_VARIABLE: json.dumps(self.spec)},
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                    (os.POSIX_SPAWN_DUP2, log, 2),
                ],
                setsid=True,  # not stopped by the terminal's Ctrl-C meant for the command
            )
        finally:
            os.close(log)
        self.spec = None


def recorder(
    project: Project,
    notebook: Path,
    *,
    actor: str | None = None,
    release: bool = False,
    others: Sequence[Path] = (),
) -> BackgroundRecorder | None:
    """Like :func:`nbtools.lineage.extraction.recorder`, recording in the background (with
    ``release``: recording nothing, see :class:`BackgroundRecorder`)."""
    if not all(project.contains(path) for path in (notebook, *others)):
        return None
    return BackgroundRecorder(project, notebook, actor=actor, release=release, others=others)


def _names_a_version(out: Path) -> bool:
    """Whether the package's manifest names (or is recording) the version it came from."""
    from nbtools.export.writer import read_manifest

    lineage = read_manifest(out).get("lineage")
    return isinstance(lineage, dict) and bool(
        "pending" in lineage or lineage.get("notebook_version") or lineage.get("notebook_versions")
    )


def release_unrecorded(project: Project, out: Path) -> bool:
    """Release the version pin of the package at ``out`` while its manifest still records no
    lineage (under the directory's lock: a newer extraction's pin is never released); False
    when a newer extraction took the directory, or the package is gone."""
    from nbtools.export.writer import read_manifest
    from nbtools.lineage.extraction import release_extraction
    from nbtools.locks import exclusive

    try:
        with exclusive(out, directory=True):
            if read_manifest(out).get("lineage") is not None:
                return False
            release_extraction(project, out)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


def record_pending(project: Project, spec: dict[str, Any]) -> bool:
    """Record the lineage ``spec`` describes and fill it into the package's manifest; False
    when a newer extraction replaced the pending one, or the package was removed (nothing is
    recorded then, and nothing is made where the package was)."""
    from nbtools.lineage.extraction import (
        DEFAULT_KERNEL,
        commit_and_pin,
        record_parts,
        versions_part,
    )
    from nbtools.locks import exclusive

    out, token = Path(spec["out"]), spec["pending"]
    try:
        with exclusive(out, directory=True):  # a newer extraction may be writing
            manifest = _pending_manifest(out, token)
    except (FileNotFoundError, NotADirectoryError):
        return False  # the package was removed meanwhile: nothing to fill in
    if manifest is None:
        return False
    # named in the pending entry, readers tell this recording from one whose process is gone
    _fill(out, token, {**manifest["lineage"], "recorder": recorder_identity(os.getpid())})
    notebooks = [
        (path, _extracted(path, sha256))
        for path, sha256 in zip(
            [project.resolve(n) for n in spec.get("notebooks") or [spec["notebook"]]],
            _fingerprints(manifest),
            strict=True,
        )
    ]
    part = versions_part(
        notebooks,
        lambda: commit_and_pin(
            project,
            notebooks,
            out,
            actor=spec.get("actor"),
            still_ours=lambda: _still_pending(out, token),
        ),
    )
    lineage = record_parts(project, spec["kernel"] or DEFAULT_KERNEL, part, patience=PATIENCE)
    return _fill(out, token, lineage)


def _fingerprints(manifest: dict[str, Any]) -> list[object]:
    """The content hash of each notebook the package was written from, in order."""
    members = manifest.get("notebooks")
    if isinstance(members, list):
        return [m.get("notebook_sha256") if isinstance(m, dict) else None for m in members]
    return [manifest.get("notebook_sha256")]


def _extracted(notebook: Path, sha256: object) -> Callable[[], Notebook]:
    """What reads ``notebook`` as it is when its version is taken (:func:`_as_extracted`)."""
    return lambda: _as_extracted(notebook, sha256)


@contextmanager
def _still_pending(out: Path, token: str) -> Iterator[None]:
    """The output directory's lock, while its manifest still holds the pending ``token``: a
    pin made (or released) meanwhile is this package's. A newer write of the directory
    (``--lineage off`` releasing the pin, another extraction pinning its own version) waits
    for it, or came first: then :data:`SUPERSEDED` is raised and nothing is pinned."""
    from nbtools.locks import exclusive

    with ExitStack() as lock:
        try:
            lock.enter_context(exclusive(out, directory=True))
        except (FileNotFoundError, NotADirectoryError):
            raise ConflictError(SUPERSEDED) from None
        if _pending_manifest(out, token) is None:
            raise ConflictError(SUPERSEDED)
        yield


def _pending_manifest(out: Path, token: str) -> dict[str, Any] | None:
    from nbtools.export.writer import read_manifest

    manifest = read_manifest(out)
    pending = manifest.get("lineage")
    return manifest if isinstance(pending, dict) and pending.get("pending") == token else None


def _as_extracted(notebook: Path, sha256: object) -> Notebook:
    """The notebook as it is now, if it still has the content the package was written from
    (``sha256``, its fingerprint as the manifest records it)."""
    from nbtools.errors import ConflictError
    from nbtools.export.build import fingerprint
    from nbtools.notebooks import read_notebook

    nb = read_notebook(notebook)
    if fingerprint(nb) != sha256:
        raise ConflictError(
            f"{notebook.name} changed before its version was recorded, so the package's version "
            "is unknown: extract it again to record it."
        )
    return nb


def _fill(out: Path, token: str, lineage: dict[str, Any]) -> bool:
    from nbtools.atomic import atomic_write
    from nbtools.export.model import MANIFEST, manifest_text
    from nbtools.locks import exclusive

    try:
        with exclusive(out, directory=True):
            manifest = _pending_manifest(out, token)
            if manifest is None:
                return False
            manifest["lineage"] = lineage
            atomic_write(out / MANIFEST, manifest_text(manifest).encode())
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


def recorder_identity(pid: int) -> dict[str, Any] | None:
    """``{"pid", "started"}`` of the running process ``pid`` (its start time tells it from a
    later process given the same pid); None when there is none."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:  # dead, not yet waited for
            return None
        return {"pid": pid, "started": process.create_time()}
    except psutil.Error:
        return None


def stopped(lineage: dict[str, Any]) -> str | None:
    """Why a pending ``lineage`` will never be filled in: the process that took it on (it
    names itself in the pending entry as it starts, :func:`record_pending`) is gone; None while it may still be
    recording (or has not started yet)."""
    recorder = lineage.get("recorder")
    if "pending" not in lineage or not isinstance(recorder, dict):
        return None
    if recorder_identity(int(recorder.get("pid", 0))) == recorder:
        return None
    return STOPPED.format(pid=recorder.get("pid"))


def failed(message: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The lineage of a package whose recording (described by ``spec``) failed as a whole."""
    from nbtools.lineage.extraction import SET_VERSIONS, VERSION

    key = SET_VERSIONS if spec.get("notebooks") else VERSION
    return {key: None, "environment": None, "problems": [message]}


def main() -> int:
    """Entry point of the background process: whatever fails, the manifest is left with the
    reason in ``lineage.problems``, never ``pending``."""
    spec = json.loads(os.environ.pop(SPEC_VARIABLE))
    project = Project(Path(spec["root"]), Path(spec["store_dir"]), spec["db_url"])
    out, token = Path(spec["out"]), spec.get("pending")
    try:
        if token is None:
            release_unrecorded(project, out)
            return 0
        record_pending(project, spec)
    except Exception as error:
        message = (
            error.message if isinstance(error, NbtoolsError) else f"{type(error).__name__}: {error}"
        )
        print(f"nbtools: lineage of {out} not recorded: {message}", file=sys.stderr)
        if not isinstance(error, NbtoolsError):
            import traceback

            traceback.print_exc()
        if token is not None:
            _fill(out, token, failed(message, spec))
        return 1
    finally:
        project.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
