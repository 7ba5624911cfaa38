"""Recreating a small real environment (two tiny pure-Python packages from PyPI)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nbtools.envsnap import snapshot_kernel
from nbtools.envsnap.kernel_capture import capture_interpreter, snapshot_from_document
from nbtools.envsnap.model import Distribution, Snapshot
from nbtools.envsnap.recreate import REQUIREMENTS_FILE, recreate
from nbtools.envsnap.requirements import parse_requirements
from nbtools.errors import CheckFailedError, InvalidInputError
from nbtools.project import Project
from tests.envsnap_support import EnvKernel, install_kernel, write_dist

PINS = {"six": "1.16.0", "iniconfig": "2.0.0"}


def make_source_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    pins = [f"{name}=={version}" for name, version in PINS.items()]
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", *pins],
        check=True,
    )
    return python


@pytest.mark.slow
def test_recreate_installs_the_pinned_set_and_reports_what_it_cannot(
    project: Project, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    python = make_source_venv(tmp_path / "source")
    site = next((tmp_path / "source" / "lib").glob("python3.*/site-packages"))
    write_dist(
        site,
        "gone-project",
        "0.1",
        direct_url={"url": "file:///no/such/checkout", "dir_info": {"editable": True}},
    )
    install_kernel(env_kernel.kernels, tmp_path / "empty-site", name="source", python=str(python))
    snapshot = snapshot_kernel(project, "source")
    assert {d.key: d.version for d in snapshot.distributions} == {**PINS, "gone-project": "0.1"}

    report = recreate(snapshot, tmp_path / "copy")

    assert report.python == str(python)
    assert report.warnings == []
    assert report.installed == 2
    assert report.skipped == [
        {
            "name": "gone-project",
            "version": "0.1",
            "reason": "editable install from /no/such/checkout, which no longer exists",
        }
    ]
    assert report.mismatches == []
    assert report.non_reproducible == [
        {
            "name": "gone-project",
            "version": "0.1",
            "reason": "editable install: its code is whatever the directory holds now",
        }
    ]
    copied = capture_interpreter([str(tmp_path / "copy" / "bin" / "python")])
    versions = {d["name"]: d["version"] for d in copied["distributions"]}
    assert {name: versions[name] for name in PINS} == PINS
    assert "six==1.16.0" in (tmp_path / "copy" / REQUIREMENTS_FILE).read_text()


def test_recreate_never_installs_over_existing_files(project: Project, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("precious")
    snapshot = Snapshot("requirements", "r.txt", (Distribution("six", "1.16.0"),))
    with pytest.raises(InvalidInputError, match="exists and is not an empty directory"):
        recreate(snapshot, target)
    assert (target / "keep.txt").read_text() == "precious"
    with pytest.raises(InvalidInputError, match="not a Python interpreter"):
        recreate(snapshot, tmp_path / "new", python=str(tmp_path / "busy" / "keep.txt"))


def build_wheel(directory: Path, body: str) -> Path:
    """A real (tiny, pure-Python) wheel ``tinypkg-1.0``, written by hand."""
    wheel = directory / "tinypkg-1.0-py3-none-any.whl"
    info = "tinypkg-1.0.dist-info"
    files = {
        "tinypkg/__init__.py": body,
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        record = [f"{name},," for name in files] + [f"{info}/RECORD,,"]
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel


def tiny_snapshot(directory: Path) -> tuple[Path, Snapshot]:
    """The wheel of :func:`build_wheel` installed in a venv of its own, and that venv's
    snapshot (the wheel's hash recorded)."""
    wheel = build_wheel(directory, "VALUE = 1\n")
    source = directory / "source"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(source)], check=True)
    python = source / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-index", str(wheel)],
        check=True,
    )  # fmt: skip
    return wheel, snapshot_from_document(capture_interpreter([str(python)]), origin=str(source))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Snapshot]:
    """:func:`tiny_snapshot`, made once for the module (a venv and a pip install); a test
    tampering with the wheel puts it back (:func:`tampered`)."""
    return tiny_snapshot(tmp_path_factory.mktemp("tiny"))


@contextlib.contextmanager
def tampered(wheel: Path) -> Iterator[None]:
    """In the block, ``wheel`` is another wheel of the same name (its recorded hash no longer
    matches); the original after."""
    original = wheel.read_bytes()
    build_wheel(wheel.parent, "VALUE = 'tampered'\n")
    try:
        yield
    finally:
        wheel.write_bytes(original)


