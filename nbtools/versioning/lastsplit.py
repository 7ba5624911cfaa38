"""The last version of each notebook this process split, so that the next save of it splits
only the cells that changed: a save's cost follows the change, not the notebook's size.

A cell is taken from the last split only when it is exactly the cell seen then: the same
JSON, compared strictly (``1``, ``1.0`` and ``True`` differ, as do ``0.0`` and ``-0.0``), so
what is stored never differs from what a full split would store. The cells seen are kept as
private copies (their dicts and lists copied, their strings shared), so a caller changing
its notebook in place afterwards cannot change what they are compared with. A commit uses
the last split only when its manifest is still the notebook's latest version in the store:
everything it names is then stored, and nothing stored by another process is missed.
Bounded in notebooks and in the bytes of the notebooks held; shared by a process's threads.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple


class KnownCell(NamedTuple):
    """A cell as last split: a private copy of it, its manifest entry and the entry's JSON."""

    cell: dict[str, Any]
    entry: dict[str, Any]
    entry_json: bytes


@dataclass(frozen=True)
class LastSplit:
    """What a notebook's last split gave: its manifest's name and its cells."""

    manifest_sha: str
    cells: Sequence[KnownCell]


def same_json(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are written as the same JSON (up to the order of keys).

    Walks the values with a stack, not by recursion: an output nested as deep as Python's
    JSON reader allows would otherwise exceed the recursion limit here."""
    pending = [(a, b)]
    while pending:
        a, b = pending.pop()
        if isinstance(a, str):
            if not isinstance(b, str) or a != b:
                return False
        elif isinstance(a, dict):
            if not isinstance(b, dict) or len(a) != len(b):
                return False
            for key, value in a.items():
                if key not in b:
                    return False
                pending.append((value, b[key]))
        elif isinstance(a, list):
            if not isinstance(b, list) or len(a) != len(b):
                return False
            pending.extend(zip(a, b, strict=True))
        elif not _same_scalar(a, b):
            return False
    return True


def _same_scalar(a: Any, b: Any) -> bool:
    if type(a) is not type(b) or a != b:
        return False
    return not isinstance(a, float) or math.copysign(1.0, a) == math.copysign(1.0, b)


def private_copy(value: Any) -> Any:
    """``value`` with its dicts and lists copied (strings and numbers are immutable); with a
    stack, not by recursion, like :func:`same_json`."""
    if not isinstance(value, (dict, list)):
        return value
    top = _shallow(value)
    pending = [top]
    while pending:
        container = pending.pop()
        if isinstance(container, dict):
            for key, item in container.items():
                if isinstance(item, (dict, list)):
                    container[key] = copy = _shallow(item)
                    pending.append(copy)
        else:
            for index, item in enumerate(container):
                if isinstance(item, (dict, list)):
                    container[index] = copy = _shallow(item)
                    pending.append(copy)
    return top


def _shallow(value: dict[str, Any] | list[Any]) -> dict[str, Any] | list[Any]:
    return dict(value) if isinstance(value, dict) else list(value)


class LastSplits:
    """The last split of recently saved notebooks, by store and notebook path."""

    def __init__(self, notebooks: int = 64, size: int = 256 * 1024 * 1024) -> None:
        self.notebooks, self.size = notebooks, size
        self._splits: OrderedDict[tuple[Path, str], tuple[LastSplit, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, store: Path, path: str) -> LastSplit | None:
        with self._lock:
            found = self._splits.get((store, path))
            if found is None:
                return None
            self._splits.move_to_end((store, path))
            return found[0]

    def put(self, store: Path, path: str, split: LastSplit, size: int) -> None:
        """Keep ``split`` (of a notebook of ``size`` bytes) as the last of ``path``."""
        with self._lock:
            self._forget((store, path))
            if size > self.size:
                return
            self._splits[(store, path)] = (split, size)
            self._held += size
            while len(self._splits) > self.notebooks or self._held > self.size:
                _, (_, dropped) = self._splits.popitem(last=False)
                self._held -= dropped

    def forget(self, store: Path, path: str) -> None:
        with self._lock:
            self._forget((store, path))

    def _forget(self, key: tuple[Path, str]) -> None:
        found = self._splits.pop(key, None)
        if found is not None:
            self._held -= found[1]


LAST_SPLITS = LastSplits()


def known_cells(
    cells: Sequence[Mapping[str, Any]],
    entries: Sequence[dict[str, Any]],
    entry_json: Sequence[bytes],
    reused: Sequence[KnownCell | None],
) -> list[KnownCell]:
    """The cells of a split to remember: those taken from the last split as they were, the
    others copied."""
    return [
        known or KnownCell(private_copy(cell), entry, encoded)
        for cell, entry, encoded, known in zip(cells, entries, entry_json, reused, strict=True)
    ]
