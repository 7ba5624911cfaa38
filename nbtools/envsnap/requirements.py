"""Pinned ``requirements.txt``: writing a snapshot as one, and reading one back to compare.

Written lines: ``name==version`` for index installs, ``name @ URL`` for VCS, archive and
directory installs, ``-e PATH`` for editable ones; direct lines carry ``# name==version`` so
that reading the file back keeps their versions.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.markers import InvalidMarker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from nbtools._version import __version__
from nbtools.envsnap.capture import canonical_name
from nbtools.envsnap.model import LOCALHOST, Distribution, MarkerEnvironment, Snapshot
from nbtools.envsnap.pylock import marker_holds
from nbtools.errors import InvalidInputError
from nbtools.urls import without_login

#: Options pip accepts in a requirements file that say nothing about what is installed.
_IGNORED_OPTIONS = {
    "-i": True,
    "--index-url": True,
    "--extra-index-url": True,
    "-f": True,
    "--find-links": True,
    "--trusted-host": True,
    "--no-index": False,
    "--pre": False,
    "--prefer-binary": False,
    "--require-hashes": False,
    "--only-binary": True,
    "--no-binary": True,
}
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")
#: A requirement line's ``--hash=ALGORITHM:VALUE`` (or ``--hash ALGORITHM:VALUE``) option.
_HASH_OPTION = re.compile(r"\s--hash(?:=|\s+)(\S*)")
#: The algorithms pip's ``--hash`` takes.
_HASH_ALGORITHMS = ("sha256", "sha384", "sha512")

#: The start of the comment that marks a requirements file as an export of nbtools.
WRITTEN_BY = "# Written by jupyter-nbtools"


def direct_reference(dist: Distribution) -> str | None:
    """The ``name @ URL`` (or ``-e PATH``) form of a direct install; None for index installs."""
    direct = dist.direct_url or {}
    url = str(direct.get("url", ""))
    if dist.origin == "index":
        return None
    if dist.origin == "editable":
        return f"-e {dist.local_path or url}"
    if dist.origin == "vcs":
        vcs = direct["vcs_info"]
        commit = vcs.get("commit_id")
        if url.startswith("file:///"):  # pip < 24 refuses a VCS URL without a host
            url = LOCALHOST + url[len("file:///") :]
        url = f"{vcs.get('vcs', 'git')}+{url}" + (f"@{commit}" if commit else "")
    subdirectory = direct.get("subdirectory")
    fragment = f"#subdirectory={subdirectory}" if subdirectory else ""
    return f"{dist.name} @ {url}{fragment}"


def pin(name: str, version: str) -> str:
    """``name==version``; ``name===version`` (PEP 440's arbitrary equality) for a version
    that is not a PEP 440 one (``2.0.0-SNAPSHOT``), which ``==`` cannot hold: pip and this
    module's reader refuse such a line."""
    try:
        Version(version)
    except InvalidVersion:
        return f"{name}==={version}"
    return f"{name}=={version}"


def requirement_line(dist: Distribution) -> str | None:
    """The pinned line for ``dist``; None when it cannot be pinned (broken, no version)."""
    if dist.broken:
        return None
    direct = direct_reference(dist)
    if not dist.version:
        return direct
    if direct is not None:
        return f"{direct}  # {pin(dist.name, dist.version)}"
    return pin(dist.name, dist.version)


def header(snapshot: Snapshot) -> list[str]:
    """Comment lines naming the snapshot and its interpreter."""
    python = " ".join(
        str(part)
        for part in (
            snapshot.python.get("implementation", ""),
            snapshot.python_version or "",
            "on" if snapshot.platform else "",
            snapshot.platform.get("system", ""),
            snapshot.platform.get("machine", ""),
        )
        if part
    )
    return [
        f"# Environment snapshot {snapshot.short_id} ({snapshot.source} {snapshot.origin})"
        + (f": {python}" if python else ""),
        f"{WRITTEN_BY} {__version__}. Install: pip install --no-deps -r FILE",
    ]


def to_requirements(snapshot: Snapshot) -> str:
    """``snapshot`` as a pinned requirements file; unpinnable distributions are comments."""
    lines = header(snapshot)
    left_out = []
    for dist in snapshot.distributions:
        line = requirement_line(dist)
        if line is None:
            left_out.append(f"#   {dist.name}: {dist.broken or 'no version recorded'}")
        else:
            if dist.non_reproducible:
                lines.append(f"# not reproducible: {dist.non_reproducible}")
            lines.append(line)
    if left_out:
        lines += ["# Left out (cannot be pinned):", *left_out]
    return "\n".join(lines) + "\n"


def _direct_url(url: str, editable: bool = False) -> dict[str, object]:
    """The PEP 610 ``direct_url.json`` record of a URL from a requirement line."""
    location, _, fragment = url.partition("#")
    subdirectory = dict(
        part.split("=", 1) for part in fragment.split("&") if part.startswith("subdirectory=")
    ).get("subdirectory")
    extra = {"subdirectory": subdirectory} if subdirectory else {}
    scheme = location.split(":", 1)[0]
    if "+" in scheme:
        vcs, _, plain = location.partition("+")
        base, _, commit = plain.rpartition("@")
        if "/" in commit or not base:
            base, commit = plain, ""
        return {"url": base, "vcs_info": {"vcs": vcs, "commit_id": commit}, **extra}
    if "://" not in location:
        location = Path(location).absolute().as_uri()
    if editable or not location.endswith(_ARCHIVE_SUFFIXES):
        return {"url": location, "dir_info": {"editable": True} if editable else {}, **extra}
    return {"url": location, "archive_info": {}, **extra}


class _Reader:
    """Turns requirement lines into distributions, naming the line of every problem."""

    def __init__(self, source: str, markers: MarkerEnvironment | None) -> None:
        self.source = source
        self.markers = markers
        self.found: dict[str, tuple[int, Distribution]] = {}

    def error(self, line: int, problem: str) -> InvalidInputError:
        """The error of ``line``; a URL the problem quotes is shown without its login."""
        return InvalidInputError(
            f"{self.source}, line {line}: {without_login(problem)}", path=self.source, line=line
        )

    def add(self, line: int, dist: Distribution) -> None:
        if dist.key in self.found:
            first = self.found[dist.key][0]
            raise self.error(
                line,
                f"{dist.name} is listed again (first on line {first}); a snapshot holds one "
                "version of each distribution.",
            )
        self.found[dist.key] = (line, dist)

    def option(self, line: int, text: str) -> None:
        name, _, value = text.partition(" ")
        if "=" in name:
            name, _, first = name.partition("=")
            value = f"{first} {value}"
        if name in ("-e", "--editable"):
            self.editable(line, value.strip())
        elif name in ("-r", "--requirement", "-c", "--constraint"):
            raise self.error(
                line,
                f"{name} includes another file, which a snapshot cannot follow; import one "
                "flat file (e.g. the output of `pip freeze`).",
            )
        elif name not in _IGNORED_OPTIONS:
            raise self.error(line, f"unknown option {name!r}.")

    def editable(self, line: int, value: str) -> None:
        target, _, comment = value.partition(" #")
        location, _, egg = target.strip().partition("#egg=")
        pinned = _pinned_comment(comment)
        name = pinned[0] if pinned else egg.split("&")[0]
        if not name:
            raise self.error(
                line,
                f"cannot tell the distribution name of '-e {value}'; write it as "
                "'-e PATH  # name==version' or add '#egg=NAME'.",
            )
        direct_url = _direct_url(location, editable=True)
        self.add(line, Distribution(name, pinned[1] if pinned else None, direct_url=direct_url))

    def holds(self, line: int, marker: str) -> bool:
        """Whether the ``marker`` of ``line`` holds for the interpreter the file is read for."""
        try:
            return marker_holds(marker, "metadata", (), self.markers)
        except InvalidMarker as exc:
            raise self.error(line, f"invalid marker: {exc}.") from None

    def hashes(self, line: int, values: list[str]) -> tuple[str, ...]:
        """The ``ALGORITHM:VALUE`` of each ``--hash`` option of ``line``, as pip takes them."""
        for value in values:
            algorithm, sep, digest = value.partition(":")
            if not sep or not digest:
                raise self.error(line, f"'--hash={value}' is not ALGORITHM:VALUE.")
            if algorithm not in _HASH_ALGORITHMS:
                raise self.error(
                    line,
                    f"'--hash={value}': pip checks only {', '.join(_HASH_ALGORITHMS)}.",
                )
        return tuple(values)

    def requirement(self, line: int, text: str) -> None:
        """A pin, left out when its marker does not hold for the interpreter it is read for
        (pip ignores it); its hashes
        kept for recreate to enforce (an index pin's, or an archive URL's)."""
        body, _, comment = text.partition(" #")
        hashes = self.hashes(line, _HASH_OPTION.findall(body))
        body = _HASH_OPTION.sub("", body).strip()
        try:
            requirement = Requirement(body)
        except InvalidRequirement as exc:
            raise self.error(line, f"{body!r} is not a requirement: {exc}.") from None
        if requirement.marker is not None and not self.holds(line, str(requirement.marker)):
            return
        if requirement.url:
            pinned = _pinned_comment(comment)
            key = canonical_name(requirement.name)  # ``foo_bar @ …  # Foo-Bar==1.0``: the same
            version = pinned[1] if pinned and canonical_name(pinned[0]) == key else None
            direct_url = _direct_url(requirement.url)
            if hashes:
                direct_url = self.archive_hashes(line, direct_url, hashes)
            self.add(line, Distribution(requirement.name, version, direct_url=direct_url))
            return
        specifiers = list(requirement.specifier)
        if (
            len(specifiers) != 1
            or specifiers[0].operator not in ("==", "===")
            or "*" in specifiers[0].version
        ):
            raise self.error(
                line,
                f"{body!r} is not pinned to one version; a snapshot needs exact versions "
                "(name==version), as `pip freeze` writes them.",
            )
        self.add(line, Distribution(requirement.name, specifiers[0].version, index_hashes=hashes))

    def archive_hashes(
        self, line: int, direct_url: dict[str, object], hashes: tuple[str, ...]
    ) -> dict[str, object]:
        """``direct_url`` of an archive with ``hashes`` as its ``archive_info`` (PEP 610);
        a hash of a directory or repository is refused, as pip refuses it."""
        algorithms = [value.split(":", 1)[0] for value in hashes]
        if "archive_info" not in direct_url:
            raise self.error(line, "--hash: only an archive (a .whl, .tar.gz, .zip) has one.")
        if len(set(algorithms)) != len(algorithms):
            raise self.error(line, "--hash: an archive is one file; give one hash of each kind.")
        pairs = (value.split(":", 1) for value in hashes)
        return {**direct_url, "archive_info": {"hashes": dict(pairs)}}


def _pinned_comment(comment: str) -> tuple[str, str] | None:
    """(name, version) from a trailing ``# name==version`` (or ``===``) comment, if it is one."""
    name, sep, version = comment.strip().partition("==")
    version = version.removeprefix("=")
    return (name.strip(), version.strip()) if sep and name.strip() and version.strip() else None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each logical line, continuations joined."""
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        lines.append((start, pending + raw))
        pending = ""
    if pending:
        lines.append((start, pending))
    return lines


def parse_requirements(
    text: str, source: str = "requirements.txt", markers: MarkerEnvironment | None = None
) -> Snapshot:
    """A snapshot of the pinned distributions in a requirements file, to compare with, read
    for the interpreter whose marker environment is ``markers`` (a kernel's, a new venv's),
    else for the one nbtools runs in: a line whose marker does not hold there is left out."""
    reader = _read(_Reader(source, markers), text)
    return Snapshot(
        source="requirements",
        origin=source,
        distributions=tuple(dist for _, dist in reader.found.values()),
    )


class _SyntaxReader(_Reader):
    """Reads a file for no interpreter: a line with a marker is checked as far as that needs
    none (a requirement, its ``--hash`` options) and left out, every other line as always."""

    def holds(self, line: int, marker: str) -> bool:
        return False


def check_requirements(text: str, source: str = "requirements.txt") -> None:
    """Refuse, naming its line, what is wrong in a requirements file whatever interpreter
    it is read for (:func:`parse_requirements` for one finds the rest): an option, an
    include, a line that is no requirement, an unpinned or repeated line without a marker."""
    _read(_SyntaxReader(source, None), text)


def _read(reader: _Reader, text: str) -> _Reader:
    """``reader`` once it has read every logical line of ``text``."""
    for number, raw in _logical_lines(text):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            reader.option(number, line)
        else:
            reader.requirement(number, line)
    return reader
