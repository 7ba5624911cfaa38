"""What killed version writes leave (SIGKILL at a known point): a restore's hidden temporary
file beside the notebook, a save's object files no version refers to; the next restore, and
``version gc``, remove them, and ``gc --dry-run`` counts them."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from nbtools.atomic import STALE_AFTER
from tests.conftest import make_notebook
from tests.held import KILLED, Stop, run
from tests.unit.versioning.conftest import png_base64, write


def big_notebook(seed: int) -> dict[str, Any]:
    """Three figures of 200 KB each: objects stored in files of their own."""
    nb = make_notebook([("code", f"plot({n})", []) for n in range(3)])
    for n, cell in enumerate(nb["cells"]):
        data = {"image/png": png_base64(200_000, seed=seed * 10 + n)}
        cell["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": data}]
    return nb


def saved(root: Path, seed: int) -> None:
    write(root / "big.ipynb", big_notebook(seed))
    done = run(root, "version", "save", "big.ipynb")
    assert done.returncode == 0, done.stderr


def temporaries(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".big.ipynb."))


def aged(paths: list[Path]) -> None:
    """Nothing has written to ``paths`` for longer than a write in progress would leave them."""
    then = time.time() - STALE_AFTER - 60
    for path in paths:
        os.utime(path, (then, then))


def test_a_killed_restore_s_temporary_file_is_removed_by_the_next_restore(
    tmp_path: Path,
) -> None:
    """Before, the full-size ``.big.ipynb.<hex>.tmp`` stayed beside the notebook for good."""
    saved(tmp_path, 1)
    saved(tmp_path, 2)
    stop = Stop("os.rename", "/.big.ipynb.")  # the temporary file written whole, not renamed
    assert run(tmp_path, "version", "restore", "big.ipynb", "1", stop=stop).returncode == KILLED
    (left,) = temporaries(tmp_path)
    assert (tmp_path / left).stat().st_size > 600_000
    done = run(tmp_path, "version", "restore", "big.ipynb", "1")
    assert done.returncode == 0, done.stderr
    assert temporaries(tmp_path) == [left]  # a write may still be making it: left a while
    aged([tmp_path / left])
    done = run(tmp_path, "version", "restore", "big.ipynb", "2")
    assert done.returncode == 0, done.stderr
    assert temporaries(tmp_path) == []


def test_gc_and_its_dry_run_count_what_killed_writes_left(tmp_path: Path) -> None:
    """A save killed after writing one object file (and the next one's temporary file), and
    a restore killed before its rename: before, ``gc --dry-run`` said 0 objects and the same
    size before and after, while gc then freed 0.6 MB; and the restore's file stayed."""
    saved(tmp_path, 1)
    saved(tmp_path, 2)
    stop = Stop("os.rename", "/.big.ipynb.")
    assert run(tmp_path, "version", "restore", "big.ipynb", "1", stop=stop).returncode == KILLED
    write(tmp_path / "big.ipynb", big_notebook(3))
    stop = Stop("os.rename", "/loose/", nth=2)
    assert run(tmp_path, "version", "save", "big.ipynb", stop=stop).returncode == KILLED
    aged([tmp_path / name for name in temporaries(tmp_path)])

    dry = run(tmp_path, "version", "gc", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    would = json.loads(dry.stdout)
    assert would["leftover_files"] == 3  # an object file, a temporary one, the restore's
    assert would["bytes_before"] - would["bytes_after"] > 400_000
    assert temporaries(tmp_path) != []  # a dry run removes nothing
    text = run(tmp_path, "version", "gc", "--dry-run").stdout
    assert "Would remove 0 objects and 3 files killed writes left. Store: " in text

    done = run(tmp_path, "version", "gc", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["leftover_files"] == 3
    assert report["bytes_after"] == would["bytes_after"]
    assert temporaries(tmp_path) == []
