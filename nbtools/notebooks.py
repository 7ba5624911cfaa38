"""Reading notebooks quickly and strictly, and the facts nbtools needs from them.

Plain ``json`` is used rather than nbformat on these paths: importing nbformat costs about a
second where jupyter-server is installed (see docs/architecture.md), and these checks are enough
to give precise errors for missing, truncated or malformed files.
"""

import json
from pathlib import Path
from typing import Any

from nbtools.digest import sha256_hex
from nbtools.errors import NotebookError, NotFoundError, conversion_refused
from nbtools.infiles import read_regular
from nbtools.jsonplaces import Place, field_name, first_surrogate, lone_surrogate

Notebook = dict[str, Any]


def read_notebook(path: Path, name: str | None = None, field: str = "path") -> Notebook:
    """Load and structurally check the notebook at ``path``; errors call it ``name`` (default:
    ``path`` itself) and a refusal of what is no regular file names the input ``field``
    (:func:`~nbtools.infiles.read_regular`)."""
    source = str(path) if name is None else name
    try:
        raw = read_regular(path, source, field=field)
    except FileNotFoundError:
        raise NotFoundError(f"Notebook not found: {source}", path=source) from None
    except IsADirectoryError:
        raise NotebookError(f"{source} is a directory, not a notebook.", path=source) from None
    return parse_notebook(raw, source=source)


