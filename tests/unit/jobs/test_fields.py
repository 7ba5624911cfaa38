"""A job's fields are checked all at once: one error names every field refused
(nbtools/jobs/fields.py, nbtools.errors.FieldChecks)."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from nbtools import jobs
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.jobs.errors import InvalidParameterError
from nbtools.jobs.tables import Job
from nbtools.project import Project

NAME = "A job's name cannot be a number ('12')"
KEEP = "keep_runs must be a number of runs (10) or an age (30d, 12w, 1y), not 'lots'."
RETRIES = "retries must be a whole number from 0 to 100, got 500."


def stored(project: Project) -> list[tuple[int, str, str | None]]:
    with project.store.session() as session:
        return [(job.id, job.name, job.keep_runs) for job in session.scalars(select(Job))]


def refused(project: Project, fields: dict[str, Any], job_id: int | None = None) -> Any:
    """The error creating a job of ``nb.ipynb`` with ``fields`` (or editing job ``job_id``)
    raises; nothing is stored meanwhile."""
    before = stored(project)
    save = partial(jobs.create_job, project, {"notebook_path": "nb.ipynb", **fields})
    if job_id is not None:
        save = partial(jobs.update_job, project, job_id, fields)
    with pytest.raises(InvalidInputError) as info:
        save()
    assert stored(project) == before
    return info.value


def test_every_field_refused_is_named_in_one_error(project: Project, notebook: str) -> None:
    """A name that is a number, keep_runs "lots" and 500 retries were refused one at a time:
    the user learnt of the next only once the first was corrected."""
    error = refused(project, {"name": "12", "keep_runs": "lots", "retries": 500})
    assert type(error) is InvalidInputError
    assert [entry["field"] for entry in error.details["errors"]] == ["retries", "name", "keep_runs"]
    assert error.details["field"] == "retries"  # the first, as a client reading one expects
    messages = [entry["message"] for entry in error.details["errors"]]
    assert messages[0] == RETRIES
    assert messages[1].startswith(NAME)
    assert messages[2] == KEEP
    assert error.message == " ".join(messages)


def test_an_edit_names_every_field_refused_and_changes_nothing(
    project: Project, notebook: str
) -> None:
    job = jobs.create_job(project, {"notebook_path": notebook, "name": "nightly"})
    error = refused(project, {"name": "12", "keep_runs": "lots"}, job.id)
    assert [entry["field"] for entry in error.details["errors"]] == ["name", "keep_runs"]
    assert error.details["field"] == "name"


def test_one_field_refused_is_its_own_error(project: Project, notebook: str) -> None:
    error = refused(project, {"keep_runs": "lots"})
    assert error.to_dict() == {
        "error": "InvalidInputError",
        "message": KEEP,
        "details": {"field": "keep_runs"},
    }


def test_a_field_of_the_wrong_type_is_named_once(project: Project, notebook: str) -> None:
    """A type refused is not checked again for its value (one line per field)."""
    error = refused(project, {"cron": 5, "missed_policy": ["skip"], "name": 12})
    assert [entry["field"] for entry in error.details["errors"]] == [
        "name",
        "cron",
        "missed_policy",
    ]


def test_the_first_refusal_gives_the_error_its_class_and_details(
    project: Project, notebook: str
) -> None:
    """A parameter refused first: the error is an InvalidParameterError naming it, as one
    refusal alone would be; each entry keeps its own details."""
    error = refused(project, {"parameters": {"m": 1}, "keep_runs": "lots"})
    assert type(error) is InvalidParameterError
    first, second = error.details["errors"]
    unknown = {"field": "parameters", "parameter": "m", "valid": ["n"]}
    assert first == {**unknown, "message": "Unknown parameter 'm'. Valid parameters: n."}
    assert second == {"field": "keep_runs", "message": KEEP}
    assert error.details == {**unknown, "errors": [first, second]}


def test_a_notebook_not_found_ends_the_checks_at_once(project: Project) -> None:
    """Not an invalid field (404): raised as it is, with no list."""
    with pytest.raises(NotFoundError) as info:
        jobs.create_job(project, {"notebook_path": "gone.ipynb", "keep_runs": "lots"})
    assert "errors" not in info.value.details


def test_a_one_off_run_names_every_field_refused_and_queues_nothing(
    project: Project, notebook: str
) -> None:
    """A run's fields are checked by the jobs' checks, all at once (checked_run_fields)."""
    with pytest.raises(InvalidInputError) as info:
        jobs.run_notebook(
            project, notebook, {}, timeout_seconds=0, cell_timeout_seconds=-1, purpose=7
        )
    error = info.value
    assert [entry["field"] for entry in error.details["errors"]] == [
        "purpose",
        "timeout_seconds",
        "cell_timeout_seconds",
    ]
    assert error.details["field"] == "purpose"
    assert jobs.list_runs(project) == []


def test_null_is_refused_where_a_field_takes_none_and_values_are_shown_as_json(
    project: Project, notebook: str
) -> None:
    """``timezone: null`` said "Unknown timezone 'None'", the whole numbers "got None",
    ``paused: null`` was taken as false; a value is shown as the request sent it (null, true,
    "text", ["a"]), never as Python writes it (None, True, 'text')."""
    error = refused(
        project,
        {
            "timezone": None,
            "paused": None,
            "output_html": None,
            "parameters": None,
            "retries": None,
            "max_concurrent": True,
            "missed_policy": None,
            "catch_up_limit": None,
        },
    )
    assert [(entry["field"], entry["message"]) for entry in error.details["errors"]] == [
        ("parameters", "parameters must be an object of parameter values, got null."),
        ("timezone", "timezone must be an IANA time zone name (a string), got null."),
        ("paused", "paused must be true or false, got null."),
        ("output_html", "output_html must be true or false, got null."),
        ("missed_policy", "missed_policy must be a string, got null."),
        ("retries", "retries must be a whole number from 0 to 100, got null."),
        ("max_concurrent", "max_concurrent must be a whole number from 1 to 2147483647, got true."),
        ("catch_up_limit", "catch_up_limit must be a whole number from 1 to 1000, got null."),
    ]
    job = jobs.create_job(project, {"notebook_path": notebook, "name": None, "cron": None})
    assert refused(project, {"paused": None}, job.id).message == (
        "paused must be true or false, got null."
    )
    typed = refused(project, {"parameters": {"n": ["a"]}})
    assert typed.message.endswith('got ["a"].')
