"""Run retention: which ended runs have expired, and pruning them.

::

    from nbtools.jobs.retention import prune_runs, parse_keep_runs

    parse_keep_runs("30d")                   # "30d"; parse_keep_runs(10) -> "10"
    report = prune_runs(project, older_than_days=30, keep=5, dry_run=True)
    report.to_dict()                         # {"dry_run": True, "runs": [{"id", "reason"}], ...}

A run expires by the first of these rules that applies (docs/governance.md):

1. its job's ``keep_runs`` (else the project's ``JobsSettings.keep_runs``): ``"N"`` keeps the
   newest N ended runs of the job, an age (``"30d"``, ``"12w"``, ``"1y"``) keeps the runs that
   ended within it; runs without a job are grouped by notebook and follow the project's rule;
2. the rule given by hand (``nbtools runs prune --older-than 30d --keep N``): runs that ended
   before the age and, with ``keep``, are not among the newest N of their job or notebook;
3. the subscribers' rules (:func:`nbtools.jobs.events.runs_expiring`): the data catalog
   expires every run that used a dataset once the dataset's retention has passed.

A service's minutes (the runs of a job with ``service``, :mod:`nbtools.serve.recorder`) follow
their job's own ``keep_runs`` alone of rules 1 and 2: they keep no outputs, so the project's
rule and the one given by hand, which are about outputs, would only delete the service's
metric series. Rule 3 expires them as any run.

Never pruned: a queued or running run, or one already pruned. Rules 1 and 2 keep the newest
succeeded run of each job (or job-less notebook): it is the job's current result, the
production environment ``/env/last-run`` reports and what a reproduction starts from. Rule 3
(a legal limit set by the data's owner) expires it all the same.

Pruning a run deletes its output directory (executed notebook, HTML) and marks the row
``pruned_at``; the row stays as history (who ran what, when, with which status and datasets).
Then every copy **Open output** made of a pruned or purged run's notebook is deleted
(:func:`nbtools.jobs.copies.delete_erased_copies`: also copies an earlier prune left).
Subscribers of :func:`~nbtools.jobs.events.runs_pruned` then drop what they keep for the run
(harvested metrics, artifact rows and downloaded copies, the reference that keeps its
notebook version from ``version gc``) and
the audit trail records ``runs.prune``. Runs are pruned in batches of :data:`PRUNE_BATCH`:
each batch is claimed by one atomic update (one write transaction) before its files are
touched, so two pruners at once (threads, processes, schedulers on one PostgreSQL) prune each
run exactly once and neither fails; subscribers and the audit trail hear of each batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import func, select, update

from nbtools.durations import AGE, age_days, older_than
from nbtools.errors import InvalidInputError
from nbtools.jobs import events
from nbtools.jobs.copies import delete_erased_copies
from nbtools.jobs.run_files import run_dir
from nbtools.jobs.storage import remove_tree
from nbtools.jobs.tables import ENDED_STATES, SUCCEEDED, Job, Run
from nbtools.store.base import utcnow

if TYPE_CHECKING:
    from nbtools.project import Project

#: Runs pruned in one write transaction (one UPDATE, one commit) and told to the
#: ``runs_pruned`` subscribers at once.
PRUNE_BATCH = 500
#: The most runs ``keep`` may name (and the longest count a ``keep_runs`` may hold).
MAX_KEEP = 1_000_000


def parse_keep_runs(value: object, field: str = "keep_runs") -> str | None:
    """A ``keep_runs`` setting in its stored form: a count (``10`` or ``"10"`` → ``"10"``) or
    an age (``"30d"``); ``None`` or ``""`` for none."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= MAX_KEEP:
            raise InvalidInputError(
                f"{field} must keep 1 to {MAX_KEEP} runs, got {value}.",
                field=field,
                reason=f"it keeps 1 to {MAX_KEEP} runs",
            )
        return str(value)
    if not isinstance(value, str) or not AGE.match(value):
        raise InvalidInputError(
            f"{field} must be a number of runs (10) or an age (30d, 12w, 1y), not {value!r:.40}.",
            field=field,
        )
    return value


class _Ended(NamedTuple):
    id: int
    job_id: int | None
    notebook_path: str
    status: str
    ended_at: datetime


@dataclass
class PruneReport:
    """The runs a prune expired (``dry_run``: would expire) and why; ``pruned`` those this
    call pruned itself (another pruner may have taken some)."""

    dry_run: bool
    expired: dict[int, str] = field(default_factory=dict)
    pruned: list[int] = field(default_factory=list)
    #: The copies **Open output** made of erased runs' notebooks that this call deleted.
    copies: list[str] = field(default_factory=list)
    #: Expired runs left for a later prune (beyond the call's ``limit``).
    remaining: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "runs": [{"id": i, "reason": r} for i, r in sorted(self.expired.items())],
            "pruned": self.pruned,
            "copies": self.copies,
        }


def _expires(setting: str, position: int, ended_at: datetime, now: datetime) -> bool:
    if setting.isdigit():
        return position >= int(setting)
    return older_than(ended_at, age_days(setting, "keep_runs"), now)


