"""A job's fields: their defaults, and the checks of a whole set of them, which name every
field refused in one error (:class:`~nbtools.errors.FieldChecks`)::

    from nbtools.jobs.fields import JOB_FIELDS, checked_fields

    fields = {"notebook_path": "nb.ipynb", "name": "12", "keep_runs": "lots"}
    checked_fields(project, fields, from_text=False)
    # InvalidInputError naming both: details {"field": "name", "errors": [{"field": "name",
    # "message": ...}, {"field": "keep_runs", "message": ...}]}

A one-off run of a notebook takes the job fields of :data:`RUN_FIELDS`, checked the same way
by :func:`checked_run_fields`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from nbtools.errors import FieldChecks, InvalidInputError
from nbtools.ids import MAX_INT_COLUMN
from nbtools.jobs.errors import InvalidParameterError
from nbtools.jobs.missed import MAX_CATCH_UP
from nbtools.jobs.pinned import check_pin
from nbtools.jobs.retention import parse_keep_runs
from nbtools.jobs.schedules import check_cron
from nbtools.jobs.submit import check_timeout, checked_parameters
from nbtools.jobs.tables import MISSED_CATCH_UP, MISSED_POLICIES, MISSED_RUN_ONCE
from nbtools.jobs.zones import check_timezone
from nbtools.jsonvalues import shown
from nbtools.text import check_name_text

if TYPE_CHECKING:
    from nbtools.project import Project

#: Fields a job can be created or edited with, and their defaults.
JOB_FIELDS: dict[str, Any] = {
    "name": None,
    "notebook_path": None,
    "parameters": {},
    "cron": None,
    "timezone": "UTC",
    "paused": False,
    "retries": 0,
    "retry_backoff_seconds": 60,
    "timeout_seconds": None,
    "cell_timeout_seconds": None,
    "max_concurrent": 1,
    "output_html": False,
    "missed_policy": MISSED_RUN_ONCE,
    "catch_up_limit": 10,
    "kernel_name": None,
    "pinned_version_id": None,
    "purpose": None,
    "keep_runs": None,
}

#: The fields of a one-off run of a notebook (``POST runs``): a job's, but its name, schedule
#: and retention.
RUN_FIELDS = (
    "notebook_path",
    "parameters",
    "kernel_name",
    "timeout_seconds",
    "cell_timeout_seconds",
    "output_html",
    "purpose",
)

#: The most retries a job may have: with its backoff doubling per attempt up to the
#: scheduler's ``max_retry_backoff_seconds`` (an hour by default), days of retrying.
MAX_RETRIES = 100
#: The longest job name (the column's width).
MAX_NAME = 200

#: The fields of a job that take null, each meaning what the OpenAPI file says (a name:
#: the notebook's; a cron: on demand; a timeout: none; ``keep_runs``: the project's); any
#: other field given null is refused, as JSON's null is no value of its type.
NULLABLE = frozenset(
    {
        "name",
        "cron",
        "timeout_seconds",
        "cell_timeout_seconds",
        "kernel_name",
        "pinned_version_id",
        "purpose",
        "keep_runs",
    }
)

#: The JSON type each job field must have (null only in :data:`NULLABLE`).
_FIELD_TYPES: dict[str, tuple[type, str]] = {
    "name": (str, "a string"),
    "parameters": (dict, "an object of parameter values"),
    "cron": (str, "a cron expression (a string)"),
    "timezone": (str, "an IANA time zone name (a string)"),
    "paused": (bool, "true or false"),
    "output_html": (bool, "true or false"),
    "missed_policy": (str, "a string"),
    "kernel_name": (str, "a kernel name (a string)"),
    "purpose": (str, "a purpose such as churn-model (a string)"),
}


def check_types(fields: dict[str, Any], checks: FieldChecks) -> None:
    """Refuse in ``checks`` each field of ``fields`` given with another JSON type than its
    own, or null where it takes none (:data:`NULLABLE`)."""
    for name, (kind, words) in _FIELD_TYPES.items():
        if name not in fields:  # a run's fields have no schedule
            continue
        value = fields[name]
        with checks.field():
            if not isinstance(value, kind) and (value is not None or name not in NULLABLE):
                raise InvalidInputError(f"{name} must be {words}, got {shown(value)}.", field=name)


def _check_int(name: str, value: Any, minimum: int, maximum: int = MAX_INT_COLUMN) -> int:
    """A whole-number field from ``minimum`` to ``maximum`` (by default what its ``Integer``
    column holds in every database: PostgreSQL refuses more)."""
    if type(value) is not int or not minimum <= value <= maximum:
        raise InvalidInputError(
            f"{name} must be a whole number from {minimum} to {maximum}, got {shown(value)}.",
            field=name,
        )
    return value


#: The whole-number fields of a job, and their bounds.
_WHOLE_NUMBERS = (
    ("retries", 0, MAX_RETRIES),
    ("retry_backoff_seconds", 0, MAX_INT_COLUMN),
    ("max_concurrent", 1, MAX_INT_COLUMN),
)


def checked_fields(
    project: Project,
    fields: dict[str, Any],
    *,
    from_text: bool,
    kept_zone: str | None = None,
    kept_name: str | None = None,
    pin_note: str = "",
    given: Collection[str] | None = None,
) -> dict[str, Any]:
    """Validate a full set of job fields; returns them normalized. An unknown field is refused
    at once; otherwise every field refused is named in one error (:class:`FieldChecks`), in
    the order checked here. ``given``: the fields the caller set (an edit's changed ones;
    default: all of ``fields``), which may not hold a setting the job's other fields make
    meaningless (:func:`_check_catch_up_limit`). ``kept_zone``: the timezone an edit leaves as stored, taken as it
    is (an older version's ``localtime``, see :mod:`nbtools.jobs.zones`); any timezone given is
    checked. ``kept_name``: the name an edit leaves as stored (an older version's number is
    kept). ``pin_note``: added to a refusal of the parameters (checked against a pinned
    version)."""
    unknown = sorted(set(fields) - set(JOB_FIELDS))
    if unknown:
        raise InvalidInputError(
            f"Unknown job field(s): {', '.join(unknown)}. Known: {', '.join(JOB_FIELDS)}.",
            field=unknown[0],
            fields=unknown,
        )
    checked = {**JOB_FIELDS, **fields}
    with FieldChecks() as checks:
        check_types(checked, checks)
        _check_path(checked, checks)
        with checks.field():
            checked["pinned_version_id"] = check_pin(checked["pinned_version_id"])
        _check_parameters(project, checked, checks, from_text, pin_note)
        if checked["cron"] is not None and not checks.refused("cron"):
            with checks.field():
                checked["cron"] = check_cron(str(checked["cron"]))
        if kept_zone is None and not checks.refused("timezone"):
            with checks.field():
                check_timezone(str(checked["timezone"]))
        for name, least, most in _WHOLE_NUMBERS:
            with checks.field():
                checked[name] = _check_int(name, checked[name], least, most)
        _check_timeouts(checked, checks)
        if not checks.refused("missed_policy"):
            with checks.field():
                _check_missed_policy(checked["missed_policy"])
        with checks.field():
            checked["catch_up_limit"] = _check_int(
                "catch_up_limit", checked["catch_up_limit"], 1, MAX_CATCH_UP
            )
        _check_catch_up_limit(checked, checks, fields if given is None else given)
        if checked["name"] is not None and not checks.refused("name"):
            with checks.field():
                checked["name"] = check_name(checked["name"].strip(), kept=kept_name)
        _check_kernel_name(checked, checks)
        with checks.field():
            checked["keep_runs"] = parse_keep_runs(checked["keep_runs"])
    checked["purpose"] = checked["purpose"] or None
    return checked


def checked_run_fields(
    project: Project, fields: dict[str, Any], *, from_text: bool = False
) -> dict[str, Any]:
    """Validate the fields of a one-off run (:data:`RUN_FIELDS`, a field missing or null takes
    a job's default) as :func:`checked_fields` checks a job's: every field refused is named in
    one error, in the same order; returns them normalized."""
    checked = {
        name: JOB_FIELDS[name] if fields.get(name) is None else fields[name] for name in RUN_FIELDS
    }
    checked["pinned_version_id"] = None
    with FieldChecks() as checks:
        check_types(checked, checks)
        _check_path(checked, checks)
        _check_parameters(project, checked, checks, from_text, "")
        _check_timeouts(checked, checks)
        _check_kernel_name(checked, checks)
    del checked["pinned_version_id"]
    checked["purpose"] = checked["purpose"] or None
    return checked


def _check_path(checked: dict[str, Any], checks: FieldChecks) -> None:
    """Refuse in ``checks`` a notebook path missing or not a string."""
    path = checked["notebook_path"]
    with checks.field():
        if not isinstance(path, str) or not path:
            raise InvalidInputError(
                "A job or a run needs the notebook's path (notebook_path).", field="notebook_path"
            )


def _check_parameters(
    project: Project, checked: dict[str, Any], checks: FieldChecks, from_text: bool, pin_note: str
) -> None:
    """Type the parameter values by the notebook's declarations, or refuse them in ``checks``
    (not read when the notebook's path, its pinned version or the values were refused)."""
    if not any(map(checks.refused, ("notebook_path", "pinned_version_id", "parameters"))):
        with checks.field():
            checked["parameters"] = _checked_parameters(project, checked, from_text, pin_note)


def _check_timeouts(checked: dict[str, Any], checks: FieldChecks) -> None:
    """Refuse in ``checks`` a run's or a cell's timeout that is no positive whole number."""
    for name in ("timeout_seconds", "cell_timeout_seconds"):
        with checks.field():
            checked[name] = check_timeout(checked[name], name)


def _checked_parameters(
    project: Project, checked: dict[str, Any], from_text: bool, pin_note: str
) -> dict[str, Any]:
    """The job's parameter values typed by the notebook's (or its pinned version's)
    ``parameters`` cell; a refusal says ``pin_note`` too."""
    try:
        return checked_parameters(
            project,
            checked["notebook_path"],
            dict(checked["parameters"] or {}),
            from_text=from_text,
            pinned_version_id=checked["pinned_version_id"],
        )
    except InvalidParameterError as error:
        if not pin_note:
            raise
        raise InvalidParameterError(f"{error.message} {pin_note}", **error.details) from None


def _check_missed_policy(policy: object) -> None:
    if policy not in MISSED_POLICIES:
        raise InvalidInputError(
            f"missed_policy must be one of {', '.join(MISSED_POLICIES)}, got {shown(policy)}.",
            field="missed_policy",
        )


def _check_catch_up_limit(
    checked: dict[str, Any], checks: FieldChecks, given: Collection[str]
) -> None:
    """Refuse in ``checks`` a catch-up limit ``given`` to a job whose missed-runs policy is not
    ``catch_up``: only that policy runs several missed times, so the limit would mean nothing."""
    policy = checked["missed_policy"]
    if "catch_up_limit" not in given or policy == MISSED_CATCH_UP:
        return
    if not checks.refused("missed_policy") and not checks.refused("catch_up_limit"):
        with checks.field():
            raise InvalidInputError(
                f"catch_up_limit counts only under the missed-runs policy {MISSED_CATCH_UP}, "
                f"and this job's is {policy}: give it the policy {MISSED_CATCH_UP} too, or no "
                "limit.",
                field="catch_up_limit",
                override="missed_policy",
            )


def _check_kernel_name(checked: dict[str, Any], checks: FieldChecks) -> None:
    if isinstance(checked["kernel_name"], str):
        with checks.field():
            check_name_text(checked["kernel_name"], "kernel_name", "A kernel's name")


def check_name(name: str, *, kept: str | None = None) -> str:
    """A job's name: some text (a job left without one takes its notebook's name), at most
    :data:`MAX_NAME` characters, refused rather than cut short, and not a number (the CLI
    takes a job by its id or its name, and reads a number as an id), without NUL, control
    characters or bidirectional controls (:func:`~nbtools.text.check_name_text`), unless it
    is ``kept``, the name an older version gave the job."""
    if not name:
        raise InvalidInputError(
            "A job's name cannot be empty (without a name, a new job is named after its notebook).",
            field="name",
        )
    if len(name) > MAX_NAME:
        raise InvalidInputError(
            f"A job's name has at most {MAX_NAME} characters; this one has {len(name)}.",
            field="name",
        )
    if name != kept:
        check_name_text(name, "name", "A job's name")
    if is_number(name) and name != kept:
        raise InvalidInputError(
            f"A job's name cannot be a number ({name!r}): commands take a job by its id "
            f"or its name, and read a number as an id. Add a word: 'report {name}'.",
            field="name",
        )
    return name


def is_number(name: str) -> bool:
    """Whether ``name`` is a whole number as the CLI reads a job's id."""
    return name.isascii() and name.isdigit()
