"""Run artifacts: files a job's run keeps beside its outputs, and loading them later.

In a notebook run as a job::

    import nbtools.artifacts
    nbtools.artifacts.save("model.json", json.dumps(coefficients).encode())  # bytes
    nbtools.artifacts.save("report", "out/report.pdf")                      # a file's path

(or write files into ``$NBTOOLS_ARTIFACTS_DIR``). Anywhere with access to the project (a
notebook, an extracted package, a service)::

    path = nbtools.artifacts.load("model.json", job="train-churn")  # latest succeeded run
    path = nbtools.artifacts.load("model.json", run=42)             # pinned

Service face (a :class:`~nbtools.project.Project` given)::

    from nbtools.artifacts import stored, prune
    stored.list_artifacts(project, run_id)          # -> [Artifact]
    stored.get_artifact(project, run_id, "model")   # -> Artifact
    prune.delete_artifacts(project, [run_id])       # files, cached copies and rows

Importing this package costs nothing: ``save``, ``load`` and ``find`` load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtools.artifacts.loading import find, load
    from nbtools.artifacts.saving import save

__all__ = ["find", "load", "save"]


def __getattr__(name: str) -> Any:
    if name == "save":
        from nbtools.artifacts.saving import save

        return save
    if name in ("load", "find"):
        from nbtools.artifacts import loading

        return getattr(loading, name)
    raise AttributeError(f"module 'nbtools.artifacts' has no attribute {name!r}")
