"""Dependencies of the exported code: imports mapped to installed distributions, pinned.

A top-level import is looked up as a distribution of the same name first (its ``*.dist-info``
directory on ``sys.path``, checked against the modules it installs), then in
``importlib.metadata.packages_distributions()``, which scans every installed distribution and
is computed only when the fast path finds nothing, then among editable installs (``pip install
-e``), whose source directory holds the module.

The package runs on Python 3.10 and later (:data:`FLOOR`). A module of the standard library is
no dependency, whichever Python runs nbtools: the modules this Python has
(``sys.stdlib_module_names``) and those that only some of the supported Pythons have, added
after 3.10 (:data:`ADDED_IN`: ``tomllib`` is 3.11's) or removed since (:data:`REMOVED_IN`:
``imp`` is gone in 3.12). A package importing one of those is for the Pythons that have it
(:func:`requires_python`): ``import tomllib`` gives ``requires-python = ">=3.11"``, ``import
imp`` ``">=3.10,<3.12"``. Only a top-level module counts (not a submodule: ``wsgiref.types``).

Pins allow compatible updates: ``>=2.2.1,<3`` (``>=0.4.1,<0.5`` before 1.0). A pin the package
already had is kept while the installed version still satisfies it, so ``--check`` stays quiet
until something really changes.
"""

import os
import re
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import NamedTuple

#: The oldest Python 3 a generated package runs on (its minor version).
FLOOR = 10
#: Standard-library modules newer than :data:`FLOOR`: the minor version of Python 3 adding each.
ADDED_IN = {"tomllib": 11, "annotationlib": 14, "compression": 14}
#: Standard-library modules of :data:`FLOOR` removed since: the minor version of Python 3
#: that no longer has each (PEP 594's dead batteries, distutils, imp, lib2to3).
REMOVED_IN = {
    **dict.fromkeys(["asynchat", "asyncore", "distutils", "imp", "smtpd"], 12),
    **dict.fromkeys(
        [
            "aifc",
            "audioop",
            "cgi",
            "cgitb",
            "chunk",
            "crypt",
            "imghdr",
            "lib2to3",
            "mailcap",
            "msilib",
            "nis",
            "nntplib",
            "ossaudiodev",
            "pipes",
            "sndhdr",
            "spwd",
            "sunau",
            "telnetlib",
            "uu",
            "xdrlib",
        ],
        13,
    ),
}
#: Every module of the standard library of a supported Python, and ``__future__``.
STDLIB = frozenset({*sys.stdlib_module_names, *ADDED_IN, *REMOVED_IN, "__future__"})


def python_range(modules: Iterable[str]) -> tuple[int, int | None]:
    """The minor versions of Python 3 that have every module of ``modules``: from the first
    (at least :data:`FLOOR`) up to, not including, the second (None: no end)."""
    used = set(modules)
    lower = max([FLOOR, *(ADDED_IN[m] for m in used & ADDED_IN.keys())])
    upper = min((REMOVED_IN[m] for m in used & REMOVED_IN.keys()), default=None)
    return lower, upper


def requires_python(python: tuple[int, int | None]) -> str:
    """``requires-python`` of the Pythons :func:`python_range` gives: ``>=3.11``,
    ``>=3.10,<3.12``."""
    lower, upper = python
    return f">=3.{lower}" if upper is None else f">=3.{lower},<3.{upper}"


_RELEASE = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?")
#: Only a package that had pins reads them: compiled by re's cache on first use.
_PIN = r"^([A-Za-z0-9][A-Za-z0-9._-]*)>=([0-9][^,]*),<([0-9][0-9.]*)$"


class Requirement(NamedTuple):
    """A module the code imports and the requirement that provides it (``None``: unresolved)."""

    module: str
    requirement: str | None


def third_party(modules: Iterable[str], own_package: str) -> set[str]:
    """The imported top-level modules that are neither the standard library of a supported
    Python (:data:`STDLIB`), ``__future__`` nor ourselves."""
    return {name for name in modules if name not in STDLIB and name != own_package}


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
    match = re.match(_PIN, requirement)
    if not match:
        return False
    low, high = _release(match.group(2)), _release(match.group(3))
    return low <= _release(version) < high


