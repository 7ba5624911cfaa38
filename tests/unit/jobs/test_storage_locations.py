"""Shared storage's locations: a path or a ``file:`` URL in any of RFC 8089's forms is a local
directory (read by ``nbtools.urls.local_path``, the data catalog's parser too); a ``file:`` URL
of another machine is refused naming the ``storage`` setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.errors import InvalidInputError
from nbtools.jobs.storage import Storage, StoredFile, read_bytes


@pytest.mark.parametrize(
    "form",
    [
        "{path}",
        "file://{path}",  # file:///abs
        "file://localhost{path}",  # before: the relative path localhost/abs, refused
        "file://LocalHost{path}",
        "file:{path}",  # RFC 8089's form with one slash; before: a relative path file:/abs
        "FILE://{path}",  # before: an fsspec protocol FILE it does not know
        "local://{path}",  # fsspec's other name for file:; before: a remote URL
        "local:{path}",
    ],
)
def test_every_form_of_a_local_directory_is_written_directly(tmp_path: Path, form: str) -> None:
    storage = Storage.parse(form.format(path=tmp_path / "shared"))
    assert storage.local == tmp_path / "shared"
    assert storage.location == str(tmp_path / "shared")
    stored = storage.put_input(b"{}")
    assert Path(stored).parent == tmp_path / "shared" / "inputs"
    assert read_bytes(stored) == b"{}"
    assert StoredFile(stored).local_path == Path(stored)


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("file://otherhost/x", "names a file on the machine 'otherhost'"),
        ("file://server/share/nbtools", "names a file on the machine 'server'"),
        ("file:shared/nbtools", "file: URL without an absolute path"),
        ("file://localhost", "file: URL without an absolute path"),
        ("relative/dir", "must be absolute"),
    ],
)
def test_a_file_url_of_another_machine_or_no_absolute_path_is_refused_naming_storage(
    location: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message) as info:
        Storage.parse(location)
    assert info.value.details["field"] == "storage"
    assert info.value.message.startswith(("Storage ", "Storage path "))


def test_a_remote_url_or_a_chain_is_not_a_local_directory() -> None:
    assert Storage.parse("memory://bucket/nbtools").local is None
    assert StoredFile("simplecache::file:///x/y.ipynb").local_path is None
    assert StoredFile("s3://bucket/runs/1/out.ipynb").local_path is None


@pytest.mark.parametrize(
    "location",
    ["nosuchproto://me:Zq9@Xk7:w@host/runs", "nosuchproto://me:Zq9@Xk7@host"],
)
def test_a_storage_error_shows_the_url_without_its_login(location: str) -> None:
    """A password holding an unencoded '@' or ':' showed its end (``Xk7:w@host``)."""
    with pytest.raises(InvalidInputError) as info:
        read_bytes(location + "/x.ipynb")
    assert "Zq9" not in info.value.message
    assert "Xk7" not in info.value.message
    assert "nosuchproto://host" in info.value.message
    assert info.value.details["storage"].startswith("nosuchproto://host")
