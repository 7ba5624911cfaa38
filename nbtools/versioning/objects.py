"""Content-addressed, compressed object files: small objects packed, large ones on their own.

An object is named by the sha256 of its content. Its stored form is raw (already-compressed
images), zlib, or a delta against a *base* object, the previous state of the same cell or
manifest: the lengths of the start and end the two have in common, then the part between
them compressed with the base as preset dictionary, which turns a one-line edit into a few
dozen bytes whatever the object's length. (Deltas written before kept no common ends: the whole
content compressed with the base as dictionary; they are still read.) Objects under :data:`LOOSE_LIMIT` are appended to a pack file; larger ones
get a file of their own, written through a synced temporary file and a rename. The database
row of an object is committed only after its bytes are synced, so a crash leaves at worst
unreferenced bytes, which ``nbtools version gc`` removes. Every read is checked against the
object's hash: a damaged object is reported by name and the versions that do not use it stay
readable.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, Select, insert, select

from nbtools.atomic import atomic_write, fsync_directory
from nbtools.errors import StoreError
from nbtools.locks import exclusive
from nbtools.store.failures import unusable
from nbtools.versioning.parts import Blob
from nbtools.versioning.tables import version_objects

#: A row of ``version_objects`` (sha, size, pack, offset, length, encoding, base, depth).
StoredObject = Row[Any]

#: Stored forms: as is, raw deflate, raw deflate with the base's content as dictionary (no
#: longer written), and the base's common start and end lengths (two varints) then the raw
#: deflate of the rest with the base's content before its common end as dictionary.
RAW, ZLIB, DELTA, SPAN_DELTA = 0, 1, 2, 3

#: Objects stored in fewer bytes than this are appended to a pack file.
LOOSE_LIMIT = 128 * 1024
#: A pack file that reached this size is closed; the next objects start a new one.
PACK_LIMIT = 64 * 1024 * 1024
#: Longest chain of deltas (git's default pack depth): reading an object at the end inflates
#: the whole chain (≈ 20 µs a link for a 10 KiB manifest), and a damaged object makes every
#: object after it in its chain unreadable. A chain that ends makes the next object whole
#: again: the manifest of a notebook saved ~4 KiB compressed against ~110 bytes as a delta.
MAX_DEPTH = 50
#: Deltas are only tried for objects this small.
DELTA_LIMIT = 256 * 1024

_WINDOW = 32 * 1024  # deflate's window: only this much of a dictionary is used
_PACK_NAME = re.compile(r"^pack-(\d{6,})\.pack$")
_QUERY_CHUNK = 500


class _Recent:
    """The content of objects recently written or read that may serve as delta bases.

    An object's content never changes (its name is its hash), so the next save of a notebook
    finds the previous manifest and cells here instead of inflating their delta chains again:
    the cost of a save follows what changed, not the notebook's history. Only content is
    kept; a read still looks up the rows, so an object removed since is reported missing.
    Bounded in entries and bytes; shared by the threads of a process.
    """

    def __init__(self, entries: int = 4096, size: int = 32 * 1024 * 1024) -> None:
        self.entries, self.size = entries, size
        self._content: OrderedDict[str, bytes] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, shas: Iterable[str]) -> dict[str, bytes]:
        with self._lock:
            found = {sha: self._content[sha] for sha in shas if sha in self._content}
            for sha in found:
                self._content.move_to_end(sha)
        return found

    def put(self, sha: str, data: bytes) -> None:
        if len(data) > DELTA_LIMIT:
            return
        with self._lock:
            if sha in self._content:
                self._content.move_to_end(sha)
                return
            self._content[sha] = data
            self._held += len(data)
            while len(self._content) > self.entries or self._held > self.size:
                _, dropped = self._content.popitem(last=False)
                self._held -= len(dropped)


_RECENT = _Recent()


class DamagedObjectError(StoreError):
    """A stored object is missing or its content no longer matches its hash."""


@dataclass(frozen=True)
class NewObject:
    """A blob to store, with the object it may be delta-compressed against."""

    blob: Blob
    base: str | None = None


class ObjectStore:
    """The object files of one project's version store (``.nbtools/versions``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pack_dir = directory / "packs"
        self.loose_dir = directory / "loose"

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive access for writers (commits, gc) across threads and processes."""
        with contextlib.ExitStack() as held:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                held.enter_context(exclusive(self.directory / "write.lock"))
            except OSError as error:  # a file or folder in the way: named, with what to do
                raise unusable(error, self.directory, "lock") from error
            yield

    # -- paths -------------------------------------------------------------------------------

    def pack_path(self, number: int) -> Path:
        return self.pack_dir / f"pack-{number:06d}.pack"

    def loose_path(self, sha: str) -> Path:
        return self.loose_dir / sha[:2] / sha[2:]

    def pack_numbers(self) -> list[int]:
        """Numbers of the pack files on disk, ascending."""
        if not self.pack_dir.is_dir():
            return []
        found = (_PACK_NAME.match(entry.name) for entry in self.pack_dir.iterdir())
        return sorted(int(match.group(1)) for match in found if match)

    def location(self, record: StoredObject) -> str:
        """Where an object's bytes are, for messages."""
        if record.pack is None:
            return str(self.loose_path(record.sha))
        return f"{self.pack_path(record.pack)} at byte {record.offset}"

    # -- writing -----------------------------------------------------------------------------

    def existing(self, connection: Connection, shas: Iterable[str]) -> set[str]:
        """Which of ``shas`` the store already holds."""
        return set(self.records(connection, shas))

    def write(
        self,
        connection: Connection,
        objects: Iterable[NewObject],
        base_content: Mapping[str, bytes],
    ) -> None:
        """Encode and store ``objects``, inserting their rows in ``connection``'s transaction
        (committed by the caller, after the bytes are synced).

        Call with :meth:`lock` held. ``base_content`` holds the content of the bases named.
        Raises :class:`~nbtools.errors.StoreError` if the files cannot be written.
        """
        try:
            self._write(connection, list(objects), base_content)
        except OSError as error:
            raise unusable(error, self.directory, "write to") from error

    def _write(
        self, connection: Connection, objects: list[NewObject], base_content: Mapping[str, bytes]
    ) -> None:
        bases = {o.base for o in objects if o.base}
        depths = {sha: record.depth for sha, record in self.records(connection, bases).items()}
        rows: list[dict[str, Any]] = []
        packed: list[tuple[dict[str, Any], bytes]] = []
        for new in objects:
            data = new.blob.data()
            encoding, stored, base = self._encode(new, data, base_content, depths)
            _RECENT.put(new.blob.sha, data)
            row = {
                "sha": new.blob.sha,
                "size": len(data),
                "pack": None,
                "offset": 0,
                "length": len(stored),
                "encoding": encoding,
                "base": base,
                "depth": depths[base] + 1 if base else 0,
            }
            if len(stored) < LOOSE_LIMIT:
                packed.append((row, stored))
            else:
                path = self.loose_path(new.blob.sha)
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(path, stored)
            rows.append(row)
        if packed:
            number = self._open_pack()
            offsets = self.append(number, [stored for _, stored in packed])
            for (row, _), offset in zip(packed, offsets, strict=True):
                row["pack"], row["offset"] = number, offset
        if rows:
            connection.execute(insert(version_objects), rows)

    def _encode(
        self,
        new: NewObject,
        data: bytes,
        base_content: Mapping[str, bytes],
        depths: Mapping[str, int],
    ) -> tuple[int, bytes, str | None]:
        if new.blob.binary:
            return RAW, data, None
        level = 9 if len(data) <= DELTA_LIMIT else 6
        best: tuple[int, bytes, str | None] = (ZLIB, _deflate(data, level), None)
        base = new.base
        if (
            base is not None
            and base in base_content
            and depths.get(base, MAX_DEPTH) < MAX_DEPTH
            and len(data) <= DELTA_LIMIT
        ):
            delta = span_delta(data, base_content[base])
            if len(delta) < len(best[1]):
                best = (SPAN_DELTA, delta, base)
        if len(best[1]) >= len(data):
            return RAW, data, None
        return best

    def _open_pack(self) -> int:
        numbers = self.pack_numbers()
        if numbers and self.pack_path(numbers[-1]).stat().st_size < PACK_LIMIT:
            return numbers[-1]
        return numbers[-1] + 1 if numbers else 1

    def append(self, number: int, chunks: list[bytes]) -> list[int]:
        """Append ``chunks`` to pack ``number`` and sync it; returns their offsets."""
        self.pack_dir.mkdir(parents=True, exist_ok=True)
        path = self.pack_path(number)
        is_new = not path.exists()
        with path.open("ab") as handle:
            offset = os.fstat(handle.fileno()).st_size
            offsets = []
            for chunk in chunks:
                offsets.append(offset)
                offset += len(chunk)
            handle.write(b"".join(chunks))
            handle.flush()
            _sync_data(handle.fileno())
        if is_new:
            fsync_directory(self.pack_dir)
        return offsets

    # -- reading -----------------------------------------------------------------------------

    def records(
        self, connection: Connection, shas: Iterable[str], with_bases: bool = False
    ) -> dict[str, StoredObject]:
        """The rows of those ``shas`` the store holds (and of their delta bases, all the way
        down, with ``with_bases``: one recursive query instead of one per level)."""
        wanted = list(set(shas))
        found: dict[str, StoredObject] = {}
        for start in range(0, len(wanted), _QUERY_CHUNK):
            chunk = wanted[start : start + _QUERY_CHUNK]
            if with_bases:
                query = _with_bases(chunk)
            else:
                query = select(version_objects).where(version_objects.c.sha.in_(chunk))
            found.update((row.sha, row) for row in connection.execute(query))
        return found

    def read(
        self, connection: Connection, shas: Iterable[str], *, recent: bool = False
    ) -> dict[str, bytes]:
        """The content of ``shas``, each checked against its hash.

        With ``recent`` (a save reading its delta bases), content this process wrote or read
        lately is taken as it was then; every other read checks the bytes on disk.
        Raises :class:`DamagedObjectError` naming the first object that is missing or damaged.
        """
        wanted = set(shas)
        if not wanted:
            return {}
        content = _RECENT.get(wanted) if recent else {}
        records = self.records(connection, wanted - set(content), with_bases=True)
        known = set(records) | set(self.records(connection, content))
        for sha in wanted - known:
            raise DamagedObjectError(
                f"The version store has no object {sha[:12]}: the database refers to content "
                "that was never stored or was removed by hand. Run `nbtools version verify` "
                "to list the affected versions.",
                sha=sha,
                problem="missing",
            )
        with _PackReader(self) as packs:
            for record in sorted(records.values(), key=_depth):  # bases before their deltas
                content[record.sha] = self._decode(record, packs.stored(record), content)
                _RECENT.put(record.sha, content[record.sha])
        return {sha: content[sha] for sha in wanted}

    def read_stored(self, record: StoredObject) -> bytes:
        """The stored (encoded) bytes of one object, as on disk."""
        with _PackReader(self) as packs:
            return packs.stored(record)

    def _decode(
        self, record: StoredObject, stored: bytes, base_content: Mapping[str, bytes]
    ) -> bytes:
        try:
            if record.encoding == RAW:
                data = stored
            elif record.encoding == ZLIB:
                data = _inflate(stored)
            elif record.encoding == DELTA:
                assert record.base is not None
                data = _inflate(stored, base_content[record.base])
            else:
                assert record.base is not None
                data = apply_span_delta(stored, base_content[record.base])
        except zlib.error as exc:
            raise damaged(self, record, f"it does not decompress ({exc})") from None
        if len(data) != record.size or hashlib.sha256(data).hexdigest() != record.sha:
            raise damaged(self, record, "its content does not match its sha256")
        return data