@cache
def _all_distributions() -> dict[str, list[str]]:
    import importlib.metadata

    return dict(importlib.metadata.packages_distributions())


def _normalise(name: str) -> str:
    """PEP 503's normal form (runs of ``-_.`` → ``-``, lower case), with string methods: it
    runs once per installed distribution."""
    dashed = name.replace("_", "-").replace(".", "-").lower()
    return re.sub("--+", "-", dashed) if "--" in dashed else dashed


@cache
def _dist_info_directories() -> dict[str, tuple[str, str]]:
    """Installed ``*.dist-info`` directories on ``sys.path`` (the ``sys.path`` entry and the
    directory's name: joined only for the few looked up), by normalised project name."""
    index: dict[str, tuple[str, str]] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                project = _normalise(name[: -len(".dist-info")].partition("-")[0])
                index.setdefault(project, (entry or ".", name))
    return index


def _metadata(directory: Path) -> tuple[str, str] | None:
    """(Name, Version) from a dist-info directory's METADATA headers."""
    fields: dict[str, str] = {}
    try:
        with open(directory / "METADATA", encoding="utf-8") as metadata:
            for line in metadata:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                if key in ("Name", "Version"):
                    fields.setdefault(key, value.strip())
    except OSError:
        return None
    if "Name" in fields and "Version" in fields:
        return fields["Name"], fields["Version"]
    return None


def _provides(directory: Path, module: str) -> bool:
    """Whether the distribution installs the top-level ``module`` (top_level.txt or RECORD)."""
    top_level = directory / "top_level.txt"
    if top_level.is_file():
        return module in top_level.read_text(encoding="utf-8").split()
    try:
        record = (directory / "RECORD").read_text(encoding="utf-8")
    except OSError:
        return False
    return any(
        line.startswith((f"{module}/", f"{module}.py,", f"{module}."))
        for line in record.splitlines()
    )


def installed_distribution(module: str) -> tuple[str, str] | None:
    """The (name, version) of the installed distribution providing top-level ``module``.

    The fast path reads the dist-info directory named like the module; the fallback is
    ``importlib.metadata.packages_distributions()``, which scans every distribution.
    """
    found_directory = _dist_info_directories().get(_normalise(module))
    directory = Path(*found_directory) if found_directory else None
    if directory is not None and _provides(directory, module):
        found = _metadata(directory)
        if found:
            return found
    names = _all_distributions().get(module)
    if not names:
        return _editable_provider(module)
    import importlib.metadata

    distribution = importlib.metadata.distribution(sorted(names)[0])
    return distribution.metadata["Name"], distribution.version


def _editable_provider(module: str) -> tuple[str, str] | None:
    """The (name, version) of the editable install (``pip install -e``) whose source
    directory holds top-level ``module``, the innermost if several do.

    An editable install lists no module in its RECORD (only a ``.pth`` file or an import
    hook), so ``packages_distributions()`` cannot name it; its ``direct_url.json`` names the
    directory it was installed from, and the module is located (not imported) to compare.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    where = spec and (spec.origin or next(iter(spec.submodule_search_locations or ()), None))
    if not where or not os.path.exists(where):
        return None
    location = Path(where).resolve()
    holding = [found for found in _editable_installs() if location.is_relative_to(found[0])]
    if not holding:
        return None
    _, name, version = max(holding, key=lambda found: len(found[0].parts))
    return name, version


@cache
def _editable_installs() -> list[tuple[Path, str, str]]:
    """(source directory, name, version) of each editable install, read once per process."""
    import importlib.metadata
    import json
    from urllib.parse import unquote, urlsplit

    found = []
    for distribution in importlib.metadata.distributions():
        try:
            direct = json.loads(distribution.read_text("direct_url.json") or "{}")
        except ValueError:
            continue
        url = urlsplit(str(direct.get("url", "")))
        if (direct.get("dir_info") or {}).get("editable") and url.scheme == "file":
            source = Path(unquote(url.path)).resolve()
            found.append((source, distribution.metadata["Name"], distribution.version))
    return found


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
