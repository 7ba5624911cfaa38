"""Shared storage for runs' inputs and outputs: a directory or an fsspec URL.

Workers on other machines cannot see the project root, so with ``--storage`` the scheduler
copies each run's notebook to ``<storage>/inputs/<sha256>.ipynb`` when it hands the run out,
and the worker writes the executed notebook and its HTML to ``<storage>/runs/<run-id>/``,
which the run row records so the server can serve them. A plain path or ``file:`` URL
(e.g. an NFS mount shared by every machine; read by :func:`nbtools.urls.local_path`, as the
data catalog reads its locations) is used directly; any other URL (``s3://…``, ``gcs://…``)
goes through fsspec and the filesystem package for its scheme (s3fs, gcsfs).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any, BinaryIO, cast

from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.urls import local_path, without_login

#: The directory of a run's outputs that holds the files its notebook kept (its artifacts).
ARTIFACTS = "artifacts"


def _local_path(location: str) -> Path | None:
    """The filesystem path of a local location (a path, a ``file:`` URL in any of RFC 8089's
    forms), or None for a remote URL; a ``file:`` URL of another machine is refused, naming
    the ``storage`` setting."""
    path = local_path(location, field="storage")
    return None if path is None else Path(path)


def _filesystem(location: str) -> tuple[Any, str]:
    """The fsspec filesystem of a remote URL and the path inside it."""
    try:
        import fsspec
    except ImportError:
        raise InvalidInputError(
            f"Storage {without_login(location)!r} needs fsspec: pip install fsspec (and the "
            "package for its scheme, e.g. s3fs for s3://).",
            storage=without_login(location),
            field="storage",
        ) from None
    try:
        filesystem: tuple[Any, str] = fsspec.core.url_to_fs(location)
        return filesystem
    except (ImportError, ValueError) as exc:
        raise InvalidInputError(
            f"Cannot use storage {without_login(location)!r}: {without_login(str(exc))}. "
            "Install the fsspec package for its scheme (s3fs for s3://, gcsfs for gs://) on the "
            "scheduler, the workers and the server.",
            storage=without_login(location),
            field="storage",
        ) from None


def _not_found(location: str) -> NotFoundError:
    shown = without_login(location)
    return NotFoundError(f"Stored file not found: {shown}.", location=shown)


def read_bytes(location: str) -> bytes:
    """The content of a stored file."""
    local = _local_path(location)
    try:
        if local is not None:
            return local.read_bytes()
        fs, path = _filesystem(location)
        return bytes(fs.cat_file(path))
    except FileNotFoundError:
        raise _not_found(location) from None


def write_bytes(location: str, content: bytes) -> None:
    """Write a file, creating its directory."""
    local = _local_path(location)
    if local is not None:
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(content)
        return
    fs, path = _filesystem(location)
    fs.makedirs(fs._parent(path), exist_ok=True)
    fs.pipe_file(path, content)


def put_file(source: Path, location: str) -> None:
    """Copy a local file to a location (streamed: artifacts may be large)."""
    local = _local_path(location)
    if local is not None:
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, local)
        return
    fs, path = _filesystem(location)
    fs.makedirs(fs._parent(path), exist_ok=True)
    fs.put_file(str(source), path)


def get_file(location: str, target: Path) -> None:
    """Copy a stored file to a local path (streamed)."""
    local = _local_path(location)
    try:
        if local is not None:
            shutil.copyfile(local, target)
        else:
            fs, path = _filesystem(location)
            fs.get_file(path, str(target))
    except FileNotFoundError:
        raise _not_found(location) from None


def exists(location: str) -> bool:
    local = _local_path(location)
    if local is not None:
        return local.is_file()
    fs, path = _filesystem(location)
    return bool(fs.isfile(path))


def modified(location: str) -> float:
    """Modification time as a POSIX timestamp (0 when the filesystem does not tell)."""
    local = _local_path(location)
    try:
        if local is not None:
            return local.stat().st_mtime
        fs, path = _filesystem(location)
        return float(fs.modified(path).timestamp())
    except FileNotFoundError:
        raise NotFoundError(f"Stored file not found: {location}.", location=location) from None
    except (NotImplementedError, AttributeError):
        return 0.0


def remove_tree(location: str) -> None:
    """Delete a directory (or file) and everything in it; nothing when it does not exist."""
    local = _local_path(location)
    if local is not None:
        if local.is_dir() and not local.is_symlink():
            shutil.rmtree(local)
        else:
            local.unlink(missing_ok=True)
        return
    fs, path = _filesystem(location)
    try:
        fs.rm(path, recursive=True)
    except FileNotFoundError:
        return


def file_sizes(location: str) -> dict[str, int]:
    """The regular files directly inside a stored directory: name → size (none if absent)."""
    local = _local_path(location)
    if local is not None:
        if not local.is_dir():
            return {}
        return {path.name: path.stat().st_size for path in local.iterdir() if path.is_file()}
    fs, path = _filesystem(location)
    if not fs.isdir(path):
        return {}
    return {
        entry["name"].rstrip("/").rsplit("/", 1)[-1]: int(entry.get("size") or 0)
        for entry in fs.ls(path, detail=True)
        if entry.get("type") == "file"
    }


def open_file(location: str) -> BinaryIO:
    """A stored file opened for reading (close it)."""
    local = _local_path(location)
    try:
        if local is not None:
            return local.open("rb")
        fs, path = _filesystem(location)
        return cast(BinaryIO, fs.open(path, "rb"))
    except FileNotFoundError:
        raise _not_found(location) from None


def sha256(location: str) -> str:
    """The hex SHA-256 of a stored file's content (streamed)."""
    digest = hashlib.sha256()
    with open_file(location) as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def delete(location: str) -> bool:
    """Delete a stored file; False if it did not exist."""
    local = _local_path(location)
    try:
        if local is not None:
            local.unlink()
        else:
            fs, path = _filesystem(location)
            fs.rm_file(path)
    except FileNotFoundError:
        return False
    return True


