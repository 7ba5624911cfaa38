"""PEP 751 ``pylock.toml``: writing a snapshot as a lock file, and reading one back.

Each index-installed distribution is locked to the exact file that was installed: the wheel
whose tags match the installed ``WHEEL`` tags, else the release's sdist, else all its wheels,
with hashes from the index. VCS, directory and archive installs use their ``direct_url.json``.
Distributions that cannot be locked are listed in ``[tool.nbtools] unlocked``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import tomli_w
from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.version import InvalidVersion, Version

from nbtools._version import __version__
from nbtools.envsnap.index import IndexFile, PackageIndex, Progress, unfollowed
from nbtools.envsnap.model import Distribution, MarkerEnvironment, Snapshot
from nbtools.errors import InvalidInputError, conversion_refused

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_PACKAGE_HEADER = re.compile(r"^\s*\[\[\s*packages\s*\]\]")
#: Origins locked as a source tree (a ``directory`` or ``vcs`` entry), which PEP 751 forbids a
#: ``version``: the one installed is kept under ``[packages.tool.nbtools]``.
_SOURCE_TREES = ("editable", "directory", "vcs")
#: Where a marker is read (:func:`marker_holds`), as packaging names it.
MarkerContext = Literal["lock_file", "requirement", "metadata"]
#: The ``created-by`` of the lock files nbtools exports.
CREATED_BY = "jupyter-nbtools"


@dataclass(frozen=True)
class LockExport:
    """A written lock file, the distributions it could not lock (name, version, reason) and
    the index it pins files of (its URL without a login; ``None`` for requirements.txt)."""

    text: str
    unlocked: list[dict[str, Any]]
    index: str | None = None


def _file_entry(file: IndexFile) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": file.filename, "url": file.url}
    if file.size is not None:
        entry["size"] = file.size
    if file.upload_time:
        entry["upload-time"] = datetime.fromisoformat(file.upload_time.replace("Z", "+00:00"))
    entry["hashes"] = file.hashes
    return entry


def _index_sources(dist: Distribution, files: list[IndexFile]) -> dict[str, Any]:
    wheels = [file for file in files if file.is_wheel]
    exact = [wheel for wheel in wheels if dist.wheel_tags and wheel.tags() == set(dist.wheel_tags)]
    sdists = [file for file in files if not file.is_wheel]
    if exact:
        return {"wheels": [_file_entry(exact[0])]}
    if sdists:
        return {"sdist": _file_entry(sdists[0])}
    return {"wheels": [_file_entry(wheel) for wheel in wheels]}


def _direct_sources(dist: Distribution) -> tuple[dict[str, Any], str]:
    """The pylock source table of a direct install, or a reason it cannot be locked."""
    direct = dict(dist.direct_url or {})
    extra = {"subdirectory": direct["subdirectory"]} if direct.get("subdirectory") else {}
    if dist.origin == "vcs":
        vcs = direct["vcs_info"]
        if not vcs.get("commit_id"):
            return {}, "VCS install without a recorded commit"
        table = {"type": vcs.get("vcs", "git"), "url": direct["url"], "commit-id": vcs["commit_id"]}
        if vcs.get("requested_revision"):
            table["requested-revision"] = vcs["requested_revision"]
        return {"vcs": {**table, **extra}}, ""
    if dist.origin in ("editable", "directory"):
        return {
            "directory": {
                "path": dist.local_path or direct["url"],
                "editable": dist.editable,
                **extra,
            }
        }, ""
    hashes = dist.archive_hashes
    if not hashes:
        return {}, "archive install without a recorded hash"
    location = {"path": dist.local_path} if dist.local_path else {"url": direct["url"]}
    return {"archive": {**location, "hashes": hashes, **extra}}, ""


def _is_pep440(version: str | None) -> bool:
    try:
        Version(version or "")
    except InvalidVersion:
        return False
    return True


def _lock_entry(
    dist: Distribution, found: dict[tuple[str, str], list[IndexFile]], index: PackageIndex
) -> tuple[dict[str, Any], str]:
    """The ``[[packages]]`` table of ``dist``, or the reason it cannot be locked."""
    entry: dict[str, Any] = {"name": dist.key}
    if dist.broken:
        return entry, f"broken metadata: {dist.broken}"
    if dist.version and not _is_pep440(dist.version):
        return entry, f"version {dist.version!r} is not a PEP 440 version"
    if dist.version and dist.origin not in _SOURCE_TREES:
        entry["version"] = dist.version
    if dist.origin != "index":
        sources, reason = _direct_sources(dist)
        if dist.version and dist.origin in _SOURCE_TREES:  # PEP 751: no version; ours kept
            sources["tool"] = {"nbtools": {"version": dist.version}}
        return {**entry, **sources}, reason
    if not dist.version:
        return entry, "no version recorded"
    files = found.get((dist.name, dist.version))
    if not files:
        return entry, f"{dist.version} is not on {index.url}"
    return {**entry, "index": index.url, **_index_sources(dist, files)}, ""


def to_pylock(
    snapshot: Snapshot, index: PackageIndex, progress: Progress = unfollowed
) -> LockExport:
    """``snapshot`` as a PEP 751 lock file (validated when ``packaging.pylock`` exists);
    ``progress(done, total)`` follows the index's look-ups."""
    wanted = [
        (dist.name, dist.version or "")
        for dist in snapshot.distributions
        if dist.origin == "index" and _is_pep440(dist.version) and not dist.broken
    ]
    found = index.releases(wanted, progress)
    packages, unlocked = [], []
    for dist in snapshot.distributions:
        entry, reason = _lock_entry(dist, found, index)
        if reason:
            item = {"name": dist.name, "version": dist.version or "", "reason": reason}
            unlocked.append({**item, "broken": dist.broken} if dist.broken else item)
        else:
            packages.append(entry)
    document: dict[str, Any] = {"lock-version": "1.0"}
    if markers := snapshot.own_environments():
        document["environments"] = list(markers)
    if requires := snapshot.own_requires_python():
        document["requires-python"] = requires
    document["created-by"] = CREATED_BY
    document["packages"] = packages
    document["tool"] = {"nbtools": _tool_table(snapshot, unlocked)}
    text = tomli_w.dumps(document)
    validate_pylock(text, "the exported pylock.toml")
    return LockExport(text, unlocked, index.url)


