"""``nbtools run --prepare-only``: a run's notebook written as papermill receives it, its
parameters injected, and nothing executed nor recorded (papermill's ``--prepare-only``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtools.jobs import events
from nbtools.jobs.outputs import OUTPUT_METADATA_KEY
from nbtools.jobs.parameters import declared_parameters, resolve_values
from nbtools.jobs.preparation import papermill_copy, papermill_record
from nbtools.jobs.submit import check_kernel
from nbtools.kernels import run_kernel
from nbtools.notebooks import kernel_name as kernel_name_of

if TYPE_CHECKING:
    from nbtools.project import Project


def write_prepared(
    project: Project,
    notebook_path: str,
    stored: dict[str, Any],
    output: Path,
    kernel_name: str | None = None,
    report_mode: bool = False,
    *,
    purpose: str | None = None,
    actor: str | None = None,
) -> None:
    """Write to ``output`` the notebook a run of ``notebook_path`` with the ``stored`` values
    (checked, as :func:`~nbtools.jobs.submit.checked_parameters` returns them) would execute,
    as papermill holds it before its first cell: its ``injected-parameters`` cell after the
    ``parameters`` cell, its ``papermill`` metadata (``input_path``, ``parameters``), and,
    with ``report_mode``, its code cells' inputs hidden. Its ``nbtools`` metadata says it
    was prepared only (``prepared_only``: true, no ``run_id``). The kernel (``kernel_name``,
    else the notebook's) is not started, but must be installed: its language writes the
    parameters. As a run queued by ``actor`` for ``purpose``, the ``run_requested``
    subscribers may refuse it first (the data usage rule: the same refusal, audited), and
    nothing is written."""
    import nbformat
    import papermill

    from nbtools.atomic import atomic_write
    from nbtools.envsnap.kernels import find_kernel

    nb = project.read_notebook(notebook_path, field="notebook_path")
    values = resolve_values(declared_parameters(nb), stored, for_kernel=True)
    events.run_requested(events.RunRequested(project, notebook_path, purpose or None, actor=actor))
    kernel = run_kernel(kernel_name, nb)
    own = None if kernel_name or not kernel_name_of(nb) else notebook_path
    check_kernel(kernel, here=True, notebook=own)
    copy, _sources = papermill_copy(nb, bool(values))
    copy.metadata[OUTPUT_METADATA_KEY] = {"notebook_path": notebook_path, "prepared_only": True}
    prepared = papermill.execute_notebook(
        copy,
        None,
        parameters=values,
        prepare_only=True,
        kernel_name=kernel,
        language=find_kernel(kernel).language.strip() or None,
        report_mode=report_mode,
        progress_bar=False,
    )
    prepared.metadata.papermill.update(
        papermill_record(notebook_path, stored) | {"output_path": str(output)}
    )
    atomic_write(output.resolve(), nbformat.writes(prepared).encode())
