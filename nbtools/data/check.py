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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbtools import audit
from nbtools.data.catalog import Dataset, list_datasets
from nbtools.data.detect import (
    Found,
    NotebookData,
    Unreadable,
    Unresolved,
    project_location,
    scan,
)
from nbtools.data.fields import CLASSIFICATIONS, parse_labels
from nbtools.data.policy import refusal
from nbtools.errors import InvalidInputError, PolicyRefusedError
from nbtools.notebooks import Notebook

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
    #: Whether a job of the notebook needs a purpose: without one, a use would be refused
    #: (personal or sensitive data, a dataset listing purposes), or what the check cannot
    #: read could use such data.
    purpose_required: bool = False
    #: The cells the check cannot read, which could use any dataset.
    unreadable: tuple[Unreadable, ...] = ()
    #: The data calls whose location the check cannot know before the run.
    unresolved: tuple[Unresolved, ...] = ()
    #: The notebook's kernel language when it is not Python: the check read none of it.
    language: str | None = None
    #: Why what the check cannot read refuses the notebook: the catalog holds data the
    #: purpose may not use.
    unchecked_refused: str | None = None

    @property
    def refused(self) -> tuple[DatasetUse, ...]:
        return tuple(use for use in self.uses if use.refused)

    def refusals(self) -> list[str]:
        """Why the notebook is refused for the purpose: nothing when it is allowed."""
        reasons = [use.refused for use in self.uses if use.refused]
        return reasons + ([self.unchecked_refused] if self.unchecked_refused else [])

    def warnings(self, each_unresolved: bool = True) -> list[str]:
        """One line per undeclared path read directly, per unknown dataset name, per
        unreadable cell and per unresolved data call (without ``each_unresolved``, one line
        counting them when there are several); one for a notebook not in Python."""
        if self.language:
            return [
                f"not read: the notebook's kernel language is {self.language}, and the check "
                "reads Python only (the data it uses cannot be checked)"
            ]
        lines = []
        for found in self.undeclared:
            matched = f" (dataset {found.dataset})" if found.dataset else ""
            where = f"at cell {found.cell + 1}, line {found.line}"  # cells counted from 1
            lines.append(f"undeclared data: {found.value!r}{matched} {where}")
        lines += [
            f"unknown dataset: {found.value!r} at cell {found.cell + 1}, line {found.line}"
            for found in self.unknown
        ]
        lines += [
            f"unreadable cell {cell.cell + 1}, line {cell.line}: {cell.error} (the data it "
            "uses cannot be checked)"
            for cell in self.unreadable
        ]
        if each_unresolved or len(self.unresolved) < 2:
            lines += [
                f"unresolved: {call.call} at cell {call.cell + 1}, line {call.line} (the check "
                "cannot tell before the run what it reads)"
                for call in self.unresolved
            ]
        elif self.unresolved:
            import shlex  # not at import: only a notebook with several unresolved calls

            numbers = sorted({call.cell + 1 for call in self.unresolved})
            cells = ("cell " if len(numbers) == 1 else "cells ") + ", ".join(map(str, numbers))
            lines.append(
                f"unresolved: {len(self.unresolved)} data calls in {cells} (the check "
                "cannot tell before the run what they read; nbtools data check "
                f"{shlex.quote(self.notebook_path)} lists them)"
            )
        return lines

    def refuse(self) -> None:
        """Raise :class:`PolicyRefusedError` naming every refused use, and what the check
        could not read when that refuses the notebook, if any (``field``: the ``purpose`` a
        form shows the refusal at)."""
        reasons = self.refusals()
        if reasons:
            raise PolicyRefusedError(
                " ".join(reasons),
                field="purpose",
                notebook_path=self.notebook_path,
                purpose=self.purpose,
                refused=[use.to_dict() for use in self.refused],
                **(self._unchecked() if self.unchecked_refused else {}),
            )

    def _unchecked(self) -> dict[str, Any]:
        """What the check could not read, in a refusal's details."""
        details: dict[str, Any] = {"language": self.language} if self.language else {}
        if self.unreadable:
            details["unreadable"] = [cell.to_dict() for cell in self.unreadable]
        if self.unresolved:
            details["unresolved"] = [call.to_dict() for call in self.unresolved]
        return details

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook_path": self.notebook_path,
            "purpose": self.purpose,
            "purpose_required": self.purpose_required,
            "uses": [use.to_dict() for use in self.uses],
            "undeclared": [found.to_dict() for found in self.undeclared],
            "unknown": [found.to_dict() for found in self.unknown],
            "unreadable": [cell.to_dict() for cell in self.unreadable],
            "unresolved": [call.to_dict() for call in self.unresolved],
            "language": self.language,
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
    catalog: Sequence[Dataset] | None = None,
) -> DataCheck:
    """The data of the notebook at root-relative ``notebook_path`` (or ``nb``, its content)
    for ``purpose``; with ``enforce``, a refused use raises :class:`PolicyRefusedError`.
    The notebook is checked against ``catalog`` (default: every catalogued dataset): a caller
    that asks about one dataset passes it alone, and reads no catalog of thousands."""
    purpose = parse_purpose(purpose)
    found = scan(nb if nb is not None else project.read_notebook(notebook_path))
    if catalog is None:  # a project without a store has an empty catalog: no store is made
        catalog = list_datasets(project) if project.has_store() else []
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
        there = _holding(by_location, project_location(project, notebook_path, literal.value))
        for dataset in there:  # each is checked: the strictest decides
            _add(uses, dataset, "detected", literal, purpose)
        strictest = min(there, key=lambda dataset: _leniency(uses[dataset.name]), default=None)
        undeclared.append(literal._replace(dataset=strictest.name if strictest else None))
    # What the check cannot read could use any catalogued dataset.
    could_use = uses.values() if found.read_whole else catalog
    result = DataCheck(
        notebook_path,
        purpose,
        tuple(uses.values()),
        tuple(undeclared),
        tuple(unknown),
        purpose_required=any(_refusal(dataset, None) for dataset in could_use),
        unreadable=found.unreadable,
        unresolved=found.unresolved,
        language=found.language,
        unchecked_refused=_unchecked_refusal(found, catalog, purpose),
    )
    if enforce:
        result.refuse()
    return result


