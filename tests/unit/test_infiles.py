"""A file a user names for nbtools to read: what is no regular file (a named pipe, a device)
is refused before a byte is read, where reading it waited for a writer for good."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtools.errors import InvalidInputError
from nbtools.export.model import MANIFEST
from nbtools.infiles import read_regular
from tests.conftest import make_notebook

NOT_REGULAR = "is not a regular file (a named pipe, a device or a socket)"


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A named pipe no process writes to; opened for writing (and closed) when the test
    ends, which lets go a reader that waits on it, had one waited."""
    path = tmp_path / "fifo.ipynb"
    os.mkfifo(path)
    yield path
    with contextlib.suppress(OSError):  # no reader waits (ENXIO)
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def test_a_named_pipe_a_device_and_a_socket_are_refused_naming_the_field(
    fifo: Path, tmp_path: Path
) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "sock"))
        for path in (fifo, Path("/dev/zero"), tmp_path / "sock"):
            with pytest.raises(InvalidInputError) as refused:
                read_regular(path, "given", field="parameters_file")
            assert refused.value.message.startswith(f"given {NOT_REGULAR}")
            assert refused.value.details == {"path": "given", "field": "parameters_file"}


def test_a_regular_file_is_read_and_a_folder_or_a_missing_file_left_to_the_caller(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.txt").write_bytes(b"abc")
    assert read_regular(tmp_path / "a.txt") == b"abc"
    assert read_regular(tmp_path / "a.txt", limit=2) == b"ab"
    with pytest.raises(IsADirectoryError):
        read_regular(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "missing")


def nbtools(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line, in ``cwd``; its timeout only a guard: each call returns at once."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NBTOOLS_")}
    command = [sys.executable, "-c", "from nbtools.cli.main import main; main()", *args]
    return subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=60
    )


def test_every_command_given_a_named_pipe_to_read_exits_2_saying_so(
    fifo: Path, tmp_path: Path
) -> None:
    """Each waited on the pipe for good (``run``, ``version save``, ``extract``, ``env
    import``, ``run -f``, ``serve --api-key-file``); ``--config`` said the file did not
    exist."""
    notebook = make_notebook([("code", "days = 1", ["parameters"])])
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook))
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / MANIFEST).write_text(json.dumps({"package": "missing", "files": {}}))
    params = tmp_path / "params.json"
    os.mkfifo(params)
    for args in (
        ("run", "fifo.ipynb"),
        ("schedule", "add", "fifo.ipynb"),
        ("version", "save", "fifo.ipynb"),
        ("extract", "fifo.ipynb"),
        ("env", "import", "fifo.ipynb"),
        ("env", "show", "fifo.ipynb"),
        ("run", "nb.ipynb", "-f", "params.json"),
        ("run", "nb.ipynb", "-f", "fifo.ipynb"),  # read as YAML
        ("serve", "pkg", "--port", "0", "--api-key-file", "fifo.ipynb"),
        ("--config", "fifo.ipynb", "status"),
    ):
        refused = nbtools(tmp_path, *args)
        assert refused.returncode == 2, (args, refused.stderr)
        assert NOT_REGULAR in refused.stderr, (args, refused.stderr)
        assert "Traceback" not in refused.stderr

    assert nbtools(tmp_path, "version", "save", "nb.ipynb").returncode == 0
    (tmp_path / "nb.ipynb").unlink()
    os.mkfifo(tmp_path / "nb.ipynb")  # its current state is read, to be kept, before a restore
    refused = nbtools(tmp_path, "version", "restore", "nb.ipynb", "1")
    assert refused.returncode == 2, refused.stderr
    assert NOT_REGULAR in refused.stderr
    with contextlib.suppress(OSError):
        os.close(os.open(tmp_path / "nb.ipynb", os.O_WRONLY | os.O_NONBLOCK))


def test_a_dataset_at_a_named_pipe_is_catalogued_without_reading_it(tmp_path: Path) -> None:
    """``data add`` read the schema of a pipe named ``.csv`` and waited for a writer for
    good; a location that cannot be read is catalogued with a note saying why."""
    (tmp_path / ".nbtools").mkdir()
    (tmp_path / "data").mkdir()
    pipe = tmp_path / "data" / "feed.csv"
    os.mkfifo(pipe)
    try:
        added = nbtools(tmp_path, "data", "add", "feed", "data/feed.csv", "--json")
        edited = nbtools(tmp_path, "data", "edit", "feed", "--json")  # reads the schema again
    finally:
        with contextlib.suppress(OSError):  # lets go a reader that waited on it, had one
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
    for result in (added, edited):
        assert result.returncode == 0, result.stderr
        dataset = json.loads(result.stdout)
        assert dataset["schema"] is None
        assert dataset["schema_note"] == (
            "not a regular file (a named pipe, a device or a socket): schema not read"
        )
