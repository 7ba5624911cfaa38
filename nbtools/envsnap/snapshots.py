"""Taking, storing and finding environment snapshots.

The core API other features use: :func:`snapshot_kernel` (capture and store the environment of
a kernel, returning the snapshot whose ``id`` runs and extractions can record),
:func:`get_snapshot` and :func:`list_snapshots`.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from nbtools.envsnap.capture import metadata_dirs
from nbtools.envsnap.kernels import (
    KernelSpec,
    find_kernel,
    interpreter_command,
    kernel_environment,
)
from nbtools.envsnap.model import SHORT_ID, Snapshot, distributions_from
from nbtools.envsnap.tables import EnvSnapshotRecord
from nbtools.errors import InvalidInputError, NbtoolsError, NotFoundError
from nbtools.project import Project

CAPTURE_SCRIPT = Path(__file__).with_name("capture.py")

#: Seconds an interpreter may take to report its environment.
CAPTURE_TIMEOUT = 120


class CaptureError(NbtoolsError):
    """The kernel's interpreter could not report its environment."""


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands them back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def cache_dir(project: Project) -> Path:
    """Where capture caches distribution listings, keyed on site-packages state."""
    return project.store_dir / "envcache"


def capture_interpreter(
    command: Sequence[str], env: Mapping[str, str] | None = None, cache: Path | None = None
) -> dict[str, Any]:
    """Run the capture script with ``command`` (an interpreter) and return its document."""
    args = [*command, "-c", CAPTURE_SCRIPT.read_text(encoding="utf-8")]
    if cache is not None:
        args.append(str(cache))
    try:
        result = subprocess.run(
            args,
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=CAPTURE_TIMEOUT,
            check=False,
        )
    except OSError as exc:
        raise CaptureError(f"Cannot start {command[0]!r}: {exc.strerror}.") from None
    except subprocess.TimeoutExpired:
        raise CaptureError(
            f"{command[0]!r} did not report its environment within {CAPTURE_TIMEOUT} s."
        ) from None
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise CaptureError(
            f"{' '.join(command)} failed to report its environment (exit {result.returncode}):"
            f" {tail}",
            command=list(command),
        )
    try:
        document: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise CaptureError(
            f"{' '.join(command)} printed something other than the environment: {exc.msg}."
        ) from None
    return document


def snapshot_from_document(
    document: Mapping[str, Any], kernel: KernelSpec | None = None, origin: str = ""
) -> Snapshot:
    """A snapshot of what the capture script reported."""
    return Snapshot(
        source="kernel",
        origin=kernel.name if kernel else origin,
        python=document["python"],
        platform=document["platform"],
        kernel=kernel.to_dict() if kernel else None,
        conda_env=document.get("conda_env"),
        environment=document.get("environment") or {},
        distributions=distributions_from(document["distributions"]),
    )


class _Captured(NamedTuple):
    """A capture this process made: the path entries it saw (and those absent then), their
    state, and the snapshot."""

    paths: list[str]
    absent: list[str]
    stamps: list[list[object]]
    snapshot: Snapshot

    def still_current(self) -> bool:
        return _stamps(self.paths) == self.stamps and not any(map(os.path.isdir, self.absent))


#: The last capture of each interpreter and environment, in this process (see capture_kernel).
_captured: dict[tuple[object, ...], _Captured] = {}
_captured_lock = threading.Lock()


def capture_kernel(project: Project, kernel_name: str) -> Snapshot:
    """The environment of kernel ``kernel_name``, captured in its own interpreter (not stored).

    A process that captures the same interpreter again (a worker records every run's
    environment) checks first, in process, whether anything was installed, removed or
    upgraded since its last capture: the modification times of the interpreter's path
    entries and of each distribution's metadata directory (the key of the capture script's
    own cache), and that no path entry absent then exists now. Unchanged, the last snapshot
    is the answer and no interpreter is started.
    """
    spec = find_kernel(kernel_name)
    command, env = interpreter_command(spec), kernel_environment(spec)
    key = (spec.name, *command, *sorted((env or {}).items()))
    with _captured_lock:
        last = _captured.get(key)
    if last is not None and last.still_current():
        return last.snapshot
    document = capture_interpreter(command, env, cache_dir(project))
    snapshot = snapshot_from_document(document, spec)
    paths = [str(entry) for entry in document.get("paths") or []]
    absent = [str(entry) for entry in document.get("absent_paths") or []]
    stamps = _stamps(paths)
    if stamps is not None and "absent_paths" in document:
        with _captured_lock:
            _captured[key] = _Captured(paths, absent, stamps, snapshot)
    return snapshot


