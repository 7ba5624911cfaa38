"""Notebooks as on disk: the bytes nbformat would write for a notebook's parts."""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from nbtools.versioning.parts import Notebook, Parts

#: Mime types nbformat writes as lists of lines besides ``text/*``.
_SPLIT_MIMES = frozenset({"application/javascript", "image/svg+xml"})


def notebook_bytes(nb: Notebook) -> bytes:
    """The notebook as nbformat writes it: multi-line text as lists of lines, sorted keys,
    one-space indent and a final newline, so a restored file matches a JupyterLab save."""
    on_disk = {**nb, "cells": [_cell_on_disk(cell) for cell in nb["cells"]]}
    return _file_bytes(_dumps(on_disk) + "\n")


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False)


#: A surrogate code point: in a string from JSON, always a lone one (JSON joins pairs).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _file_bytes(text: str) -> bytes:
    """JSON text as a notebook file holds it: UTF-8, a lone surrogate (which no UTF-8 encodes)
    written as its JSON escape (``\\ud83d``), as the file it was read from had it."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text).encode()


# The size of each cell as written inside a notebook, keyed by its manifest entry (which names
# its content by hash): a save costs the serialisation of the cells that changed only.
_CELL_SIZES: OrderedDict[bytes, int] = OrderedDict()
_CELL_SIZES_LIMIT = 20_000


def notebook_size(nb: Mapping[str, Any], parts: Parts) -> int:
    """``len(notebook_bytes(nb))``, from the sizes of its cells, those seen before (in a
    notebook split into ``parts``) taken from a cache instead of serialised again."""
    sizes = []
    for cell, entry_json in zip(nb["cells"], parts.entry_json, strict=True):
        key = entry_json if _in_memory_form(cell) else None
        size = _CELL_SIZES.get(key) if key is not None else None
        if size is None:
            size = _cell_size(cell)
            if key is not None:
                _CELL_SIZES[key] = size
                if len(_CELL_SIZES) > _CELL_SIZES_LIMIT:
                    _CELL_SIZES.popitem(last=False)
        elif key is not None:
            _CELL_SIZES.move_to_end(key)
        sizes.append(size)
    frame = len(_file_bytes(_dumps({**nb, "cells": []})))
    if not sizes:
        return frame + 1
    # "cells": [] becomes "cells": [\n  CELL,\n  CELL\n ] (each cell two spaces further in)
    return frame - 1 + sum(sizes) + len(sizes) * 3 + (len(sizes) - 1) + 3 + 1


def _cell_size(cell: dict[str, Any]) -> int:
    """Bytes of ``cell`` inside a notebook file, as an item of its ``cells`` list."""
    text = _dumps(_cell_on_disk(cell))
    return len(_file_bytes(text)) + 2 * text.count("\n")


def _in_memory_form(cell: dict[str, Any]) -> bool:
    """Whether ``cell`` holds its text as strings and no transient field, so that its
    manifest entry determines how it is written (a list of lines, as on disk, could have been
    split anywhere, and the entry drops ``trusted``)."""
    metadata = cell.get("metadata")
    if "attachments" in cell or not isinstance(cell.get("source", ""), str):
        return False
    if isinstance(metadata, dict) and "trusted" in metadata:
        return False
    for output in cell.get("outputs") or ():
        if not isinstance(output, dict) or isinstance(output.get("text"), list):
            return False
        data = output.get("data")
        if isinstance(data, dict) and any(isinstance(value, list) for value in data.values()):
            return False
    return True


def _cell_on_disk(cell: dict[str, Any]) -> dict[str, Any]:
    cell = dict(cell)
    if isinstance(cell.get("source"), str):
        cell["source"] = cell["source"].splitlines(True)
    if isinstance(cell.get("attachments"), dict):
        cell["attachments"] = {
            name: _bundle_on_disk(bundle) if isinstance(bundle, dict) else bundle
            for name, bundle in cell["attachments"].items()
        }
    if cell.get("cell_type") == "code" and isinstance(cell.get("outputs"), list):
        cell["outputs"] = [_output_on_disk(output) for output in cell["outputs"]]
    return cell


def _output_on_disk(output: Any) -> Any:
    if not isinstance(output, dict):
        return output
    kind = output.get("output_type")
    if kind in ("execute_result", "display_data") and isinstance(output.get("data"), dict):
        return {**output, "data": _bundle_on_disk(output["data"])}
    if kind == "stream" and isinstance(output.get("text"), str):
        return {**output, "text": output["text"].splitlines(True)}
    return output


def _bundle_on_disk(bundle: dict[str, Any]) -> dict[str, Any]:
    return {
        mime: value.splitlines(True)
        if isinstance(value, str) and (mime.startswith("text/") or mime in _SPLIT_MIMES)
        else value
        for mime, value in bundle.items()
    }
