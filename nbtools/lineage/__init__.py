"""Lineage: which notebook version and environment produced each run and each package.

Runs record both when they start (the ``run_started`` event, :mod:`.events`); this package
describes that lineage (:mod:`.runs`), re-executes a run exactly (:mod:`.reproduce`, as a
run pinned to its version, :mod:`nbtools.jobs.pinned`), records it for extracted packages
(:mod:`.extraction`) and finds the environment of a notebook's last good run
(:mod:`.production`).

The face the REST handlers and the CLI call (each function opens its own transactions)::

    from nbtools import lineage
    lineage.reproduce_run(project, 42, actor="ana")       # ReproducedRun (queued)
    plan = lineage.plan_reproduction(project, 42)         # Reproduction: version, drift
    lineage.queue_reproduction(project, plan, actor="ana")  # the queued Run
    lineage.production_environment(project, "nb.ipynb")   # ProductionEnvironment
    lineage.extraction_recorder(project, path, actor="ana")  # an extraction's writer calls it
    lineage.background_recorder(project, path, actor="ana")  # the CLI's: a detached process
    lineage.describe_extraction(manifest["lineage"])  # one line for a person
    lineage.follow_move(project, "old.ipynb", "new.ipynb")  # Followed: packages name new path
    lineage.continue_moved(project, "new.ipynb")  # MovedHere: a shell mv recognised, followed
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.lazy import loader

if TYPE_CHECKING:
    from nbtools.lineage.background import PENDING as PENDING_LINEAGE
    from nbtools.lineage.background import BackgroundRecorder
    from nbtools.lineage.background import recorder as background_recorder
    from nbtools.lineage.extraction import describe as describe_extraction
    from nbtools.lineage.extraction import recorder as extraction_recorder
    from nbtools.lineage.moves import Followed, MovedHere, continue_moved, follow_move
    from nbtools.lineage.production import ProductionEnvironment, production_environment
    from nbtools.lineage.reproduce import (
        ReproducedRun,
        Reproduction,
        plan_reproduction,
        queue_reproduction,
        reproduce_run,
    )

#: The face's names, loaded on first use (``nbtools extract`` and workers import submodules of
#: this package and need few of them): name → (module, attribute).
_LAZY = {
    "PENDING_LINEAGE": ("background", "PENDING"),
    "BackgroundRecorder": ("background", "BackgroundRecorder"),
    "background_recorder": ("background", "recorder"),
    "describe_extraction": ("extraction", "describe"),
    "extraction_recorder": ("extraction", "recorder"),
    "follow_move": ("moves", "follow_move"),
    "continue_moved": ("moves", "continue_moved"),
    "Followed": ("moves", "Followed"),
    "MovedHere": ("moves", "MovedHere"),
    "ProductionEnvironment": ("production", "ProductionEnvironment"),
    "production_environment": ("production", "production_environment"),
    "ReproducedRun": ("reproduce", "ReproducedRun"),
    "Reproduction": ("reproduce", "Reproduction"),
    "plan_reproduction": ("reproduce", "plan_reproduction"),
    "queue_reproduction": ("reproduce", "queue_reproduction"),
    "reproduce_run": ("reproduce", "reproduce_run"),
}

__all__ = [
    "PENDING_LINEAGE",
    "BackgroundRecorder",
    "Followed",
    "MovedHere",
    "ProductionEnvironment",
    "ReproducedRun",
    "Reproduction",
    "background_recorder",
    "continue_moved",
    "describe_extraction",
    "extraction_recorder",
    "follow_move",
    "plan_reproduction",
    "production_environment",
    "queue_reproduction",
    "reproduce_run",
]


__getattr__ = loader(__name__, _LAZY)
