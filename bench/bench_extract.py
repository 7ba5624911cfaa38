"""Extraction speed: `nbtools extract` vs `nbdev-export`, both as whole processes, same run.

Two generated notebooks, 300 code cells (150 exported with nbdev directives) and 3000 (1500
exported), are exported by each tool N times; the medians are printed side by side with the
ratio (targets: ours takes at most 1/4 of nbdev's wall time for 300 cells and 1/6 for 3000),
plus two floors: the bare interpreter start-up, and an interpreter importing only click, the
one CLI toolkit, which every command imports (`bench_cli.py` measures `nbtools --help`).
Ours is the default command, which also records the package's lineage (notebook version,
environment) in a background process: the bench waits for that process between runs (so it
never competes with the next one) and prints how long the manifest took to get the lineage,
beside `--lineage off` and, for 300 cells, `--lineage wait` (recorded before the command
returns). At 3000 cells ours parses the exported cells in two processes (nbtools/export/
parallel.py), so the same two commands are also timed on one CPU (`taskset`, both pinned to the
same CPU; `--lineage off`), where it uses one. Each notebook's cases (ours, `--lineage off`,
nbdev, ...) take turns run by run, so
that a change in the machine's load affects them alike. Every command is cold (a new process;
the file cache and nbtools' byte-code warm: nbtools' modules are byte-compiled first, as a pip
install does, since an editable install in an environment with PYTHONDONTWRITEBYTECODE=1 would
otherwise compile them on every run, which no installed copy does); the in-process rows are
warm (modules imported, the extraction alone).

    python bench/bench_extract.py [--runs 9]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import psutil
from figures import Goal, Sample, interleave, report, timed, wall

BIN = Path(sys.executable).parent
#: What every nbtools command imports before any work of its own: the one CLI toolkit (click),
#: timed as a command of its own for the floor of `extract`, which reads its settings without
#: traitlets while nothing sets one (docs/configuration.md, "Nothing set, no traitlets").
TOOLKIT_IMPORTS = "import click"


def notebook(cells: int = 300, exported: int = 150) -> dict[str, object]:
    """A notebook with ``cells`` code cells, every other one exported with ``#| export``."""
    sources = [
        "#| default_exp core\nimport json",
        "#| export\nimport re\nfrom collections import Counter\n\nimport click",
    ]
    for index in range(2, cells):
        if index % 2 == 1 and index < 2 * exported:
            if index % 10 == 1:
                sources.append(
                    f"#| export\nclass Model{index}:\n"
                    f'    """Model number {index}."""\n\n'
                    f"    def __init__(self, scale: float = {index}.0) -> None:\n"
                    f"        self.scale = scale\n\n"
                    f"    def apply(self, values: list[float]) -> list[float]:\n"
                    f"        return [v * self.scale for v in values]"
                )
            else:
                sources.append(
                    f"#| export\ndef step_{index}(text: str) -> dict[str, int]:\n"
                    f'    """Count the words of ``text`` (step {index})."""\n'
                    f"    words = re.findall(r'\\w+', text.lower())\n"
                    f"    return dict(Counter(words).most_common({index % 7 + 1}))\n\n"
                    f"LIMIT_{index} = {index}"
                )
        else:
            sources.append(
                f"step_{max(index - 1, 1)}('a b a')\nprint(json.dumps({{'x': {index}}}))"
            )
    assert sum(s.startswith("#| export") for s in sources) == exported
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": [
            {
                "id": f"c{i:04d}",
                "cell_type": "code",
                "metadata": {},
                "source": source,
                "outputs": [],
                "execution_count": None,
            }
            for i, source in enumerate(sources)
        ],
    }


def case(command: list[str], cwd: Path, prepare=None, settle=None) -> Callable[[], float]:
    """Wall seconds of ``command``; ``prepare`` and ``settle`` run untimed before and after."""
    measure = wall(command, cwd=cwd)

    def run() -> float:
        if prepare:
            prepare()
        elapsed = measure()
        if settle:
            settle()
        return elapsed

    return run


class Background:
    """Waits for the background lineage recording of the last run, timing it."""

    def __init__(self, manifest: Path) -> None:
        self.manifest = manifest
        self.start = 0.0
        self.times: list[float] = []

    def prepare(self, fresh_out) -> None:
        fresh_out()
        self.start = time.perf_counter()

    def settle(self) -> None:
        deadline = time.monotonic() + 120
        while "pending" in json.loads(self.manifest.read_text()).get("lineage", {}):
            if time.monotonic() > deadline:
                raise SystemExit("the background lineage recording did not finish in 120 s")
            time.sleep(0.005)
        self.times.append(time.perf_counter() - self.start)
        while any(  # and for the process to exit (closing the store), not to slow the next run
            "nbtools.lineage.background" in (process.info["cmdline"] or [])
            for process in psutil.process_iter(["cmdline"])
        ):
            time.sleep(0.005)


def _in_process(runs: int, project: Path, fresh_out) -> Sample:
    """The extraction itself (read, analyse, render, write), without interpreter and CLI start-up."""
    from nbtools.export.api import ExtractRequest, run_extract
    from nbtools.export.build import ExtractOptions

    request = ExtractRequest(
        project / "nbs/big.ipynb", project / "out", ExtractOptions("benchlib"), mode="write"
    )
    extract = timed(lambda: run_extract(request))

    def measure() -> float:
        fresh_out()
        return extract()

    return interleave({"it": measure}, runs)["it"]


