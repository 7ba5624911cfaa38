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
from nbtools.urls import is_chain, local_path, normalized_url, url_protocol, without_login
from nbtools.urls import is_url as is_url  # the face's ``nbtools.data.is_url``

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


def parse_location(project: Project, value: str) -> str:
    """A path inside the project root (kept root-relative, ``/``-separated) or an fsspec URL
    (in its one spelling: :func:`nbtools.urls.normalized_url`).

    ``file:`` URLs (:func:`nbtools.urls.local_path`) are paths and must be inside the root
    too; other URLs must name a protocol fsspec knows (its backend, e.g. s3fs, need not be
    installed here); chained URLs (``simplecache::s3://b/k``) are refused.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_LOCATION_LENGTH:
        raise _not_a_location()
    value = value.strip()
    if is_chain(value):
        raise InvalidInputError(
            f"Location {without_login(value)!r} chains fsspec protocols ('::'), which the "
            "catalog does not "
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
            f"Location {without_login(value)!r} uses the protocol {protocol!r}, which fsspec "
            "does not know.",
            field="location",
        )
    location = normalized_url(value)
    if len(location) > MAX_LOCATION_LENGTH:  # a host in lower case may be longer: "İ", "i̇"
        raise _not_a_location()
    return location


def _not_a_location() -> InvalidInputError:
    return InvalidInputError(
        f"The location must be a path or URL of at most {MAX_LOCATION_LENGTH} characters.",
        field="location",
    )


def _root_relative(project: Project, path: str) -> str:
    """The root-relative form of a location's path; every refusal (outside the root, a NUL
    byte, a loop of symbolic links, too long) names the field ``location``."""
    candidate = Path(path)
    try:
        if not candidate.is_absolute():
            return project.relative(project.resolve(path))
        if project.contains(candidate):
            return project.relative(candidate)
    except InvalidInputError as exc:
        raise InvalidInputError(exc.message, field="location") from exc
    raise InvalidInputError(
        f"Location {path!r} is outside the project root {project.root}: give a path inside it "
        "or a URL.",
        field="location",
    )
