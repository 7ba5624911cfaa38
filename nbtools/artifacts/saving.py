"""``nbtools.artifacts.save(name, data)``: keep a file with the run that executes the notebook.

A job's kernel gets an empty directory of its own, ``$NBTOOLS_ARTIFACTS_DIR`` (see
:class:`nbtools.kernels.Kernel`); ``save`` copies the file or writes the bytes there
(under a hidden name first, then renamed, so a run that stops mid-save never keeps half a
file). When the notebook has run, the runner moves those files beside the run's outputs
and the store records them (:mod:`nbtools.artifacts.events`). Any file the notebook writes
into that directory itself is kept the same way.

Outside a run (a notebook open in JupyterLab) there is no run to keep the file: ``save``
checks its input, warns, and returns None, so the same notebook runs interactively and as
a job.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

from nbtools.artifacts.names import MAX_BYTES, check_name
from nbtools.atomic import replacing
from nbtools.errors import InvalidInputError, NotFoundError, PayloadTooLargeError
from nbtools.kernels import ARTIFACTS_DIR_ENV


class NotInRunWarning(UserWarning):
    """``save`` was called outside a job run: nothing was kept."""


def save(name: str, data: bytes | str | os.PathLike[str]) -> Path | None:
    """Keep ``data`` (bytes, or the path of a file) as the run's artifact ``name``; returns
    where it waits for the end of the run, or None outside a run.

    A directory is refused: archive it first (``shutil.make_archive``) and save the archive.
    Saving a name again replaces the earlier file.
    """
    check_name(name)
    content = data if isinstance(data, bytes) else _source(data)
    size = len(content) if isinstance(content, bytes) else content.stat().st_size
    if size > MAX_BYTES:
        raise PayloadTooLargeError(
            f"Artifact {name!r} is {size} bytes; an artifact may hold at most {MAX_BYTES} bytes.",
            field="data",
            limit=MAX_BYTES,
        )
    directory = os.environ.get(ARTIFACTS_DIR_ENV)
    if not directory:
        warnings.warn(
            f"Not in a job run: artifact {name!r} was not kept (runs of jobs keep artifacts).",
            NotInRunWarning,
            stacklevel=2,
        )
        return None
    target = Path(directory) / name
    with replacing(target, durable=False) as out:  # the run's end uploads it, or lists it
        if isinstance(content, bytes):
            out.write(content)
        else:
            with content.open("rb") as file:
                shutil.copyfileobj(file, out)
    return target


def _source(data: object) -> Path:
    """The file to copy, checked."""
    if not isinstance(data, (str, os.PathLike)):
        raise InvalidInputError(
            f"save() takes bytes or a file's path, not {type(data).__name__}: write the "
            "object to a file first (e.g. json.dump, pickle.dump).",
            field="data",
        )
    path = Path(data)
    if path.is_dir():
        raise InvalidInputError(
            f"{path} is a directory: archive it first (shutil.make_archive) and save the archive.",
            field="data",
        )
    if not path.is_file():
        raise NotFoundError(f"No file {path} to save.", field="data")
    return path
