"""Building OpenLineage run events with the ``openlineage-python`` client, and sending them
from one background thread per process, so a run never waits for (nor fails with) the
receiver: a failed delivery is logged and dropped; events still queued when the process
exits get a few seconds to go out.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import attr
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import (
    JobFacet,
    RunFacet,
    error_message_run,
    job_type_job,
    schema_dataset,
)
from openlineage.client.uuid import generate_new_uuid

from nbtools._version import __version__
from nbtools.config import OpenLineageSettings
from nbtools.openlineage.settings import current
from nbtools.urls import without_login

log = logging.getLogger(__name__)

#: Who produced the events (a URI, as the spec asks).
PRODUCER = f"urn:jupyter-nbtools:{__version__}"
#: The identity (``$id``) of the JSON Schema of nbtools' custom facets, shipped beside this
#: module (``facets.json``): each facet's ``_schemaURL`` is it and a JSON Pointer to the
#: facet's definition, as OpenLineage asks of custom facets. A URN, as the producer is:
#: nbtools publishes the schema with the package, at no web address of its own.
FACETS_SCHEMA = "urn:jupyter-nbtools:openlineage-facets:1"
#: Seconds queued events may still take when the process exits.
EXIT_GRACE_SECONDS = 5.0


def new_run_uuid() -> str:
    """A new OpenLineage run id: a UUIDv7 (time-ordered, random), as the spec recommends, so
    that no two runs share one whatever their store; a run keeps it from ``START`` to its
    terminal event (:mod:`.owed`)."""
    return str(generate_new_uuid())


def dataset_identity(url: str) -> tuple[str, str]:
    """OpenLineage's (namespace, name) of a dataset location: ``file`` and the absolute path
    for a local file, else the URL's scheme and authority, and its path."""
    parts = urlsplit(url)
    if not parts.scheme or parts.scheme == "file" or len(parts.scheme) == 1:
        return "file", parts.path if parts.scheme == "file" else url
    return f"{parts.scheme}://{parts.netloc}", parts.path.lstrip("/") or "/"


@attr.define
class NbtoolsRunFacet(RunFacet):
    """The nbtools run behind an OpenLineage run."""

    runId: int
    trigger: str
    attempt: int
    purpose: str | None = None
    #: Each parameter's value as JSON text (``"3"``, ``"\"3\""``, ``"{\"a\": [1, null]}"``).
    parameters: dict[str, str] = attr.field(factory=dict)
    notebookVersionId: int | None = None
    environmentSnapshotId: str | None = None

    @staticmethod
    def _get_schema() -> str:
        return f"{FACETS_SCHEMA}#/$defs/NbtoolsRunFacet"


@attr.define
class NbtoolsNotebookJobFacet(JobFacet):
    """The notebook a job runs (and the version it is pinned to, if any)."""

    path: str
    pinnedVersionId: int | None = None

    @staticmethod
    def _get_schema() -> str:
        return f"{FACETS_SCHEMA}#/$defs/NbtoolsNotebookJobFacet"


@dataclass(frozen=True)
class DatasetUse:
    """A dataset a run read or wrote: its catalog name, location URL and schema, if known."""

    name: str
    url: str
    mode: str
    fields: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class RunFacts:
    """What an event says about a run (read from the store by :mod:`.events`)."""

    run_id: int
    job_name: str
    notebook_path: str
    trigger: str
    attempt: int
    purpose: str | None
    parameters: Mapping[str, Any]
    notebook_version_id: int | None
    env_snapshot_id: str | None
    pinned_version_id: int | None
    error: str | None = None


#: nbtools' final run states as OpenLineage's.
STATES = {"succeeded": "COMPLETE", "failed": "FAIL", "timed_out": "FAIL", "cancelled": "ABORT"}


