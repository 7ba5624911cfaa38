"""Erasure support: every run, output file, job, extracted package and notebook version
derived from a dataset, and purging the run outputs (what a data-protection officer needs
for an access or erasure request).

:func:`usage_report` gathers them: the runs that used the dataset through ``nbtools.data``
(at run time), the jobs of those runs and the active jobs whose notebook names the dataset
(statically: ``nbtools.data.path("name")`` or a literal path at its location), the packages
extracted from a notebook version that names it, and the notebook versions those runs ran
and those packages came from.

A run is *derived from* a dataset when it read or wrote it through ``nbtools.data``
(``run_datasets``, stored when it ends; a queued or running run by the record of uses it
keeps in its output directory as it runs). Its output files (executed notebook, HTML) can
hold rows of the data in cell outputs, and its artifacts (a model trained on it) what was
derived from it; the notebook version it ran holds the code, not the data. Purging deletes
the output files and the artifacts (files and rows) of the ended runs and keeps the run rows
(the history of what happened, without the data), marked ``purged_at`` so that every view of
the run says its outputs were erased and when; it records ``dataset.purge`` in the audit
trail, and is idempotent (a run purged or pruned already is skipped). A run still running is
left, and named: its outputs are still being written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from nbtools import audit, versioning
from nbtools.config import DATA_USES_FILE
from nbtools.data.catalog import Dataset, get_dataset
from nbtools.data.check import check_notebook
from nbtools.data.fields import parse_name
from nbtools.data.tables import RunDatasetRecord
from nbtools.data.uses import uses_in_record
from nbtools.errors import NbtoolsError, NotFoundError
from nbtools.jobs import storage
from nbtools.jobs.copies import existing_copy
from nbtools.jobs.pinned import pinned_notebook
from nbtools.jobs.run_files import output_files
from nbtools.jobs.tables import QUEUED, RUNNING, Job, Run, runs_table
from nbtools.lineage.extraction import EXTRACTION
from nbtools.notebooks import Notebook
from nbtools.store import utcnow
from nbtools.versioning.tables import version_refs

if TYPE_CHECKING:
    from datetime import datetime

    from nbtools.project import Project


@dataclass(frozen=True)
class RunUsage:
    """A run derived from the dataset, with the files that may hold its data (none once
    its outputs were purged or pruned: then ``purged_at``/``pruned_at`` say when)."""

    run_id: int
    job_id: int | None
    mode: str
    status: str
    notebook_path: str
    notebook_version_id: int | None
    files: dict[str, str]
    purged_at: datetime | None
    pruned_at: datetime | None

    @property
    def ended(self) -> bool:
        """Whether the run has ended: a queued or running run's outputs are still to come."""
        return self.status not in (QUEUED, RUNNING)

    @property
    def erased(self) -> bool:
        """Whether the run's outputs were deleted already (a purge deletes only a copy it
        lists in ``files``, left behind)."""
        return self.purged_at is not None or self.pruned_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "job_id": self.job_id,
            "mode": self.mode,
            "status": self.status,
            "notebook_path": self.notebook_path,
            "notebook_version_id": self.notebook_version_id,
            "files": self.files,
            "purged_at": self.purged_at,
            "pruned_at": self.pruned_at,
        }


def dataset_usage(project: Project, name: str) -> list[RunUsage]:
    """The runs that read or wrote dataset ``name`` (also after it left the catalog), newest
    first, with their existing output files: the ended ones, and those still queued or
    running whose record of uses names it already (without files: theirs are to come). A name
    no dataset can have is refused."""
    parse_name(name)
    unfinished = _unfinished_usage(project, name)  # first: a run ending meanwhile is in both
    query = (
        select(RunDatasetRecord.mode, Run)
        .join(Run, Run.id == RunDatasetRecord.run_id)
        .where(RunDatasetRecord.dataset == name)
        .order_by(Run.id.desc(), RunDatasetRecord.mode)
    )
    with project.store.session() as session:
        rows = session.execute(query).all()
    usages = [_usage(run, mode, _files(project, run)) for mode, run in rows]
    stored = {usage.run_id for usage in usages}
    usages += [usage for usage in unfinished if usage.run_id not in stored]
    return sorted(usages, key=lambda usage: (-usage.run_id, usage.mode))


