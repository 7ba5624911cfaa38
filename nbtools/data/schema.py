"""Reading a dataset's schema from the data itself, sampling at most :data:`SAMPLE_BYTES`.

CSV/TSV: the header and types inferred from the sampled rows (``integer``, ``number``,
``boolean``, ``date``, ``datetime``, else ``string``; empty cells are ignored). Parquet,
Feather/Arrow IPC: the file's own schema through pyarrow (only the footer/metadata is read),
when pyarrow is installed. JSON lines: the keys of the sampled records, in first-seen order,
with their JSON types. Compressed files (``.gz``, ``.bz2``, ...) are read through fsspec's
compression inference. A location that cannot be read gives no schema and a note saying why;
it never stops a dataset from being catalogued. A local path that is no regular file (a named
pipe, which would wait for a writer for good) is never opened.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from nbtools.errors import InvalidInputError
from nbtools.infiles import check_regular
from nbtools.urls import url_protocol, without_login

#: At most this many bytes of a file are read to infer a schema.
SAMPLE_BYTES = 4 * 1024 * 1024

_COMPRESSIONS = {".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip"}
_CSV = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv"}
_DELIMITERS = {"csv": ",", "tsv": "\t"}
_PARQUET = {".parquet", ".pq"}
_ARROW = {".arrow", ".feather", ".ipc"}
_JSON_LINES = {".jsonl", ".ndjson"}


@dataclass(frozen=True)
class Field:
    """One column: its name and a portable type name."""

    name: str
    type: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type}


@dataclass(frozen=True)
class SchemaReading:
    """What reading a location gave: the fields, or ``None`` and a note saying why."""

    fields: tuple[Field, ...] | None
    note: str | None = None


def data_format(location: str) -> str | None:
    """The format of a location from its name (a compression suffix aside): ``csv``, ``tsv``,
    ``parquet``, ``arrow`` or ``jsonl`` (``None`` when not recognised)"""
    suffixes = [suffix.lower() for suffix in PurePosixPath(location.split("?", 1)[0]).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes.pop()
    suffix = suffixes[-1] if suffixes else ""
    if suffix in _CSV:
        return _CSV[suffix]
    if suffix in _PARQUET:
        return "parquet"
    if suffix in _ARROW:
        return "arrow"
    if suffix in _JSON_LINES:
        return "jsonl"
    return None


def read_schema(url: str) -> SchemaReading:
    """The schema of the data at ``url`` (a local path or an fsspec URL)."""
    kind = data_format(url)
    if kind is None:
        return SchemaReading(
            None, "format not recognised from the name (csv, tsv, parquet, arrow/feather, jsonl)"
        )
    if url_protocol(url) is None:  # a local path: opening a named pipe waits for a writer
        try:
            check_regular(Path(url))
        except InvalidInputError:
            return SchemaReading(
                None, "not a regular file (a named pipe, a device or a socket): schema not read"
            )
    try:
        import fsspec

        with fsspec.open(url, "rb", compression="infer") as handle:
            if kind in _DELIMITERS:
                return SchemaReading(_csv_fields(handle, _DELIMITERS[kind]))
            if kind == "jsonl":
                return SchemaReading(_json_lines_fields(handle))
            return _arrow_schema(handle, kind)
    except FileNotFoundError:
        return SchemaReading(None, "no data at this location (yet)")
    except IsADirectoryError:
        return SchemaReading(None, "a directory: schema not read")
    except ImportError as exc:
        return SchemaReading(None, f"cannot read this location here: {without_login(str(exc))}")
    except (OSError, ValueError, UnicodeDecodeError, csv.Error) as exc:
        reason = without_login(str(exc))  # an error of fsspec's may show the URL
        return SchemaReading(None, f"unreadable: {exc.__class__.__name__}: {reason}")


def _sample_text(handle: IO[bytes]) -> tuple[str, bool]:
    """The first :data:`SAMPLE_BYTES` as text (bytes another encoding wrote as U+FFFD), and
    whether the file went on beyond them; a sample holding a NUL byte is no text."""
    data = handle.read(SAMPLE_BYTES + 1)
    if b"\x00" in data:
        raise ValueError(
            "not text: it holds NUL bytes (a binary file, or text in UTF-16: save it as UTF-8)"
        )
    truncated = len(data) > SAMPLE_BYTES
    text = data[:SAMPLE_BYTES].decode("utf-8-sig", errors="replace")
    return text, truncated


def _complete_lines(handle: IO[bytes]) -> list[str]:
    """The sample's lines, but the last one when the sample cut it; none whole is an error."""
    text, truncated = _sample_text(handle)
    lines = text.splitlines()
    if truncated and lines:
        lines.pop()  # cut in the middle
        if not lines:
            raise ValueError(
                f"its first line is longer than the {SAMPLE_BYTES // 2**20} MiB nbtools "
                "samples: no whole line to read a schema from"
            )
    return lines


def _csv_fields(handle: IO[bytes], delimiter: str) -> tuple[Field, ...]:
    rows = csv.reader(io.StringIO("\n".join(_complete_lines(handle))), delimiter=delimiter)
    header = next(rows, None)
    if not header:
        raise ValueError("the file is empty: no header row")
    kinds: list[set[str]] = [set() for _ in header]
    for row in rows:
        for index, cell in enumerate(row[: len(header)]):
            if cell.strip():
                kinds[index].add(_cell_type(cell.strip()))
    return tuple(Field(name, _merge(found)) for name, found in zip(header, kinds, strict=True))


def _cell_type(cell: str) -> str:
    if cell.lower() in {"true", "false"}:
        return "boolean"
    for kind, parse in (("integer", int), ("number", float)):
        try:
            parse(cell)
            return kind
        except ValueError:
            pass
    for kind, parse_time in (("date", date.fromisoformat), ("datetime", datetime.fromisoformat)):
        try:
            parse_time(cell)
            return kind
        except ValueError:
            pass
    return "string"


def _merge(kinds: set[str]) -> str:
    if not kinds:
        return "string"
    if len(kinds) == 1:
        return next(iter(kinds))
    if kinds == {"integer", "number"}:
        return "number"
    if kinds == {"date", "datetime"}:
        return "datetime"
    return "string"


def _json_lines_fields(handle: IO[bytes]) -> tuple[Field, ...]:
    kinds: dict[str, set[str]] = {}
    for line in _complete_lines(handle):
        if not line.strip():
            continue
        record = json.loads(line)
        if not isinstance(record, dict):
            raise ValueError("a line is not a JSON object")
        for key, value in record.items():
            kinds.setdefault(str(key), set()).add(_json_type(value))
    kinds = {key: found - {"null"} or {"null"} for key, found in kinds.items()}
    return tuple(
        Field(key, _merge(found) if found != {"null"} else "null") for key, found in kinds.items()
    )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _arrow_schema(handle: IO[bytes], kind: str) -> SchemaReading:
    try:
        import pyarrow.ipc
        import pyarrow.parquet
    except ImportError:
        return SchemaReading(None, f"reading {kind} schemas needs pyarrow, not installed here")
    try:
        if kind == "parquet":
            schema = pyarrow.parquet.read_schema(handle)
        else:
            try:
                schema = pyarrow.ipc.open_file(handle).schema
            except pyarrow.ArrowInvalid:
                handle.seek(0)
                schema = pyarrow.ipc.open_stream(handle).schema
    except pyarrow.ArrowException as exc:
        return SchemaReading(None, f"unreadable {kind} file: {exc}")
    return SchemaReading(tuple(Field(field.name, str(field.type)) for field in schema))
