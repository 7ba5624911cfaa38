"""Run lineage: which version of a notebook a job run executed.

:func:`run_started` is a run-start hook (see :mod:`nbtools.jobs.lineage`): it records the
exact bytes the run is about to execute as a version (no new one if unchanged) and pins that
version to the run, so ``nbtools version gc`` keeps it while the run exists.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from nbtools.errors import NbtoolsError
from nbtools.versioning.history import commit
from nbtools.versioning.pins import pin

if TYPE_CHECKING:
    from nbtools.jobs.lineage import RunStart

log = logging.getLogger(__name__)

#: The reference kind runs use (``unpin(project, RUN, str(run_id))`` when a run is deleted).
RUN = "run"


def run_started(start: RunStart) -> dict[str, int]:
    """``{"notebook_version_id": id}`` of the version the run executes.

    A versioning failure never stops the run: it is logged and the run has no version.
    """
    try:
        version = commit(start.project, start.notebook_path, start.content)
        pin(start.project, version.id, RUN, str(start.run_id))
    except (NbtoolsError, OSError) as error:
        message = error.message if isinstance(error, NbtoolsError) else str(error)
        log.warning("nbtools: run %s has no notebook version: %s", start.run_id, message)
        return {}
    return {"notebook_version_id": version.id}