def _with_bases(shas: list[str]) -> Select[Any]:
    """Rows of ``shas`` and of the objects they are deltas against, recursively."""
    table = version_objects
    chain = (
        select(table.c.sha, table.c.base).where(table.c.sha.in_(shas)).cte("chain", recursive=True)
    )
    chain = chain.union(select(table.c.sha, table.c.base).join(chain, table.c.sha == chain.c.base))
    return select(table).where(table.c.sha.in_(select(chain.c.sha)))


def _deflate(data: bytes, level: int, dictionary: bytes = b"") -> bytes:
    """Raw deflate (the hash already guards the content, so no zlib header or checksum),
    with the last 32 KiB of ``dictionary`` as the preset dictionary when given."""
    if dictionary:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15, zdict=dictionary[-_WINDOW:])
    else:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def span_delta(data: bytes, base: bytes) -> bytes:
    """``data`` as a delta of ``base``: the lengths of their common start and end (varints),
    then the rest of ``data`` deflated with the ``base`` before its common end as dictionary.

    An edit of a long object costs what changed: deflate alone would spend a match (2 to 4
    bytes) on every 258 bytes of unchanged content, and reaches back only 32 KiB, so a base
    longer than that gave nothing to an edit near its start.
    """
    start, end = common_ends(data, base)
    middle = data[start : len(data) - end]
    return _varint(start) + _varint(end) + _deflate(middle, 9, base[: len(base) - end])


