"""Whole numbers as people give them: every list's ``limit`` is refused in one wording."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtools import audit, data, jobs, metrics
from nbtools.errors import InvalidInputError
from nbtools.project import Project

#: Each list of the library, called with a limit, and the largest limit it takes.
LISTS: list[tuple[str, Callable[[Project, int], Any], int]] = [
    ("jobs overview", lambda p, n: jobs.dashboard(p, jobs.ListJobsQuery(limit=n)), jobs.MAX_PAGE),
    ("catalog", lambda p, n: data.page_datasets(p, limit=n), data.MAX_PAGE),
    ("catalog search", lambda p, n: data.search_datasets(p, "x", n), data.MAX_SEARCH_LIMIT),
    ("audit", lambda p, n: audit.list_entries(p, limit=n), audit.MAX_LIMIT),
    ("runs", lambda p, n: jobs.list_runs(p, limit=n), 1000),
    ("alerts", lambda p, n: metrics.list_alerts(p, limit=n), 1000),
    ("deliveries", lambda p, n: metrics.list_notifications(p, limit=n), 1000),
]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    opened = Project(tmp_path)
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("listed", "most"), [(c[1], c[2]) for c in LISTS], ids=[c[0] for c in LISTS]
)
def test_every_list_refuses_a_limit_out_of_its_range_in_one_wording(
    project: Project, listed: Callable[[Project, int], Any], most: int
) -> None:
    """The jobs overview, the catalog (and its search) and the audit trail said "The limit
    must be 1 to 200." where runs, alerts and deliveries said "limit must be a whole number
    from 1 to 1000, got 0.": every list refuses in the second wording (``check_limit``), naming
    ``limit``, and takes its largest limit."""
    for limit in (0, most + 1):
        with pytest.raises(InvalidInputError) as refused:
            listed(project, limit)
        assert (
            refused.value.message == f"limit must be a whole number from 1 to {most}, got {limit}."
        )
        assert refused.value.details["field"] == "limit"
    listed(project, most)
