"""The executed notebook of a run stopped in a cell from outside (its timeout or cell timeout,
a cancel, a lost lease, its kernel's death): that cell marked as papermill marks the cell
where a run failed, saying why.

papermill ends such a run as if every cell had completed (the stopped cell and the cells after
it ``completed``, the notebook's ``exception`` null, no error cell): :func:`mark_stopped`
writes what it writes for a failing cell instead, so a reader of its metadata sees where and
why the run stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtools.atomic import atomic_write


def mark_stopped(output: Path, cell: int, name: str, message: str) -> None:
    """Mark cell ``cell`` of the executed notebook at ``output`` as the one stopped, with the
    error ``name: message``: its papermill status ``failed``, the cells after it ``pending``,
    an error output, and papermill's two markers (a heading linking to the cell, an anchor
    before it). An output that cannot be read (one too deep to save) is left as it is."""
    import nbformat
    from papermill.execute import ERROR_ANCHOR_MSG, ERROR_MARKER_TAG, ERROR_MESSAGE_TEMPLATE

    try:
        nb = nbformat.v4.upgrade(nbformat.read(output, as_version=4))
    except (OSError, ValueError, RecursionError):
        return
    if not 0 <= cell < len(nb.cells):
        return
    stopped = nb.cells[cell]
    nb.metadata.setdefault("papermill", {})["exception"] = True
    _papermill(stopped).update(status="failed", exception=True)
    for later in nb.cells[cell + 1 :]:
        _papermill(later)["status"] = "pending"
    if stopped.cell_type == "code":
        stopped.outputs.append(
            nbformat.v4.new_output(
                "error", ename=name, evalue=message, traceback=[f"{name}: {message}"]
            )
        )
    marker = {"tags": [ERROR_MARKER_TAG]}
    nb.cells.insert(cell, nbformat.v4.new_markdown_cell(ERROR_ANCHOR_MSG, metadata=marker))
    heading = ERROR_MESSAGE_TEMPLATE % stopped.get("execution_count")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(heading, metadata=dict(marker)))
    atomic_write(output, nbformat.writes(nb).encode())


def _papermill(cell: Any) -> Any:
    """The cell's ``papermill`` metadata (made when missing)."""
    return cell.metadata.setdefault("papermill", {})
