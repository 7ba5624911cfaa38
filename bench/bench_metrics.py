"""Reading metrics back from an executed notebook: nbtools' harvester beside scrapbook's reader.

One notebook of 200 code cells, each with a glued scrap, a record() output and a 200 KiB PNG
output (the kind of notebook a training job writes), read 5 times by each tool, taking turns.
Prints medians with their spread and the ratio; no goal.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from figures import interleave, report, timed

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

        found = interleave({"ours": timed(ours), "theirs": timed(theirs)}, REPEATS)
    print(f"bench_metrics: harvest {CELLS} cells, {size:.0f} MiB notebook, {REPEATS} turns each")
    report(
        f"nbtools harvest_notebook ({2 * CELLS} metrics) vs scrapbook.read_notebook",
        found["ours"],
        unit="s",
        anchor=found["theirs"],
        anchor_name="scrapbook",
        state="in process, both modules imported, file cache warm",
    )


if __name__ == "__main__":
    main()