def apply_span_delta(stored: bytes, base: bytes) -> bytes:
    """The content :func:`span_delta` encoded against ``base``; :class:`zlib.error` if
    ``stored`` does not fit ``base``."""
    start, position = _read_varint(stored, 0)
    end, position = _read_varint(stored, position)
    if start + end > len(base):
        raise zlib.error("the delta's common ends are longer than its base")
    middle = _inflate(stored[position:], base[: len(base) - end])
    return base[:start] + middle + base[len(base) - end :]


def common_ends(data: bytes, base: bytes) -> tuple[int, int]:
    """The lengths of the longest common start of ``data`` and ``base`` and of the longest
    common end of what follows it in each (found by bisection: each step one comparison of
    slices, done in C)."""
    limit = min(len(data), len(base))
    start = _bisect(limit, lambda n: data[:n] == base[:n])
    limit -= start
    end = _bisect(limit, lambda n: data[len(data) - n :] == base[len(base) - n :])
    return start, end


def _bisect(limit: int, agrees: Callable[[int], bool]) -> int:
    """The largest ``n`` in ``0..limit`` for which ``agrees(n)`` (true for every smaller n)."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if agrees(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _varint(value: int) -> bytes:
    """``value`` (≥ 0) in LEB128: seven bits a byte, the high bit set on all but the last."""
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _read_varint(data: bytes, position: int) -> tuple[int, int]:
    """The LEB128 value at ``position`` and the position after it; :class:`zlib.error` if
    ``data`` ends inside it."""
    value = shift = 0
    while True:
        if position >= len(data) or shift > 63:
            raise zlib.error("the delta's header is cut short")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, position


def _inflate(stored: bytes, dictionary: bytes = b"") -> bytes:
    if dictionary:
        decompressor = zlib.decompressobj(-15, zdict=dictionary[-_WINDOW:])
    else:
        decompressor = zlib.decompressobj(-15)
    data = decompressor.decompress(stored) + decompressor.flush()
    if not decompressor.eof:
        raise zlib.error("the compressed stream is incomplete")
    return data


def _depth(record: StoredObject) -> int:
    return int(record.depth)


def _sync_data(fd: int) -> None:
    """Flush written bytes (and the file size) to disk."""
    getattr(os, "fdatasync", os.fsync)(fd)


def damaged(store: ObjectStore, record: StoredObject, problem: str) -> DamagedObjectError:
    """The error for an object whose stored bytes are wrong."""
    return DamagedObjectError(
        f"The version store object {record.sha[:12]} ({store.location(record)}) is damaged: "
        f"{problem}. Versions that use it cannot be read; the others are unaffected. Run "
        "`nbtools version verify` to list the affected versions.",
        sha=record.sha,
        location=store.location(record),
        problem="corrupt",
    )


class _PackReader:
    """Reads stored bytes, keeping each pack file open for the duration of one read."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.handles: dict[int, int] = {}

    def __enter__(self) -> _PackReader:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self.handles.values():
            os.close(fd)

    def stored(self, record: StoredObject) -> bytes:
        try:
            if record.pack is None:
                data = self.store.loose_path(record.sha).read_bytes()
            else:
                if record.pack not in self.handles:
                    path = self.store.pack_path(record.pack)
                    self.handles[record.pack] = os.open(path, os.O_RDONLY)
                data = os.pread(self.handles[record.pack], record.length, record.offset)
        except OSError as exc:
            raise DamagedObjectError(
                f"The version store object {record.sha[:12]} cannot be read: "
                f"{self.store.location(record)}: {exc.strerror}. Versions that use it cannot be "
                "read; the others are unaffected. Run `nbtools version verify` to list them.",
                sha=record.sha,
                location=self.store.location(record),
                problem="missing",
            ) from None
        if len(data) != record.length:
            raise damaged(self.store, record, "the file is shorter than recorded (truncated)")
        return data