def run_event(
    state: str,
    facts: RunFacts,
    uses: Sequence[DatasetUse],
    when: str,
    namespace: str,
    run_uuid: str,
) -> RunEvent:
    """The RunEvent ``state`` (START, COMPLETE, FAIL, ABORT) of a run at ISO time ``when``,
    ``run_uuid`` its OpenLineage run id."""
    run_facets: dict[str, RunFacet] = {
        "nbtools_run": NbtoolsRunFacet(
            runId=facts.run_id,
            trigger=facts.trigger,
            attempt=facts.attempt,
            purpose=facts.purpose,
            parameters={name: json.dumps(value) for name, value in facts.parameters.items()},
            notebookVersionId=facts.notebook_version_id,
            environmentSnapshotId=facts.env_snapshot_id,
            producer=PRODUCER,
        )
    }
    if facts.error:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=facts.error, programmingLanguage="python", producer=PRODUCER
        )
    job_facets: dict[str, JobFacet] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="NBTOOLS", jobType="NOTEBOOK", producer=PRODUCER
        ),
        "nbtools_notebook": NbtoolsNotebookJobFacet(
            path=facts.notebook_path, pinnedVersionId=facts.pinned_version_id, producer=PRODUCER
        ),
    }
    inputs = [
        InputDataset(*dataset_identity(u.url), facets=_facets(u)) for u in uses if u.mode == "read"
    ]
    outputs = [
        OutputDataset(*dataset_identity(u.url), facets=_facets(u))
        for u in uses
        if u.mode == "write"
    ]
    return RunEvent(
        eventType=getattr(RunState, state),
        eventTime=when,
        run=Run(runId=run_uuid, facets=run_facets),
        job=Job(namespace=namespace, name=facts.job_name, facets=job_facets),
        producer=PRODUCER,
        inputs=inputs,
        outputs=outputs,
    )


def _facets(use: DatasetUse) -> dict[str, Any]:
    if not use.fields:
        return {}
    fields = [
        schema_dataset.SchemaDatasetFacetFields(name=str(f["name"]), type=str(f.get("type")))
        for f in use.fields
    ]
    return {"schema": schema_dataset.SchemaDatasetFacet(fields=fields, producer=PRODUCER)}


def _client(chosen: OpenLineageSettings) -> OpenLineageClient:
    """A client sending where our settings say, else where the client's own configuration
    (``openlineage.yml``, ``$OPENLINEAGE_URL``, ...) says: it reads that itself."""
    if not chosen.transport:
        return OpenLineageClient()
    if chosen.transport == "file":
        transport: dict[str, Any] = {"type": "file", "log_file_path": chosen.file, "append": True}
    else:
        transport = {
            "type": "http",
            "url": chosen.url,
            "endpoint": chosen.endpoint,
            "timeout": chosen.timeout_seconds,
            "retry": {"total": 2, "backoff_factor": 0.2},
        }
    try:
        return OpenLineageClient(config={"transport": transport})
    except ValueError as error:  # its text shows the URL: "Need valid url …, passed http://…"
        raise ValueError(without_login(str(error))) from None


class Emitter(threading.Thread):
    """Sends queued events, one after the other, with the process's settings, until
    :meth:`stop` (or the process's exit) ends it."""

    def __init__(self, chosen: OpenLineageSettings) -> None:
        super().__init__(name="nbtools-openlineage", daemon=True)
        #: The events to send; None (queued by :meth:`stop`) ends the thread.
        self.events: queue.Queue[RunEvent | None] = queue.Queue()
        self.client = _client(chosen)
        self.start()
        atexit.register(self.stop, EXIT_GRACE_SECONDS)

    def run(self) -> None:
        while (event := self.events.get()) is not None:
            try:
                self.client.emit(event)
            except Exception as error:  # a receiver's failure never reaches a run
                log.warning(
                    "nbtools: OpenLineage %s event of run %s not delivered: %s",
                    event.eventType,
                    event.run.runId,
                    without_login(str(error)),  # the receiver's URL, if it shows it
                )

    def stop(self, timeout: float) -> None:
        """End the thread once the events queued so far are sent, waiting up to ``timeout``
        seconds for it (those still queued then go on being sent until it ends)."""
        atexit.unregister(self.stop)
        self.events.put(None)
        self.join(timeout)


_lock = threading.Lock()
_emitter: Emitter | None = None


def emit(event: RunEvent) -> None:
    """Queue ``event`` for delivery (the emitting thread starts with the first event)."""
    global _emitter
    with _lock:  # never queued to an emitter that :func:`shutdown` is stopping
        if _emitter is None:
            _emitter = Emitter(current())
        _emitter.events.put(event)


def shutdown(timeout: float = EXIT_GRACE_SECONDS) -> None:
    """Wait up to ``timeout`` seconds for the events queued so far to be sent and the
    emitting thread to end, then let the next event start a new emitter with the settings
    of that moment (``current.cache_clear()`` first)."""
    global _emitter
    with _lock:
        emitter, _emitter = _emitter, None
    if emitter is not None:
        emitter.stop(timeout)
