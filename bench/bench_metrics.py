"""Reading metrics back from an executed notebook: nbtools' harvester beside scrapbook's reader.

One notebook of 200 code cells, each with a glued scrap, a record() output and a 200 KiB PNG
output (the kind of notebook a training job writes), read 5 times by each tool.
Prints medians and the ratio; no assertion.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from nbtools.metrics.harvest import harvest_notebook
from nbtools.metrics.values import METRIC_MIME

CELLS, REPEATS = 200, 5


def make_notebook() -> dict[str, Any]:
    png = base64.b64encode(os.urandom(200 * 1024)).decode()
    cells = []
    for index in range(CELLS):
        outputs = [
            {"output_type": "display_data", "metadata": {"scrapbook": {"name": f"s{index}"}},
             "data": {"application/scrapbook.scrap.json+json":
                      {"name": f"s{index}", "data": index, "encoder": "json", "version": 1}}},
            {"output_type": "display_data", "metadata": {},
             "data": {METRIC_MIME: {"name": f"m{index}", "value": index / 3, "unit": None,
                                    "version": 1}, "text/plain": f"m{index}"}},
            {"output_type": "display_data", "metadata": {}, "data": {"image/png": png}},
        ]  # fmt: skip
        cells.append({"id": f"c{index}", "cell_type": "code", "source": "x", "metadata": {},
                      "execution_count": index + 1, "outputs": outputs})  # fmt: skip
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "P", "language": "python"},
                         "language_info": {"name": "python"}}}  # fmt: skip


def median_seconds(action: Any) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    import scrapbook

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "trained.ipynb"
        path.write_text(json.dumps(make_notebook()))
        size = path.stat().st_size / 2**20

        def ours() -> None:
            found = harvest_notebook(json.loads(path.read_bytes())).metrics
            assert len(found) == 2 * CELLS

        def theirs() -> None:
            assert len(scrapbook.read_notebook(str(path)).scraps) == CELLS

        ours_s, theirs_s = median_seconds(ours), median_seconds(theirs)
    print(f"metrics harvest, {CELLS} cells, {size:.0f} MiB notebook (median of {REPEATS}):")
    print(f"  nbtools harvest_notebook  {ours_s * 1000:8.1f} ms  ({2 * CELLS} metrics)")
    print(f"  scrapbook.read_notebook   {theirs_s * 1000:8.1f} ms  ({CELLS} scraps)")
    print(f"  ratio scrapbook / nbtools {theirs_s / ours_s:8.1f}x")


if __name__ == "__main__":
    main()
