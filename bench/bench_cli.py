"""Start-up of the command line: `nbtools --help` beside the bare interpreter, same run.

`nbtools --help` imports click and the command table only (commands are imported when they
run), so it should cost little more than starting Python: target under 100 ms. The cases take
turns run by run, so a change in the machine's load affects them alike; each prints its median
and its spread (first and third quartile). nbtools' modules are byte-compiled first, as a pip
install does.

    python bench/bench_cli.py [--runs 21]
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """First quartile, median and third quartile of ``values``."""
    q1, median, q3 = statistics.quantiles(values, n=4)
    return q1, median, q3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    import nbtools

    compileall.compile_dir(Path(nbtools.__file__).parent, quiet=1)
    cases = {
        "nbtools --help": [str(BIN / "nbtools"), "--help"],
        "nbtools extract --help": [str(BIN / "nbtools"), "extract", "--help"],
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs + 1):  # the first round warms the file cache
        for name, command in cases.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    print(f"bench_cli: start-up of the command line; median of {runs} (q1-q3)")
    for name, values in times.items():
        q1, median, q3 = quartiles(values[1:])
        line = f"  {name:<24} {median * 1000:7.1f} ms  ({q1 * 1000:.1f}-{q3 * 1000:.1f})"
        if name == "nbtools --help":
            line += f"  target < 100 ms: {'met' if median < 0.1 else 'MISSED'}"
        print(line)


if __name__ == "__main__":
    main()
