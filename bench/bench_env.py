"""Environment snapshot speed, beside pip, taking turns in the same run.

Each figure is the wall time of a whole process, on this interpreter's environment, all cases
taking turns (ABAB…), with median and spread:
- ``pip freeze`` and ``pip list --format=json`` (the anchors),
- listing names with ``importlib.metadata`` (the floor the issue quotes),
- our capture process (what a snapshot runs in the kernel's interpreter), cold (no cache) and
  cached (nothing installed since the last capture),
- the whole ``nbtools env snapshot`` command, the user's (CLI start-up, capture, store), cold
  and cached: judged against ``pip freeze``.

Targets: capture cold <= 1/5 of pip freeze; capture cached < 20 ms; the command (cached) faster
than pip freeze.
Usage: python bench/bench_env.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from figures import Goal, Sample, interleave, report, wall

from nbtools.envsnap.kernel_capture import capture_command


def ms(command: list[str], before: Callable[[], None] | None = None) -> Callable[[], float]:
    """A case: the wall time of ``command`` in ms (``before`` runs untimed each time)."""
    measure = wall(command)

    def case() -> float:
        if before:
            before()
        return measure() * 1000

    return case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="nbtools-bench-env-"))
    cache, root = work / "cache", work / "project"
    root.mkdir()
    snapshot = [str(Path(python).with_name("nbtools")), "--root", str(root), "env", "snapshot"]
    store_cache = root / ".nbtools" / "envcache"

    def clear(path: Path) -> Callable[[], None]:
        return lambda: shutil.rmtree(path, ignore_errors=True)

    count = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(len(list(m.distributions())))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    names = "import importlib.metadata as m; [d.metadata['Name'] for d in m.distributions()]"
    found = interleave(
        {
            "pip freeze": ms([python, "-m", "pip", "freeze"]),
            "pip list --format=json": ms([python, "-m", "pip", "list", "--format=json"]),
            "importlib.metadata names": ms([python, "-c", names]),
            "python -c pass": ms([python, "-c", "pass"]),
            "capture cold": ms(capture_command([python], cache), clear(cache)),
            "capture cached": ms(capture_command([python], cache)),
            "command cold": ms([*snapshot, "--json"], clear(store_cache)),
            "command cached": ms([*snapshot, "--json"]),
        },
        runs,
    )
    shutil.rmtree(work, ignore_errors=True)
    freeze = found["pip freeze"]
    print(f"bench_env: {count} distributions, {runs} turns each (wall ms, whole processes)")

    def against_freeze(figure: str, ours: Sample, state: str, *goals: Goal) -> None:
        report(figure, ours, unit="ms", anchor=freeze, anchor_name="pip freeze", goals=goals,
               state=state)  # fmt: skip

    against_freeze("`nbtools env snapshot` (the user's command), cached", found["command cached"],
                   "nothing installed since the last snapshot: capture cache valid",
                   Goal("ratio", "<=", 1.0))  # fmt: skip
    against_freeze("`nbtools env snapshot`, cold", found["command cold"],
                   "capture cache removed before each run; file cache warm")  # fmt: skip
    against_freeze("capture process, cold", found["capture cold"],
                   "no capture cache", Goal("ratio", "<=", 0.2))  # fmt: skip
    report("capture process, cached", found["capture cached"], unit="ms",
           goals=[Goal("ours", "<=", 20, "ms")],
           state="capture cache valid")  # fmt: skip
    for floor in ("pip list --format=json", "importlib.metadata names", "python -c pass"):
        against_freeze(f"{floor} (for scale)", found[floor], "whole process")


if __name__ == "__main__":
    main()
