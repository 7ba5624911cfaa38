"""pylock.toml export (against the real PyPI) and import, validated by packaging.pylock."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment

from nbtools.envsnap.diff import diff
from nbtools.envsnap.index import IndexUnavailableError, PackageIndex
from nbtools.envsnap.kernel_capture import capture_interpreter, snapshot_from_document
from nbtools.envsnap.model import Distribution, Snapshot
from nbtools.envsnap.pylock import parse_pylock, to_pylock, validate_pylock
from nbtools.errors import InvalidInputError
from nbtools.project import Project
from tests.envsnap_support import BROKEN, EDITABLE, VCS

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

SNAPSHOT = Snapshot(
    "kernel",
    "python3",
    (
        Distribution("six", "1.17.0", wheel_tags=("py2-none-any", "py3-none-any")),
        Distribution("iniconfig", "2.0.0", wheel_tags=("cp311-cp311-linux_x86_64",)),
        EDITABLE,
        VCS,
        BROKEN,
        Distribution("six-not-released", "99.0"),
        Distribution("legacy", "1.0-beta_weird!"),
    ),
    python={"version": "3.11.7", "implementation": "cpython"},
    platform={"system": "linux", "machine": "x86_64"},
)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> str:
    cache = tmp_path_factory.mktemp("cache")
    return to_pylock(SNAPSHOT, PackageIndex(cache=cache)).text


def test_packaging_has_pylock_here() -> None:
    pytest.importorskip("packaging.pylock")


def test_export_locks_the_installed_files_with_hashes(exported: str) -> None:
    data = tomllib.loads(exported)
    packages = {package["name"]: package for package in data["packages"]}
    assert data["lock-version"] == "1.0"
    assert data["requires-python"] == "==3.11.*"
    six = packages["six"]
    assert [w["name"] for w in six["wheels"]] == ["six-1.17.0-py2.py3-none-any.whl"]
    assert six["wheels"][0]["hashes"]["sha256"]
    # No wheel on the index matches a locally built tag: the sdist is locked instead.
    assert packages["iniconfig"]["sdist"]["name"] == "iniconfig-2.0.0.tar.gz"
    assert packages["my-lib"]["directory"] == {"path": "/src/my-lib", "editable": True}
    assert packages["tool"]["vcs"]["commit-id"] == "abc123"
    # PEP 751: no version for a source tree (directory, VCS); nbtools keeps it in its table
    assert "version" not in packages["my-lib"]
    assert "version" not in packages["tool"]
    assert packages["my-lib"]["tool"] == {"nbtools": {"version": "0.2"}}
    assert packages["tool"]["tool"] == {"nbtools": {"version": "1.0"}}
    unlocked = {item["name"]: item for item in data["tool"]["nbtools"]["unlocked"]}
    assert unlocked["cracked"]["reason"] == "broken metadata: METADATA is missing"
    assert unlocked["six-not-released"]["reason"] == "99.0 is not on https://pypi.org/simple"
    assert unlocked["legacy"]["reason"] == "version '1.0-beta_weird!' is not a PEP 440 version"


def test_export_reads_back_as_the_same_environment(exported: str) -> None:
    back = parse_pylock(exported)
    assert diff(SNAPSHOT, back).empty
    assert back.id == SNAPSHOT.id


def test_unreachable_index_is_a_clear_error(tmp_path: Path) -> None:
    index = PackageIndex("http://127.0.0.1:9/simple", cache=tmp_path, timeout=2)
    with pytest.raises(IndexUnavailableError, match="Cannot reach the index"):
        to_pylock(SNAPSHOT, index)
    with pytest.raises(InvalidInputError, match="needs an http:// or https:// URL with a host"):
        PackageIndex("file:///etc/simple")


GOOD = """lock-version = "1.0"
created-by = "hand"

[[packages]]
name = "a"
version = "1.0"
directory = { path = "/src/a" }

