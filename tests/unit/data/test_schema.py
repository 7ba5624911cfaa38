from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.feather
import pyarrow.parquet

from nbtools.data import schema
from nbtools.data.schema import Field, read_schema


def test_csv_header_and_inferred_types(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(
        "id,customer_payment_amount,paid_on,paid_at,ok,note,empty\n"
        "1,3.5,2026-01-01,2026-01-01T10:00:00,true,a,\n"
        "2,4,2026-01-02,2026-01-02,false,,\n"
    )
    assert read_schema(str(path)).fields == (
        Field("id", "integer"),
        Field("customer_payment_amount", "number"),
        Field("paid_on", "date"),
        Field("paid_at", "datetime"),
        Field("ok", "boolean"),
        Field("note", "string"),
        Field("empty", "string"),
    )


def test_tsv_gzip_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv.gz"
    path.write_bytes(gzip.compress("\ufeffa\tb\n1\tx\n".encode()))
    assert read_schema(str(path)).fields == (Field("a", "integer"), Field("b", "string"))


def test_only_the_sample_is_read_and_a_cut_line_is_dropped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(schema, "SAMPLE_BYTES", 64)
    path = tmp_path / "big.csv"
    # the sample ends inside a row whose cut value would look like an integer
    path.write_text("a,b\n" + "1,x\n" * 14 + "2,1234567890yz\n")
    reading = read_schema(str(path))
    assert reading.fields == (Field("a", "integer"), Field("b", "string"))


def test_parquet_and_arrow_schemas(tmp_path: Path) -> None:
    table = pa.table({"customer_id": [1, 2], "amount": [1.5, 2.0], "name": ["a", "b"]})
    pyarrow.parquet.write_table(table, tmp_path / "t.parquet")
    pyarrow.feather.write_feather(table, tmp_path / "t.feather")
    expected = (Field("customer_id", "int64"), Field("amount", "double"), Field("name", "string"))
    assert read_schema(str(tmp_path / "t.parquet")).fields == expected
    assert read_schema(str(tmp_path / "t.feather")).fields == expected


def test_json_lines_keys_in_first_seen_order(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [{"id": 1, "user": {"x": 1}}, {"id": 2.5, "tags": ["a"], "gone": None}, {}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    assert read_schema(str(path)).fields == (
        Field("id", "number"),
        Field("user", "object"),
        Field("tags", "array"),
        Field("gone", "null"),
    )


def test_unreadable_locations_give_a_note_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    (tmp_path / "list.jsonl").write_text("[1, 2]\n")
    (tmp_path / "dir.csv").mkdir()
    notes = {
        name: read_schema(str(tmp_path / name))
        for name in ("missing.csv", "empty.csv", "bad.parquet", "list.jsonl", "dir.csv", "x.bin")
    }
    assert all(reading.fields is None for reading in notes.values())
    assert notes["missing.csv"].note == "no data at this location (yet)"
    assert "empty" in (notes["empty.csv"].note or "")
    assert "unreadable parquet" in (notes["bad.parquet"].note or "")
    assert "not a JSON object" in (notes["list.jsonl"].note or "")
    assert "directory" in (notes["dir.csv"].note or "")
    assert "format not recognised" in (notes["x.bin"].note or "")
    assert "s3fs" in (read_schema("s3://bucket/key.csv").note or "")


def test_a_binary_file_named_as_text_gives_a_note_not_a_garbage_schema(tmp_path: Path) -> None:
    """A binary file named ``.csv`` gave one column named by its replaced bytes on Python
    3.11+ (whose csv module reads NUL), and a note on 3.10 (whose csv module refuses it)."""
    binary = bytes(range(256)) * 4
    (tmp_path / "image.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + binary)
    (tmp_path / "utf16.tsv").write_bytes("a\tb\n1\t2\n".encode("utf-16"))
    (tmp_path / "blob.jsonl").write_bytes(b"\x00" + binary)
    for name in ("image.csv", "utf16.tsv", "blob.jsonl"):
        reading = read_schema(str(tmp_path / name))
        assert (reading.fields, reading.note) == (
            None,
            "unreadable: ValueError: not text: it holds NUL bytes (a binary file, or text in "
            "UTF-16: save it as UTF-8)",
        ), name
    latin1 = tmp_path / "latin1.csv"  # text in another encoding is still read
    latin1.write_bytes("name,città\nx,1\n".encode("latin-1"))
    assert read_schema(str(latin1)).fields == (
        Field("name", "string"),
        Field("citt\ufffd", "integer"),
    )


def test_a_first_line_longer_than_the_sample_gives_a_note_saying_so(tmp_path: Path) -> None:
    """A JSON-lines file whose first record is longer than the sample gave an empty schema
    (no columns) and no note; a CSV header as long was "the file is empty"."""
    record = json.dumps({"payload": "x" * schema.SAMPLE_BYTES})
    (tmp_path / "big.jsonl").write_text(f'{record}\n{{"payload": "y"}}\n')
    header = ",".join(f"column_{number}" for number in range(schema.SAMPLE_BYTES // 8))
    (tmp_path / "wide.csv").write_text(f"{header}\n1\n")
    for name in ("big.jsonl", "wide.csv"):
        reading = read_schema(str(tmp_path / name))
        assert (reading.fields, reading.note) == (
            None,
            "unreadable: ValueError: its first line is longer than the 4 MiB nbtools samples: "
            "no whole line to read a schema from",
        ), name
