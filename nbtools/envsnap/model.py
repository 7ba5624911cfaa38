"""Snapshots of a Python environment: the distributions and facts, with a content-hash id."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from nbtools.envsnap.capture import canonical_name
from nbtools.store import utcnow

#: Where a snapshot came from: a kernel's interpreter, or an imported lock/requirements file.
SOURCES = ("kernel", "pylock", "requirements")

#: An interpreter's PEP 508 marker environment (``python_version``, ``sys_platform``, …).
MarkerEnvironment = Mapping[str, str]

#: Characters of the id shown to people (any unique prefix is accepted back).
SHORT_ID = 12

#: Characters of a whole id (a sha256, in hexadecimal): a longer one names no snapshot.
ID_LENGTH = 64


#: A ``file:`` URL naming this machine's host, as the VCS lines of requirements files write it.
LOCALHOST = "file://localhost/"


@dataclass(frozen=True)
class Distribution:
    """One installed distribution as recorded in a snapshot."""

    name: str
    version: str | None
    installer: str | None = None
    direct_url: Mapping[str, Any] | None = None
    broken: str | None = None
    wheel_tags: tuple[str, ...] = ()
    top_level: tuple[str, ...] = ()
    #: ``ALGORITHM:VALUE`` hashes of the index files a pylock.toml (or a requirements file's
    #: ``--hash`` options) pinned it to.
    index_hashes: tuple[str, ...] = ()
    #: When one directory holds several metadata directories of it (an upgrade or removal
    #: interrupted leaves two): their paths, the one recorded (which ``importlib.metadata``
    #: reads) first; empty otherwise.
    duplicates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Whatever it came from (a capture, a requirements or lock file, a snapshot stored
        # before), a direct URL never carries a secret login into a snapshot or an export.
        # ``file://localhost/p`` is ``file:///p`` (RFC 8089), which pip records as written.
        url = (self.direct_url or {}).get("url")
        if isinstance(url, str):
            from nbtools.urls import shareable_url  # not at import: it imports ipaddress

            same = shareable_url(url)
            same = "file:///" + same[len(LOCALHOST) :] if same.startswith(LOCALHOST) else same
            if same != url:
                object.__setattr__(self, "direct_url", {**(self.direct_url or {}), "url": same})

    @property
    def key(self) -> str:
        """The normalized name distributions are matched by."""
        return canonical_name(self.name)

    @property
    def editable(self) -> bool:
        return bool((self.direct_url or {}).get("dir_info", {}).get("editable"))

    @property
    def origin(self) -> str:
        """How it was installed: ``index``, ``editable``, ``directory``, ``vcs`` or ``archive``."""
        if not self.direct_url:
            return "index"
        if "vcs_info" in self.direct_url:
            return "vcs"
        if "dir_info" in self.direct_url:
            return "editable" if self.editable else "directory"
        return "archive"

    @property
    def duplicate_names(self) -> tuple[str, ...]:
        """The names of :attr:`duplicates` (``dup-2.0.dist-info``), the recorded one first."""
        return tuple(os.path.basename(path) for path in self.duplicates)

    @property
    def non_reproducible(self) -> str:
        """Why installing this entry again may not give the same code (empty when it would):
        several metadata directories of it side by side (its files may mix their versions),
        an editable install, a ``file://`` install (local files can change or vanish), or a
        VCS install without a recorded commit."""
        if self.duplicates:
            recorded, *others = self.duplicate_names
            return (
                f"{os.path.dirname(self.duplicates[0])} holds {len(self.duplicates)} metadata "
                f"directories of it, {recorded} (read by importlib.metadata: its version is "
                f"the one recorded) and {', '.join(others)}, left by an interrupted upgrade or "
                "removal, so its files may mix their versions: remove the directory of the "
                "version not wanted, then reinstall the other "
                f"(pip install --force-reinstall {self.name}=={self.version})"
            )
        if self.origin == "editable":
            return "editable install: its code is whatever the directory holds now"
        if self.origin == "vcs" and not (self.direct_url or {}).get("vcs_info", {}).get(
            "commit_id"
        ):
            return "VCS install without a recorded commit"
        if self.local_path is not None:
            return f"installed from the local path {self.local_path}, which may change or vanish"
        return ""

    @property
    def archive_hashes(self) -> dict[str, str]:
        """The hashes ``direct_url.json`` recorded for an archive install (``archive_info``)."""
        info = (self.direct_url or {}).get("archive_info") or {}
        hashes = {str(k): str(v) for k, v in dict(info.get("hashes") or {}).items()}
        if not hashes and "=" in str(info.get("hash", "")):
            algorithm, _, value = str(info["hash"]).partition("=")
            hashes[algorithm] = value
        return hashes

    @property
    def pinned_hashes(self) -> tuple[str, ...]:
        """Every ``ALGORITHM:VALUE`` hash an install of it must match (archive or index)."""
        archive = (f"{name}:{value}" for name, value in sorted(self.archive_hashes.items()))
        return (*archive, *self.index_hashes)

    @property
    def local_path(self) -> str | None:
        """The file or directory of a ``file://`` direct URL."""
        url = str((self.direct_url or {}).get("url", ""))
        parts = urlsplit(url)
        return unquote(parts.path) if parts.scheme == "file" else None

    def source_label(self) -> str:
        """A short human description of where it came from (empty for an index)."""
        if self.origin == "index":
            return ""
        url = str((self.direct_url or {}).get("url", ""))
        if self.origin == "vcs":
            commit = (self.direct_url or {}).get("vcs_info", {}).get("commit_id", "")
            return f"vcs {url}@{commit}"
        return f"{self.origin} {self.local_path or url}"

    def identity(self) -> dict[str, Any]:
        """The facts that make two environments the same (not paths of metadata or installer)."""
        identity: dict[str, Any] = {
            "name": self.key,
            "version": self.version,
            "source": self.source_label(),
            "broken": self.broken,
        }
        if self.duplicates:  # only then: the ids of every other environment stay as they were
            identity["duplicates"] = list(self.duplicate_names)
        return identity

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "installer": self.installer,
            "direct_url": dict(self.direct_url) if self.direct_url else None,
            "origin": self.origin,
            "broken": self.broken,
            "non_reproducible": self.non_reproducible or None,
            "wheel_tags": list(self.wheel_tags),
            "top_level": list(self.top_level),
            "index_hashes": list(self.index_hashes),
            "duplicates": list(self.duplicates),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Distribution:
        return cls(
            name=str(data["name"]),
            version=data.get("version"),
            installer=data.get("installer"),
            direct_url=data.get("direct_url"),
            broken=data.get("broken"),
            wheel_tags=tuple(data.get("wheel_tags") or ()),
            top_level=tuple(data.get("top_level") or ()),
            index_hashes=tuple(data.get("index_hashes") or ()),
            duplicates=tuple(data.get("duplicates") or ()),
        )


