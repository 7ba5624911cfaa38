"""The datasets a run used: read from the record ``nbtools.data`` keeps during the run
(``$NBTOOLS_DATA_USES``) and from its executed notebook's ``nbtools.data`` outputs, stored in
``run_datasets``, described with each run.

A use names its dataset by name and by identity (``uid``, :mod:`nbtools.data.tables`): a use
whose record has none (an older ``nbtools`` in the kernel) is given the identity of the
dataset catalogued under its name when it is stored, at the run's end."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, insert, select

from nbtools.data.notebook import MODES, USE_MIME
from nbtools.data.tables import datasets, run_datasets

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class DataUse:
    dataset: str
    mode: str
    classification: str
    location: str
    #: The identity of the dataset used; None when the record did not say.
    uid: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {
            "dataset": self.dataset,
            "mode": self.mode,
            "classification": self.classification,
            "location": self.location,
        }


def uses_in_notebook(raw: bytes) -> list[DataUse]:
    """Every distinct ``(dataset, mode)`` shown by ``nbtools.data`` in an executed notebook."""
    try:
        nb = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return []
    cells = nb.get("cells", []) if isinstance(nb, dict) else []
    return _distinct(
        output.get("data", {}).get(USE_MIME) if isinstance(output, dict) else None
        for cell in cells
        for output in (cell.get("outputs", []) if isinstance(cell, dict) else [])
    )


def uses_in_record(raw: bytes) -> list[DataUse]:
    """Every distinct ``(dataset, mode)`` in a run's record of uses (one JSON object a line,
    as ``nbtools.data.path`` appends them), but those refused (:func:`refusals_in_record`); a
    line that is not one (cut by a crash) is skipped."""
    return _distinct(line for line in _record_lines(raw) if "refused" not in line)


def refusals_in_record(raw: bytes) -> list[DataUse]:
    """Every distinct ``(dataset, mode)`` the run's purpose refused in its kernel (a line of
    its record with ``refused``: the catalog changed while it ran); the run did not get it."""
    return _distinct(line for line in _record_lines(raw) if isinstance(line.get("refused"), str))


def _record_lines(raw: bytes) -> Iterator[dict[str, Any]]:
    for line in raw.splitlines():
        try:
            payload = json.loads(line)
        except (ValueError, UnicodeDecodeError, RecursionError):
            continue
        if isinstance(payload, dict):
            yield payload


def _distinct(payloads: Iterable[Any]) -> list[DataUse]:
    found: dict[tuple[str, str], DataUse] = {}
    for payload in payloads:
        use = parse_use(payload)
        if use is not None:
            found.setdefault((use.dataset, use.mode), use)
    return list(found.values())


def parse_use(payload: Any) -> DataUse | None:
    """The use a record line or a shown output holds (a dict as ``nbtools.data.path`` writes
    it), or None when it holds none."""
    if not isinstance(payload, dict):
        return None
    values = [payload.get(key) for key in ("dataset", "mode", "classification", "location")]
    texts = [value for value in values if isinstance(value, str)]
    if len(texts) != len(values) or texts[1] not in MODES.values():
        return None
    dataset, mode, classification, location = texts
    uid = payload.get("dataset_uid")
    return DataUse(dataset, mode, classification, location, uid if isinstance(uid, str) else None)


def save_uses(session: Session, run_id: int, uses: Iterable[DataUse]) -> None:
    """Store the uses of run ``run_id``, each ``(dataset, mode)`` once (the first given); a
    use without its dataset's identity gets that of the dataset now catalogued under its
    name (none when there is none)."""
    table = run_datasets.c
    known = set(
        session.execute(select(table.dataset, table.mode).where(table.run_id == run_id)).tuples()
    )
    new: list[DataUse] = []
    for use in uses:
        if (use.dataset, use.mode) not in known:
            known.add((use.dataset, use.mode))
            new.append(use)
    if not new:
        return
    unnamed = {use.dataset for use in new if use.uid is None}
    current = (
        dict(
            session.execute(
                select(datasets.c.name, datasets.c.uid).where(datasets.c.name.in_(unnamed))
            )
            .tuples()
            .all()
        )
        if unnamed
        else {}
    )
    session.execute(
        insert(run_datasets),
        [
            {"run_id": run_id, **use.to_dict(), "dataset_uid": use.uid or current.get(use.dataset)}
            for use in new
        ],
    )


def runs_uses(connection: Connection, run_ids: Sequence[int]) -> dict[int, list[DataUse]]:
    """Run id → the datasets it used, by name then mode (SQLAlchemy Core: a page of runs is
    described without ORM objects)."""
    uses: dict[int, list[DataUse]] = {run_id: [] for run_id in run_ids}
    table = run_datasets.c
    rows = connection.execute(  # an expanding parameter: a page's ids are not coerced one by one
        select(table.run_id, table.dataset, table.mode, table.classification, table.location)
        .where(table.run_id.in_(bindparam("run_ids", expanding=True)))
        .order_by(table.dataset, table.mode),
        {"run_ids": list(run_ids)},
    )
    for run_id, dataset, mode, classification, location in rows:
        uses[run_id].append(DataUse(dataset, mode, classification, location))
    return uses
