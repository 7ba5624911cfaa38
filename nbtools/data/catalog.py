"""The data catalog's service face: functions taking a :class:`Project`, each owning its
transaction and returning :class:`Dataset` values.

Writes validate every field with :mod:`nbtools.data.fields` first and read the schema from
the data (:mod:`nbtools.data.schema`) before the write transaction, so a slow or missing
file never holds the store's lock. A location is one dataset's: a write that would leave two
datasets at one location (which could give the same data two classifications) is refused.
The database holds that rule too (a unique index, :mod:`nbtools.data.tables`), so that a write
racing another (PostgreSQL lets both check before either commits) gets the same refusal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nbtools import audit
from nbtools.data import fields
from nbtools.data.schema import Field, SchemaReading, read_schema
from nbtools.data.sharing import sharing
from nbtools.data.tables import DatasetRecord
from nbtools.data.words import split_words, words_text
from nbtools.errors import ConflictError, InvalidInputError, NotFoundError
from nbtools.ids import check_limit
from nbtools.store.base import utcnow
from nbtools.text import parse_text
from nbtools.urls import url_protocol

if TYPE_CHECKING:
    from nbtools.project import Project

#: The fields a user declares (the schema is read from the data, never declared).
DECLARED_FIELDS = (
    "location",
    "description",
    "tags",
    "owner",
    "classification",
    "purposes",
    "retention",
)


@dataclass(frozen=True)
class DatasetSpec:
    """What a user declares about a dataset, validated by :func:`dataset_spec`."""

    name: str
    location: str
    description: str = ""
    tags: tuple[str, ...] = ()
    owner: str = ""
    classification: str = fields.DEFAULT_CLASSIFICATION
    purposes: tuple[str, ...] = ()
    retention: str | None = None

    def declared(self) -> dict[str, Any]:
        """The declared fields, as ``datasets.yaml`` and ``--json`` write them."""
        return {
            "location": self.location,
            "description": self.description,
            "tags": list(self.tags),
            "owner": self.owner,
            "classification": self.classification,
            "purposes": list(self.purposes),
            "retention": self.retention,
        }


@dataclass(frozen=True)
class Dataset:
    """A catalogued dataset: the declaration, the schema read from the data, timestamps, and
    its identity (``uid``: a dataset removed and catalogued again under its name is another)."""

    spec: DatasetSpec
    schema: tuple[Field, ...] | None
    schema_note: str | None
    created_at: datetime
    updated_at: datetime
    uid: str
    rank: float | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return self.spec.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.spec.name,
            **self.spec.declared(),
            "schema": [f.to_dict() for f in self.schema] if self.schema is not None else None,
            "schema_note": self.schema_note,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def dataset_spec(
    project: Project, name: str, declared: Mapping[str, Any], held_location: str | None = None
) -> DatasetSpec:
    """Validate a declaration (CLI options, a ``datasets.yaml`` entry) into a spec; the
    location the store holds (``held_location``), given again, is kept as checked then."""
    unknown = sorted(set(declared) - set(DECLARED_FIELDS))
    if unknown:
        raise InvalidInputError(
            f"Unknown dataset field(s) {', '.join(unknown)}; known: {', '.join(DECLARED_FIELDS)}.",
            field=unknown[0],
        )
    if "location" not in declared:
        raise InvalidInputError(f"Dataset {name!r} needs a location.", field="location")
    location = declared["location"]
    if held_location is None or location != held_location:
        location = fields.parse_location(project, location)
    return DatasetSpec(
        name=fields.parse_name(name),
        location=location,
        description=parse_text(
            declared.get("description"), "description", fields.MAX_DESCRIPTION_LENGTH
        ),
        tags=fields.parse_labels(declared.get("tags") or (), "tags"),
        owner=parse_text(declared.get("owner"), "owner", fields.MAX_OWNER_LENGTH),
        classification=fields.parse_classification(
            declared.get("classification") or fields.DEFAULT_CLASSIFICATION
        ),
        purposes=fields.parse_labels(declared.get("purposes") or (), "purposes"),
        retention=fields.parse_retention(declared.get("retention")),
    )


def data_url(project: Project, location: str) -> str:
    """What fsspec opens for a location: the absolute path of a root-relative one."""
    return location if url_protocol(location) else str(project.root / location)


def _read_schema(project: Project, location: str) -> SchemaReading:
    """The schema at a stored ``location``, never read out of the root: through a symbolic
    link made since the location was checked (a file moved to a shared disk and linked)."""
    if not url_protocol(location):
        try:
            inside = project.contains(project.root / location)
        except InvalidInputError as error:  # a loop of symbolic links
            return SchemaReading(None, f"unreadable: {error.message}")
        if not inside:
            return SchemaReading(
                None,
                "leads out of the project root (through a symbolic link made since it was "
                "catalogued): schema not read; give it a location inside the root",
            )
    return read_schema(data_url(project, location))


def add_dataset(project: Project, spec: DatasetSpec, actor: str | None = None) -> Dataset:
    """Catalogue a new dataset; :class:`ConflictError` when the name is taken or the location
    is another dataset's. Audited as ``dataset.add`` by ``actor`` (see
    :func:`nbtools.audit.current_actor`)."""
    reading = _read_schema(project, spec.location)
    with _raced(project, [spec], added=[spec.name]), project.store.session(write=True) as session:
        if _find(session, spec.name) is not None:
            raise _name_taken(spec.name)
        record = _insert(session, spec, reading, actor)
        _refuse_shared_locations(session, [record])
        return _dataset(record)


def _name_taken(name: str) -> ConflictError:
    return ConflictError(
        f"A dataset named {name!r} exists already: edit it with `nbtools data edit {name}`.",
        field="name",
        name=name,
    )


def _location_taken(location: str, name: str) -> ConflictError:
    return ConflictError(
        f"Dataset {name!r} is at {location!r} already: one location holds one dataset "
        "(else the same data could be declared twice, with another classification or "
        f"purposes). Change {name!r} instead, or remove it first.",
        field="location",
        location=location,
        dataset=name,
    )


@contextlib.contextmanager
def _raced(project: Project, placed: Sequence[DatasetSpec], added: Sequence[str]) -> Iterator[None]:
    """Turn the unique index's refusal of a write that lost a race — another writer catalogued
    one of the ``added`` names, or a dataset at one of the ``placed`` specs' locations, and
    committed first — into the :class:`ConflictError` the write gets when it comes second."""
    try:
        yield
    except IntegrityError as error:
        with project.store.session() as session:
            for name in added:
                if _find(session, name) is not None:
                    raise _name_taken(name) from error
            for spec in placed:
                other = session.scalar(
                    select(DatasetRecord.name).where(
                        DatasetRecord.location == spec.location, DatasetRecord.name != spec.name
                    )
                )
                if other is not None:
                    raise _location_taken(spec.location, other) from error
        raise ConflictError(
            "The catalog changed while this change was written: nothing was changed; try again.",
        ) from error


def _insert(
    session: Session, spec: DatasetSpec, reading: SchemaReading, actor: str | None
) -> DatasetRecord:
    record = DatasetRecord(name=spec.name)
    _apply(record, spec, reading)
    session.add(record)
    session.flush()
    audit.record(session, actor, "dataset.add", f"dataset {spec.name}", _summary(spec))
    return record


def edit_dataset(
    project: Project, name: str, changes: Mapping[str, Any], actor: str | None = None
) -> Dataset:
    """Change some declared fields of dataset ``name`` (none: only read the schema again)."""
    current = get_dataset(project, name)
    spec = dataset_spec(
        project, name, {**current.spec.declared(), **changes}, current.spec.location
    )
    return _save(project, current.spec, spec, actor)


def save_datasets(
    project: Project,
    specs: Sequence[DatasetSpec],
    *,
    remove: Iterable[str] = (),
    actor: str | None = None,
) -> list[str]:
    """Make the catalog hold every spec, and no longer the datasets named in ``remove``, in
    one transaction (all or nothing); returns each spec's outcome: ``added``, ``updated`` or
    ``unchanged`` (an unchanged declaration leaves the schema as it was read: ``data edit
    NAME`` reads it again). Datasets may trade locations; two left at one are refused."""
    held = {dataset.name: dataset.spec for dataset in list_datasets(project)}
    readings = {
        spec.name: _read_schema(project, spec.location)
        for spec in specs
        if held.get(spec.name) != spec
    }
    outcomes: list[str] = []
    placed: list[DatasetRecord] = []
    added = [spec.name for spec in specs if spec.name not in held]
    moved = [
        spec for spec in specs if spec.name not in held or held[spec.name].location != spec.location
    ]
    with _raced(project, moved, added), project.store.session(write=True) as session:
        for name in remove:
            _delete(session, name, actor)
        session.flush()
        for spec in specs:
            record = _find(session, spec.name)
            before = None if record is None else _dataset(record).spec
            if before == spec:
                outcomes.append("unchanged")
                continue
            # read before the lock, unless the catalog changed since
            reading = readings.get(spec.name) or _read_schema(project, spec.location)
            if record is None or before is None:
                record = _insert(session, spec, reading, actor)
                outcomes.append("added")
            else:
                _update(session, record, before, spec, reading, actor)
                outcomes.append("updated")
            if before is None or before.location != spec.location:
                placed.append(record)
        _refuse_shared_locations(session, placed)
    return outcomes


def _save(project: Project, before: DatasetSpec, spec: DatasetSpec, actor: str | None) -> Dataset:
    reading = _read_schema(project, spec.location)
    with _raced(project, [spec], added=[]), project.store.session(write=True) as session:
        record = _get(session, spec.name)
        _update(session, record, before, spec, reading, actor)
        if before.location != spec.location:
            _refuse_shared_locations(session, [record])
        return _dataset(record)


def _update(
    session: Session,
    record: DatasetRecord,
    before: DatasetSpec,
    spec: DatasetSpec,
    reading: SchemaReading,
    actor: str | None,
) -> None:
    _apply(record, spec, reading)
    record.updated_at = utcnow()
    session.flush()
    old, new = before.declared(), spec.declared()
    changed = sorted(key for key in new if new[key] != old[key])
    audit.record(
        session, actor, "dataset.edit", f"dataset {spec.name}",
        {"changed": changed, **_summary(spec)},
    )  # fmt: skip


def _refuse_shared_locations(session: Session, placed: Sequence[DatasetRecord]) -> None:
    """Refuse (:class:`ConflictError`, field ``location``) when a dataset just placed at a
    location (added, or moved there) shares it with another: one file would have two
    classifications. Datasets that shared one before this rule can still be edited (to
    reclassify or move one of them).

    A placed dataset was written marked ``shares_location`` (:func:`_apply`), out of the
    unique index's reach, so that datasets may trade locations in one transaction; once
    checked, each is unmarked, and the index checks it against every other writer."""
    written = {record.location: record.name for record in placed}
    if not written:
        return
    for location, name in session.execute(sharing()):
        if location in written and name != written[location]:
            raise _location_taken(location, name)
    for record in placed:
        record.shares_location = False
    session.flush()


def remove_dataset(project: Project, name: str, actor: str | None = None) -> Dataset:
    """Remove dataset ``name`` from the catalog (the data itself is not touched); returns
    what the catalog held."""
    with project.store.session(write=True) as session:
        return _delete(session, name, actor)


def _delete(session: Session, name: str, actor: str | None) -> Dataset:
    record = _get(session, name)
    removed = _dataset(record)
    session.delete(record)
    audit.record(
        session, actor, "dataset.remove", f"dataset {name}",
        {"classification": record.classification},
    )  # fmt: skip
    return removed


def _summary(spec: DatasetSpec) -> dict[str, Any]:
    """What the audit trail keeps of a declaration (not the free-text description)."""
    return {
        "location": spec.location,
        "classification": spec.classification,
        "purposes": list(spec.purposes),
        "retention": spec.retention,
    }


def get_dataset(project: Project, name: str) -> Dataset:
    """Dataset ``name``, or :class:`NotFoundError`."""
    with project.store.session() as session:
        return _dataset(_get(session, name))


#: The most datasets one page of the catalog holds (``GET /datasets?limit=``).
MAX_PAGE = 1000


@dataclass(frozen=True)
class DatasetsPage:
    """One page of the catalog by name: ``total`` datasets match the filters."""

    total: int
    offset: int
    limit: int
    datasets: list[Dataset]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "datasets": [dataset.to_dict() for dataset in self.datasets],
        }


def _by_name(classification: str | None) -> Select[DatasetRecord]:
    query = select(DatasetRecord).order_by(DatasetRecord.name)
    if classification is not None:
        query = query.where(
            DatasetRecord.classification == fields.parse_classification(classification)
        )
    return query


def list_datasets(
    project: Project, *, tag: str | None = None, classification: str | None = None
) -> list[Dataset]:
    """Every dataset, by name; only those with ``tag`` / ``classification`` when given."""
    with project.store.session() as session:
        datasets = [_dataset(record) for record in session.scalars(_by_name(classification))]
    return [d for d in datasets if tag is None or tag in d.spec.tags]


def page_datasets(
    project: Project,
    *,
    tag: str | None = None,
    classification: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> DatasetsPage:
    """``limit`` datasets by name from the ``offset``-th, and how many match in all: the
    catalog is counted in the database, and only the page's datasets are read whole."""
    if offset < 0:
        raise InvalidInputError("The offset must be 0 or more.", field="offset")
    check_limit(limit, MAX_PAGE)
    query = _by_name(classification)
    with project.store.session() as session:
        if tag is None:
            counted = query.with_only_columns(func.count(DatasetRecord.id)).order_by(None)
            total = session.scalar(counted) or 0
            records = session.scalars(query.offset(offset).limit(limit)).all()
        else:  # tags are JSON: matched here, reading only each dataset's id and tags
            ids_and_tags = session.execute(
                query.with_only_columns(DatasetRecord.id, DatasetRecord.tags)
            )
            tagged = [dataset_id for dataset_id, tags in ids_and_tags if tag in tags]
            total, ids = len(tagged), tagged[offset : offset + limit]
            records = session.scalars(query.where(DatasetRecord.id.in_(ids))).all() if ids else []
        datasets = [_dataset(record) for record in records]
    return DatasetsPage(total, offset, limit, datasets)


