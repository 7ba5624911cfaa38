"""Parsing a big notebook's exported cells in two processes.

Parsing and name analysis are most of an extraction's work at thousands of cells, and each cell
is analysed on its own. When the caller allows a second process (``processes=2``: a
command-line process, which does nothing else meanwhile), this one runs a single thread, two
CPUs are available to it and the cells hold enough code to pay for a fork (≈ 2 ms, and 3 ms to
read the results back), a forked child analyses the last cells exported to a module, about half
of the code, while this process analyses the others. The child sends back each cell's name
analysis, outline and problems, without the syntax tree, which rendering does not read for
such cells (:class:`~nbtools.export.parse.Parsed` parses again if anything ever asks).

The result is the same as in one process, whatever happens to the child: if it cannot be
forked, exits with an error or is killed, this process analyses its cells as well. An error
here (Ctrl-C and SIGTERM included) kills the child and reaps it; if this process is killed
outright, the child ends by itself once its cells are analysed (its results have no reader).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from nbtools.cpus import available_cpus
from nbtools.export.model import EXPORT, Cell, Problem
from nbtools.export.names import Names
from nbtools.export.outline import Outline
from nbtools.export.parse import Parsed, parse_cell

if TYPE_CHECKING:
    import signal

#: Characters of code below which one process is faster than two (fork and results included):
#: ≈ 250 exported cells of 200 characters. docs/performance.md gives the measurements.
MIN_CODE = 50_000
#: The share of the code the child analyses: a little more than half, since this process also
#: forks the child and reads its results.
CHILD_SHARE = 0.53

ParseResult = tuple[Parsed | None, list[Problem]]
#: One cell's analysis as the child sends it: its names and outline (``None`` when the cell
#: could not be parsed) and its problems.
_Sent = tuple[tuple[Names, Outline] | None, list[Problem]]


def parse_cells(cells: Sequence[Cell], processes: int = 1) -> list[ParseResult]:
    """:func:`~nbtools.export.parse.parse_cell` of each cell, in order; with ``processes`` of
    2 or more and when it pays (see the module's docstring), part of them in a child process."""
    share = _child_share(cells) if processes >= 2 and _can_fork() else []
    if not share:
        return [parse_cell(cell) for cell in cells]
    given = set(share)
    child = _Child()
    try:
        forked = child.start([cells[index] for index in share])
        mine = [i for i in range(len(cells)) if not forked or i not in given]
        found = {index: parse_cell(cells[index]) for index in mine}
        sent = child.results() if forked else None
    finally:
        child.end()
    if forked and sent is None:  # the child failed: its cells are analysed here
        found.update((index, parse_cell(cells[index])) for index in share)
    elif sent is not None:
        for index, (analysis, problems) in zip(share, sent, strict=True):
            found[index] = (Parsed(cells[index], *analysis) if analysis else None, problems)
    return [found[index] for index in range(len(cells))]


def _can_fork() -> bool:
    """Forking is safe (no other thread holds a lock the child would need) and pays."""
    return hasattr(os, "fork") and threading.active_count() == 1 and available_cpus() >= 2


def _child_share(cells: Sequence[Cell]) -> list[int]:
    """Indexes of the cells the child analyses: exported cells from the end, up to
    :data:`CHILD_SHARE` of all the code; none when there is too little code."""
    total = sum(len(cell.code) for cell in cells)
    if total < MIN_CODE:
        return []
    share: list[int] = []
    taken = 0
    for index in range(len(cells) - 1, -1, -1):
        if taken >= total * CHILD_SHARE:
            break
        cell = cells[index]
        if cell.role == EXPORT and not cell.serve:  # rendered from their outline alone
            share.append(index)
            taken += len(cell.code)
    share.reverse()
    return share


class _Child:
    """A forked process analysing cells, and the pipe its results come through.

    Its methods import ``signal`` and ``pickle`` themselves: a notebook too small for a child
    does not pay for them (≈ 1 ms of the command's start-up).
    """

    def __init__(self) -> None:
        self.pid: int | None = None
        self.pipe: int | None = None

    def start(self, cells: list[Cell]) -> bool:
        """Fork the child analysing ``cells``; ``False`` if it cannot be started."""
        import pickle  # noqa: F401 (before the fork: the child has it without importing it)
        import signal

        try:
            read_end, write_end = os.pipe()
        except OSError:
            return False
        self.pipe = read_end
        # Ctrl-C and SIGTERM (which the console script turns into SystemExit) are held back
        # until each process is in its own code: an exception raised in the child before
        # that would run this program's code twice, and one raised here finds the child's
        # pid recorded, for end() to kill it.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            pid = os.fork()
        except OSError:  # no memory or too many processes: one process does it all
            pid = -1
        if pid == 0:
            _analyse(cells, read_end, write_end, held)
        self.pid = pid if pid > 0 else None
        os.close(write_end)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return self.pid is not None

    def results(self) -> list[_Sent] | None:
        """What the child sent, once it has ended; ``None`` if it failed or was killed."""
        import pickle

        assert self.pipe is not None
        assert self.pid is not None
        with os.fdopen(self.pipe, "rb") as pipe:
            self.pipe = None
            payload = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if status != 0:
            return None
        try:
            sent: list[_Sent] = pickle.loads(payload)  # noqa: S301 (our own child's)
        except Exception:  # cut short: the child was killed while writing
            return None
        return sent

    def end(self) -> None:
        """Kill the child if it still runs, reap it, and close the pipe: nothing is left."""
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None
        if self.pid is not None:
            import signal

            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = None


def _analyse(
    cells: list[Cell], read_end: int, pipe: int, held: set[int | signal.Signals]
) -> NoReturn:
    """In the child: analyse ``cells``, write the results to ``pipe`` and end the process,
    without running this program's exit handlers or flushing its buffers (the parent's)."""
    import pickle
    import signal

    status = 1
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(read_end)
        sent: list[_Sent] = []
        for cell in cells:
            parsed, problems = parse_cell(cell)
            analysis = None if parsed is None else (parsed.names, parsed.outline)
            sent.append((analysis, problems))
        payload = pickle.dumps(sent, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(pipe, "wb") as out:
            out.write(payload)
        status = 0
    finally:
        os._exit(status)