def _stamps(paths: list[str]) -> list[list[object]] | None:
    """The cache key of ``paths`` now, or None if one of them cannot be read any more."""
    try:
        return metadata_dirs(paths)[0]
    except OSError:
        return None


def snapshot_kernel(project: Project, kernel_name: str) -> Snapshot:
    """Capture kernel ``kernel_name``'s environment and store it; ``.id`` names it."""
    return save_snapshot(project, capture_kernel(project, kernel_name))


def save_snapshot(project: Project, snapshot: Snapshot) -> Snapshot:
    """Store ``snapshot`` once per id; storing it again only marks it as seen now."""
    with project.store.session(write=True) as session:
        record = session.get(EnvSnapshotRecord, snapshot.id)
        if record is None:
            try:
                with session.begin_nested():
                    session.add(
                        EnvSnapshotRecord(
                            id=snapshot.id,
                            source=snapshot.source,
                            origin=snapshot.origin[:1024],
                            python_version=snapshot.python_version,
                            distribution_count=len(snapshot.distributions),
                            created_at=snapshot.created_at,
                            captured_at=snapshot.created_at,
                            document=json.dumps(snapshot.to_dict()),
                        )
                    )
                return snapshot
            except IntegrityError:  # another process stored it meanwhile (PostgreSQL)
                record = session.get(EnvSnapshotRecord, snapshot.id)
                assert record is not None
        record.captured_at = snapshot.created_at
        return snapshot.with_created_at(as_utc(record.created_at))


def get_snapshot(project: Project, snapshot_id: str) -> Snapshot:
    """The stored snapshot with this id, or the only one whose id starts with it."""
    prefix = snapshot_id.strip().lower()
    if not prefix or any(char not in "0123456789abcdef" for char in prefix):
        raise NotFoundError(
            f"{snapshot_id!r} is not a snapshot id (ids are hexadecimal). "
            "`nbtools env list` shows the stored snapshots.",
            snapshot=snapshot_id,
        )
    with project.store.session() as session:
        records = session.scalars(
            select(EnvSnapshotRecord).where(EnvSnapshotRecord.id.startswith(prefix)).limit(5)
        ).all()
    if not records:
        raise NotFoundError(
            f"No snapshot {snapshot_id!r}. `nbtools env list` shows the stored snapshots.",
            snapshot=snapshot_id,
        )
    if len(records) > 1:
        raise InvalidInputError(
            f"Snapshot id {snapshot_id!r} is ambiguous: it starts "
            f"{', '.join(record.id[:16] for record in records)}. Give more characters.",
            snapshot=snapshot_id,
        )
    record = records[0]
    document = json.loads(record.document)
    return Snapshot.from_dict(document).with_created_at(as_utc(record.created_at))


def list_snapshots(project: Project) -> list[dict[str, Any]]:
    """Summaries of the stored snapshots, most recently seen first."""
    with project.store.session() as session:
        records = session.scalars(
            select(EnvSnapshotRecord).order_by(EnvSnapshotRecord.captured_at.desc())
        ).all()
        return [
            {
                "id": record.id,
                "short_id": record.id[:SHORT_ID],
                "source": record.source,
                "origin": record.origin,
                "python_version": record.python_version,
                "distribution_count": record.distribution_count,
                "created_at": as_utc(record.created_at).isoformat(),
                "captured_at": as_utc(record.captured_at).isoformat(),
            }
            for record in records
        ]