def datasets_by_id(session: Session, ranked: Iterable[tuple[int, float]]) -> list[Dataset]:
    """The datasets of ``(id, rank)`` pairs, in that order, with their rank."""
    pairs = list(ranked)
    ids = [dataset_id for dataset_id, _ in pairs]
    records = {
        record.id: record
        for record in session.scalars(select(DatasetRecord).where(DatasetRecord.id.in_(ids)))
    }
    return [replace(_dataset(records[i]), rank=rank) for i, rank in pairs if i in records]


def _find(session: Session, name: str) -> DatasetRecord | None:
    return session.scalars(select(DatasetRecord).where(DatasetRecord.name == name)).first()


def _get(session: Session, name: str) -> DatasetRecord:
    record = _find(session, name)
    if record is None:
        raise NotFoundError(
            f"No dataset named {name!r}: `nbtools data list` shows the catalog.", name=name
        )
    return record


def _apply(record: DatasetRecord, spec: DatasetSpec, reading: SchemaReading) -> None:
    if record.location != spec.location:  # placed: see _refuse_shared_locations
        record.location = spec.location
        record.shares_location = True
    record.description = spec.description
    record.tags = list(spec.tags)
    record.owner = spec.owner
    record.classification = spec.classification
    record.purposes = list(spec.purposes)
    record.retention = spec.retention
    record.retention_days = fields.retention_days(spec.retention)
    record.schema_fields = (
        [f.to_dict() for f in reading.fields] if reading.fields is not None else None
    )
    record.schema_note = reading.note
    record.search_name = " ".join(split_words(spec.name))
    record.search_tags = words_text(spec.tags)
    record.search_columns = words_text(f.name for f in reading.fields or ())


def _dataset(record: DatasetRecord) -> Dataset:
    spec = DatasetSpec(
        name=record.name,
        location=record.location,
        description=record.description,
        tags=tuple(record.tags),
        owner=record.owner,
        classification=record.classification,
        purposes=tuple(record.purposes),
        retention=record.retention,
    )
    schema = (
        tuple(Field(f["name"], f["type"]) for f in record.schema_fields)
        if record.schema_fields is not None
        else None
    )
    return Dataset(
        spec, schema, record.schema_note, record.created_at, record.updated_at, record.uid
    )
