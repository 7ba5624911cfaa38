"""Differences between two snapshots: distributions added, removed, upgraded, downgraded,
changed in origin, and Python or platform changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from nbtools.envsnap.model import Distribution, Snapshot

#: Kinds of distribution change, in the order they are listed.
KINDS = ("added", "removed", "upgraded", "downgraded", "changed")


@dataclass(frozen=True)
class Change:
    """One distribution that differs; ``old``/``new`` are versions (None when absent)."""

    name: str
    kind: str
    old: str | None
    new: str | None
    detail: str = ""

    def describe(self) -> str:
        old, new = _shown(self.old), _shown(self.new)
        if self.kind == "added":
            text = f"+ {self.name} {new}"
        elif self.kind == "removed":
            text = f"- {self.name} {old}"
        else:
            text = f"~ {self.name} {old} -> {new} ({self.kind})"
        return f"{text}: {self.detail}" if self.detail else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class SnapshotDiff:
    """How ``new`` differs from ``old``."""

    old_id: str
    new_id: str
    changes: tuple[Change, ...]
    python: tuple[str | None, str | None] | None = None
    platform: tuple[str, str] | None = None

    @property
    def empty(self) -> bool:
        return not self.changes and self.python is None and self.platform is None

    def of_kind(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]

    def summary(self) -> str:
        """One line: ``Python 3.11.7 -> 3.12.1; 2 upgraded, 1 added`` or ``no differences``."""
        parts = []
        if self.python:
            parts.append(f"Python {self.python[0]} -> {self.python[1]}")
        if self.platform:
            parts.append(f"platform {self.platform[0]} -> {self.platform[1]}")
        counts = [f"{len(self.of_kind(kind))} {kind}" for kind in KINDS if self.of_kind(kind)]
        if counts:
            parts.append(", ".join(counts))
        return "; ".join(parts) or "no differences"

    def lines(self) -> list[str]:
        """The differences, one per line, for people."""
        lines = []
        if self.python:
            lines.append(f"~ Python {self.python[0]} -> {self.python[1]}")
        if self.platform:
            lines.append(f"~ platform {self.platform[0]} -> {self.platform[1]}")
        return lines + [change.describe() for kind in KINDS for change in self.of_kind(kind)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old_id,
            "new": self.new_id,
            "empty": self.empty,
            "summary": self.summary(),
            "python": list(self.python) if self.python else None,
            "platform": list(self.platform) if self.platform else None,
            "changes": [change.to_dict() for change in self.changes],
            "lines": self.lines(),
        }


def _shown(version: str | None) -> str:
    """A version for people: a direct install read from a requirements file may have none."""
    return version if version is not None else "(version unknown)"


def _version_kind(old: str | None, new: str | None) -> str:
    try:
        before, after = Version(old or ""), Version(new or "")
    except InvalidVersion:
        return "changed"
    return "upgraded" if after > before else "downgraded" if after < before else "changed"


def _change(old: Distribution, new: Distribution) -> Change | None:
    """How one distribution changed; a version unknown on one side (``name @ URL`` in a
    requirements file) matches any, so only the origin is compared."""
    detail = _origin_detail(old, new)
    if None not in (old.version, new.version) and old.version != new.version:
        return Change(
            new.name, _version_kind(old.version, new.version), old.version, new.version, detail
        )
    return Change(new.name, "changed", old.version, new.version, detail) if detail else None


def _origin_detail(old: Distribution, new: Distribution) -> str:
    if old.broken != new.broken:
        return f"metadata broken: {new.broken}" if new.broken else "metadata repaired"
    if old.duplicate_names != new.duplicate_names:
        if new.duplicates:
            return f"metadata directories side by side: {', '.join(new.duplicate_names)}"
        return "one metadata directory again"
    from nbtools.urls import without_login  # not with the package: it imports ipaddress

    # a login a direct URL keeps (${TOKEN}, git@) is not where the code comes from
    if without_login(old.source_label()) != without_login(new.source_label()):
        return f"{old.source_label() or 'index'} -> {new.source_label() or 'index'}"
    return ""


def _platform(snapshot: Snapshot) -> str:
    return " ".join(str(snapshot.platform.get(k, "")) for k in ("system", "machine")).strip()


def diff(old: Snapshot, new: Snapshot) -> SnapshotDiff:
    """What changed from ``old`` to ``new``; facts missing on either side are not compared."""
    before, after = old.by_key(), new.by_key()
    changes = [
        Change(after[k].name, "added", None, after[k].version) for k in after.keys() - before.keys()
    ]
    changes += [
        Change(before[k].name, "removed", before[k].version, None)
        for k in before.keys() - after.keys()
    ]
    for key in before.keys() & after.keys():
        change = _change(before[key], after[key])
        if change is not None:
            changes.append(change)
    python = None
    if old.python_version and new.python_version and old.python_version != new.python_version:
        python = (old.python_version, new.python_version)
    platform = None
    if _platform(old) and _platform(new) and _platform(old) != _platform(new):
        platform = (_platform(old), _platform(new))
    ordered = tuple(
        sorted(changes, key=lambda change: (KINDS.index(change.kind), change.name.lower()))
    )
    return SnapshotDiff(old.id, new.id, ordered, python, platform)