def _tool_table(snapshot: Snapshot, unlocked: list[dict[str, Any]]) -> dict[str, Any]:
    table: dict[str, Any] = {"nbtools-version": __version__, "snapshot": snapshot.id}
    for key in ("version", "implementation"):
        if snapshot.python.get(key):
            table[f"python-{key}"] = str(snapshot.python[key])
    for key in ("system", "machine"):
        if snapshot.platform.get(key):
            table[f"platform-{key}"] = str(snapshot.platform[key])
    if unlocked:
        table["unlocked"] = unlocked
    return table


def _package_line(text: str, index: int) -> int | None:
    headers = [
        n for n, line in enumerate(text.splitlines(), start=1) if _PACKAGE_HEADER.match(line)
    ]
    return headers[index] if index < len(headers) else None


def _error(source: str, problem: str, line: int | None) -> InvalidInputError:
    where = f", line {line}" if line else ""
    return InvalidInputError(f"{source}{where}: {problem}", path=source, line=line)


def validate_pylock(text: str, source: str = "pylock.toml") -> dict[str, Any]:
    """Parse and check a lock file, raising an error that names the line of the problem."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+)", str(exc))  # the message's form on every version
        line = int(found.group(1)) if found else len(text.splitlines())  # "at end of document"
        raise _error(source, f"not valid TOML: {exc}", line) from None
    except ValueError as exc:  # a number longer than Python converts
        raise _error(source, conversion_refused(exc), None) from None
    except RecursionError:
        raise _error(source, "arrays or tables nested too deeply to be read", None) from None
    try:
        from packaging.pylock import Pylock, PylockValidationError
    except ImportError:  # packaging < 25: only the shape this module relies on is checked
        _check_shape(data, text, source)
        return data
    try:
        Pylock.from_dict(data)
    except PylockValidationError as exc:
        match = re.match(r"packages\[(\d+)\]", exc.context or "")
        where = _package_line(text, int(match.group(1))) if match else None
        raise _error(source, f"not a valid PEP 751 lock file: {exc}", where) from None
    return data


def _check_shape(data: dict[str, Any], text: str, source: str) -> None:
    if "lock-version" not in data:
        raise _error(source, "not a PEP 751 lock file: 'lock-version' is missing", None)
    packages = data.get("packages")
    if not isinstance(packages, list):
        raise _error(source, "'packages' must be an array of tables", None)
    for index, package in enumerate(packages):
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            raise _error(source, f"package {index + 1} has no name", _package_line(text, index))


def _local(path: str, folder: Path | None) -> Path:
    """A lock entry's ``path``: relative to the lock file's ``folder`` (PEP 751), which a lock
    sent as text (``folder`` None) does not have: ``ValueError`` for a relative one then."""
    if Path(path).is_absolute():
        return Path(os.path.normpath(path))
    if folder is None:
        raise ValueError(
            f"the relative path {path!r} is relative to the lock file's folder, which a lock "
            "sent as text does not have: write absolute paths, or import the file itself "
            "(`nbtools env import FILE`)"
        )
    return Path(os.path.normpath(folder.absolute() / path))


def _direct_url(package: Mapping[str, Any], folder: Path | None) -> dict[str, Any] | None:
    """The PEP 610 record equivalent to a lock entry's direct source (its paths relative to
    the lock file's ``folder``)."""
    if vcs := package.get("vcs"):
        info = {"vcs": vcs["type"], "commit_id": vcs["commit-id"]}
        if vcs.get("requested-revision"):
            info["requested_revision"] = vcs["requested-revision"]
        url = vcs.get("url") or _local(vcs["path"], folder).as_uri()
        return {"url": url, "vcs_info": info}
    if directory := package.get("directory"):
        return {
            "url": _local(directory["path"], folder).as_uri(),
            "dir_info": {"editable": True} if directory.get("editable") else {},
        }
    if archive := package.get("archive"):
        url = archive.get("url") or _local(archive["path"], folder).as_uri()
        return {"url": url, "archive_info": {"hashes": dict(archive["hashes"])}}
    return None