def join(location: str, *parts: str) -> str:
    return "/".join([location.rstrip("/"), *parts])


class StoredFile:
    """An output of a run: a local file or an object in remote storage."""

    def __init__(self, location: str) -> None:
        self.location = location

    @property
    def suffix(self) -> str:
        return Path(self.location).suffix

    @property
    def local_path(self) -> Path | None:
        return _local_path(self.location)

    def read_bytes(self) -> bytes:
        return read_bytes(self.location)

    def modified(self) -> float:
        return modified(self.location)

    def __str__(self) -> str:
        return self.location

    def __repr__(self) -> str:
        return f"StoredFile({self.location!r})"


class Storage:
    """A base location for inputs (``inputs/``) and outputs (``runs/<id>/``)."""

    def __init__(self, location: str) -> None:
        self.location = location.rstrip("/") or "/"
        self.local = _local_path(self.location)

    @classmethod
    def parse(cls, text: str) -> Storage:
        """Check a ``--storage`` value: an absolute path, or a URL fsspec can open."""
        local = _local_path(text)
        if local is not None:
            if not local.is_absolute():
                raise InvalidInputError(
                    f"Storage path {text!r} must be absolute: every machine resolves it "
                    "the same way (e.g. /shared/nbtools or file:///shared/nbtools).",
                    storage=text,
                    field="storage",
                )
            return cls(str(local))
        _filesystem(text)
        return cls(text)

    def run_dir(self, run_id: int) -> str:
        """Where run ``run_id`` writes its outputs."""
        return join(self.location, "runs", str(run_id))

    def put_input(self, content: bytes) -> str:
        """Store a notebook's bytes once, under their hash; returns its location."""
        target = join(self.location, "inputs", f"{hashlib.sha256(content).hexdigest()}.ipynb")
        if not exists(target):
            write_bytes(target, content)
        return target

    def upload(self, directory: Path, run_id: int) -> str:
        """Copy a run's local output files (and its :data:`ARTIFACTS` directory) into
        storage; returns the storage directory."""
        target = self.run_dir(run_id)
        for path in sorted(directory.iterdir()):
            if path.is_file():
                write_bytes(join(target, path.name), path.read_bytes())
        kept = directory / ARTIFACTS
        for path in sorted(kept.iterdir()) if kept.is_dir() else ():
            if path.is_file():
                put_file(path, join(target, ARTIFACTS, path.name))
        return target