def parse_notebook(
    raw: bytes | str, source: str = "<notebook>", *, lone_surrogates: bool = False
) -> Notebook:
    """Parse notebook JSON, raising :class:`NotebookError` naming the problem and location.

    Text UTF-8 cannot hold (a lone surrogate, which JSON can write: ``"\\ud83d"``, half of an
    emoji a tool cut) is refused naming the cell and line: a run, an extraction or a job's
    form could not use it. With ``lone_surrogates``, a reader that copes with it takes it:
    versioning keeps a notebook as it is, the metrics' harvest refuses the one value."""
    if not raw:
        raise NotebookError(f"{source} is empty: it is not a notebook.", path=source)
    try:
        nb: Notebook = json.loads(raw)
    except json.JSONDecodeError as exc:
        problem = exc.msg
        if raw.lstrip()[:1] not in (b"{", "{"):  # a CSV, a script, HTML...
            problem += (
                " (a notebook is a JSON object, starting with '{': this is another kind of file)"
            )
        elif exc.msg == "Extra data":  # complete, then more: a "}" a merge left, NUL bytes...
            problem = (
                "NUL bytes follow the end of the notebook (its closing '}'), left by a crash "
                "while the file was written perhaps: remove them"
                if exc.doc[exc.pos] == "\0"
                else "more text follows the end of the notebook (its closing '}'), a leftover "
                "of a merge perhaps: remove it"
            )
        elif raw.rstrip()[-1:] not in (b"}", "}"):
            problem += " (the file looks truncated)"
        raise NotebookError(
            f"{source} is not valid JSON at line {exc.lineno}, column {exc.colno}: {problem}.",
            path=source,
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{source} is not UTF-8 text: {exc.reason}.", path=source) from None
    except ValueError as exc:  # what the decoder refuses after parsing: a number too long
        raise NotebookError(
            f"{source} cannot be read: {conversion_refused(exc)}.", path=source
        ) from None
    except RecursionError:
        raise NotebookError(
            f"{source} nests JSON arrays or objects too deeply to be read (about a thousand "
            "levels); no notebook needs that many: the file is damaged or was not written by "
            "Jupyter.",
            path=source,
        ) from None
    check_structure(nb, source)
    if not lone_surrogates:
        _refuse_lone_surrogates(nb, raw, source)
    return nb


def _refuse_lone_surrogates(nb: Notebook, raw: bytes | str, source: str) -> None:
    found = lone_surrogate(nb, raw)
    if found is None:
        return
    place, text = found
    index, surrogate = None, first_surrogate(text)[1]
    where = f"its {field_name(place)}"
    if len(place) > 2 and place[0] == "cells" and isinstance(place[1], int):
        index = place[1]
        if place[2] == "source":
            where = f"cell {index + 1}, line {_source_line(nb['cells'][index], place, text)}"
        else:  # an output, the metadata
            where = f"cell {index + 1} (its {field_name(place[2:])})"
    raise NotebookError(
        f"{source}: {where} holds the lone surrogate {surrogate}, half of a UTF-16 pair that "
        "JSON can write as an escape (a tool that cut an emoji in two leaves one) but that is "
        "no character: it cannot be run or extracted, as text is kept as UTF-8, which cannot "
        "hold it. Delete that character and save the notebook.",
        path=source,
        **({} if index is None else {"cell": index}),
    )


def _source_line(cell: dict[str, Any], place: Place, text: str) -> int:
    """The line of the cell's source (a string, or a list of lines: ``place`` names which)
    on which ``text`` (a string of it) holds its first lone surrogate."""
    before = ""
    if len(place) > 3 and isinstance(place[3], int):  # a list of lines
        before = "".join(line for line in cell["source"][: place[3]] if isinstance(line, str))
    return (before + text[: first_surrogate(text)[0]]).count("\n") + 1


def check_structure(nb: Any, source: str) -> None:
    """Raise :class:`NotebookError` unless ``nb`` has the shape of an nbformat 4 notebook.

    The version is checked first: a notebook of nbformat 1 to 3 (2 and 3 keep their cells in
    ``worksheets``) is told to be upgraded, which JupyterLab does when it opens one.
    """
    if not isinstance(nb, dict) or "nbformat" not in nb:
        raise _not_a_notebook(source)
    version = nb["nbformat"]
    if version != 4:
        older = type(version) is int and 1 <= version < 4
        upgrade = " Open and save it in JupyterLab to upgrade it." if older else ""
        raise NotebookError(
            f"{source} has nbformat {version!r}; only version 4 notebooks are supported." + upgrade,
            path=source,
        )
    if "cells" not in nb:
        raise _not_a_notebook(source)
    if not isinstance(nb["cells"], list):
        raise NotebookError(f"{source}: 'cells' must be a list.", path=source)
    if not isinstance(nb.get("metadata", {}), dict):
        raise NotebookError(f"{source}: the notebook's 'metadata' must be an object.", path=source)
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in {"code", "markdown", "raw"}:
            raise NotebookError(
                f"{source}: cell {index + 1} is not a valid cell (needs a cell_type of code, "
                "markdown or raw).",
                path=source,
                cell=index,
            )
        text = cell.get("source", "")
        if not isinstance(text, (str, list)):
            raise NotebookError(f"{source}: cell {index + 1} has an invalid source.", path=source)
        if isinstance(text, list):
            _check_lines(text, source, index)
        if not isinstance(cell.get("metadata", {}), dict):
            raise NotebookError(
                f"{source}: cell {index + 1}'s 'metadata' must be an object.",
                path=source,
                cell=index,
            )


def _check_lines(lines: list[Any], source: str, index: int) -> None:
    """Refuse a source list holding something other than text (joining it is the fastest
    check: about a hundredth of what reading the JSON costs)."""
    try:
        "".join(lines)
    except TypeError:
        line = next(n for n, text in enumerate(lines, 1) if not isinstance(text, str))
        raise NotebookError(
            f"{source}: cell {index + 1} has a source line that is not text (line {line} of its "
            "list): the notebook is damaged. Fix that line, or open the notebook in JupyterLab "
            "and save it again.",
            path=source,
            cell=index,
        ) from None


def _not_a_notebook(source: str) -> NotebookError:
    return NotebookError(
        f"{source} is JSON but not a notebook: it needs 'nbformat' and 'cells'.", path=source
    )


def cell_source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (nbformat allows a list of lines on disk)."""
    source = cell.get("source", "")
    if isinstance(source, str):
        return source
    try:
        return "".join(source)
    except TypeError:  # a notebook parse_notebook did not check (it refuses such a line)
        cell_id = cell.get("id")
        named = f" {cell_id!r}" if isinstance(cell_id, str) and cell_id else ""
        raise NotebookError(
            f"Cell{named} has a source line that is not text: the notebook is damaged. Fix "
            "that line, or open the notebook in JupyterLab and save it again."
        ) from None


def cell_tags(cell: dict[str, Any]) -> list[str]:
    """The cell's metadata tags, as JupyterLab's property inspector writes them."""
    tags = cell.get("metadata", {}).get("tags", [])
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


#: The tag of a cell left out of production (extraction, and jobs' parameters).
SKIP_TAG = "skip"


def skipped(tags: list[str]) -> bool:
    """Whether a cell with these tags is left out of production."""
    return SKIP_TAG in tags


def kernel_name(nb: Notebook) -> str | None:
    """The kernel the notebook asks for, if it names one."""
    spec = nb.get("metadata", {}).get("kernelspec")
    name = spec.get("name") if isinstance(spec, dict) else None
    return name if isinstance(name, str) else None


def kernel_languages(nb: Notebook) -> list[str]:
    """The languages the notebook's metadata names: its kernel spec's ``language``, then
    ``language_info.name`` (what its kernel said when it last ran it)."""
    metadata = nb.get("metadata", {})
    named = [(metadata.get("kernelspec"), "language"), (metadata.get("language_info"), "name")]
    values = [owner.get(key) for owner, key in named if isinstance(owner, dict)]
    return [value.strip() for value in values if isinstance(value, str) and value.strip()]


def content_hash(raw: bytes) -> str:
    """The sha256 of a notebook file's bytes: what exactly a run or an extraction used."""
    return sha256_hex(raw)


class NotebookSummary:
    """What the frontend needs to describe a notebook: cells, tags, kernel."""

    __slots__ = ("cells", "code_cells", "kernel", "path", "tags")

    def __init__(
        self, path: str, kernel: str | None, cells: int, code_cells: int, tags: dict[str, list[int]]
    ) -> None:
        self.path, self.kernel, self.tags = path, kernel, tags
        self.cells, self.code_cells = cells, code_cells

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kernel": self.kernel,
            "cells": self.cells,
            "code_cells": self.code_cells,
            "tags": self.tags,
        }


def summarize(nb: Notebook, path: str) -> NotebookSummary:
    """Count cells and index which cells carry which tags."""
    tags: dict[str, list[int]] = {}
    for index, cell in enumerate(nb["cells"]):
        for tag in cell_tags(cell):
            tags.setdefault(tag, []).append(index)
    return NotebookSummary(
        path=path,
        kernel=kernel_name(nb),
        cells=len(nb["cells"]),
        code_cells=sum(1 for cell in nb["cells"] if cell["cell_type"] == "code"),
        tags=tags,
    )
