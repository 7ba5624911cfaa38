"""Preparing a claimed run for papermill: its notebook read and checked, its parameters typed,
its start recorded, and the copy papermill executes (no outputs; the ``parameters`` tag only on
the cell that declares them; the output notebook's metadata naming the run)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtools.jobs import runs
from nbtools.jobs.errors import InvalidParameterError
from nbtools.jobs.events import RunStarted
from nbtools.jobs.outputs import OUTPUT_METADATA_KEY
from nbtools.jobs.parameters import declared_parameters, resolve_values
from nbtools.kernels import run_kernel
from nbtools.notebooks import Notebook, cell_tags, content_hash, parse_notebook
from nbtools.parameters import PARAMETERS_TAG, is_parameters_cell, parameters_cell_index

#: The tags of the cells papermill adds to the notebooks it executes: its injected parameters
#: and the marks of the cell where a run failed.
INJECTED_TAG = "injected-parameters"
ERROR_MARKER_TAG = "papermill-error-cell-tag"

if TYPE_CHECKING:
    from nbtools.jobs.tables import Run
    from nbtools.project import Project


@dataclass
class Prepared:
    """A run ready to execute: the notebook node, its typed parameters and kernel."""

    notebook: Any
    parameters: dict[str, Any]
    kernel_name: str
    cwd: Path
    cells: int
    #: The source's index of each cell papermill executes (of its injected parameters: the
    #: parameters cell's), for the progress and the failing cell.
    sources: list[int]
    start: RunStarted
    #: What the output's ``papermill`` metadata records of the run: the notebook's path
    #: (papermill records the notebook node it receives) and, when given, the parameters as
    #: stored (``"nan"``: JSON, which the output is, has no NaN nor infinities).
    recorded: dict[str, Any]
    #: The index (in the executed notebook) of the cell papermill started last, as it runs.
    started: int | None = None

    def cells_run(self) -> int:
        """How many of the source's cells ran: all of them, unless one ended the run early
        and successfully (``sys.exit(0)``, which papermill treats as a success)."""
        if self.started is None:
            return 0
        if self.started == len(self.sources) - 1:
            return self.cells
        return self.sources[self.started] + 1


def prepare(
    project: Project, run: Run, worker: str, raw: bytes, cwd: Path, output_dir: str | None
) -> Prepared:
    """Check the notebook's parameters, record its hash and ``output_dir``, where its outputs
    and record of data uses are written as it executes (None: a scratch directory, uploaded
    when it ends). A run ended by another process (its worker lost) is read there: its
    executed notebook as far as it was saved and the datasets it used
    (:func:`nbtools.jobs.reaper.end_lost_run`); until it ends it shows no output file."""
    nb = parse_notebook(raw, source=run.notebook_path)
    declared = declared_parameters(nb)
    try:
        values = resolve_values(declared, run.parameters, for_kernel=True)
    except InvalidParameterError as exc:
        raise InvalidParameterError(
            f"{exc.message} The notebook changed since the run was requested; edit the job's "
            "parameters to match it.",
            **exc.details,
        ) from None
    kernel = run_kernel(run.kernel_name, nb)
    path = project.root / run.notebook_path
    runs.record_start(
        project.store,
        run.id,
        worker,
        notebook_sha256=content_hash(raw),
        cells_total=len(nb["cells"]),
        cells_done=0,
        **({"output_dir": output_dir, "outputs": []} if output_dir is not None else {}),
    )
    executed, kept = papermill_copy(nb, bool(values))
    executed.metadata[OUTPUT_METADATA_KEY] = {"run_id": run.id, "notebook_path": run.notebook_path}
    return Prepared(
        notebook=executed,
        parameters=values,
        kernel_name=kernel,
        cwd=cwd,
        cells=len(nb["cells"]),
        sources=kept,
        start=RunStarted(
            project,
            run.id,
            run.notebook_path,
            path,
            raw,
            kernel,
            run.pinned_version_id,
            run.created_by,
        ),
        recorded=papermill_record(run.notebook_path, run.parameters),
    )


def papermill_copy(nb: Notebook, injecting: bool) -> tuple[Any, list[int]]:
    """The copy of ``nb`` papermill executes (:func:`_kept_cells`, without outputs; when
    ``injecting`` parameters, the ``parameters`` tag only on the cell that declares them) and
    the source's index of each cell of the notebook papermill makes of it (its injected
    parameters: the parameters cell's)."""
    import nbformat

    kept = _kept_cells(nb, injecting)
    copy = nbformat.reads(_without_outputs(nb, kept), as_version=4)
    if injecting:
        _untag_other_parameters_cells(copy)
        parameters_at = kept.index(parameters_cell_index(nb) or 0) + 1
        kept[parameters_at:parameters_at] = kept[parameters_at - 1 : parameters_at]
    return copy, kept


def papermill_record(notebook_path: str, stored: dict[str, Any]) -> dict[str, Any]:
    """What the output's ``papermill`` metadata records of a run of ``notebook_path`` with the
    ``stored`` values (see :attr:`Prepared.recorded`)."""
    return {"input_path": notebook_path} | ({"parameters": stored} if stored else {})


def _kept_cells(nb: Notebook, injecting: bool) -> list[int]:
    """The indexes of the cells papermill executes: not those it adds to its output notebooks,
    which it removes from one it is given (the marks of the cell where a run failed; when it
    injects parameters, its earlier injected parameters, replaced by the run's after the
    parameters cell)."""
    added = {ERROR_MARKER_TAG, INJECTED_TAG} if injecting else {ERROR_MARKER_TAG}
    return [
        index
        for index, cell in enumerate(nb["cells"])
        if is_parameters_cell(cell) or not added.intersection(cell_tags(cell))
    ]


def _without_outputs(nb: Notebook, kept: list[int]) -> str:
    """The notebook's JSON with the ``kept`` cells only and without their outputs, for
    papermill.

    papermill clears every code cell's outputs before it executes the first one, but only after
    nbformat has validated them and papermill has deep-copied the notebook: for a notebook with
    large outputs (images, tables) that was most of the run's preparation, and an output nested
    a few hundred levels deep failed the run with a RecursionError before any cell ran.
    """
    cells = [
        {**cell, "outputs": []} if cell.get("cell_type") == "code" else cell
        for cell in (nb["cells"][index] for index in kept)
    ]
    return json.dumps({**nb, "cells": cells})


def _untag_other_parameters_cells(nb: Any) -> None:
    """papermill injects after the first cell tagged ``parameters``, whatever the cell; drop
    the tag from the cells that declare nothing (``skip``, not code: see
    :func:`nbtools.parameters.is_parameters_cell`), so it injects where jobs read the
    parameters (or at the top when no cell declares them)."""
    for cell in nb.cells:
        tags = cell.metadata.get("tags")
        if isinstance(tags, list) and PARAMETERS_TAG in tags and not is_parameters_cell(cell):
            cell.metadata["tags"] = [tag for tag in tags if tag != PARAMETERS_TAG]


def source_index(prepared: Prepared, executed_index: int) -> int:
    """Map a cell index of the executed notebook (with injected parameters) to the source's."""
    return prepared.sources[executed_index]
