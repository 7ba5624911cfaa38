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
    export.locate(root, Path("nbs/Sales Report.ipynb"))  # without -o: its package's
                       # directory, else nbs/sales_report and the packages it may have had
    export.set_package_at(out, Path("nbs/01_b.ipynb"))  # out: the package of its set?
    export.notebook_paths([Path("nbs")])               # a set's notebooks: nbdev's order
    export.notebooks_beside(Path("nbs/01_b.ipynb"))    # what may join it: nbs/*.ipynb
    export.set_command(notebooks, out)                # "nbtools extract nbs -o out": a set's
    export.write_starter(directory, "example")        # nbtools init: STARTER_NOTEBOOK, ...
    export.ignore_in_git(project.store_dir)           # nbtools init: .gitignore ignores it
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.lazy import loader

if TYPE_CHECKING:
    from nbtools.export.api import ExtractReport, ExtractRequest, Recorder, run_extract
    from nbtools.export.build import ExtractOptions
    from nbtools.export.home import Orphan, SetPackage, locate, set_package_at
    from nbtools.export.naming import suggest_package_name
    from nbtools.export.notebook_set import notebook_paths, notebooks_beside, set_command
    from nbtools.export.starter import NOTEBOOK as STARTER_NOTEBOOK
    from nbtools.export.starter import PACKAGE_DIR as STARTER_PACKAGE_DIR
    from nbtools.export.starter import ignore_in_git, write_starter
    from nbtools.export.writer import read_manifest

#: name → (module, attribute).
_LAZY = {
    "ExtractReport": ("api", "ExtractReport"),
    "ExtractRequest": ("api", "ExtractRequest"),
    "Recorder": ("api", "Recorder"),
    "run_extract": ("api", "run_extract"),
    "ExtractOptions": ("build", "ExtractOptions"),
    "Orphan": ("home", "Orphan"),
    "locate": ("home", "locate"),
    "SetPackage": ("home", "SetPackage"),
    "set_package_at": ("home", "set_package_at"),
    "suggest_package_name": ("naming", "suggest_package_name"),
    "notebook_paths": ("notebook_set", "notebook_paths"),
    "notebooks_beside": ("notebook_set", "notebooks_beside"),
    "set_command": ("notebook_set", "set_command"),
    "STARTER_NOTEBOOK": ("starter", "NOTEBOOK"),
    "STARTER_PACKAGE_DIR": ("starter", "PACKAGE_DIR"),
    "write_starter": ("starter", "write_starter"),
    "ignore_in_git": ("starter", "ignore_in_git"),
    "read_manifest": ("writer", "read_manifest"),
}

__all__ = [
    "STARTER_NOTEBOOK",
    "STARTER_PACKAGE_DIR",
    "ExtractOptions",
    "ExtractReport",
    "ExtractRequest",
    "Orphan",
    "Recorder",
    "SetPackage",
    "ignore_in_git",
    "locate",
    "notebook_paths",
    "notebooks_beside",
    "read_manifest",
    "run_extract",
    "set_command",
    "set_package_at",
    "suggest_package_name",
    "write_starter",
]


__getattr__ = loader(__name__, _LAZY)
