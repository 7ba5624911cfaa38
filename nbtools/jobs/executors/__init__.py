"""Executors run queued runs somewhere: a registry of implementations, looked up by name.

An executor receives only picklable :class:`~nbtools.jobs.executors.base.RunRequest` values
(run id, project paths, database URL); the run's worker claims the run in the store, so an
implementation on other machines (e.g. Dask distributed) needs nothing else.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtools.errors import InvalidInputError

if TYPE_CHECKING:
    from nbtools.jobs.executors.base import Executor

#: Executor name -> ``"module:Class"``; add an implementation here.
EXECUTORS: dict[str, str] = {
    "local": "nbtools.jobs.executors.local:LocalExecutor",
    "dask": "nbtools.jobs.executors.dask:DaskExecutor",
}


class UnknownExecutorError(InvalidInputError):
    """No executor is registered under the requested name."""


def executor_class(name: str) -> type[Executor]:
    """The executor class registered as ``name``."""
    spec = EXECUTORS.get(name)
    if spec is None:
        raise UnknownExecutorError(
            f"Unknown executor {name!r}; choose one of: {', '.join(sorted(EXECUTORS))}.",
            executor=name,
        )
    module_name, _, class_name = spec.partition(":")
    cls: type[Executor] = getattr(importlib.import_module(module_name), class_name)
    return cls


def create_executor(name: str, size: int | None, *, cwd: Path, **settings: Any) -> Executor:
    """An executor by name, given those of ``settings`` that its constructor takes."""
    cls = executor_class(name)
    return cls(size, cwd=cwd, **{key: settings[key] for key in cls.options if key in settings})
