"""A notebook as content-addressed parts: a manifest plus source, output and binary blobs.

Each cell source, each output and each image is its own blob, named by the sha256 of its
bytes, so a blob shared by many versions is stored once. Images are decoded from base64 and
kept as binary (a quarter smaller, and not compressible further). The manifest keeps the
notebook's structure (metadata, cell order, ids, execution counts) with blob names in place of
the content; its sha256 identifies the content of a whole version.

Notebooks are taken in nbformat's in-memory form: multi-line lists rejoined into strings and
transient fields (``trusted``, ``orig_nbformat``, ``signature``) dropped, so the same notebook
read from disk or received from JupyterLab gives the same parts.
"""

from __future__ import annotations

import binascii
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nbtools.errors import NotebookError
from nbtools.notebooks import check_structure
from nbtools.versioning.lastsplit import KnownCell, same_json

Notebook = dict[str, Any]

#: Version of the manifest layout, stored in every manifest.
MANIFEST_FORMAT = 1

#: Mime types whose base64 payload is stored decoded; they are already compressed.
COMPRESSED_MIMES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

_TRANSIENT_NOTEBOOK_METADATA = ("orig_nbformat", "orig_nbformat_minor", "signature")


def sha256_hex(data: bytes) -> str:
    """The name of a blob: the sha256 of its bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> bytes:
    """Deterministic compact JSON: the same value always gives the same bytes (text as
    :func:`stored_text` keeps it; ``json.loads`` reads such bytes back)."""
    return stored_text(_CANONICAL.encode(value))


def stored_text(text: str) -> bytes:
    """Text as the store keeps it: UTF-8, and a lone surrogate, which JSON can hold
    (``"x\\ud83d"``) but no UTF-8 character is, as its three bytes, so that a notebook holding
    one is kept as it is, and restored. Every other text gets its plain UTF-8 bytes."""
    return text.encode("utf-8", "surrogatepass")


def read_text(data: bytes) -> str:
    """The text of :func:`stored_text`'s bytes."""
    return data.decode("utf-8", "surrogatepass")


@dataclass
class Blob:
    """One part's bytes, produced on demand (decoding an image costs milliseconds)."""

    sha: str
    size: int
    binary: bool
    produce: Callable[[], bytes]

    def data(self) -> bytes:
        return self.produce()


@dataclass
class Parts:
    """A notebook split into a manifest and the blobs it names.

    ``entry_json`` is the JSON of each cell's manifest entry; ``reused`` names, per cell, the
    known cell it was taken from unchanged (its blobs are then not in ``blobs``: they are
    stored already), or ``None`` for a cell split anew.
    """

    manifest: dict[str, Any]
    manifest_bytes: bytes
    manifest_sha: str
    blobs: dict[str, Blob] = field(default_factory=dict)
    entry_json: list[bytes] = field(default_factory=list)
    reused: list[KnownCell | None] = field(default_factory=list)

    @property
    def cells(self) -> list[dict[str, Any]]:
        cells: list[dict[str, Any]] = self.manifest["cells"]
        return cells

    def manifest_blob(self) -> Blob:
        data = self.manifest_bytes
        return Blob(self.manifest_sha, len(data), False, lambda: data)


class _Collector:
    """Gathers the blobs of one notebook while it is split."""

    def __init__(self) -> None:
        self.blobs: dict[str, Blob] = {}

    def add(self, data: bytes) -> str:
        sha = sha256_hex(data)
        self.blobs.setdefault(sha, Blob(sha, len(data), False, lambda: data))
        return sha

    def add_json(self, value: Any) -> str:
        return self.add(canonical_json(value))

    def add_base64(self, text: str) -> tuple[str, str] | None:
        """Store a base64 image as binary; ``None`` when it does not round-trip exactly."""
        decoded = _decoded_image(text)
        if decoded is None:
            return None
        sha, size, fmt = decoded
        # decoded only if the store lacks it (the trailing newline of format "n" is ignored)
        self.blobs.setdefault(sha, Blob(sha, size, True, lambda: binascii.a2b_base64(text)))
        return sha, fmt


