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
"""

from __future__ import annotations

from nbtools.lineage.production import ProductionEnvironment, production_environment
from nbtools.lineage.reproduce import (
    ReproducedRun,
    Reproduction,
    plan_reproduction,
    queue_reproduction,
    reproduce_run,
)

__all__ = [
    "ProductionEnvironment",
    "ReproducedRun",
    "Reproduction",
    "plan_reproduction",
    "production_environment",
    "queue_reproduction",
    "reproduce_run",
]