class Size(NamedTuple):
    """One notebook of the bench: its code cells, how many are exported, and the goal."""

    cells: int
    exported: int
    goal: float
    wait: bool  # also measure `--lineage wait`
    one_cpu: bool  # also measure ours and nbdev pinned to one CPU


SIZES = (
    Size(300, 150, 1 / 4, wait=True, one_cpu=False),
    Size(3000, 1500, 1 / 6, wait=False, one_cpu=True),
)


def on_one_cpu(command: list[str]) -> list[str] | None:
    """``command`` pinned to one CPU with ``taskset``; ``None`` without taskset."""
    taskset = shutil.which("taskset")
    if taskset is None:
        return None
    return [taskset, "-c", str(min(os.sched_getaffinity(0))), *command]


def _sitting(scratch: Path, size: Size, runs: int) -> None:
    """Measure and print the rows of one notebook size."""
    project = scratch / f"cells-{size.cells}"
    (project / "nbs").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "benchlib"\n\n[tool.nbdev]\n')
    (project / "nbs/big.ipynb").write_text(
        json.dumps(notebook(size.cells, size.exported), indent=1)
    )
    out = project / "out"

    def fresh_out() -> None:
        shutil.rmtree(out, ignore_errors=True)

    ours_cmd = [str(BIN / "nbtools"), "extract", "nbs/big.ipynb", "-o", "out", "--name", "benchlib"]
    background = Background(out / ".nbtools-extract.json")
    cases = {
        "ours": case(ours_cmd, project, lambda: background.prepare(fresh_out), background.settle),
        "off": case([*ours_cmd, "--lineage", "off"], project, fresh_out),
    }
    if size.wait:
        cases["wait"] = case([*ours_cmd, "--lineage", "wait"], project, fresh_out)
    cases["floor"] = case([sys.executable, "-c", "pass"], project)
    cases["toolkit"] = case([sys.executable, "-c", TOOLKIT_IMPORTS], project)
    nbdev_export = BIN / "nbdev-export"
    nbdev_cmd = [str(nbdev_export), "--path", "nbs/big.ipynb"]
    if nbdev_export.exists():
        cases["nbdev"] = case(nbdev_cmd, project)
    pinned = (on_one_cpu([*ours_cmd, "--lineage", "off"]), on_one_cpu(nbdev_cmd))
    if size.one_cpu and pinned[0] is not None and pinned[1] is not None:
        cases["one-cpu"] = case(pinned[0], project, fresh_out)
        if nbdev_export.exists():
            cases["nbdev-one-cpu"] = case(pinned[1], project)
    found = interleave(cases, runs)
    recorded = Sample.of(background.times[1:])
    in_process = _in_process(runs, project, fresh_out)
    lines = (out / "src/benchlib/core.py").read_text().count("\n")

    print(
        f"bench_extract: {size.cells} code cells, {size.exported} exported with nbdev "
        f"directives; {runs} turns each"
    )
    cold = "cold: a new process each, file cache warm, nbtools byte-compiled"
    theirs = found.get("nbdev")
    if theirs is None:
        print("  nbdev-export: not installed (pip install nbdev) - no anchor figure")
    of = f"{size.cells} cells"
    rows = [
        ("ours", f"`nbtools extract` of {of} (lineage in the background; core.py {lines} lines)",
         [Goal("ratio", "<=", size.goal)]),
        ("off", f"`nbtools extract --lineage off`, {of}", []),
    ]  # fmt: skip
    if size.wait:
        rows.append(
            (
                "wait",
                f"`nbtools extract --lineage wait`, {of} (version + snapshot before returning)",
                [],
            )
        )
    for name, label, goals in rows:
        report(f"{label} vs nbdev-export", found[name], unit="s", anchor=theirs,
               anchor_name="nbdev-export", goals=goals, state=cold)  # fmt: skip
    if "one-cpu" in found:
        report(
            f"`nbtools extract --lineage off`, {of}, one CPU (taskset) vs nbdev-export on the "
            "same CPU",
            found["one-cpu"],
            unit="s",
            anchor=found.get("nbdev-one-cpu"),
            anchor_name="nbdev-export, one CPU",
            state=cold,
        )
    report(f"  lineage in the manifest (background process), {of}", recorded, unit="s", state=cold)
    report(f"  extraction work in process, {of}", in_process, unit="s",
           state="warm: modules imported")  # fmt: skip
    report(
        f"python -c pass (the floor of any command), during the {size.cells}-cell turns",
        found["floor"],
        unit="s",
        state=cold,
    )
    report(
        f"python -c '{TOOLKIT_IMPORTS}' (the toolkit every command imports), "
        f"during the {size.cells}-cell turns, vs nbdev-export",
        found["toolkit"],
        unit="s",
        anchor=theirs,
        anchor_name="nbdev-export",
        state=cold,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    import nbtools

    compileall.compile_dir(Path(nbtools.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as scratch:
        for size in SIZES:
            _sitting(Path(scratch), size, runs)


if __name__ == "__main__":
    main()
