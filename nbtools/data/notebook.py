"""``nbtools.data.path(name)`` and ``nbtools.data.open(name)``: a notebook's declared data.

``path`` looks the dataset up in the project's catalog and returns what to read: the absolute
path of a location inside the project root, or its URL. In a job run it appends the use to the
run's record, the file ``$NBTOOLS_DATA_USES`` names (one JSON object a line), which the run's
end reads: a cell cannot hide it as it can hide an output (``%%capture``, ``clear_output()``).
It also shows the use as an output of the MIME type :data:`USE_MIME` (with a ``text/plain``
line, so any frontend shows it), which the run's end reads too (``mode="w"`` marks an output
dataset). When the kernel's purpose (``$NBTOOLS_PURPOSE``, set for job runs) is not allowed
by the dataset, a job run's kernel (one given ``$NBTOOLS_DATA_USES``) appends the refused use
to the run's record (with ``refused``: why, which the run's end audits; a record that cannot
be written, the kernel enters the refusal in the audit trail itself) and raises
:class:`~nbtools.errors.PolicyRefusedError` with the text a job would be refused with, so the
rule holds from the moment the catalog changes; an interactive kernel or a script warns with
that text (:class:`DataUseWarning`).

In a call of a served package (:mod:`nbtools.serve`) the use goes to the call's
:data:`USE_SINK` instead: it is checked against the service's purpose, and a use the purpose
does not allow raises :class:`~nbtools.errors.PolicyRefusedError` (the call fails); the
service keeps the others with its minutes of traffic, as a run keeps its uses. Elsewhere in
a served process (a thread a function started) the use goes to the process's sink
(:func:`hold_process_uses`), checked against the same purpose.

The project is found by :func:`nbtools.project.project_from_environment` (``$NBTOOLS_ROOT``
or the nearest ``.nbtools/`` above the working directory). This module imports only the
standard library until a dataset is looked up.
"""

from __future__ import annotations

import os
import warnings
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from nbtools.config import DATA_USES_VARIABLE, PURPOSE_VARIABLE, RUN_ID_VARIABLE
from nbtools.data.policy import refusal
from nbtools.urls import without_login

if TYPE_CHECKING:
    from fsspec.core import OpenFile

    from nbtools.data.catalog import Dataset

USE_MIME = "application/vnd.nbtools.data-use+json"
MODES = {"r": "read", "w": "write"}


class DataUseWarning(UserWarning):
    """A dataset is used outside its allowed purposes (a job would be refused)."""


class UseSink(Protocol):
    """Where a served call's uses go: ``purpose`` is the service's; :meth:`take` is given
    each use and why the purpose refuses it (None: allowed), and raises when it does."""

    purpose: str | None

    def take(self, use: dict[str, str], refused: str | None) -> None: ...


#: The sink of the call being served (set by :mod:`nbtools.serve` for one request), unset
#: elsewhere: a kernel or a script warns and records as above.
USE_SINK: ContextVar[UseSink | None] = ContextVar("nbtools_use_sink", default=None)

#: The sink of a served process's uses outside any call (:func:`hold_process_uses`): in the
#: threads a served function or the package's code starts, which do not inherit
#: :data:`USE_SINK` (a new thread starts with an empty context). None outside a service.
_process_sink: UseSink | None = None


def hold_process_uses(sink: UseSink | None) -> None:
    """From now on, this process's uses that no call's :data:`USE_SINK` takes go to
    ``sink`` (None: none, as in a script)."""
    global _process_sink
    _process_sink = sink


