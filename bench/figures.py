"""What every benchmark shares: turns taken, medians with their spread, and the summary rows.

A benchmark measures ours and its anchor by taking turns (ABAB…, :func:`interleave`), so a
change in the machine's load affects both alike, and reports each figure with :func:`report`:
one printed line (median and min-max of each side, the ratio ours/anchor, the goal and whether
it is met) and, when ``make bench`` runs it (``BENCH_RESULTS_FILE`` names a file), one JSON
line that ``bench/summary.py`` turns into ``bench/RESULTS.md``. Needs nothing but the standard
library: no external timing tool.
"""

from __future__ import annotations

import json
import operator
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Not an ``NBTOOLS_…`` name: any such variable makes every nbtools command read its settings
#: through traitlets (docs/configuration.md, "Nothing set, no traitlets"), ≈ 15 ms that a user
#: setting nothing never pays (the 300-cell extraction: 0.071 s in `make bench`, 0.054 s alone).
RESULTS_ENV = "BENCH_RESULTS_FILE"


@dataclass(frozen=True)
class Sample:
    """The repeated measurements of one thing, in the unit it is reported in."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> Sample:
        return cls(tuple(values))

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def show(self) -> str:
        """``median [min-max]``, or the lone value."""
        if len(self.values) == 1:
            return number(self.values[0])
        return f"{number(self.median)} [{number(min(self.values))}-{number(max(self.values))}]"


def number(value: float) -> str:
    """A figure with three significant digits (no exponent)."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def interleave(
    cases: Mapping[str, Callable[[], float]], repeats: int, warmup: int = 1
) -> dict[str, Sample]:
    """Measure each case ``repeats`` times, the cases taking turns (ABAB…), after ``warmup``
    untimed rounds (file cache, byte-code). A case returns its own measurement."""
    values: dict[str, list[float]] = {name: [] for name in cases}
    for round_number in range(warmup + repeats):
        for name, measure in cases.items():
            value = measure()
            if round_number >= warmup:
                values[name].append(value)
    return {name: Sample.of(found) for name, found in values.items()}


def timed(action: Callable[[], object]) -> Callable[[], float]:
    """A case measuring the wall time of ``action()``, in seconds."""

    def measure() -> float:
        start = time.perf_counter()
        action()
        return time.perf_counter() - start

    return measure


def wall(command: Sequence[str], **options: Any) -> Callable[[], float]:
    """A case measuring the wall time of running ``command`` to its end, in seconds; output is
    discarded and a failure raises."""
    options.setdefault("stdout", subprocess.DEVNULL)
    options.setdefault("stderr", subprocess.DEVNULL)
    return timed(lambda: subprocess.run(list(command), check=True, **options))


@dataclass(frozen=True)
class Goal:
    """A target: ``ours`` (the median) or ``ratio`` (ours/anchor) compared with ``value``."""

    on: str  # "ours" or "ratio"
    op: str  # "<=" or ">="
    value: float
    unit: str = ""

    def met(self, ours: float, ratio: float | None) -> bool:
        subject = ours if self.on == "ours" else ratio
        if subject is None:
            return False
        compare = operator.le if self.op == "<=" else operator.ge
        return bool(compare(subject, self.value))

    def __str__(self) -> str:
        symbol = "≤" if self.op == "<=" else "≥"
        suffix = f" {self.unit}" if self.unit else ""
        return f"{self.on} {symbol} {number(self.value)}{suffix}"


def report(
    figure: str,
    ours: Sample,
    *,
    unit: str,
    anchor: Sample | None = None,
    anchor_name: str = "",
    goals: Sequence[Goal] = (),
    state: str = "",
) -> None:
    """Print one figure and, under ``make bench``, append it to the results file.

    ``state`` says what was warm and what was cold when it was measured.
    """
    ratio = ours.median / anchor.median if anchor is not None and anchor.median else None
    met = all(goal.met(ours.median, ratio) for goal in goals) if goals else None
    line = f"  {figure}\n      ours {ours.show()} {unit}"
    if anchor is not None:
        line += f"   {anchor_name} {anchor.show()} {unit}   ratio {ratio:.2f}"
    if goals:
        line += f"   goal {', '.join(map(str, goals))}: {'met' if met else 'MISSED'}"
    if state:
        line += f"\n      ({state})"
    print(line, flush=True)
    destination = os.environ.get(RESULTS_ENV)
    if destination:
        row = {
            "figure": figure,
            "state": state,
            "unit": unit,
            "ours": list(ours.values),
            "anchor": list(anchor.values) if anchor is not None else None,
            "anchor_name": anchor_name,
            "ratio": ratio,
            "goal": ", ".join(map(str, goals)),
            "met": met,
            "load": os.getloadavg()[0],
        }
        with Path(destination).open("a", encoding="utf-8") as results:
            results.write(json.dumps(row) + "\n")
