"""Tagged notebook cells → a tested Python package (see docs/export.md).

Pipeline: :mod:`cells` (tags and nbdev directives) → :mod:`plan` (parsing, name resolution,
problems) → :mod:`render` (files) → :mod:`writer` (manifest-guarded writes, staleness checks) →
:mod:`testrun` (pytest in a subprocess). :mod:`api` ties them together for the CLI and REST.

The face ``POST /extract`` and ``nbtools extract`` call (loaded on first use: importing a
submodule of this package loads nothing else)::

    from nbtools import export
    request = export.ExtractRequest(notebook_path, out, export.ExtractOptions("pkg"), "write")
    report = export.run_extract(request)              # ExtractReport: files, problems, tests
    export.suggest_package_name("Sales Report")       # "sales_report"
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtools.export.api import ExtractReport, ExtractRequest, Recorder, run_extract
    from nbtools.export.build import ExtractOptions, suggest_package_name

#: name → module.
_LAZY = {
    "ExtractReport": "api",
    "ExtractRequest": "api",
    "Recorder": "api",
    "run_extract": "api",
    "ExtractOptions": "build",
    "suggest_package_name": "build",
}

__all__ = [
    "ExtractOptions",
    "ExtractReport",
    "ExtractRequest",
    "Recorder",
    "run_extract",
    "suggest_package_name",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"nbtools.export.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'nbtools.export' has no attribute {name!r}")