def _unfinished_usage(project: Project, name: str) -> list[RunUsage]:
    """The queued or running runs whose record of uses (``$NBTOOLS_DATA_USES``, in their
    output directory) names dataset ``name``: their uses are stored only when they end. Only
    a local output directory holds a record as the run goes (one on remote storage is written
    when the run ends, its record kept in the worker's scratch directory until then); a
    record this process cannot read (on another machine) names nothing."""
    with project.store.session() as session:
        runs = session.scalars(
            select(Run).where(Run.status.in_((QUEUED, RUNNING)), Run.output_dir.is_not(None))
        ).all()
    found = []
    for run in runs:
        record_file = storage.StoredFile(storage.join(run.output_dir or "", DATA_USES_FILE))
        if record_file.local_path is None:
            continue
        try:
            record = record_file.read_bytes()
        except (NbtoolsError, OSError):  # no use recorded yet, or not readable here
            continue
        modes = [use.mode for use in uses_in_record(record) if use.dataset == name]
        found += [_usage(run, mode, {}) for mode in modes]  # its files are still being written
    return found


def _usage(run: Run, mode: str, files: dict[str, str]) -> RunUsage:
    return RunUsage(
        run.id,
        run.job_id,
        mode,
        run.status,
        run.notebook_path,
        run.notebook_version_id,
        files,
        run.purged_at,
        run.pruned_at,
    )


def _files(project: Project, run: Run) -> dict[str, str]:
    """The run's output files, and the copy **Open output** made of its notebook (also one
    an erased run left behind)."""
    files = {kind: file.location for kind, file in output_files(run).items()}
    copy = existing_copy(project, run.notebook_path, run.id)
    return files if copy is None else {**files, "copy": str(copy)}


@dataclass(frozen=True)
class JobUsage:
    """A job whose runs used the dataset (``runs``) or whose notebook names it (``notebook``)."""

    job_id: int
    name: str
    notebook_path: str
    purpose: str | None
    archived: bool
    evidence: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "name": self.name,
            "notebook_path": self.notebook_path,
            "purpose": self.purpose,
            "archived": self.archived,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class PackageUsage:
    """A package extracted (``output``: its directory) from a version naming the dataset."""

    output: str
    notebook_path: str
    version_id: int
    version_number: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "notebook_path": self.notebook_path,
            "version_id": self.version_id,
            "version_number": self.version_number,
        }


@dataclass(frozen=True)
class VersionUsage:
    """A notebook version a run that used the dataset ran, or a package came from."""

    version_id: int
    notebook_path: str
    number: int
    evidence: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version_id": self.version_id,
            "notebook_path": self.notebook_path,
            "number": self.number,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class UsageReport:
    """Everything derived from dataset ``dataset`` that nbtools knows of."""

    dataset: str
    runs: list[RunUsage]
    jobs: list[JobUsage]
    packages: list[PackageUsage]
    versions: list[VersionUsage]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "runs": [run.to_dict() for run in self.runs],
            "jobs": [job.to_dict() for job in self.jobs],
            "packages": [package.to_dict() for package in self.packages],
            "versions": [version.to_dict() for version in self.versions],
        }


def _names(project: Project, path: str, nb: Notebook, name: str, catalog: list[Dataset]) -> bool:
    """Whether the notebook names dataset ``name`` (declared, or a path at its location):
    checked against ``catalog``, the dataset alone (empty when it is no longer catalogued)."""
    found = check_notebook(project, path, None, enforce=False, nb=nb, catalog=catalog)
    return any(use.dataset == name for use in found.uses) or any(
        unknown.value == name for unknown in found.unknown
    )


def _catalogued(project: Project, name: str) -> list[Dataset]:
    """Dataset ``name`` alone, or nothing when it is not (or no longer) catalogued."""
    try:
        return [get_dataset(project, name)]
    except NotFoundError:
        return []


def usage_report(project: Project, name: str) -> UsageReport:
    """The runs, jobs, packages and notebook versions derived from dataset ``name``. Each
    notebook the active jobs run (a path, or a pinned version of it) is read and checked
    once, against that dataset alone, however many jobs run it."""
    runs = dataset_usage(project, name)
    catalog = _catalogued(project, name)
    evidence: dict[int, set[str]] = {}
    with project.store.session() as session:
        run_jobs = {run.job_id for run in runs if run.job_id is not None}
        jobs = list(
            session.scalars(
                select(Job).where(Job.id.in_(run_jobs) | Job.archived_at.is_(None)).order_by(Job.id)
            )
        )
        extractions = list(
            session.execute(
                select(version_refs.c.ref, version_refs.c.version_id)
                .where(version_refs.c.kind == EXTRACTION)
                .order_by(version_refs.c.ref)
            ).tuples()
        )
    names: dict[tuple[str, int | None], bool] = {}
    for job in jobs:
        if job.id in run_jobs:
            evidence.setdefault(job.id, set()).add("runs")
        notebook = (job.notebook_path, job.pinned_version_id)
        if notebook not in names:
            names[notebook] = _notebook_names(project, *notebook, name, catalog)
        if names[notebook]:
            evidence.setdefault(job.id, set()).add("notebook")
    packages = []
    for output, version_id in extractions:
        version = versioning.get(project, version_id)
        nb = versioning.version_notebook(project, version)
        if _names(project, version.path, nb, name, catalog):
            packages.append(PackageUsage(output, version.path, version.id, version.number))
    return UsageReport(
        name,
        runs,
        [
            JobUsage(
                job.id,
                job.name,
                job.notebook_path,
                job.purpose,
                job.archived_at is not None,
                tuple(sorted(evidence[job.id])),
            )
            for job in jobs
            if job.id in evidence
        ],
        packages,
        _versions(project, runs, packages),
    )


