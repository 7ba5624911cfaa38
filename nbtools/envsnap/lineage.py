"""Run lineage: which environment a job run executed in.

:func:`run_started` is a run-start hook (see :mod:`nbtools.jobs.lineage`): it snapshots the
environment of the run's kernel (cached while nothing is installed, so every run can afford
it) and returns its content-hash id for the run row.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from nbtools.envsnap.snapshots import snapshot_kernel
from nbtools.errors import NbtoolsError

if TYPE_CHECKING:
    from nbtools.jobs.lineage import RunStart

log = logging.getLogger(__name__)


def run_started(start: RunStart) -> dict[str, str]:
    """``{"env_snapshot_id": id}`` of the run kernel's environment.

    A capture failure never stops the run: it is logged and the run has no snapshot.
    """
    try:
        snapshot = snapshot_kernel(start.project, start.kernel_name)
    except NbtoolsError as error:
        log.warning("nbtools: run %s has no environment snapshot: %s", start.run_id, error.message)
        return {}
    return {"env_snapshot_id": snapshot.id}
