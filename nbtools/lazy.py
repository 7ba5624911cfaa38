"""Package faces whose names load on first use (PEP 562's module ``__getattr__``).

A face lists its names for type checkers under ``TYPE_CHECKING`` and maps each to the submodule
that defines it; importing the face (or any submodule, which imports the face first) then loads
nothing else, so a worker or a kernel importing one submodule pays for no other.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def loader(
    owner: str, names: Mapping[str, tuple[str, str]], *, package: str | None = None
) -> Callable[[str], Any]:
    """The ``__getattr__`` of module ``owner``: ``names`` maps a name to (submodule of
    ``package``, attribute); ``package`` is ``owner`` itself unless given (a module beside the
    submodules, such as a package's ``tables``). An unknown name's error names ``owner``."""
    where = owner if package is None else package

    def load(name: str) -> Any:
        found = names.get(name)
        if found is None:
            raise AttributeError(f"module {owner!r} has no attribute {name!r}")
        module, attribute = found
        return getattr(importlib.import_module(f"{where}.{module}"), attribute)

    return load