def _holding(by_location: Mapping[str, list[Dataset]], location: str) -> list[Dataset]:
    """The datasets at ``location`` and at each folder, or URL prefix ending at a ``/``,
    holding it: a file read inside a dataset catalogued as its folder (a partition of a
    table, ``data/customers/part-0.csv`` or ``s3://b/events/day=1/x.parquet``) uses it."""
    scheme, separator, rest = location.partition("://")
    base, parts = (f"{scheme}://", rest.split("/")) if separator else ("", location.split("/"))
    holders = [base + "/".join(parts[:end]) for end in range(len(parts), 0, -1)]
    return [dataset for holder in holders for dataset in by_location.get(holder, [])]


def _refusal(dataset: Dataset | DatasetUse, purpose: str | None) -> str | None:
    if isinstance(dataset, DatasetUse):
        return refusal(dataset.dataset, dataset.classification, dataset.purposes, purpose)
    spec = dataset.spec
    return refusal(spec.name, spec.classification, spec.purposes, purpose)


def _unchecked_refusal(
    found: NotebookData, catalog: Sequence[Dataset], purpose: str | None
) -> str | None:
    """Why what the check cannot read (a notebook not in Python, cells, data calls whose
    location is not known before the run) refuses the notebook: the catalog holds data the
    purpose may not use (the rule fails closed); ``None`` when it holds none."""
    withheld = [dataset for dataset in catalog if _refusal(dataset, purpose)]
    if found.read_whole or not withheld:
        return None
    shown = ", ".join(f"{d.name!r} ({d.spec.classification})" for d in withheld[:3])
    more = f" and {len(withheld) - 3} more" if len(withheld) > 3 else ""
    wanted = f"the purpose {purpose!r}" if purpose else "a run without a purpose"
    held = f"the catalog holds data {wanted} may not use: {shown}{more}"
    if found.language:
        return (
            f"The usage rule reads Python only, and this notebook's kernel language is "
            f"{found.language}: it cannot tell which data the notebook uses, and {held}. Give "
            "it a purpose all of them allow, or read the data in a Python notebook "
            '(nbtools.data.path("name")), which the rule can check.'
        )
    problems, advice = [], []
    if found.unreadable:
        where = ", ".join(
            f"cell {cell.cell + 1} (line {cell.line}: {cell.error})" for cell in found.unreadable
        )
        problems.append(f"cannot read {where} as Python, even as IPython reads it")
        advice.append("Correct the cell, or move what it does out of the notebook.")
    if found.unresolved:
        calls = ", ".join(
            f"{call.call} (cell {call.cell + 1}, line {call.line})" for call in found.unresolved[:3]
        )
        extra = len(found.unresolved) - 3
        calls += f" and {extra} more" if extra > 0 else ""
        verb = "reads" if len(found.unresolved) == 1 else "read"
        problems.append(f"cannot tell before the run what {calls} {verb}")
        advice.append(
            'Write the dataset\'s name (nbtools.data.path("name")) or the path as a literal, '
            "or in a name a simple assignment gives it."
        )
    return (
        f"The usage rule {' and '.join(problems)}, so it cannot tell which data the notebook "
        f"uses, and {held}. {' '.join(advice)}"
    )


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
    names the action refused (``job.create``, ``run.submit``, ``extract``...)."""
    result = check_notebook(project, notebook_path, purpose, enforce=False, nb=nb)
    if result.refusals():
        summary: dict[str, Any] = {
            "purpose": result.purpose,
            "refused": [use.dataset for use in result.refused],
        }
        if result.unchecked_refused:
            summary.update(_unchecked_cells(result))
        if during is not None:
            summary["during"] = during
        audit.record_now(
            project.store, actor, "policy.refuse", f"notebook {notebook_path}", summary
        )
        result.refuse()
    return result


def _unchecked_cells(result: DataCheck) -> dict[str, Any]:
    """What the check could not read, in the audit trail: the language, or the cells."""
    cells: dict[str, Any] = {"language": result.language} if result.language else {}
    if result.unreadable:
        cells["unreadable_cells"] = [cell.cell for cell in result.unreadable]
    if result.unresolved:
        cells["unresolved_cells"] = sorted({call.cell for call in result.unresolved})
    return cells


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
        _refusal(dataset, purpose),
    )
