"""The papermill engine's hook into nbclient (``nbtools.jobs.engine``)."""

from __future__ import annotations

import inspect

from nbclient import NotebookClient


def test_the_kernel_check_the_engine_speeds_up_is_the_one_nbclient_runs_beside_each_cell() -> None:
    """The engine's client replaces nbclient's ``_async_poll_kernel_alive`` (a check every
    second) with one every 0.1 s; a newer nbclient that renamed or stopped running it would
    leave a timed-out or cancelled run ending up to a second late, silently, so this fails
    first. (How soon such a run ends is measured, not asserted: docs/jobs.md.)"""
    assert inspect.iscoroutinefunction(NotebookClient._async_poll_kernel_alive)
    assert "self._async_poll_kernel_alive()" in inspect.getsource(NotebookClient.async_execute_cell)
