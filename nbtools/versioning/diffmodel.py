"""nbdime's notebook diff turned into the JSON model the panel and the CLI render.

The model lists cells in order with a status (``added``, ``removed``, ``modified``, ``moved``,
``unchanged``), a line diff of each changed source, the outputs added, removed or modified
(images compared by hash: changed or unchanged), cell metadata changes, and the notebook's
own metadata changes. nbdime aligns the cells, the source lines and the outputs; a cell whose
id changed is a different cell, and a cell removed in one place and added in another with
the same id (or the same content, without ids) has moved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Diff = list[dict[str, Any]]
Cell = dict[str, Any]
#: nbdime's diff of two single cells (for moved cells).
CellDiffer = Callable[[Cell, Cell], Diff]
Row = tuple[int | None, int | None, Any]

STATUSES = ("added", "removed", "modified", "moved", "unchanged")
_PREVIEW_LINES = 12


def build_model(a: Cell, b: Cell, diff: Diff, cell_differ: CellDiffer) -> dict[str, Any]:
    """The model of nbdime's ``diff`` from notebook ``a`` to notebook ``b``."""
    cells_entry = next((entry for entry in diff if entry["key"] == "cells"), None)
    rows = _rows(len(a["cells"]), len(b["cells"]), cells_entry)
    rows = _split_new_ids(rows, a["cells"], b["cells"])
    cells = [_cell(a["cells"], b["cells"], row, cell_differ) for row in _with_moves(rows, a, b)]
    summary = dict.fromkeys(STATUSES, 0)
    for cell in cells:
        summary[cell["status"]] += 1
    top_a = {k: v for k, v in a.items() if k not in ("cells", "metadata")}
    top_b = {k: v for k, v in b.items() if k not in ("cells", "metadata")}
    metadata = _mapping_changes(a.get("metadata", {}), b.get("metadata", {}))
    return {
        "identical": not diff,
        "summary": summary,
        "metadata": metadata + _mapping_changes(top_a, top_b),
        "cells": cells,
    }


def _rows(length_a: int, length_b: int, entry: dict[str, Any] | None) -> list[Row]:
    """Align a list from nbdime's ops on it: ``(index in a, index in b, patch)`` rows, in
    order, with ``None`` for the side a removed or added item is missing from."""
    if entry is None:
        return [(i, i, None) for i in range(length_a)]
    if entry["op"] != "patch":
        return [(i, None, None) for i in range(length_a)] + [
            (None, j, None) for j in range(length_b)
        ]
    added: dict[int, int] = {}
    removed: set[int] = set()
    patched: dict[int, Diff] = {}
    for op in entry["diff"]:
        if op["op"] == "addrange":
            added[op["key"]] = added.get(op["key"], 0) + len(op["valuelist"])
        elif op["op"] == "removerange":
            removed.update(range(op["key"], op["key"] + op["length"]))
        elif op["op"] == "patch":
            patched[op["key"]] = op["diff"]
    rows: list[Row] = []
    j = 0
    for i in range(length_a + 1):
        if i in removed:
            rows.append((i, None, None))
        for _ in range(added.get(i, 0)):
            rows.append((None, j, None))
            j += 1
        if i < length_a and i not in removed:
            rows.append((i, j, patched.get(i)))
            j += 1
    return rows


def _split_new_ids(rows: list[Row], a: Sequence[Cell], b: Sequence[Cell]) -> list[Row]:
    """A cell whose id changed is another cell: one removed, one added."""
    result: list[Row] = []
    for i, j, patch in rows:
        if i is not None and j is not None and _ids(a[i], b[j]) and a[i]["id"] != b[j]["id"]:
            result += [(i, None, None), (None, j, None)]
        else:
            result.append((i, j, patch))
    return result


def _ids(*cells: Cell) -> bool:
    return all(isinstance(cell.get("id"), str) for cell in cells)


#: The patch slot of a row whose cell moved (its changes are diffed separately).
_MOVED: Any = object()


def _with_moves(rows: list[Row], a: Cell, b: Cell) -> list[Row]:
    """Pair removed and added cells that are the same cell: they moved."""
    a_cells, b_cells = a["cells"], b["cells"]
    added = [new for old, new, _ in rows if old is None and new is not None]
    removed = [old for old, new, _ in rows if new is None and old is not None]
    pairs: dict[int, int] = {}
    for new in added:
        for old in removed:
            if old not in pairs.values() and _same_cell(a_cells[old], b_cells[new]):
                pairs[new] = old
                break
    moved_from = set(pairs.values())
    result: list[Row] = []
    for i, j, patch in rows:
        if i is not None and j is None and i in moved_from:
            continue
        result.append((pairs[j], j, _MOVED) if i is None and j in pairs else (i, j, patch))
    return result


def _same_cell(old: Cell, new: Cell) -> bool:
    if _ids(old, new):
        return bool(old["id"] == new["id"])
    return old == new