def path(name: str, mode: str = "r") -> str:
    """The location of dataset ``name`` (an absolute path or a URL), recording the use:
    ``mode="r"`` reads it (an input of the run), ``mode="w"`` writes it (an output)."""
    if mode not in MODES:
        from nbtools.errors import InvalidInputError

        raise InvalidInputError(f"mode must be 'r' or 'w', not {mode!r}.", field="mode")
    dataset, url = _lookup(name)
    sink = USE_SINK.get() or _process_sink
    purpose = sink.purpose if sink is not None else os.environ.get(PURPOSE_VARIABLE) or None
    problem = refusal(name, dataset.spec.classification, dataset.spec.purposes, purpose)
    use = {
        "dataset": name,
        "dataset_uid": dataset.uid,
        "mode": MODES[mode],
        "classification": dataset.spec.classification,
        "location": without_login(dataset.spec.location),
    }
    if sink is not None:
        sink.take(use, problem)
        return url
    if problem is not None and os.environ.get(DATA_USES_VARIABLE):
        _record_refusal({**use, "refused": problem})
        from nbtools.errors import PolicyRefusedError

        raise PolicyRefusedError(
            problem, dataset=name, classification=use["classification"], purpose=purpose
        )
    if problem is not None:
        warnings.warn(problem, DataUseWarning, stacklevel=2)
    _record(use)
    _show(
        use,
        f"data {MODES[mode]}: {name} ({dataset.spec.classification}) at {without_login(url)}",
    )
    return url


def open(name: str, mode: str = "rb", **options: Any) -> OpenFile:
    """Dataset ``name`` opened with fsspec (``with nbtools.data.open("x") as f: ...``); a
    mode with ``w``, ``a`` or ``x`` records a write, any other a read."""
    import fsspec

    writes = any(flag in mode for flag in "wax")
    return fsspec.open(path(name, "w" if writes else "r"), mode, **options)


def _lookup(name: str) -> tuple[Dataset, str]:
    from nbtools.data.catalog import data_url, get_dataset
    from nbtools.project import project_from_environment

    project = project_from_environment()
    dataset = get_dataset(project, name)
    return dataset, data_url(project, dataset.spec.location)


#: The ``(record, dataset, mode, refused)`` this process appended already: a loop calling
#: ``path`` for each row grows the record by one line, not one a call (a use refused after
#: the same use was allowed is a line of its own).
_recorded: set[tuple[str, str, str, bool]] = set()


def _record(use: dict[str, str]) -> None:
    """Append ``use`` to the run's record (``$NBTOOLS_DATA_USES``; none outside a job run),
    in one write: processes the kernel started append to the same file. A use that cannot
    be recorded stops the notebook: its run would hold the data without saying so."""
    target = os.environ.get(DATA_USES_VARIABLE)
    key = (target or "", use["dataset"], use["mode"], "refused" in use)
    if not target or key in _recorded:
        return
    import json

    line = (json.dumps(use) + "\n").encode()
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)
    except OSError as error:
        from nbtools.errors import NbtoolsError

        raise NbtoolsError(
            f"Cannot record the use of dataset {use['dataset']!r} for this run in {target}: "
            f"{error.strerror}."
        ) from None
    _recorded.add(key)


def _record_refusal(use: dict[str, str]) -> None:
    """Append the refused ``use`` to the run's record, whose end audits it; one the record
    cannot hold (its file or folder not writable) is entered in the audit trail at once, by
    this kernel, on the run ``$NBTOOLS_RUN_ID`` names: the refusal is audited either way."""
    from nbtools.errors import NbtoolsError

    try:
        _record(use)
    except NbtoolsError:
        run_id = os.environ.get(RUN_ID_VARIABLE, "")
        if not run_id.isdigit():  # not a job run's kernel: no run to enter it on
            raise
        from nbtools.data.events import audit_run_refusal
        from nbtools.project import project_from_environment

        with project_from_environment().store.connection(write=True) as connection:
            audit_run_refusal(connection, int(run_id), [use["dataset"]])
        target = os.environ.get(DATA_USES_VARIABLE) or ""
        _recorded.add((target, use["dataset"], use["mode"], True))  # entered: once


def _show(payload: dict[str, str], text: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(text)
        return
    if get_ipython() is None:
        print(text)
        return
    display({USE_MIME: payload, "text/plain": text}, raw=True)
