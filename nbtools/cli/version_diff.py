"""Printing a version diff model for people: changed cells with their line diffs."""

from __future__ import annotations

import json
from typing import Any

from nbtools.cli.output import visible

_STYLE = {"+": "green", "-": "red", " ": "dim"}
#: How much of a metadata value a changed key shows (``--json`` has all of it).
_VALUE_WIDTH = 40


def print_diff(model: dict[str, Any]) -> None:
    """Render the model of :func:`nbtools.versioning.diff.diff` on the terminal, the text
    the notebook holds made :func:`~nbtools.cli.output.visible`."""
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, markup=False, emoji=False)

    def show(text: str, style: str = "") -> None:
        console.print(Text(visible(text), style))

    show(f"{model['path']}: {model['a']['label']} → {model['b']['label']}", "bold")
    if model["identical"]:
        show("No differences.")
        return
    show(", ".join(f"{n} {status}" for status, n in model["summary"].items() if n))
    for change in model["metadata"]:
        show(f"notebook metadata {_metadata_line(change)}", "yellow")
    for cell in model["cells"]:
        if cell["status"] == "unchanged":
            continue
        show(_heading(cell), "bold cyan")
        for line in cell["source"]:
            show(f"{line['op']} {line['text']}", _STYLE[line["op"]])
        for output in cell["outputs"]:
            show(f"  {_output_line(output)}", "magenta")
        for change in cell["metadata"]:
            show(f"  metadata {_metadata_line(change)}", "yellow")
        if cell["execution_count"] is not None:
            before, after = cell["execution_count"]
            show(f"  execution count {before} → {after}", "dim")
        if cell["attachments_changed"]:
            show("  attachments changed", "yellow")


def _metadata_line(change: dict[str, Any]) -> str:
    """``tags: ["main"] → ["main", "serve"]``; ``added``/``removed`` with the value."""
    key, before, after = change["key"], _value(change["before"]), _value(change["after"])
    if change["change"] == "added":
        return f"{key}: added {after}"
    if change["change"] == "removed":
        return f"{key}: removed (was {before})"
    return f"{key}: {before} → {after}"


def _value(value: Any) -> str:
    """A metadata value as compact JSON, cut to one short line."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def _heading(cell: dict[str, Any]) -> str:
    index = cell["b_index"] if cell["b_index"] is not None else cell["a_index"]
    heading = f"── cell {index + 1} ({cell['cell_type']}) {cell['status']}"
    if cell["status"] == "moved":
        heading += f" from position {cell['a_index'] + 1}"
    return heading


def _output_line(output: dict[str, Any]) -> str:
    kind = output["output_type"]
    line = f"output {output['index'] + 1} ({kind}) {output['change']}"
    if output["change"] == "modified":
        images = [part for part in output["changed"] if part.startswith("image/")]
        others = [part for part in output["changed"] if not part.startswith("image/")]
        line += ": " + ", ".join([f"{m} image changed" for m in images] + others)
    elif output["images"]:
        line += ": " + ", ".join(output["images"])
    return line
