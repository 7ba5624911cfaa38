"""A run's stored outputs for people: download one, or open a copy of its executed notebook."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbtools.errors import NotFoundError
from nbtools.jobs.copies import copy_path, output_name
from nbtools.jobs.run_files import erasure, output_files
from nbtools.jobs.runs import get_run

if TYPE_CHECKING:
    from pathlib import Path

    from nbtools.jobs.storage import StoredFile
    from nbtools.project import Project

#: What a run stores, by kind.
OUTPUT_KINDS = ("notebook", "html")
#: The key of the output notebook's metadata naming the run that made it and the notebook
#: it executed (``{"run_id": 7, "notebook_path": "reports/daily.ipynb"}``): a copy of the
#: output, renamed or moved, still tells where it came from (:func:`is_run_output`).
OUTPUT_METADATA_KEY = "nbtools"
#: How many of its last lines :func:`error_traceback` gives (the frames nearest the error).
TRACEBACK_LINES = 40
#: Terminal colour and cursor codes, which IPython writes into tracebacks.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class RunOutput:
    """One stored output of a run."""

    run_id: int
    notebook_path: str
    kind: str
    file: StoredFile

    @property
    def filename(self) -> str:
        """``<notebook>-run-<id>.ipynb`` (or ``.html``): a name to save it under."""
        return output_name(self.notebook_path, self.run_id, self.file.suffix)


def run_output(project: Project, run_id: int, kind: str) -> RunOutput:
    """Run ``run_id``'s output of ``kind`` (``notebook`` or ``html``); NotFoundError if none."""
    if kind not in OUTPUT_KINDS:
        raise NotFoundError(f"Unknown output {kind!r}; use html or notebook.", field="kind")
    with project.store.session() as session:
        run = get_run(session, run_id)
    erased = erasure(run)
    if erased is not None:
        raise NotFoundError(
            f"Run {run.id}'s outputs were {_ERASED_BY[erased.how]} on "
            f"{erased.at:%Y-%m-%d %H:%M} UTC; the run stays in the history without them.",
            run=run.id,
            erased=erased.how,
            erased_at=erased.at.isoformat(),
        )
    found = output_files(run).get(kind)
    if found is None:
        hint = " Create the job with HTML output to get one." if kind == "html" else ""
        raise NotFoundError(f"Run {run.id} has no {kind} output (yet).{hint}", run=run.id)
    return RunOutput(run.id, run.notebook_path, kind, found)


#: How a run's outputs were deleted, in words (see :func:`nbtools.jobs.run_files.erasure`).
_ERASED_BY = {
    "purged": "erased by a purge of the data it used",
    "pruned": "deleted by retention",
}


def is_run_output(path: Path) -> bool:
    """Whether the file at ``path`` is a run's executed notebook (a copy ``nbtools run -o``
    wrote, say), or one ``nbtools run --prepare-only`` wrote: its metadata names the run
    (:data:`OUTPUT_METADATA_KEY`), or says it was prepared only. :class:`OSError` when it
    cannot be read."""
    try:
        notebook = json.loads(path.read_bytes())
    except (ValueError, RecursionError):  # not JSON (nor UTF-8), or nested past reading
        return False
    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    made_by = metadata.get(OUTPUT_METADATA_KEY) if isinstance(metadata, dict) else None
    return isinstance(made_by, dict) and (
        isinstance(made_by.get("run_id"), int) or made_by.get("prepared_only") is True
    )


def copy_output_notebook(project: Project, run_id: int) -> str:
    """Copy run ``run_id``'s executed notebook under :data:`~nbtools.jobs.copies.OPEN_DIR`
    (again only when the stored one is newer); returns the copy's path relative to the root.
    Erasing the run's outputs deletes the copy too (:mod:`nbtools.jobs.copies`)."""
    output = run_output(project, run_id, "notebook")
    relative = copy_path(output.notebook_path, run_id)
    target = project.resolve(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if not target.exists() or target.stat().st_mtime < output.file.modified():
            target.write_bytes(output.file.read_bytes())
    except NotFoundError:
        raise NotFoundError(
            f"Run {run_id}'s executed notebook is no longer in storage ({output.file}).",
            run=run_id,
        ) from None
    return relative


def error_traceback(project: Project, run_id: int) -> str | None:
    """The traceback the failing cell of run ``run_id`` printed, as plain text (its last
    :data:`TRACEBACK_LINES` lines), read from the run's executed notebook; None when the run
    stored none, or the notebook holds no error (a timeout, a lost worker, a pruned run)."""
    try:
        notebook = json.loads(run_output(project, run_id, "notebook").file.read_bytes())
    except (NotFoundError, OSError, ValueError):
        return None
    for output in _outputs(notebook):
        if output.get("output_type") == "error" and isinstance(output.get("traceback"), list):
            text = _ANSI.sub("", "\n".join(str(line) for line in output["traceback"]))
            return "\n".join(text.splitlines()[-TRACEBACK_LINES:]).strip("\n") or None
    return None


def _outputs(notebook: Any) -> list[dict[str, Any]]:
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    found = []
    for cell in cells if isinstance(cells, list) else []:
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        found += [o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []
    return found
