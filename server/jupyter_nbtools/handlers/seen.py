"""What the REST API shows of where the server keeps files: a path inside the root relative
to it, as JupyterLab's file browser shows paths (and the root itself as ``.``), and a URL
without its login. The server's layout and a storage's credentials are no client's business;
the CLI, for scripts on the server's machine, shows them in full.

- :func:`seen_from_root`: any value (an error's body, a foreign document), its text searched;
- :func:`seen_location`: one stored file's path or URL;
- :func:`seen_run`: a run model (its output files, its artifacts);
- :func:`seen_usage`: a dataset's usage report (each run's files).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nbtools.jsonvalues import WireModel
from nbtools.urls import without_login


def seen_from_root(root: Path, value: Any) -> Any:
    """``value`` (an error's body) with the paths inside ``root`` written relative to it, as
    JupyterLab's file browser shows them, and the root itself as ``.`` (a reply's ``output``
    for it): the library's messages name the absolute paths a command-line user typed or
    sees, which a browser's user never did (and the server's layout is no client's business).
    A root of ``/`` leaves them as they are; a path inside a URL (``file:///root/…``) or
    inside a longer one is not a path in the root."""
    prefix = str(root).rstrip("/") + "/"
    if prefix == "/":
        return value
    inside = re.compile(r"(?<![\w:/.~-])" + re.escape(prefix))
    itself = re.compile(r"(?<![\w:/.~-])" + re.escape(prefix[:-1]) + r"(?![\w/~-]|\.\w)")

    def seen(item: Any) -> Any:
        if isinstance(item, str):
            return itself.sub(".", inside.sub("", item))
        if isinstance(item, list):
            return [seen(element) for element in item]
        if isinstance(item, dict):
            return {key: seen(element) for key, element in item.items()}
        return item

    return seen(value)


def seen_location(root: Path, location: str | None) -> str | None:
    """Where a file is stored (a path, or a storage URL), as REST shows it: inside the root
    relative to it, a URL without its login, a path elsewhere (a store outside the root) as
    configured."""
    return None if location is None else str(seen_from_root(root, without_login(location)))


def seen_artifacts(root: Path, artifacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A run's artifacts, each ``location`` as :func:`seen_location` shows it."""
    return [
        {**artifact, "location": seen_location(root, artifact["location"])}
        for artifact in artifacts
    ]


def seen_run(root: Path, run: WireModel | dict[str, Any]) -> dict[str, Any]:
    """A run's model (a list's item, a :class:`~nbtools.jobs.RunSummary` or a model holding
    one's fields, as a reproduction does) with its files as :func:`seen_location` shows
    them: the executed notebook, its HTML and each artifact."""
    model = run.to_wire() if isinstance(run, WireModel) else run
    return {
        **model,
        "output_notebook": seen_location(root, model["output_notebook"]),
        "output_html": seen_location(root, model["output_html"]),
        "artifacts": seen_artifacts(root, model["artifacts"]),
    }


def seen_usage(root: Path, report: dict[str, Any]) -> dict[str, Any]:
    """A dataset's usage report (``UsageReport.to_dict()``) with each run's ``files`` as
    :func:`seen_location` shows them."""
    runs = [
        {**run, "files": {kind: seen_location(root, at) for kind, at in run["files"].items()}}
        for run in report["runs"]
    ]
    return {**report, "runs": runs}