def _cell(
    a_cells: Sequence[Cell],
    b_cells: Sequence[Cell],
    row: Row,
    cell_differ: CellDiffer,
) -> dict[str, Any]:
    i, j, patch = row
    old = a_cells[i] if i is not None else None
    new = b_cells[j] if j is not None else None
    cell = new if new is not None else old
    assert cell is not None
    model: dict[str, Any] = {
        "a_index": i,
        "b_index": j,
        "cell_type": cell.get("cell_type"),
        "id": cell.get("id"),
        "source": [],
        "outputs": [],
        "metadata": [],
        "execution_count": None,
        "attachments_changed": False,
        "preview": _first_line(_source(cell)),
    }
    if old is None or new is None:
        sign, status = ("+", "added") if old is None else ("-", "removed")
        model["status"] = status
        model["source"] = [_line(sign, text) for text in _source(cell).splitlines()]
        outputs = cell.get("outputs", [])
        model["outputs"] = [_output_entry(status, k, output) for k, output in enumerate(outputs)]
        return model
    moved = patch is _MOVED
    ops = {op["key"]: op for op in (cell_differ(old, new) if moved else patch or [])}
    if "source" in ops:
        model["source"] = _line_diff(_source(old), _source(new), ops["source"])
    if "outputs" in ops:
        model["outputs"] = _output_changes(
            old.get("outputs", []), new.get("outputs", []), ops["outputs"]
        )
    model["metadata"] = _mapping_changes(old.get("metadata", {}), new.get("metadata", {}))
    if old.get("execution_count") != new.get("execution_count"):
        model["execution_count"] = [old.get("execution_count"), new.get("execution_count")]
    model["attachments_changed"] = old.get("attachments") != new.get("attachments")
    changed = bool(ops) or model["metadata"] or model["execution_count"] is not None
    model["status"] = "moved" if moved else ("modified" if changed else "unchanged")
    return model


def _source(cell: Cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:120]


def _line(op: str, text: str) -> dict[str, str]:
    return {"op": op, "text": text.rstrip("\n")}


def _line_diff(old: str, new: str, entry: dict[str, Any]) -> list[dict[str, str]]:
    """A unified line diff (``" "``, ``"-"``, ``"+"``) from nbdime's line ops on a source."""
    old_lines, new_lines = old.splitlines(True), new.splitlines(True)
    lines = []
    for i, j, patch in _rows(len(old_lines), len(new_lines), entry):
        if i is not None and (j is None or patch):
            lines.append(_line("-", old_lines[i]))
        if j is not None and (i is None or patch):
            lines.append(_line("+", new_lines[j]))
        if i is not None and j is not None and not patch:
            lines.append(_line(" ", old_lines[i]))
    return _unchanged_ends(lines)


def _unchanged_ends(lines: list[dict[str, str]]) -> list[dict[str, str]]:
    """``lines`` with a line removed and added back as it was (a last line that only gained
    or lost its newline: ``x`` → ``x\n# more``) shown once, unchanged."""
    kept: list[dict[str, str]] = []
    for line in lines:
        last = kept[-1] if kept else None
        if last and (last["op"], line["op"]) == ("-", "+") and last["text"] == line["text"]:
            kept[-1] = _line(" ", line["text"])
        else:
            kept.append(line)
    return kept


def _output_changes(
    old: Sequence[Cell], new: Sequence[Cell], entry: dict[str, Any]
) -> list[dict[str, Any]]:
    """Outputs added, removed or modified; nbdime's replacement of an output by one of the
    same type (a removal next to an addition) is shown as a modification."""
    changes: list[dict[str, Any]] = []
    rows = _rows(len(old), len(new), entry)
    k = 0
    while k < len(rows):
        i, j, patch = rows[k]
        following = rows[k + 1] if k + 1 < len(rows) else (None, None, None)
        if (
            i is not None
            and j is None
            and following[0] is None
            and following[1] is not None
            and old[i].get("output_type") == new[following[1]].get("output_type")
        ):
            j, patch = following[1], True
            k += 1
        k += 1
        if i is not None and j is None:
            changes.append(_output_entry("removed", i, old[i]))
        elif i is None and j is not None:
            changes.append(_output_entry("added", j, new[j]))
        elif i is not None and j is not None and patch:
            change = _output_entry("modified", j, new[j])
            change["changed"] = _changed_parts(old[i], new[j])
            change["before"] = _output_text(old[i])
            change["before_index"] = i
            changes.append(change)
    return changes


def _output_entry(change: str, index: int | None, output: Cell) -> dict[str, Any]:
    data = output.get("data", {}) if isinstance(output.get("data"), dict) else {}
    return {
        "change": change,
        "index": index,
        "output_type": output.get("output_type"),
        "mimes": sorted(data),
        "images": sorted(mime for mime in data if mime.startswith("image/")),
        "text": _output_text(output),
    }


def _output_text(output: Cell) -> str:
    """A short readable form of an output: its text, or the error's name and value."""
    if output.get("output_type") == "error":
        text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
    else:
        data = output.get("data", {}) if isinstance(output.get("data"), dict) else {}
        text = _source({"source": output.get("text", data.get("text/plain", ""))})
    return "\n".join(text.splitlines()[:_PREVIEW_LINES])


def _changed_parts(old: Cell, new: Cell) -> list[str]:
    """Which parts of an output changed: mime types (images by hash), ``text``, ``metadata``."""
    old_data, new_data = old.get("data") or {}, new.get("data") or {}
    parts = sorted(m for m in set(old_data) | set(new_data) if old_data.get(m) != new_data.get(m))
    parts += [
        key
        for key in ("text", "ename", "evalue", "traceback", "metadata")
        if old.get(key) != new.get(key)
    ]
    return parts


def _mapping_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Keys added, removed or modified between two mappings, with their values."""
    changes = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key) and (key in old) == (key in new):
            continue
        change = "added" if key not in old else "removed" if key not in new else "modified"
        changes.append(
            {"key": key, "change": change, "before": old.get(key), "after": new.get(key)}
        )
    return changes
