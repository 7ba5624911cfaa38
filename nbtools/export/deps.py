"""Dependencies of the exported code: imports mapped to installed distributions, pinned.

A top-level import is looked up as a distribution of the same name first (one metadata lookup,
checked against the files the distribution installs), then in
``importlib.metadata.packages_distributions()``, which scans every installed distribution and
is computed only when needed. Standard-library modules are left out (``sys.stdlib_module_names``).
Pins allow compatible updates: ``>=2.2.1,<3`` (``>=0.4.1,<0.5`` before 1.0). A pin the package
already had is kept while the installed version still satisfies it, so ``--check`` stays quiet
until something really changes.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

_RELEASE = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)>=([0-9][^,]*),<([0-9][0-9.]*)$")


@dataclass(frozen=True)
class Requirement:
    """A module the code imports and the requirement that provides it (``None``: unresolved)."""

    module: str
    requirement: str | None


def top_level_imports(trees: Iterable[ast.Module], own_package: str) -> set[str]:
    """Top-level names of absolute imports, without the stdlib, ``__future__`` and ourselves."""
    found: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    return {name for name in found if name not in stdlib and name != own_package}


def _release(version: str) -> tuple[int, ...]:
    match = _RELEASE.match(version)
    return tuple(int(part) for part in match.groups() if part is not None) if match else ()


def compatible_pin(distribution: str, version: str) -> str:
    """``name>=version,<next-major`` (``<0.(minor+1)`` while the major version is 0)."""
    release = _release(version)
    lower = ".".join(map(str, release)) or version
    if not release:
        return f"{distribution}>={version}"
    if release[0] == 0 and len(release) > 1:
        return f"{distribution}>={lower},<0.{release[1] + 1}"
    return f"{distribution}>={lower},<{release[0] + 1}"


def _satisfies(requirement: str, version: str) -> bool:
    match = _PIN.match(requirement)
    if not match:
        return False
    low, high = _release(match.group(2)), _release(match.group(3))
    return low <= _release(version) < high


@cache
def _all_distributions() -> dict[str, list[str]]:
    import importlib.metadata

    return dict(importlib.metadata.packages_distributions())


def _provides(distribution: Any, module: str) -> bool:
    top_level = distribution.read_text("top_level.txt")
    if top_level is not None:
        return module in top_level.split()
    for file in distribution.files or ():
        parts = file.parts
        if parts and (parts[0] == module or parts[0] == f"{module}.py"):
            return True
    return False


def installed_distribution(module: str) -> tuple[str, str] | None:
    """The (name, version) of the installed distribution providing top-level ``module``."""
    import importlib.metadata

    for candidate in dict.fromkeys((module, module.replace("_", "-"))):
        try:
            distribution = importlib.metadata.distribution(candidate)
        except importlib.metadata.PackageNotFoundError:
            continue
        if _provides(distribution, module):
            return distribution.metadata["Name"], distribution.version
    names = _all_distributions().get(module)
    if not names:
        return None
    name = sorted(names)[0]
    return importlib.metadata.distribution(name).metadata["Name"], importlib.metadata.version(name)


def resolve(modules: Iterable[str], previous: dict[str, str]) -> list[Requirement]:
    """A requirement per module; ``previous`` (module → requirement) keeps still-valid pins."""
    resolved = []
    for module in sorted(modules):
        found = installed_distribution(module)
        kept = previous.get(module)
        if found is None or (
            kept and _satisfies(kept, found[1]) and kept.startswith(found[0] + ">=")
        ):
            resolved.append(Requirement(module, kept))
        else:
            resolved.append(Requirement(module, compatible_pin(*found)))
    return resolved
