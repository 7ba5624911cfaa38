"""Checking a notebook's data against the usage rule (:mod:`nbtools.data.policy`) before it
runs: the datasets it declares (``nbtools.data.path("name")``) and the literal paths it reads
that match a catalog entry (:mod:`nbtools.data.detect`), for a given purpose.

:func:`check_notebook` returns what it found (also the *undeclared data*: literal paths read
directly, matched to a dataset or not) and, with ``enforce``, raises
:class:`~nbtools.errors.PolicyRefusedError` naming every refused dataset; :func:`enforce_rule`
also records the refusal (``policy.refuse``) in the audit trail: what jobs, runs and
extractions call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbtools import audit
from nbtools.data.catalog import Dataset, list_datasets
from nbtools.data.detect import Found, project_location, scan
from nbtools.data.fields import CLASSIFICATIONS, parse_labels
from nbtools.data.policy import refusal
from nbtools.errors import InvalidInputError, PolicyRefusedError
from nbtools.notebooks import Notebook, read_notebook

if TYPE_CHECKING:
    from nbtools.project import Project


@dataclass(frozen=True)
class DatasetUse:
    """A catalog dataset the notebook uses: ``declared`` or ``detected`` (a literal path)."""

    dataset: str
    classification: str
    purposes: tuple[str, ...]
    how: str
    cell: int
    line: int
    refused: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "classification": self.classification,
            "purposes": list(self.purposes),
            "how": self.how,
            "cell": self.cell,
            "line": self.line,
            "refused": self.refused,
        }


@dataclass(frozen=True)
class DataCheck:
    """A notebook's data for one purpose."""

    notebook_path: str
    purpose: str | None
    uses: tuple[DatasetUse, ...]
    undeclared: tuple[Found, ...]
    unknown: tuple[Found, ...]

    @property
    def refused(self) -> tuple[DatasetUse, ...]:
        return tuple(use for use in self.uses if use.refused)

    @property
    def purpose_required(self) -> bool:
        """Whether a job of the notebook needs a purpose: one of its uses would be refused
        without one (personal or sensitive data, or a dataset listing purposes)."""
        return any(
            refusal(use.dataset, use.classification, use.purposes, None) for use in self.uses
        )

    def warnings(self) -> list[str]:
        """One line per undeclared path read directly and per unknown dataset name."""
        lines = []
        for found in self.undeclared:
            matched = f" (dataset {found.dataset})" if found.dataset else ""
            where = f"at cell {found.cell + 1}, line {found.line}"  # cells counted from 1
            lines.append(f"undeclared data: {found.value!r}{matched} {where}")
        lines += [
            f"unknown dataset: {found.value!r} at cell {found.cell + 1}, line {found.line}"
            for found in self.unknown
        ]
        return lines

    def refuse(self) -> None:
        """Raise :class:`PolicyRefusedError` naming every refused use, if any (``field``:
        the ``purpose`` a form shows the refusal at)."""
        if self.refused:
            raise PolicyRefusedError(
                " ".join(use.refused for use in self.refused if use.refused),
                field="purpose",
                notebook_path=self.notebook_path,
                purpose=self.purpose,
                refused=[use.to_dict() for use in self.refused],
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook_path": self.notebook_path,
            "purpose": self.purpose,
            "purpose_required": self.purpose_required,
            "uses": [use.to_dict() for use in self.uses],
            "undeclared": [found.to_dict() for found in self.undeclared],
            "unknown": [found.to_dict() for found in self.unknown],
            "warnings": self.warnings(),
        }


def parse_purpose(value: str | None) -> str | None:
    """A job's purpose: an identifier such as ``churn-model``, or ``None``."""
    if not value:
        return None
    try:
        return parse_labels([value], "purposes")[0]
    except InvalidInputError as exc:
        raise InvalidInputError(exc.message, field="purpose") from exc


def check_notebook(
    project: Project,
    notebook_path: str,
    purpose: str | None,
    *,
    enforce: bool = True,
    nb: Notebook | None = None,
) -> DataCheck:
    """The data of the notebook at root-relative ``notebook_path`` (or ``nb``, its content)
    for ``purpose``; with ``enforce``, a refused use raises :class:`PolicyRefusedError`."""
    purpose = parse_purpose(purpose)
    found = scan(nb if nb is not None else read_notebook(project.resolve(notebook_path)))
    catalog = list_datasets(project)
    by_name = {dataset.name: dataset for dataset in catalog}
    by_location: dict[str, list[Dataset]] = {}
    for dataset in catalog:  # a store from before one location held one dataset may hold more
        by_location.setdefault(dataset.spec.location, []).append(dataset)
    uses: dict[str, DatasetUse] = {}
    unknown = []
    for declared in found.declared:
        if declared.value in by_name:
            _add(uses, by_name[declared.value], "declared", declared, purpose)
        else:
            unknown.append(declared)
    undeclared = []
    for literal in found.undeclared:
        there = by_location.get(project_location(notebook_path, literal.value), [])
        for dataset in there:  # each is checked: the strictest decides
            _add(uses, dataset, "detected", literal, purpose)
        strictest = min(there, key=lambda dataset: _leniency(uses[dataset.name]), default=None)
        undeclared.append(literal._replace(dataset=strictest.name if strictest else None))
    result = DataCheck(
        notebook_path, purpose, tuple(uses.values()), tuple(undeclared), tuple(unknown)
    )
    if enforce:
        result.refuse()
    return result


def enforce_rule(
    project: Project,
    notebook_path: str,
    purpose: str | None,
    *,
    actor: str | None = None,
    nb: Notebook | None = None,
    during: str | None = None,
) -> DataCheck:
    """:func:`check_notebook`, whose refusal is recorded as ``policy.refuse`` by ``actor`` (in
    a transaction of its own: what was refused is not stored) before it is raised. ``during``
    names the action refused when it is not a job or run (``extract``)."""
    result = check_notebook(project, notebook_path, purpose, enforce=False, nb=nb)
    if result.refused:
        summary: dict[str, Any] = {
            "purpose": result.purpose,
            "refused": [use.dataset for use in result.refused],
        }
        if during is not None:
            summary["during"] = during
        audit.record_now(
            project.store, actor, "policy.refuse", f"notebook {notebook_path}", summary
        )
        result.refuse()
    return result


def _leniency(use: DatasetUse) -> tuple[bool, int]:
    """Orders the uses of one location strictest first: refused, then the higher level."""
    return use.refused is None, -CLASSIFICATIONS.index(use.classification)


def _add(
    uses: dict[str, DatasetUse], dataset: Dataset, how: str, found: Found, purpose: str | None
) -> None:
    if dataset.name in uses:
        return
    spec = dataset.spec
    uses[dataset.name] = DatasetUse(
        dataset.name,
        spec.classification,
        spec.purposes,
        how,
        found.cell,
        found.line,
        refusal(dataset.name, spec.classification, spec.purposes, purpose),
    )