def _index_hashes(package: Mapping[str, Any]) -> tuple[str, ...]:
    """``ALGORITHM:VALUE`` of every file (wheels, sdist) a lock entry pins from an index."""
    files = [*(package.get("wheels") or []), *([package["sdist"]] if package.get("sdist") else [])]
    return tuple(
        f"{name}:{value}"
        for file in files
        for name, value in sorted(dict(file.get("hashes") or {}).items())
    )


def marker_holds(
    marker: str,
    context: MarkerContext,
    groups: Collection[str] = (),
    environment: MarkerEnvironment | None = None,
) -> bool:
    """Whether PEP 508 ``marker`` holds for the interpreter whose marker ``environment`` is
    given (:meth:`Snapshot.markers`: a kernel's, a new venv's), else for the interpreter
    nbtools runs in (packaging's detected environment): in ``context`` ``"lock_file"`` (a
    ``[[packages]]`` entry's ``marker``: no extras, the lock's default groups),
    ``"requirement"`` (``environments``) or ``"metadata"`` (a requirements file's line, as
    pip reads it: no ``extra``). ``InvalidMarker`` (a ``ValueError``) for one that cannot be
    evaluated."""
    values: dict[str, Any] = dict(environment or {})
    try:
        parsed = Marker(marker)
        if context != "lock_file":
            return parsed.evaluate(values, context=context)
        values.update(extras=frozenset(), dependency_groups=frozenset(groups))
        return parsed.evaluate(values, context="lock_file")
    except TypeError:  # packaging < 25: no lock-file context (no extras, no groups)
        return Marker(marker).evaluate({**dict(environment or {}), "extra": ""})
    except (UndefinedComparison, UndefinedEnvironmentName) as exc:
        raise InvalidMarker(f"{marker!r} cannot be evaluated: {exc}") from None


