"""Which distributions provide the modules a piece of code imports (for dependency lists)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

from nbtools.envsnap.model import Snapshot

_STDLIB = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)


@dataclass(frozen=True)
class ImportResolution:
    """Distributions (name → version) providing the imports, and imports none provides."""

    distributions: dict[str, str]
    unresolved: list[str]


def _current_environment() -> dict[str, list[tuple[str, str]]]:
    from importlib.metadata import packages_distributions, version

    return {
        module: [(dist, version(dist)) for dist in dict.fromkeys(dists)]
        for module, dists in packages_distributions().items()
    }


def _snapshot_environment(snapshot: Snapshot) -> dict[str, list[tuple[str, str]]]:
    provided: dict[str, list[tuple[str, str]]] = {}
    for dist in snapshot.distributions:
        for module in dist.top_level:
            provided.setdefault(module, []).append((dist.name, dist.version or ""))
    return provided


def resolve_distribution_for_imports(
    module_names: Iterable[str], snapshot: Snapshot | None = None
) -> ImportResolution:
    """Map imported module names (``a.b`` counts as ``a``) to the distributions providing them.

    With ``snapshot``, its recorded top-level names are used (the kernel's environment, which
    may not be this interpreter's); without, this interpreter's installed distributions.
    Standard-library modules are ignored.
    """
    provided = _snapshot_environment(snapshot) if snapshot else _current_environment()
    distributions: dict[str, str] = {}
    unresolved = []
    for module in sorted({name.split(".")[0] for name in module_names} - _STDLIB):
        if module in provided:
            distributions.update(provided[module])
        else:
            unresolved.append(module)
    return ImportResolution(dict(sorted(distributions.items())), unresolved)
