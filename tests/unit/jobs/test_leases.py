"""Claims and leases on SQLite and PostgreSQL: who may start a run, renewals, expiry, limits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from nbtools.jobs import leases, runs
from nbtools.jobs.cancel import request_cancel
from nbtools.jobs.definitions import create_job
from nbtools.jobs.executors.base import Executor, RunRequest
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Run
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.clock import Clock
from tests.conftest import NotebookFactory
from tests.unit.jobs.conftest import stored
from tests.unit.jobs.test_run_views import counted


def test_a_claimed_run_goes_to_one_scheduler_and_only_its_token_starts_it(
    shared: Project,
) -> None:
    queued = [queue_run(shared, "nb.ipynb", {}).id for _ in range(5)]
    first, second = leases.Claimer("sched-a"), leases.Claimer("sched-b")
    now = utcnow()
    mine = leases.claim_due(shared.store, first, now, 30, limit=3)
    theirs = leases.claim_due(shared.store, second, now, 30, limit=10)
    assert list(mine) == queued[:3]
    assert list(theirs) == queued[3:]
    assert set(mine.values()).isdisjoint(theirs.values())

    run_id = queued[0]
    assert runs.claim(shared.store, run_id, "w1", token=theirs[queued[3]]) is None
    assert runs.claim(shared.store, run_id, "w1") is None  # claimed: no token, no start
    started = runs.claim(shared.store, run_id, "w1", token=mine[run_id], lease_seconds=5)
    assert started is not None
    assert (started.status, started.lease_owner) == ("running", mine[run_id])
    assert started.lease_expires_at is not None
    assert started.started_at is not None
    assert started.lease_expires_at == started.started_at + timedelta(seconds=5)


def test_an_expired_claim_is_taken_by_another_scheduler(shared: Project) -> None:
    run_id = queue_run(shared, "nb.ipynb", {}).id
    crashed, survivor = leases.Claimer("crashed"), leases.Claimer("survivor")
    now = utcnow()
    old_token = leases.claim_due(shared.store, crashed, now, 30, limit=1)[run_id]
    assert leases.claim_due(shared.store, survivor, now + timedelta(seconds=29), 30, 1) == {}
    new_token = leases.claim_due(shared.store, survivor, now + timedelta(seconds=31), 30, 1)
    assert list(new_token) == [run_id]
    assert runs.claim(shared.store, run_id, "late-worker", token=old_token) is None
    assert runs.claim(shared.store, run_id, "w2", token=new_token[run_id]) is not None


def test_renewed_claims_stay_with_their_scheduler(shared: Project) -> None:
    run_id = queue_run(shared, "nb.ipynb", {}).id
    owner, other = leases.Claimer("owner"), leases.Claimer("other")
    now = utcnow()
    token = leases.claim_due(shared.store, owner, now, 30, limit=1)[run_id]
    later = now + timedelta(seconds=25)
    assert leases.renew_claims(shared.store, {run_id: other.token()}, later, 30) == 0
    assert leases.renew_claims(shared.store, {run_id: token}, later, 30) == 1
    assert leases.claim_due(shared.store, other, now + timedelta(seconds=40), 30, 1) == {}


def test_job_limits_count_claimed_and_running_runs(shared: Project) -> None:
    job = create_job(shared, {"notebook_path": "nb.ipynb", "max_concurrent": 2})
    queued = [queue_run(shared, "nb.ipynb", {}, job=job).id for _ in range(4)]
    now = utcnow()
    first = leases.claim_due(shared.store, leases.Claimer("a"), now, 30, limit=1)
    runs.claim(shared.store, queued[0], "w", token=first[queued[0]])
    second = leases.claim_due(shared.store, leases.Claimer("b"), now, 30, limit=10)
    assert list(second) == [queued[1]]  # one running + one claimed = the job's limit
    assert leases.claim_due(shared.store, leases.Claimer("c"), now, 30, limit=10) == {}


def test_heartbeats_renew_the_lease_and_tell_a_worker_it_lost_the_run(shared: Project) -> None:
    run_id = queue_run(shared, "nb.ipynb", {}).id
    started = runs.claim(shared.store, run_id, "w1", lease_seconds=2)
    assert started is not None
    assert started.lease_expires_at is not None
    progress = runs.Progress(cells_total=1)
    assert runs.heartbeat(shared.store, run_id, "w1", progress, 60) == runs.CONTINUE
    renewed = stored(shared, run_id)
    assert renewed.lease_expires_at is not None
    assert renewed.lease_expires_at > started.lease_expires_at + timedelta(seconds=50)

    # The lease expires without heartbeats (the clock jumps): the reaper ends the run.
    reaper_clock = renewed.lease_expires_at + timedelta(seconds=1)
    assert Scheduler(shared, clock=lambda: reaper_clock).tick().reaped == [run_id]
    ended = stored(shared, run_id)
    assert (ended.status, ended.error_name) == ("failed", "WorkerLost")
    assert "stopped responding" in (ended.error_message or "")
    assert runs.heartbeat(shared.store, run_id, "w1", progress) == runs.STOP_LEASE_LOST


def test_a_healthy_lease_is_never_reaped(shared: Project) -> None:
    run_id = queue_run(shared, "nb.ipynb", {}).id
    runs.claim(shared.store, run_id, "w1", lease_seconds=30)
    scheduler = Scheduler(shared, clock=utcnow)
    for _ in range(3):
        runs.heartbeat(shared.store, run_id, "w1", runs.Progress(), 30)
        assert scheduler.tick().reaped == []
    assert stored(shared, run_id).status == "running"


def test_a_run_queued_under_a_claim_is_left_to_its_caller(shared: Project) -> None:
    token = leases.Claimer("cli").token()
    run_id = queue_run(shared, "nb.ipynb", {}, claim=token).id
    assert leases.claim_due(shared.store, leases.Claimer("s"), utcnow(), 30, limit=5) == {}
    assert runs.claim(shared.store, run_id, "cli-worker", token=token) is not None


def test_with_nothing_to_claim_a_claim_only_reads(shared: Project) -> None:
    """A scheduler ticks at every queued or finished run: when nothing is claimable (here a
    run left to its caller's claim) it must not take SQLite's write lock, which submitters
    and workers wait for."""
    queue_run(shared, "nb.ipynb", {}, claim=leases.Claimer("cli").token())
    with counted(shared) as statements:
        assert leases.claim_due(shared.store, leases.Claimer("s"), utcnow(), 30, limit=5) == {}
    written = [s for s in statements if s.startswith(("BEGIN IMMEDIATE", "UPDATE", "INSERT"))]
    assert written == []
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


class HoldingExecutor(Executor):
    """A pool with no free worker for a while: what it is given waits in it, claimed."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.held: set[int] = set()

    def start(self) -> None:
        pass

    def submit(self, request: RunRequest) -> None:
        self.held.add(request.run_id)

    def pending(self) -> set[int]:
        return set(self.held)

    def shutdown(self) -> None:
        pass


def test_claims_waiting_in_the_executor_are_renewed_every_third_of_a_lease(
    shared: Project,
) -> None:
    """Not at every tick (each renewal is a write), yet never let lapse."""
    run_id = queue_run(shared, "nb.ipynb", {}).id
    start = utcnow()
    clock = Clock(start)
    scheduler = Scheduler(shared, HoldingExecutor(1), clock=clock, lease_seconds=30)
    assert scheduler.tick().submitted == [run_id]
    claimed = stored(shared, run_id).lease_expires_at
    assert claimed is not None
    clock.now = start + timedelta(seconds=9)
    with counted(shared) as statements:
        scheduler.tick()
    assert not [s for s in statements if s.startswith("UPDATE")]
    assert stored(shared, run_id).lease_expires_at == claimed
    for seconds in range(10, 120, 3):
        clock.now = start + timedelta(seconds=seconds)
        scheduler.tick()
        expires = stored(shared, run_id).lease_expires_at
        assert expires is not None
        assert expires - clock.now >= timedelta(seconds=30 - 10 - 3)
    assert stored(shared, run_id).lease_expires_at == start + timedelta(seconds=118 + 30)
    assert stored(shared, run_id).lease_owner is not None


def test_a_scheduler_that_lost_its_claim_never_renews_the_claim_of_the_next(
    shared: Project,
) -> None:
    """Scheduler A's claim lapsed while the run waited in its executor (A paused for longer
    than a lease), and B claimed the run. A renewed claims by run id: it extended B's claim,
    which would then outlive B (a run stuck claimed by a scheduler gone). It renews only the
    claims it holds."""
    run_id = queue_run(shared, "nb.ipynb", {}).id
    start = utcnow()
    clock_a, clock_b = Clock(start), Clock(start)
    first = Scheduler(shared, HoldingExecutor(1), clock=clock_a, lease_seconds=30)
    second = Scheduler(shared, HoldingExecutor(1), clock=clock_b, lease_seconds=30)
    assert first.tick().submitted == [run_id]
    clock_b.now = start + timedelta(seconds=31)  # A's claim has expired: B claims the run
    assert second.tick().submitted == [run_id]
    taken = stored(shared, run_id)
    assert (taken.lease_owner or "").startswith(f"{second.claimer.owner}/")

    clock_a.now = start + timedelta(seconds=40)  # A's time to renew what it was given
    first.tick()
    kept = stored(shared, run_id)
    assert (kept.lease_owner, kept.lease_expires_at) == (taken.lease_owner, taken.lease_expires_at)
    clock_b.now = start + timedelta(seconds=45)  # B renews its own
    second.tick()
    assert stored(shared, run_id).lease_expires_at == clock_b.now + timedelta(seconds=30)


def test_cancelled_and_future_runs_are_not_claimed(shared: Project) -> None:
    cancelled = queue_run(shared, "nb.ipynb", {}).id
    request_cancel(shared.store, cancelled)
    with shared.store.session(write=True) as session:
        later = runs.new_run(
            None,
            trigger="retry",
            notebook_path="nb.ipynb",
            not_before=utcnow() + timedelta(minutes=5),
        )
        session.add(later)
    claimer = leases.Claimer("s")
    assert leases.claim_due(shared.store, claimer, utcnow(), 30, limit=5) == {}
    due = leases.claim_due(shared.store, claimer, utcnow() + timedelta(minutes=6), 30, limit=5)
    with shared.store.session() as session:
        assert list(due) == list(session.scalars(select(Run.id).where(Run.trigger == "retry")))


def test_on_postgres_a_claimer_skips_rows_another_holds_instead_of_waiting(
    postgres_url: str, tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    project = Project(tmp_path, db_url=postgres_url)
    try:
        first, second = (queue_run(project, "nb.ipynb", {}).id for _ in range(2))
        with project.store.session(write=True) as holder:  # another scheduler, mid-claim
            holder.execute(select(Run.id).where(Run.id == first).with_for_update())
            claimed = leases.claim_due(project.store, leases.Claimer("b"), utcnow(), 30, 5)
            assert list(claimed) == [second]
    finally:
        project.close()
