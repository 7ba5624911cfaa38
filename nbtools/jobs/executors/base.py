"""The executor interface: submit run requests, learn when they are done."""

from __future__ import annotations

import abc
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: Called with (run id, final status or None when the executor lost the run).
DoneCallback = Callable[[int, "str | None"], None]


@dataclass(frozen=True)
class RunRequest:
    """Everything a worker needs to execute a run, in picklable / JSON-able form."""

    run_id: int
    root: str
    store_dir: str
    db_url: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Executor(abc.ABC):
    """Runs requests with bounded concurrency; extra requests wait in its queue."""

    def __init__(
        self,
        size: int | None = None,
        on_done: DoneCallback | None = None,
        *,
        cwd: Path | None = None,
    ) -> None:
        self.size = size or os.cpu_count() or 1
        self.on_done = on_done
        self.cwd = cwd or Path.cwd()

    @abc.abstractmethod
    def start(self) -> None:
        """Start workers (idempotent); requests submitted before are kept."""

    @abc.abstractmethod
    def submit(self, request: RunRequest) -> None:
        """Queue a run; a worker claims it in the store when it gets to it."""

    @abc.abstractmethod
    def pending(self) -> set[int]:
        """Run ids submitted and not yet reported done."""

    def free_slots(self) -> int:
        """How many more runs could start now without queueing."""
        return max(0, self.size - len(self.pending()))

    @abc.abstractmethod
    def shutdown(self) -> None:
        """Stop workers; running runs are stopped with their kernels."""
