"""The one parser of each field of a dataset, shared by the CLI, ``datasets.yaml`` and the
service: each returns the canonical value or raises :class:`InvalidInputError` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from nbtools.durations import age_days
from nbtools.errors import InvalidInputError

if TYPE_CHECKING:
    from nbtools.project import Project

#: GDPR-oriented levels: ``personal`` is personal data, ``sensitive`` its special categories.
CLASSIFICATIONS = ("public", "internal", "personal", "sensitive")
DEFAULT_CLASSIFICATION = "internal"

MAX_NAME_LENGTH = 128
MAX_DESCRIPTION_LENGTH = 10_000
MAX_OWNER_LENGTH = 255
MAX_LOCATION_LENGTH = 2048
MAX_LABEL_LENGTH = 64
MAX_LABELS = 64

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*\Z")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
#: A ``file:`` URL in any of RFC 8089's forms (``local:`` is fsspec's other name for it).
_FILE_URL = re.compile(r"(?:file|local):", re.IGNORECASE)
#: An fsspec chain: ``simplecache::s3://b/k``, ``dir::file:///…``.
_CHAIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*::")


def parse_name(value: str) -> str:
    """A dataset name: a letter, then letters, digits, ``_``, ``-`` or ``.`` (unique)."""
    if not isinstance(value, str) or not _NAME.match(value) or len(value) > MAX_NAME_LENGTH:
        raise InvalidInputError(
            f"Dataset name {value!r} is not valid: start with a letter, then use letters, "
            f"digits, '_', '-' or '.' (at most {MAX_NAME_LENGTH} characters).",
            field="name",
        )
    return value


def parse_classification(value: str) -> str:
    """One of :data:`CLASSIFICATIONS`."""
    if value not in CLASSIFICATIONS:
        raise InvalidInputError(
            f"Classification {value!r} is not one of {', '.join(CLASSIFICATIONS)}.",
            field="classification",
            allowed=list(CLASSIFICATIONS),
        )
    return value


def parse_labels(values: Iterable[str], field: str) -> tuple[str, ...]:
    """Tags or purposes: identifiers such as ``churn-model``, deduplicated, order kept."""
    if isinstance(values, str):
        values = [values]
    labels: list[str] = []
    for value in values:
        if not isinstance(value, str) or not _LABEL.match(value) or len(value) > MAX_LABEL_LENGTH:
            raise InvalidInputError(
                f"{field[:-1].capitalize()} {value!r} is not valid: use letters, digits, '_', "
                f"'-' or '.', starting with a letter or digit (at most {MAX_LABEL_LENGTH}).",
                field=field,
            )
        if value not in labels:
            labels.append(value)
    if len(labels) > MAX_LABELS:
        raise InvalidInputError(f"At most {MAX_LABELS} {field} per dataset.", field=field)
    return tuple(labels)


def parse_retention(value: str | None) -> str | None:
    """``90d``, ``12w`` or ``1y`` (a year counts 365 days); empty or ``None`` for none."""
    if value is None or value == "":
        return None
    age_days(value, "retention")
    return value


def retention_days(retention: str | None) -> int | None:
    """The number of days a canonical retention stands for."""
    return None if retention is None else age_days(retention, "retention")


def parse_text(value: str | None, field: str, limit: int) -> str:
    """Free text (description, owner), without NUL, at most ``limit`` characters."""
    value = value or ""
    if not isinstance(value, str) or "\0" in value or len(value) > limit:
        raise InvalidInputError(
            f"The {field} must be text of at most {limit} characters.", field=field
        )
    return value.strip()


def url_protocol(location: str) -> str | None:
    """The protocol of an fsspec URL (``s3`` of ``s3://b/k``), ``None`` for a plain path."""
    match = _URL.match(location)
    return match.group(1).lower() if match else None


def is_url(location: str) -> bool:
    """Whether a location is a URL (``s3://b/k``, ``file:/abs``, a chain ``a::b``), not a path."""
    return bool(_URL.match(location) or _FILE_URL.match(location) or _CHAIN.match(location))


def local_path(location: str) -> str | None:
    """The path a location names on this machine: a plain path as written, the absolute path
    of a ``file:`` URL (``file:///abs``, ``file:/abs`` and ``file://localhost/abs`` all name
    ``/abs``, as RFC 8089 reads them; ``local:`` alike); ``None`` for any other URL, an fsspec
    chain (``simplecache::file:///abs``) included.

    A ``file:`` URL naming another machine (``file://server/share``) or no absolute path
    (``file:data/x.csv``) is refused.
    """
    if not is_url(location):
        return location
    if _CHAIN.match(location) or not _FILE_URL.match(location):
        return None
    rest = location.split(":", 1)[1]
    if rest.startswith("//"):
        host, slash, path = rest[2:].partition("/")
        if host.lower() not in ("", "localhost"):
            raise InvalidInputError(
                f"Location {location!r} names a file on the machine {host!r}: give a path on "
                "this one (file:///path) or the URL of a filesystem nbtools can reach.",
                field="location",
            )
        rest = slash + path
    if not rest.startswith("/"):
        raise InvalidInputError(
            f"Location {location!r} is a file: URL without an absolute path: write "
            "file:///path, or the path itself.",
            field="location",
        )
    return rest


def parse_location(project: Project, value: str) -> str:
    """A path inside the project root (kept root-relative, ``/``-separated) or an fsspec URL.

    ``file:`` URLs (:func:`local_path`) are paths and must be inside the root too; other URLs
    must name a protocol fsspec knows (its backend, e.g. s3fs, need not be installed here);
    chained URLs (``simplecache::s3://b/k``) are refused.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_LOCATION_LENGTH:
        raise InvalidInputError(
            f"The location must be a path or URL of at most {MAX_LOCATION_LENGTH} characters.",
            field="location",
        )
    value = value.strip()
    if _CHAIN.match(value):
        raise InvalidInputError(
            f"Location {value!r} chains fsspec protocols ('::'), which the catalog does not "
            "take: give the path or URL of the data itself.",
            field="location",
        )
    path = local_path(value)
    if path is not None:
        return _root_relative(project, path)
    protocol = url_protocol(value)
    from fsspec.registry import known_implementations, registry

    if protocol not in known_implementations and protocol not in registry:
        raise InvalidInputError(
            f"Location {value!r} uses the protocol {protocol!r}, which fsspec does not know.",
            field="location",
        )
    return value


def _root_relative(project: Project, path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        if not project.contains(candidate):
            raise InvalidInputError(
                f"Location {path!r} is outside the project root {project.root}: give a path "
                "inside it or a URL.",
                field="location",
            )
        return project.relative(candidate)
    try:
        resolved = project.resolve(path)
    except InvalidInputError as exc:
        raise InvalidInputError(exc.message, field="location") from exc
    return project.relative(resolved)
