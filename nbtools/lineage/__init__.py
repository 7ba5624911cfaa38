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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # ``X as X``: the face's names, re-exported for type checkers
    from nbtools.lineage.production import ProductionEnvironment as ProductionEnvironment
    from nbtools.lineage.production import production_environment as production_environment
    from nbtools.lineage.reproduce import ReproducedRun as ReproducedRun
    from nbtools.lineage.reproduce import Reproduction as Reproduction
    from nbtools.lineage.reproduce import plan_reproduction as plan_reproduction
    from nbtools.lineage.reproduce import queue_reproduction as queue_reproduction
    from nbtools.lineage.reproduce import reproduce_run as reproduce_run

#: The face's names, loaded on first use (``nbtools extract`` and workers import submodules of
#: this package and need none of them): name → module.
_LAZY = {
    "ProductionEnvironment": "production",
    "production_environment": "production",
    "ReproducedRun": "reproduce",
    "Reproduction": "reproduce",
    "plan_reproduction": "reproduce",
    "queue_reproduction": "reproduce",
    "reproduce_run": "reproduce",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"nbtools.lineage.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'nbtools.lineage' has no attribute {name!r}")