def _selected(
    data: Mapping[str, Any], text: str, source: str, markers: MarkerEnvironment | None
) -> list[tuple[int, Mapping[str, Any]]]:
    """The ``[[packages]]`` entries (with their index) whose ``marker`` holds for the
    interpreter of ``markers`` (:func:`marker_holds`; PEP 751: the others are skipped)."""
    groups = [str(group) for group in data.get("default-groups") or []]
    chosen = []
    for index, package in enumerate(data["packages"]):
        try:
            if not package.get("marker") or marker_holds(
                package["marker"], "lock_file", groups, markers
            ):
                chosen.append((index, package))
        except InvalidMarker as exc:
            raise _error(source, f"invalid marker: {exc}", _package_line(text, index)) from None
    return chosen


def parse_pylock(
    text: str,
    source: str = "pylock.toml",
    folder: Path | None = None,
    markers: MarkerEnvironment | None = None,
) -> Snapshot:
    """A snapshot of the distributions a lock file pins for the interpreter whose marker
    environment is ``markers`` (a kernel's, a new venv's), else for the one nbtools runs in
    (entries whose ``marker`` does not hold are left out), to compare with; the lock's
    ``environments`` and ``requires-python`` are kept for
    :func:`~nbtools.envsnap.recreate.recreate` to check. Its
    relative paths are relative to ``folder``, the lock file's (PEP 751); without one (a lock
    sent as text), a relative path is refused."""
    data = validate_pylock(text, source)
    tool = (data.get("tool") or {}).get("nbtools") or {}
    distributions: dict[str, tuple[int, Distribution]] = {}
    entries = [
        (index, package, "") for index, package in _selected(data, text, source, markers)
    ] + [
        (
            len(data["packages"]),  # no [[packages]] line
            {"name": item["name"], "version": item.get("version") or None},
            str(item.get("broken", "")),
        )
        for item in tool.get("unlocked", [])
    ]
    for index, package, broken in entries:
        try:
            direct_url = _direct_url(package, folder)
        except ValueError as exc:
            raise _error(source, str(exc), _package_line(text, index)) from None
        ours = (package.get("tool") or {}).get("nbtools") or {}
        dist = Distribution(
            str(package["name"]),
            package.get("version") or ours.get("version"),
            direct_url=direct_url,
            broken=broken or None,
            index_hashes=_index_hashes(package),
        )
        if dist.key in distributions:
            raise _error(
                source,
                f"{dist.name} is listed more than once for this environment (their markers "
                "do not tell them apart); a snapshot holds one version of each distribution",
                _package_line(text, index),
            )
        distributions[dist.key] = (index, dist)
    return Snapshot(
        source="pylock",
        origin=source,
        python={
            key: tool[f"python-{key}"]
            for key in ("version", "implementation")
            if f"python-{key}" in tool
        },
        platform={
            key: tool[f"platform-{key}"]
            for key in ("system", "machine")
            if f"platform-{key}" in tool
        },
        distributions=tuple(dist for _, dist in distributions.values()),
        environments=tuple(str(marker) for marker in data.get("environments") or ()),
        requires_python=_requires_python(data, [package for _, package, _ in entries]),
    )


def _requires_python(data: Mapping[str, Any], selected: list[Mapping[str, Any]]) -> str | None:
    """The Python versions a lock may be installed with: its ``requires-python`` and that of
    every entry selected here (PEP 751: an installer raises an error for either), one
    specifier set; None when none says."""
    found = [data.get("requires-python"), *(package.get("requires-python") for package in selected)]
    return ",".join(dict.fromkeys(str(spec) for spec in found if spec)) or None