def split(
    nb: Mapping[str, Any], source: str = "<notebook>", known: Sequence[KnownCell] = ()
) -> Parts:
    """Split a notebook into its manifest and blobs, checking its structure on the way.

    A cell found unchanged among the ``known`` cells of a previous split (matched by its id,
    else by its position) keeps that split's entry, and its blobs are not produced again.
    """
    check_structure(nb, source)
    collector = _Collector()
    top = {key: value for key, value in nb.items() if key != "cells"}
    metadata = top.get("metadata")
    if isinstance(metadata, dict):
        top["metadata"] = _without(metadata, _TRANSIENT_NOTEBOOK_METADATA)
    by_id = {cell.cell.get("id"): cell for cell in known if isinstance(cell.cell.get("id"), str)}
    entries: list[dict[str, Any]] = []
    entry_json: list[bytes] = []
    reused: list[KnownCell | None] = []
    for index, cell in enumerate(nb["cells"]):
        cell_id = cell.get("id")
        if isinstance(cell_id, str):
            candidate = by_id.get(cell_id)
        else:
            candidate = known[index] if index < len(known) else None
        if candidate is not None and same_json(candidate.cell, cell):
            entry, encoded = candidate.entry, candidate.entry_json
        else:
            candidate = None
            entry = _split_cell(cell, index, collector, source)
            encoded = canonical_json(entry)
        entries.append(entry)
        entry_json.append(encoded)
        reused.append(candidate)
    manifest = {"format": MANIFEST_FORMAT, "notebook": top, "cells": entries}
    # canonical_json(manifest), from the entries' JSON: the keys in order, no spaces
    manifest_bytes = b"".join(
        [
            b'{"cells":[',
            b",".join(entry_json),
            b'],"format":',
            canonical_json(MANIFEST_FORMAT),
            b',"notebook":',
            canonical_json(top),
            b"}",
        ]
    )
    return Parts(
        manifest, manifest_bytes, sha256_hex(manifest_bytes), collector.blobs, entry_json, reused
    )


def _split_cell(
    cell: dict[str, Any], index: int, collector: _Collector, source: str
) -> dict[str, Any]:
    entry = {k: v for k, v in cell.items() if k not in ("source", "outputs", "attachments")}
    metadata = entry.get("metadata")
    if isinstance(metadata, dict):
        entry["metadata"] = _without(metadata, ("trusted",))
    if "source" in cell:
        text = _joined(cell["source"])
        if not isinstance(text, str):
            raise NotebookError(f"{source}: cell {index + 1} has an invalid source.", path=source)
        entry["source"] = collector.add(stored_text(text))
    if "outputs" in cell:
        if not isinstance(cell["outputs"], list):
            raise NotebookError(f"{source}: cell {index + 1} has invalid outputs.", path=source)
        entry["outputs"] = [
            collector.add_json(_split_output(output, collector)) for output in cell["outputs"]
        ]
    if "attachments" in cell:
        entry["attachments"] = collector.add_json(
            _split_attachments(cell["attachments"], collector)
        )
    return entry


def _split_output(output: Any, collector: _Collector) -> dict[str, Any]:
    if not isinstance(output, dict):
        return {"o": output}
    stored = dict(output)
    if output.get("output_type") in ("execute_result", "display_data") and isinstance(
        output.get("data"), dict
    ):
        stored["data"], binaries = _split_bundle(output["data"], collector)
        if binaries:
            return {"o": stored, "b": binaries}
    elif output.get("output_type") and "text" in output:
        stored["text"] = _joined(output["text"])
    return {"o": stored}


def _split_attachments(attachments: Any, collector: _Collector) -> dict[str, Any]:
    if not isinstance(attachments, dict):
        return {"o": attachments}
    stored: dict[str, Any] = {}
    binaries: dict[str, Any] = {}
    for name, bundle in attachments.items():
        if isinstance(bundle, dict):
            stored[name], found = _split_bundle(bundle, collector)
            if found:
                binaries[name] = found
        else:
            stored[name] = bundle
    return {"o": stored, "b": binaries} if binaries else {"o": stored}