def _notebook_names(
    project: Project, path: str, pinned: int | None, name: str, catalog: list[Dataset]
) -> bool:
    """Whether a job's notebook (``path``, or its ``pinned`` version) names dataset ``name``;
    False when it is gone or unreadable (then only the job's runs tell)."""
    try:
        nb = (
            pinned_notebook(project, path, pinned)
            if pinned is not None
            else project.read_notebook(path)
        )
    except NbtoolsError:
        return False
    return _names(project, path, nb, name, catalog)


def _versions(
    project: Project, runs: list[RunUsage], packages: list[PackageUsage]
) -> list[VersionUsage]:
    evidence: dict[int, list[str]] = {}
    for run in runs:
        if run.notebook_version_id is not None:
            evidence.setdefault(run.notebook_version_id, []).append(f"run {run.run_id}")
    for package in packages:
        evidence.setdefault(package.version_id, []).append(f"package {package.output}")
    found = []
    for version_id in sorted(evidence):
        try:
            version = versioning.get(project, version_id)
        except NbtoolsError:  # collected by version gc since
            continue
        found.append(
            VersionUsage(version.id, version.path, version.number, tuple(evidence[version_id]))
        )
    return found


@dataclass(frozen=True)
class Purge:
    """What a purge deleted: the runs whose outputs it erased (each marked ``purged_at``),
    their output files and copies, and their artifacts' files; and the runs still queued or
    running that used the dataset (``unfinished``), whose outputs it could not erase."""

    dataset: str
    runs: list[int]
    files: list[str]
    artifacts: list[str]
    unfinished: list[int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "runs": self.runs,
            "files": self.files,
            "artifacts": self.artifacts,
            "deleted": [*self.artifacts, *self.files],
            "unfinished": self.unfinished,
        }


def purge_outputs(project: Project, name: str, actor: str | None = None) -> Purge:
    """Delete the files every ended run derived from dataset ``name`` lists (its output files
    and the copy **Open output** made) and the artifacts of those whose outputs are still
    there, and mark these runs ``purged_at``; runs already purged or pruned stay as they are,
    so a second purge deletes nothing. Runs still queued or running that used it are left
    (their outputs are still being written) and named in ``unfinished``.

    The purge (and its audit entry) lists only what it erased itself: the files it deleted,
    the runs it marked. Of two purges of one dataset at once, the second lists the files the
    first left and the runs it marked first, nothing when the first erased everything."""
    from nbtools.artifacts.prune import delete_artifacts

    usages = dataset_usage(project, name)
    unfinished = sorted({usage.run_id for usage in usages if not usage.ended})
    run_ids = sorted({usage.run_id for usage in usages if usage.ended and not usage.erased})
    artifacts = delete_artifacts(project, run_ids) if run_ids else []
    locations = sorted({location for usage in usages for location in usage.files.values()})
    files = [location for location in locations if storage.delete(location)]
    erased: list[int] = []
    # marked once their files are gone (a failure half-way leaves them to purge), each by the
    # purge that marks it first, which alone lists it, in the transaction of its entry
    with project.store.connection(write=True) as connection:
        if run_ids:
            marked = connection.scalars(
                update(runs_table)
                .where(runs_table.c.id.in_(run_ids), runs_table.c.purged_at.is_(None))
                .values(purged_at=utcnow())
                .returning(runs_table.c.id)
            )
            erased = sorted(marked)
        summary: dict[str, Any] = {"files_deleted": len(files) + len(artifacts), "runs": erased}
        audit.record(
            connection,
            actor,
            "dataset.purge",
            f"dataset {name}",
            {**summary, "unfinished": unfinished} if unfinished else summary,
        )
    return Purge(name, erased, files, artifacts, unfinished)
