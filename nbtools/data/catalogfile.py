"""``datasets.yaml``: the catalog declared in version control at the project root.

::

    datasets:
      customers:
        location: data/customers.csv
        description: One row per customer.
        tags: [crm]
        owner: data-team
        classification: personal
        purposes: [churn-model, billing]
        retention: 90d

``sync`` makes the catalog hold every declaration of the file (the file wins over what the
store holds; running it twice changes nothing) and, with ``prune``, removes datasets the file
does not declare. The whole file is validated before anything is written, and it is written in
one transaction: a refusal (two datasets at one location) writes nothing. ``export`` writes
the catalog's declarations (schemas are read from the data, so they are not written), over a
catalog file only unless forced (:func:`is_catalog`; :mod:`nbtools.outfiles`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtools.data.catalog import (
    DatasetSpec,
    dataset_spec,
    list_datasets,
    save_datasets,
)
from nbtools.errors import InvalidInputError, NbtoolsError
from nbtools.yamlfile import read_yaml

if TYPE_CHECKING:
    from collections.abc import Mapping

    from nbtools.project import Project

CATALOG_FILE = "datasets.yaml"


@dataclass
class SyncReport:
    """The names of the datasets each outcome of a sync applied to."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "not_in_file": self.not_in_file,
        }


def catalog_path(project: Project, path: str | None) -> Path:
    """The catalog file: ``path`` (inside the root) or ``datasets.yaml`` at the root; a path
    refused names the field ``path``."""
    try:
        return project.resolve(path or CATALOG_FILE)
    except InvalidInputError as error:
        raise type(error)(error.message, **{**error.details, "field": "path"}) from None


def read_catalog_file(
    project: Project, path: Path, held: Mapping[str, str] | None = None
) -> list[DatasetSpec]:
    """Every declaration of the file, validated; errors name the file and the dataset. A
    location the store ``held`` for a dataset (name → location), declared again, is kept as
    checked when it was stored (:func:`~nbtools.data.catalog.dataset_spec`)."""
    shown = project.relative(path)
    document = read_yaml(
        path, shown, "path", missing="write it, or `nbtools data export` the catalog"
    )
    if document is None:
        return []
    entries = document.get("datasets") if isinstance(document, dict) else None
    if not isinstance(document, dict) or set(document) - {"datasets"}:
        raise InvalidInputError(
            f"{shown} must hold one mapping, `datasets:`, of names to declarations.",
            field="path",
        )
    if entries is None:
        return []
    if not isinstance(entries, dict):
        raise InvalidInputError(f"`datasets` in {shown} must map names to declarations.")
    specs: list[DatasetSpec] = []
    for name, declared in entries.items():
        if not isinstance(declared, dict):
            raise InvalidInputError(
                f"{shown}: dataset {name!r} must be a mapping of fields (location, ...).",
                field="path",
                dataset=str(name),
            )
        try:
            specs.append(dataset_spec(project, str(name), declared, (held or {}).get(str(name))))
        except NbtoolsError as exc:
            raise InvalidInputError(
                f"{shown}: dataset {name!r}: {exc.message}",
                field=exc.details.get("field", "path"),
                dataset=str(name),
            ) from exc
        other = next((spec for spec in specs[:-1] if spec.location == specs[-1].location), None)
        if other is not None:
            raise InvalidInputError(
                f"{shown}: datasets {other.name!r} and {name!r} are both at "
                f"{other.location!r}: one location holds one dataset (else the same data could "
                "be declared twice with another classification or purposes).",
                field="location",
                dataset=str(name),
                other=other.name,
            )
    return specs


def sync_catalog(
    project: Project, path: str | None = None, *, prune: bool = False, actor: str | None = None
) -> SyncReport:
    """Load the catalog file into the store (see the module's docstring)."""
    held = {dataset.name: dataset.spec.location for dataset in list_datasets(project)}
    specs = read_catalog_file(project, catalog_path(project, path), held)
    report = SyncReport()
    declared = {spec.name for spec in specs}
    others = [name for name in held if name not in declared]
    outcomes = save_datasets(project, specs, remove=others if prune else (), actor=actor)
    for spec, outcome in zip(specs, outcomes, strict=True):
        getattr(report, outcome).append(spec.name)
    if prune:
        report.removed = others
    else:
        report.not_in_file = others
    return report


def export_catalog(project: Project, path: str | None = None, *, force: bool = False) -> Path:
    """Write every dataset's declaration to the catalog file (whole or not at all); returns
    its path. Refused before anything is written (field ``path``): a path in the store
    directory, and a file that is not a catalog file (a notebook, another YAML file) unless
    ``force`` (:func:`~nbtools.outfiles.check_outfile`)."""
    import yaml

    from nbtools.atomic import atomic_write
    from nbtools.outfiles import check_outfile

    target = catalog_path(project, path)
    shown = path or CATALOG_FILE
    check_outfile(
        project, target, "path", ours=is_catalog, force=force, make_folder=True, shown=shown
    )
    document: dict[str, Any] = {
        "datasets": {
            dataset.name: _without_defaults(dataset.spec.declared())
            for dataset in list_datasets(project)
        }
    }
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
    atomic_write(target, text.encode("utf-8"))
    return target


def is_catalog(path: Path) -> bool:
    """Whether the file at ``path`` is a catalog file, which ``export`` may replace: YAML
    holding nothing, or a mapping of ``datasets:`` alone (valid or not). :class:`OSError` when
    it cannot be read."""
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return document is None or (isinstance(document, dict) and set(document) <= {"datasets"})


def _without_defaults(declared: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in declared.items() if value not in ("", [], None)}