def expired_runs(
    project: Project,
    now: datetime,
    *,
    older_than_days: int | None = None,
    keep: int | None = None,
    default_keep: str | None = None,
) -> dict[int, str]:
    """Run id → why it expired, by the module's rules."""
    with project.store.session() as session:
        ended = [
            _Ended(*row)
            for row in session.execute(
                select(
                    Run.id,
                    Run.job_id,
                    Run.notebook_path,
                    Run.status,
                    func.coalesce(Run.finished_at, Run.created_at),
                ).where(Run.status.in_(ENDED_STATES), Run.pruned_at.is_(None))
            )
        ]
        jobs = session.execute(select(Job.id, Job.keep_runs, Job.service)).tuples().all()
        legal = events.runs_expiring(events.RunsExpiring(session, now))
    groups: dict[tuple[int | None, str], list[_Ended]] = defaultdict(list)
    for run in ended:
        groups[(run.job_id, "") if run.job_id is not None else (None, run.notebook_path)].append(
            run
        )
    settings = {job_id: keep_runs for job_id, keep_runs, _ in jobs}
    services = {job_id for job_id, _, service in jobs if service}
    expired: dict[int, str] = {}
    for (job_id, _), runs in groups.items():
        runs.sort(key=lambda run: (run.ended_at, run.id), reverse=True)
        latest_success = next((run.id for run in runs if run.status == SUCCEEDED), None)
        service = job_id in services  # its own keep_runs alone: see the module's docstring
        own = settings.get(job_id) if job_id is not None else None
        setting = own or (None if service else default_keep)
        for position, run in enumerate(runs):
            if run.id == latest_success:
                continue
            if setting and _expires(setting, position, run.ended_at, now):
                expired[run.id] = f"keep_runs {setting}"
            elif not service and (older_than_days is not None or keep is not None):
                old = older_than_days is None or older_than(run.ended_at, older_than_days, now)
                if old and (keep is None or position >= keep):
                    expired[run.id] = _manual_reason(older_than_days, keep)
    ended_ids = {run.id for run in ended}
    expired.update({i: reason for i, reason in legal.items() if i in ended_ids})
    return expired


def _manual_reason(older_than_days: int | None, keep: int | None) -> str:
    parts = [f"older than {older_than_days}d"] if older_than_days is not None else []
    return " and ".join([*parts, *([f"beyond the newest {keep}"] if keep is not None else [])])


def prune_runs(
    project: Project,
    *,
    older_than_days: int | None = None,
    keep: int | None = None,
    default_keep: str | None = None,
    dry_run: bool = False,
    actor: str | None = None,
    trigger: str = "manual",
    now: datetime | None = None,
    limit: int | None = None,
) -> PruneReport:
    """Prune the expired runs (with ``dry_run``, only find them: nothing changes): at most
    ``limit`` of them, the oldest first (None: all; ``remaining`` counts the others), in
    batches of :data:`PRUNE_BATCH`, each one write transaction, then told to the
    ``runs_pruned`` subscribers (one audit entry per batch)."""
    if keep is not None and not 0 <= keep <= MAX_KEEP:
        raise InvalidInputError(f"keep must be 0 to {MAX_KEEP}, got {keep}.", field="keep")
    if older_than_days is not None and older_than_days < 0:
        raise InvalidInputError("older_than must not be negative.", field="older_than")
    moment = now or utcnow()
    report = PruneReport(dry_run)
    report.expired = expired_runs(
        project,
        moment,
        older_than_days=older_than_days,
        keep=keep,
        default_keep=default_keep,
    )
    if dry_run:
        return report
    due = sorted(report.expired)
    if limit is not None:
        due, report.remaining = due[:limit], max(0, len(due) - limit)
    for start in range(0, len(due), PRUNE_BATCH):
        pruned = _prune_batch(project, due[start : start + PRUNE_BATCH], moment)
        report.pruned += pruned
        if pruned:
            summary = {
                "trigger": trigger,
                "runs": pruned,
                "reasons": sorted({report.expired[i] for i in pruned}),
            }
            events.runs_pruned(events.RunsPruned(project, pruned, actor, summary))
    report.copies = delete_erased_copies(project)
    return report


def _prune_batch(project: Project, run_ids: list[int], now: datetime) -> list[int]:
    """Claim the runs (one atomic update: only one pruner wins each run) and delete their
    outputs in the claiming transaction, so a failure leaves the batch unpruned for the next
    prune. Returns the runs this call claimed."""
    with project.store.session(write=True) as session:
        claimed = session.execute(
            update(Run)
            .where(Run.id.in_(run_ids), Run.pruned_at.is_(None), Run.status.in_(ENDED_STATES))
            .values(pruned_at=now)
            .returning(Run.id, Run.output_dir)
        ).all()
        for run_id, output_dir in claimed:
            for location in _locations(project, run_id, output_dir):
                remove_tree(location)
    return sorted(run_id for run_id, _ in claimed)


def _locations(project: Project, run_id: int, output_dir: str | None) -> Iterable[str]:
    """The run's output directory, and its local one under the store when that differs."""
    local = str(run_dir(project, run_id))
    return [output_dir, local] if output_dir and output_dir != local else [local]
