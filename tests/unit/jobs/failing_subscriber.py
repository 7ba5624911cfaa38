"""A subscriber module whose every event fails (tests/unit/jobs/test_events.py)."""

from __future__ import annotations

from collections.abc import Callable

from nbtools.jobs.events import RunFinished, RunFinishing, RunStarted


def run_started(event: RunStarted) -> dict[str, object]:
    raise RuntimeError("run_started broke")


def run_finishing(event: RunFinishing) -> Callable[[RunFinished], None]:
    def inside(finished: RunFinished) -> None:
        from sqlalchemy import text

        finished.session.execute(text("UPDATE runs SET worker = 'spoiled'"))
        raise RuntimeError("run_finished broke")

    return inside
