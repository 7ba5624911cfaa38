"""Package faces whose names load on first use (PEP 562's module ``__getattr__``).

A face lists its names for type checkers under ``TYPE_CHECKING`` and maps each to the submodule
that defines it; importing the face (or any submodule, which imports the face first) then loads
nothing else, so a worker or a kernel importing one submodule pays for no other.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def loader(package: str, names: Mapping[str, tuple[str, str]]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``names`` maps a name to (submodule, attribute)."""

    def load(name: str) -> Any:
        found = names.get(name)
        if found is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = found
        return getattr(importlib.import_module(f"{package}.{module}"), attribute)

    return load