@dataclass(frozen=True)
class Snapshot:
    """An environment: interpreter, platform and distributions, identified by content hash."""

    source: str
    origin: str
    distributions: tuple[Distribution, ...]
    python: Mapping[str, Any] = field(default_factory=dict)
    platform: Mapping[str, Any] = field(default_factory=dict)
    kernel: Mapping[str, Any] | None = None
    conda_env: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    id: str = ""
    #: When it was last seen (captured, imported or read again); ``created_at`` when not stored.
    captured_at: datetime | None = None
    #: A pylock.toml's ``environments``: the markers of the environments it may be installed
    #: in (PEP 751; none: any).
    environments: tuple[str, ...] = ()
    #: A pylock.toml's ``requires-python``: the Python versions it may be installed with
    #: (PEP 751; none: any).
    requires_python: str | None = None

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.distributions, key=lambda dist: dist.key))
        object.__setattr__(self, "distributions", ordered)
        if not self.id:
            object.__setattr__(self, "id", content_id(self))

    @property
    def short_id(self) -> str:
        return self.id[:SHORT_ID]

    @property
    def python_version(self) -> str | None:
        version = self.python.get("version")
        return str(version) if version else None

    @property
    def markers(self) -> MarkerEnvironment | None:
        """The PEP 508 marker environment of the snapshot's interpreter, as the capture
        asked it (a kernel's, since the capture reports it); None for a file's or an older
        capture's, which recorded none."""
        markers = self.python.get("markers")
        return {str(k): str(v) for k, v in markers.items()} if isinstance(markers, dict) else None

    def own_environments(self) -> tuple[str, ...]:
        """The ``environments`` of a lock of this snapshot: its platform and implementation."""
        system, machine = self.platform.get("system"), self.platform.get("machine")
        if not system or not machine:
            return ()
        implementation = self.python.get("implementation", "cpython")
        return (
            f"sys_platform == '{system}' and platform_machine == '{machine}' "
            f"and implementation_name == '{implementation}'",
        )

    def own_requires_python(self) -> str | None:
        """The ``requires-python`` of a lock of this snapshot: its Python's minor version."""
        version = self.python_version
        return "==" + ".".join(version.split(".")[:2]) + ".*" if version else None

    def by_key(self) -> dict[str, Distribution]:
        return {dist.key: dist for dist in self.distributions}

    def broken(self) -> list[Distribution]:
        return [dist for dist in self.distributions if dist.broken]

    def seen(self, created_at: datetime, captured_at: datetime) -> Snapshot:
        """This snapshot as stored: first seen at ``created_at``, last at ``captured_at``."""
        return replace(self, created_at=created_at, captured_at=captured_at)

    def summary(self) -> dict[str, Any]:
        """The listing fields (no distributions)."""
        return {
            "id": self.id,
            "short_id": self.short_id,
            "source": self.source,
            "origin": self.origin,
            "python_version": self.python_version,
            "distribution_count": len(self.distributions),
            "created_at": self.created_at.isoformat(),
            "captured_at": (self.captured_at or self.created_at).isoformat(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "python": dict(self.python),
            "platform": dict(self.platform),
            "kernel": dict(self.kernel) if self.kernel else None,
            "conda_env": self.conda_env,
            "environment": dict(self.environment),
            "environments": list(self.environments),
            "requires_python": self.requires_python,
            "distributions": [dist.to_dict() for dist in self.distributions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        return cls(
            id=str(data.get("id", "")),
            source=str(data["source"]),
            origin=str(data.get("origin", "")),
            python=data.get("python") or {},
            platform=data.get("platform") or {},
            kernel=data.get("kernel"),
            conda_env=data.get("conda_env"),
            environment=data.get("environment") or {},
            environments=tuple(data.get("environments") or ()),
            requires_python=data.get("requires_python") or None,
            created_at=datetime.fromisoformat(data["created_at"])
            if data.get("created_at")
            else utcnow(),
            distributions=tuple(Distribution.from_dict(d) for d in data["distributions"]),
        )


def content_id(snapshot: Snapshot) -> str:
    """The sha256 of what makes an environment itself: Python, platform, distributions, and
    where a lock file may be installed (its ``environments``, ``requires-python``: the store
    keeps them under the id) unless they are the snapshot's own, which its export writes."""
    identity: dict[str, Any] = {
        "python": {k: snapshot.python.get(k) for k in ("version", "implementation")},
        "platform": {k: snapshot.platform.get(k) for k in ("system", "machine")},
        "distributions": [dist.identity() for dist in snapshot.distributions],
    }
    # only then: the ids of every other snapshot, and of its export read back, stay the same
    if snapshot.environments and snapshot.environments != snapshot.own_environments():
        identity["environments"] = list(snapshot.environments)
    if snapshot.requires_python and snapshot.requires_python != snapshot.own_requires_python():
        identity["requires_python"] = snapshot.requires_python
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def distributions_from(records: Sequence[Mapping[str, Any]]) -> tuple[Distribution, ...]:
    """Distributions from the capture script's records."""
    return tuple(Distribution.from_dict(record) for record in records)