@pytest.mark.slow
def test_recorded_archive_hashes_are_enforced_and_a_tampered_archive_changes_nothing(
    tmp_path: Path, tiny: tuple[Path, Snapshot]
) -> None:
    wheel, snapshot = tiny
    [tiny] = [d for d in snapshot.distributions if d.key == "tinypkg"]
    assert tiny.origin == "archive"
    assert tiny.archive_hashes["sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()

    report = recreate(snapshot, tmp_path / "copy")
    assert (report.installed, report.mismatches) == (1, [])
    [flagged] = report.non_reproducible  # a file:// archive: hash-checked, still flagged
    assert flagged["reason"].startswith(f"installed from the local path {wheel}")
    written = (tmp_path / "copy" / REQUIREMENTS_FILE).read_text()
    assert f"--hash=sha256:{tiny.archive_hashes['sha256']}" in written

    with tampered(wheel):  # same file name, other content
        with pytest.raises(CheckFailedError, match=r"(?i)hash"):
            recreate(snapshot, tmp_path / "new-dir")
        assert not (tmp_path / "new-dir").exists()  # nothing left behind
        empty = tmp_path / "empty"
        empty.mkdir()
        with pytest.raises(CheckFailedError, match=r"(?i)hash"):
            recreate(snapshot, empty)
    assert empty.is_dir()
    assert list(empty.iterdir()) == []


@pytest.mark.slow
def test_the_hash_of_a_requirements_file_s_line_is_enforced(tmp_path: Path) -> None:
    """`pip install -r` refuses a file whose ``--hash`` does not match; recreate from the same
    file dropped the option and installed it (exit 0)."""
    wheel = build_wheel(tmp_path, "VALUE = 1\n")
    wrong = hashlib.sha256(b"another file").hexdigest()
    text = f"tinypkg @ {wheel.as_uri()} \\\n    --hash=sha256:{wrong}\n"
    with pytest.raises(CheckFailedError, match=r"(?i)hash"):
        recreate(parse_requirements(text), tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


@pytest.mark.slow
def test_a_link_to_an_empty_directory_gets_the_venv_where_it_points_and_a_failure_empties_it(
    tmp_path: Path, tiny: tuple[Path, Snapshot]
) -> None:
    """``python -m venv`` refuses a symbolic link; the clean-up after that failure used to raise
    FileExistsError over the real error (a traceback in the CLI)."""
    wheel, snapshot = tiny
    (tmp_path / "real").mkdir()
    link = tmp_path / "link"
    link.symlink_to("real")

    report = recreate(snapshot, link)
    assert (report.installed, report.mismatches) == (1, [])
    assert link.is_symlink()
    assert (tmp_path / "real" / "bin" / "python").exists()

    (tmp_path / "other").mkdir()
    other = tmp_path / "other-link"
    other.symlink_to("other")
    with tampered(wheel), pytest.raises(CheckFailedError, match=r"(?i)hash"):
        recreate(snapshot, other)
    assert other.is_symlink()
    assert list((tmp_path / "other").iterdir()) == []  # emptied again, still there


@contextlib.contextmanager
def files_behind_a_login(directory: Path, login: str) -> Iterator[str]:
    """An HTTP server on this machine serving ``directory``'s files to requests that carry
    ``login`` (``user:password``, HTTP basic authentication), 401 to others; its address."""
    expected = "Basic " + base64.b64encode(login.encode()).decode()

    class Files(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(directory), **kwargs)

        def do_GET(self) -> None:
            if self.headers.get("Authorization") == expected:
                super().do_GET()
                return
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="files"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.slow
def test_a_login_left_out_of_a_snapshot_is_not_sent_but_one_of_variables_is_filled_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot keeps no secret login, so recreate installs from the URL without it: a
    host that needs one refuses (exit 1, the directory left as it was). A login written as
    environment variables is kept, and pip fills it in from recreate's environment."""
    served = tmp_path / "served"
    served.mkdir()
    wheel = build_wheel(served, "VALUE = 1\n")
    hashes = {"sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()}

    def pinned(url: str) -> Snapshot:
        direct_url = {"url": url, "archive_info": {"hashes": hashes}}
        return Snapshot(
            "requirements", "r.txt", (Distribution("tinypkg", "1.0", direct_url=direct_url),)
        )

    with files_behind_a_login(served, "bot:s3cr3t-tok") as host:
        dropped = pinned(f"http://bot:s3cr3t-tok@{host}/{wheel.name}")
        assert dropped.distributions[0].direct_url == {
            "url": f"http://{host}/{wheel.name}",
            "archive_info": {"hashes": hashes},
        }
        with pytest.raises(CheckFailedError, match="401") as refused:
            recreate(dropped, tmp_path / "copy")
        assert "s3cr3t-tok" not in refused.value.message
        assert not (tmp_path / "copy").exists()

        monkeypatch.setenv("FILES_USER", "bot")
        monkeypatch.setenv("FILES_TOKEN", "s3cr3t-tok")
        variables = pinned(f"http://${{FILES_USER}}:${{FILES_TOKEN}}@{host}/{wheel.name}")
        report = recreate(variables, tmp_path / "copy")
    assert (report.installed, report.mismatches) == (1, [])
    written = (tmp_path / "copy" / REQUIREMENTS_FILE).read_text()
    assert f"tinypkg @ http://${{FILES_USER}}:${{FILES_TOKEN}}@{host}/{wheel.name}" in written
    assert "s3cr3t-tok" not in written


#: A project pip builds with its own in-tree backend (nothing to download): one module.
VCS_PYPROJECT = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]
"""
VCS_BACKEND = """\
import os, zipfile

INFO = "vcspkg-0.1.dist-info"
FILES = {
    "vcspkg.py": "VALUE = 1\\n",
    INFO + "/METADATA": "Metadata-Version: 2.1\\nName: vcspkg\\nVersion: 0.1\\n",
    INFO + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "vcspkg-0.1-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as archive:
        for path, text in FILES.items():
            archive.writestr(path, text)
        archive.writestr(INFO + "/RECORD", "".join(p + ",,\\n" for p in [*FILES, INFO + "/RECORD"]))
    return name
"""


def git_repository(path: Path) -> str:
    """A git repository at ``path`` holding the project above; its commit."""
    path.mkdir()
    (path / "pyproject.toml").write_text(VCS_PYPROJECT)
    (path / "backend.py").write_text(VCS_BACKEND)
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run([*git, *args], check=True)
    return subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.slow
def test_a_vcs_install_from_a_local_repository_is_recreated_with_the_venv_s_own_pip(
    tmp_path: Path,
) -> None:
    """A new venv gets the pip its Python bundles (23.2.1 for 3.11), which refused the
    ``vcspkg @ git+file:///…@COMMIT`` line ("It looks like a path"); ``file://localhost/`` is
    the same URL, and the new venv's record of it matches the snapshot's."""
    repository = tmp_path / "vcspkg"
    commit = git_repository(repository)
    direct_url = {"url": repository.as_uri(), "vcs_info": {"vcs": "git", "commit_id": commit}}
    snapshot = Snapshot("kernel", "kb", (Distribution("vcspkg", "0.1", direct_url=direct_url),))
    report = recreate(snapshot, tmp_path / "copy")
    assert (report.installed, report.mismatches) == (1, [])
    written = (tmp_path / "copy" / REQUIREMENTS_FILE).read_text()
    assert f"vcspkg @ git+file://localhost{repository}@{commit}" in written


@pytest.mark.slow
def test_a_recreate_of_hashed_and_unhashed_entries_keeps_only_the_whole_pinned_set(
    tmp_path: Path, tiny: tuple[Path, Snapshot]
) -> None:
    """The two parts (pip's hash-checking mode applies to a whole file) were written into
    DIR as nbtools-requirements-hashed.txt and -unhashed.txt and left there."""
    _, snapshot = tiny
    project = tmp_path / "vcspkg"
    git_repository(project)  # a local directory install: no hash
    local = Distribution("vcspkg", "0.1", direct_url={"url": project.as_uri(), "dir_info": {}})
    mixed = Snapshot("kernel", "mixed", (*snapshot.distributions, local))
    report = recreate(mixed, tmp_path / "copy")
    assert (report.installed, report.mismatches) == (2, [])
    written = sorted(path.name for path in (tmp_path / "copy").glob("nbtools-*"))
    assert written == [REQUIREMENTS_FILE]