def _split_bundle(
    bundle: dict[str, Any], collector: _Collector
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A mime bundle without its images, and the images as ``{mime: [sha, format]}``."""
    text: dict[str, Any] = {}
    binaries: dict[str, list[str]] = {}
    for mime, value in bundle.items():
        value = value if _is_json_mime(mime) else _joined(value)
        if mime in COMPRESSED_MIMES and isinstance(value, str):
            stored = collector.add_base64(value)
            if stored is not None:
                binaries[mime] = list(stored)
                continue
        text[mime] = value
    return text, binaries


def _is_json_mime(mime: str) -> bool:
    return mime == "application/json" or (
        mime.startswith("application/") and mime.endswith("+json")
    )


def _joined(value: Any) -> Any:
    """nbformat's on-disk list of lines, rejoined into one string."""
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return value


def _without(mapping: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    drop = set(keys)
    if drop.isdisjoint(mapping):
        return mapping
    return {key: value for key, value in mapping.items() if key not in drop}


# Decoded images, found by their length and ends and confirmed by comparing the whole text
# (a memory comparison, cheaper than hashing it): saving a notebook again costs that per
# unchanged image instead of a decode, a re-encode and a sha256. Bounded in entries and in
# characters held.
_ImageKey = tuple[int, str, str]
_IMAGE_CACHE: OrderedDict[_ImageKey, tuple[str, tuple[str, int, str] | None]] = OrderedDict()
_IMAGE_CACHE_SIZE = 512
_IMAGE_CACHE_CHARS = 256 * 1024 * 1024
_image_cache_chars = 0


def _decoded_image(text: str) -> tuple[str, int, str] | None:
    """(sha, size, format) of a base64 image, or ``None`` unless it round-trips exactly.

    Format ``""`` is plain base64; ``"n"`` is base64 followed by one newline (as some kernels
    write it). Anything else (line-wrapped, invalid) stays text.
    """
    global _image_cache_chars
    key = (len(text), text[:64], text[-64:])
    cached = _IMAGE_CACHE.get(key)
    if cached is not None and cached[0] == text:
        _IMAGE_CACHE.move_to_end(key)
        return cached[1]
    try:
        encoded = text.encode("ascii")
    except UnicodeEncodeError:
        return None
    fmt, body = ("n", encoded[:-1]) if encoded.endswith(b"\n") else ("", encoded)
    result: tuple[str, int, str] | None = None
    try:
        raw = binascii.a2b_base64(body)
    except binascii.Error:
        raw = None
    if raw is not None and binascii.b2a_base64(raw, newline=False) == body:
        result = (sha256_hex(raw), len(raw), fmt)
    if cached is not None:  # another text with the same length and ends: replaced
        del _IMAGE_CACHE[key]
        _image_cache_chars -= len(cached[0])
    _IMAGE_CACHE[key] = (text, result)
    _image_cache_chars += len(text)
    while len(_IMAGE_CACHE) > _IMAGE_CACHE_SIZE or _image_cache_chars > _IMAGE_CACHE_CHARS:
        _, (dropped, _) = _IMAGE_CACHE.popitem(last=False)
        _image_cache_chars -= len(dropped)
    return result


def encode_image(raw: bytes, fmt: str) -> str:
    """The base64 text of a stored image, exactly as it was in the notebook."""
    return binascii.b2a_base64(raw, newline=fmt == "n").decode("ascii")


# ---------------------------------------------------------------------------------------------
# Reassembly


def referenced_blobs(manifest: Mapping[str, Any]) -> list[str]:
    """Names of the source, output and attachment blobs a manifest refers to, in order."""
    names: list[str] = []
    for cell in manifest["cells"]:
        if "source" in cell:
            names.append(cell["source"])
        names.extend(cell.get("outputs", ()))
        if "attachments" in cell:
            names.append(cell["attachments"])
    return names


def binary_blobs(stored: Mapping[str, Any]) -> list[str]:
    """Names of the images a parsed output or attachments blob refers to.

    An output keeps ``{"b": {mime: [sha, format]}}``; attachments keep one such bundle per
    attachment name, ``{"b": {name: {mime: [sha, format]}}}``.
    """
    names: list[str] = []
    pending = [stored.get("b", {})]
    while pending:
        for value in pending.pop().values():
            if isinstance(value, dict):
                pending.append(value)
            else:
                names.append(value[0])
    return names


ImageText = Callable[[str, str, str], str]


def assemble(
    manifest: Mapping[str, Any], blobs: Mapping[str, bytes], image_text: ImageText
) -> Notebook:
    """Rebuild the notebook of ``manifest`` from its blobs.

    ``image_text(mime, sha, format)`` gives the text put back for an image: its base64 (for a
    restore) or a short placeholder naming its hash (for a diff, without loading it).
    """
    nb: Notebook = dict(manifest["notebook"])
    cells = []
    for entry in manifest["cells"]:
        cell = dict(entry)
        if "source" in entry:
            cell["source"] = read_text(blobs[entry["source"]])
        if "outputs" in entry:
            cell["outputs"] = [
                _rebuild_output(json.loads(blobs[sha]), image_text) for sha in entry["outputs"]
            ]
        if "attachments" in entry:
            stored = json.loads(blobs[entry["attachments"]])
            attachments = stored["o"]
            for name, refs in stored.get("b", {}).items():
                attachments[name] = {**attachments[name], **_images(refs, image_text)}
            cell["attachments"] = attachments
        cells.append(cell)
    nb["cells"] = cells
    return nb


def _rebuild_output(stored: dict[str, Any], image_text: ImageText) -> Any:
    output = stored["o"]
    if "b" in stored:
        output["data"] = {**output["data"], **_images(stored["b"], image_text)}
    return output


def _images(refs: Mapping[str, list[str]], image_text: ImageText) -> dict[str, str]:
    return {mime: image_text(mime, sha, fmt) for mime, (sha, fmt) in refs.items()}
