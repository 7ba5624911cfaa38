"""Progress of long command-line work, for a person at a terminal: a run's cells as a bar, work
counted in steps (a lock file's look-ups) as another, and other waits (a package's tests, an
environment's install) as a spinner with the time spent.

Both go to standard error and vanish when the work ends, so standard output (a table, the
``--json`` answer) is what remains. Nothing is shown when standard error is not a terminal (a
CI log, a pipe, a file) or is a ``dumb`` one: logs get the command's own lines alone.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from nbtools.jobs.runs import Progress

#: Seconds between two readings of a run's progress (the bar itself redraws on its own).
READ_EVERY = 0.1


def _terminal() -> Console | None:
    """A console on standard error if it is a terminal that can redraw a line, else None."""
    if not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        return None
    from rich.console import Console

    return Console(stderr=True)


@contextlib.contextmanager
def cells_bar(
    run_id: int, progress: Progress, queued: Callable[[], bool] = lambda: False
) -> Iterator[None]:
    """While the block runs, a bar of the run's cells (``Run 12: cell 4 ━━━━━ 3/7 cells
    0:00:12``), read from ``progress`` as the runner updates it; ``queued()`` says whether
    the run still waits for a worker."""
    console = _terminal()
    if console is None:
        yield
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("cells"),
        TimeElapsedColumn(),
    )
    done = threading.Event()
    with Bar(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"Run {run_id}: starting the kernel", total=None)

        def follow() -> None:
            while not done.wait(READ_EVERY):
                current = progress.current_cell
                doing = (
                    "queued, waiting for a worker"
                    if queued()
                    else "starting the kernel"
                    if current is None
                    else f"cell {current + 1}"
                )
                bar.update(
                    task,
                    description=f"Run {run_id}: {doing}",
                    total=progress.cells_total,
                    completed=progress.cells_done,
                )

        reader = threading.Thread(target=follow, name="nbtools-progress", daemon=True)
        reader.start()
        try:
            yield
        finally:
            done.set()
            reader.join()


@contextlib.contextmanager
def waiting(text: str) -> Iterator[None]:
    """While the block runs, a spinner with ``text`` and the time spent so far."""
    console = _terminal()
    if console is None:
        yield
        return
    from rich.progress import Progress as Bar
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn(text, markup=False), TimeElapsedColumn())
    with Bar(*columns, console=console, transient=True) as bar:
        bar.add_task(text, total=None)
        yield


@contextlib.contextmanager
def counted(text: str) -> Iterator[Callable[[int, int], None]]:
    """While the block runs, a bar of work counted in steps (``text ━━━━ 12/187 0:00:03``);
    the block is given the function to call with the steps done and the total, from any
    thread."""
    console = _terminal()
    if console is None:
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    columns = (
        TextColumn(text, markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Bar(*columns, console=console, transient=True) as bar:
        task = bar.add_task(text, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
