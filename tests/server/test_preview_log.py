"""A service preview's log: the last lines of its output, each cut to a bound."""

from __future__ import annotations

import io

from jupyter_nbtools.previews import LOG_LINE_CHARS, LOG_LINES, OutputLog


def test_the_log_keeps_the_last_lines_each_cut_to_a_bound() -> None:
    log = OutputLog()
    lines = [f"line {n}" for n in range(LOG_LINES + 500)] + ["x" * (LOG_LINE_CHARS + 10)]
    log.follow(io.StringIO("\n".join(lines) + "\n")).join()
    kept = log.text().split("\n")
    assert len(kept) == LOG_LINES
    assert log.dropped == 501
    assert kept[0] == "line 501"
    assert kept[-1] == "x" * LOG_LINE_CHARS
