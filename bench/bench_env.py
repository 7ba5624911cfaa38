"""Environment snapshot speed, beside pip measured in the same run.

Each figure is the median wall time of a whole process, on this interpreter's environment:
- ``pip freeze`` and ``pip list --format=json`` (the anchors),
- listing names with ``importlib.metadata`` (the floor the issue quotes),
- our capture process (what a snapshot runs in the kernel's interpreter), cold (no cache) and
  cached (nothing installed since the last capture),
- the whole ``nbtools env snapshot`` command (CLI start-up, capture, store), cold and cached.

Targets (issue 6): capture cold <= 1/5 of pip freeze; cached < 20 ms.
Usage: python bench/bench_env.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nbtools.envsnap.snapshots import CAPTURE_SCRIPT


def wall_ms(command: list[str], runs: int, before: Callable[[], None] | None = None) -> float:
    """Median wall time of ``command`` in milliseconds (``before`` runs untimed each time)."""
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    python = sys.executable
    source = CAPTURE_SCRIPT.read_text(encoding="utf-8")
    work = Path(tempfile.mkdtemp(prefix="nbtools-bench-env-"))
    cache, root = work / "cache", work / "project"
    root.mkdir()
    cli = [str(Path(python).with_name("nbtools"))]
    store_cache = root / ".nbtools" / "envcache"

    def clear(path: Path) -> Callable[[], None]:
        return lambda: shutil.rmtree(path, ignore_errors=True)

    count = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(len(list(m.distributions())))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    figures = {
        "pip freeze": wall_ms([python, "-m", "pip", "freeze"], runs),
        "pip list --format=json": wall_ms([python, "-m", "pip", "list", "--format=json"], runs),
        "importlib.metadata names": wall_ms(
            [
                python,
                "-c",
                "import importlib.metadata as m; [d.metadata['Name'] for d in m.distributions()]",
            ],
            runs,
        ),
        "bare interpreter (python -c pass)": wall_ms([python, "-c", "pass"], runs),
        "nbtools capture, cold": wall_ms([python, "-c", source, str(cache)], runs, clear(cache)),
        "nbtools capture, cached": wall_ms([python, "-c", source, str(cache)], runs),
        "nbtools env snapshot (CLI), cold": wall_ms(
            [*cli, "--root", str(root), "env", "snapshot", "--json"], runs, clear(store_cache)
        ),
        "nbtools env snapshot (CLI), cached": wall_ms(
            [*cli, "--root", str(root), "env", "snapshot", "--json"], runs
        ),
    }
    shutil.rmtree(work, ignore_errors=True)
    freeze = figures["pip freeze"]
    print(f"Environment snapshot, {count} distributions, median of {runs} runs (wall ms)")
    for name, value in figures.items():
        print(f"  {name:<38} {value:8.1f} ms   {value / freeze:5.2f} x pip freeze")
    cold, cached = figures["nbtools capture, cold"], figures["nbtools capture, cached"]
    print(
        f"Targets: capture cold <= pip freeze / 5 ({freeze / 5:.1f} ms): "
        f"{'met' if cold <= freeze / 5 else 'MISSED'} ({cold:.1f} ms); "
        f"cached < 20 ms: {'met' if cached < 20 else 'MISSED'} ({cached:.1f} ms)"
    )


if __name__ == "__main__":
    main()
