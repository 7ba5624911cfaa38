"""Start-up of the command line: `nbtools --help` beside the bare interpreter, same run.

`nbtools --help` imports click, traitlets (the settings whose traits declare the global
options) and the command table only (commands are imported when they run), so it should cost
little more than starting Python: target under 100 ms. The cases take turns run by run
(bench/figures.py), so a change in the machine's load affects them alike; each prints its
median and its spread. nbtools' modules are byte-compiled first, as a pip install
does.

    python bench/bench_cli.py [--runs 21]
"""

from __future__ import annotations

import argparse
import compileall
import sys
from pathlib import Path

from figures import Goal, interleave, report, wall

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    import nbtools

    compileall.compile_dir(Path(nbtools.__file__).parent, quiet=1)
    found = interleave(
        {
            "help": wall([str(BIN / "nbtools"), "--help"]),
            "extract help": wall([str(BIN / "nbtools"), "extract", "--help"]),
            "floor": wall([sys.executable, "-c", "pass"]),
        },
        runs,
    )
    print(f"bench_cli: start-up of the command line; {runs} turns each")
    cold = "cold: a new process each, nbtools byte-compiled, file cache warm"
    for name, label, goals in (
        ("help", "`nbtools --help`", [Goal("ours", "<=", 0.1, "s")]),
        ("extract help", "`nbtools extract --help`", []),
    ):
        report(label, found[name], unit="s", anchor=found["floor"],
               anchor_name="python -c pass", goals=goals, state=cold)  # fmt: skip


if __name__ == "__main__":
    main()
