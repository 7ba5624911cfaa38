"""Whether this process is a served package's own serve command: ``python -m PACKAGE serve``
or the package's console script (``churn serve``).

Python imports a package before it runs the package's ``__main__`` or the function its
console script names, so when the notebook's module-level code fails, no code of the command
has run yet: the package's ``__init__`` hands the failure to
:func:`nbtools.serve.import_failed`, which asks :func:`serving_itself` whether it is the
service's failed start-up. Only the command line can tell, read as Python and installers
write it: while Python finds the module ``-m`` names, ``sys.argv[0]`` is ``"-m"`` and
``sys.orig_argv`` holds the module's name; a console script is a launcher named as the entry
point its distribution declares (``churn = "churn.__main__:main"``), which
``importlib.metadata`` reads back.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import PurePath

#: What a console script's launcher adds to the entry point's name (``churn.exe`` and
#: ``churn-script.py`` on Windows); pip's launcher takes the same off its ``argv[0]``.
LAUNCHER_SUFFIX = re.compile(r"(-script\.pyw?|\.exe)$")


def serving_itself(package: str) -> bool:
    """Whether this process is ``package``'s serve command: ``python -m PACKAGE serve`` or
    its console script with ``serve`` (what its ``__main__`` reads as the serve command)."""
    if sys.argv[1:2] != ["serve"]:
        return False
    return command_module(sys.argv, sys.orig_argv) in {package, f"{package}.__main__"}


def command_module(argv: Sequence[str], orig_argv: Sequence[str]) -> str | None:
    """The module whose command this process starts (``argv``, ``orig_argv``: ``sys``'s):
    ``NAME`` of ``python -m NAME`` while Python finds it, or the module of the console
    script ``argv[0]`` names; None for any other program."""
    if argv[:1] == ["-m"]:
        if len(orig_argv) <= len(argv):
            return None
        # the command's own arguments follow the module's name: ``-m NAME`` or ``-mNAME``
        return orig_argv[-len(argv)].removeprefix("-m")
    if not argv or not argv[0]:
        return None
    from importlib.metadata import entry_points  # only once an import failed

    name = LAUNCHER_SUFFIX.sub("", PurePath(argv[0]).name)
    return next((found.module for found in entry_points(group="console_scripts", name=name)), None)