[[packages]]
name = "b"
version = "2.0"
directory = { path = "/src/b" }
"""


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (GOOD.replace('created-by = "hand"', 'created-by = "hand'), 2, "not valid TOML"),
        (GOOD.replace('name = "b"\n', ""), 9, "Missing required value"),
        (GOOD.replace('name = "b"', 'name = "B_x"'), 9, "is not normalized"),
        (GOOD.replace('directory = { path = "/src/b" }', ""), 9, "Exactly one of vcs"),
        (GOOD.replace('name = "b"', 'name = "a"'), 9, "listed more than once"),
        (GOOD.replace('lock-version = "1.0"', 'lock-version = "2.0"'), None, "not supported"),
        (GOOD + "x = " + "[" * 5000 + "]" * 5000, None, "nested too deeply"),
        (GOOD + "x = " + "9" * 5000, None, "4300 digits"),
    ],
)
def test_malformed_lock_files_name_the_line(text: str, line: int | None, problem: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_pylock(text, "pylock.toml")
    assert problem in info.value.message
    assert info.value.details["line"] == line
    if line:
        assert info.value.message.startswith(f"pylock.toml, line {line}: ")


def test_a_valid_hand_written_lock_file() -> None:
    assert validate_pylock(GOOD)["created-by"] == "hand"
    snapshot = parse_pylock(GOOD)
    assert [(d.name, d.version, d.origin) for d in snapshot.distributions] == [
        ("a", "1.0", "directory"),
        ("b", "2.0", "directory"),
    ]


def test_index_hashes_of_a_lock_are_carried_into_the_pinned_set() -> None:
    from nbtools.envsnap.recreate import pinned_line

    text = (
        'lock-version = "1.0"\ncreated-by = "hand"\n\n'
        '[[packages]]\nname = "six"\nversion = "1.16.0"\n'
        '[[packages.wheels]]\nname = "six-1.16.0-py2.py3-none-any.whl"\n'
        'url = "https://files.example/six-1.16.0-py2.py3-none-any.whl"\n'
        'hashes = {sha256 = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"}\n'
    )
    [six] = parse_pylock(text).distributions
    unhashed = Distribution("unhashed", "1.0")
    assert pinned_line(six) == (
        "six==1.16.0 --hash=sha256:"
        "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254",
        True,
    )
    assert pinned_line(unhashed) == ("unhashed==1.0", False)
    stored = type(six).from_dict(six.to_dict())
    assert stored.index_hashes == six.index_hashes  # kept when the snapshot is stored


WINDOWS_ONLY = """
[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"
directory = { path = "/src/colorama" }
"""


def test_an_entry_whose_marker_does_not_hold_here_is_left_out(tmp_path: Path) -> None:
    """PEP 751: an installer skips a package whose marker is false; reading it as pinned
    was drift (`env check` exit 1, '- colorama 0.4.6') and recreate installed it."""
    here = WINDOWS_ONLY.replace("win32", sys.platform).replace("colorama", "here")
    snapshot = parse_pylock(GOOD + here + WINDOWS_ONLY)
    assert [d.name for d in snapshot.distributions] == ["a", "b", "here"]


def test_an_entry_s_marker_is_read_for_the_captured_interpreter_s_values() -> None:
    """A kernel's snapshot carries its interpreter's marker values (asked by the capture, a
    real one here): an entry for that interpreter's Python holds, one for another does not,
    whatever Python reads the lock."""
    captured = snapshot_from_document(capture_interpreter([sys.executable]))
    assert captured.markers == default_environment()  # what packaging computes here
    markers = {**captured.markers, "python_version": "3.99"}  # as a Python 3.99 reports them
    ours = default_environment()["python_version"]
    lock = WINDOWS_ONLY.replace("colorama", "theirs").replace(
        "sys_platform == 'win32'", "python_version == '3.99'"
    ) + WINDOWS_ONLY.replace("colorama", "ours").replace(
        "sys_platform == 'win32'", f"python_version == '{ours}'"
    )
    assert [d.name for d in parse_pylock(GOOD + lock).distributions] == ["a", "b", "ours"]
    read = parse_pylock(GOOD + lock, markers=markers)
    assert [d.name for d in read.distributions] == ["a", "b", "theirs"]


def test_a_lock_for_other_environments_is_read_but_never_installed(tmp_path: Path) -> None:
    """PEP 751: an installer raises an error when no ``environments`` marker holds; recreate
    refuses before it makes anything (exit 2), a lock for this machine passes that check."""
    from nbtools.envsnap.recreate import check_recreate, recreate

    windows = parse_pylock('environments = ["sys_platform == \\"win32\\""]\n' + GOOD)
    assert windows.environments == ('sys_platform == "win32"',)
    assert type(windows).from_dict(windows.to_dict()).environments == windows.environments
    with pytest.raises(InvalidInputError, match="locked for the environments") as info:
        recreate(windows, tmp_path / "venv")
    assert info.value.details["field"] == "snapshot"
    assert not (tmp_path / "venv").exists()
    here = parse_pylock(f'environments = ["sys_platform == \\"{sys.platform}\\""]\n' + GOOD)
    check_recreate(here, tmp_path / "venv")


def test_a_lock_requiring_another_python_is_read_but_never_installed_with_it(
    tmp_path: Path,
) -> None:
    """PEP 751: an installer raises an error when the interpreter does not meet the lock's
    ``requires-python``; recreate installed it with whichever Python it chose (exit 0). The
    dry run's checks refuse it too, before anything is made."""
    from nbtools.envsnap.recreate import check_recreate, recreate

    future = parse_pylock('requires-python = ">=99"\n' + GOOD)
    assert future.requires_python == ">=99"
    assert type(future).from_dict(future.to_dict()).requires_python == ">=99"
    for attempt in (check_recreate, recreate):
        with pytest.raises(InvalidInputError, match="requires Python >=99") as info:
            attempt(future, tmp_path / "venv")
        assert info.value.details["field"] == "snapshot"
    with pytest.raises(InvalidInputError, match="requires Python >=99") as info:
        recreate(future, tmp_path / "venv", python=sys.executable)
    assert info.value.details["field"] == "python"
    assert not (tmp_path / "venv").exists()
    here = ".".join(map(str, sys.version_info[:2]))
    check_recreate(parse_pylock(f'requires-python = "=={here}.*"\n' + GOOD), tmp_path / "venv")
    one_entry = GOOD.replace('name = "b"\n', 'name = "b"\nrequires-python = ">=99"\n')
    entry = parse_pylock(f'requires-python = ">={here}"\n' + one_entry)
    assert entry.requires_python == f">={here},>=99"  # the lock's and its entry's, both
    with pytest.raises(InvalidInputError, match="requires Python"):
        check_recreate(entry, tmp_path / "venv")


def test_a_lock_s_environments_and_requires_python_are_part_of_its_id(
    project: Project, tmp_path: Path
) -> None:
    """Its pins stored already from a lock without them, a lock for Windows (or for Python
    >=99) was answered as that stored snapshot, whose id then recreated it on this machine
    (the dry run's checks passed: the stored snapshot has no environments)."""
    from nbtools.envsnap import get_snapshot, import_text
    from nbtools.envsnap.recreate import check_recreate

    plain, _ = import_text(project, GOOD, "pylock.toml")
    for header in ("environments = [\"sys_platform == 'win32'\"]\n", 'requires-python = ">=99"\n'):
        locked, created = import_text(project, header + GOOD, "pylock.other.toml")
        assert created
        assert locked.id != plain.id
        with pytest.raises(InvalidInputError):
            check_recreate(get_snapshot(project, locked.id), tmp_path / "venv")
    assert parse_pylock(GOOD).id == plain.id  # a lock without them: the id it always had


RELATIVE = """lock-version = "1.0"
created-by = "hand"

[[packages]]
name = "dirpkg"
directory = { path = "../../src/dirpkg" }

[[packages]]
name = "repo"
vcs = { type = "git", path = "../repo", commit-id = "5e1a" }

[[packages]]
name = "tinypkg"
archive = { path = "wheels/tinypkg-1.0-py3-none-any.whl", hashes = { sha256 = "00" } }
"""


def test_relative_paths_are_relative_to_the_lock_file_s_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PEP 751: a relative path is relative to the lock file; it was read from the current
    directory (the CLI's, the server's), naming an unrelated folder."""
    from nbtools.envsnap.files import read_file

    lock = tmp_path / "locks" / "sub" / "pylock.toml"
    lock.parent.mkdir(parents=True)
    lock.write_text(RELATIVE)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    urls = {
        d.name: (d.direct_url or {})["url"]
        for d in read_file(Path("..") / "locks" / "sub" / "pylock.toml").distributions
    }
    assert urls == {
        "dirpkg": (tmp_path / "src" / "dirpkg").as_uri(),
        "repo": (tmp_path / "locks" / "repo").as_uri(),
        "tinypkg": (lock.parent / "wheels" / "tinypkg-1.0-py3-none-any.whl").as_uri(),
    }
    with pytest.raises(InvalidInputError, match="relative to the lock file's folder") as info:
        parse_pylock(RELATIVE)  # sent as text (REST import): no folder to be relative to
    assert info.value.details["line"] == 4
