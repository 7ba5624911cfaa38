"""Run-start hooks: where other features record a run's lineage.

When a run starts, after the notebook's bytes are read, the runner calls each hook named in
:data:`RUN_START_HOOKS` with a :class:`RunStart` (in a background thread, while the notebook
executes) and stores what the hooks return on the run row when the run ends. The versioning feature returns ``{"notebook_version_id": …}``,
the environment feature ``{"env_snapshot_id": …}``. Hooks are named by import path (not
registered at import time) so that worker processes, which import nothing else, find them.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtools.project import Project

log = logging.getLogger(__name__)

#: ``"module:function"`` of each hook; a hook returns a dict of lineage columns to set.
RUN_START_HOOKS: tuple[str, ...] = (
    "nbtools.versioning.lineage:run_started",
    "nbtools.envsnap.lineage:run_started",
)

#: The run columns hooks may set.
LINEAGE_COLUMNS = frozenset({"notebook_version_id", "env_snapshot_id"})


@dataclass(frozen=True)
class RunStart:
    """What a hook knows about a starting run: exactly the bytes it is about to execute."""

    project: Project
    run_id: int
    notebook_path: str
    absolute_path: Path
    content: bytes
    kernel_name: str


def lineage_for(start: RunStart, hooks: tuple[str, ...] = RUN_START_HOOKS) -> dict[str, Any]:
    """Call every hook and merge the lineage columns they return."""
    lineage: dict[str, Any] = {}
    for spec in hooks:
        module_name, _, function_name = spec.partition(":")
        hook = getattr(importlib.import_module(module_name), function_name)
        for column, value in (hook(start) or {}).items():
            if column not in LINEAGE_COLUMNS:
                raise ValueError(f"Run-start hook {spec} returned unknown column {column!r}.")
            lineage[column] = value
    return lineage


class LineageCapture(threading.Thread):
    """Calls the hooks in a background thread while the run executes (off its critical path).

    A failing hook is logged and leaves the run without that lineage; it never fails the run.
    """

    def __init__(self, start: RunStart, hooks: tuple[str, ...] = RUN_START_HOOKS) -> None:
        super().__init__(name=f"nbtools-lineage-{start.run_id}", daemon=True)
        self._start_info, self._hooks = start, hooks
        self._lineage: dict[str, Any] = {}
        self.start()

    def run(self) -> None:
        try:
            self._lineage = lineage_for(self._start_info, self._hooks)
        except Exception:
            log.exception("nbtools: run %s: a run-start hook failed", self._start_info.run_id)

    def result(self) -> dict[str, Any]:
        """The lineage columns, once every hook has returned."""
        self.join()
        return self._lineage
