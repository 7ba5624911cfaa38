"""A pylock.toml export against a private index (a company's mirror): a login in its URL,
relative file URLs, and answers that are not files, served by a real HTTP server here."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from nbtools.envsnap.index import IndexUnavailableError, PackageIndex
from nbtools.envsnap.model import Distribution, Snapshot
from nbtools.envsnap.pylock import to_pylock
from nbtools.errors import InvalidInputError
from tests.index_mirror import WHEEL, Mirror, serving_mirror, with_login

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

SNAPSHOT = Snapshot(
    "kernel",
    "python3",
    (Distribution("six", "1.17.0", wheel_tags=("py2-none-any", "py3-none-any")),),
    python={"version": "3.11.7", "implementation": "cpython"},
    platform={"system": "linux", "machine": "x86_64"},
)


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serving_mirror() as server:
        yield server


def test_a_login_in_the_url_is_sent_and_never_written(mirror: Mirror, tmp_path: Path) -> None:
    index = PackageIndex(with_login(mirror, "/simple/"), cache=tmp_path)
    assert index.url == f"{mirror.base}/simple"
    exported = to_pylock(SNAPSHOT, index)
    assert exported.unlocked == []
    (six,) = tomllib.loads(exported.text)["packages"]
    assert six["index"] == f"{mirror.base}/simple"
    # a file URL relative to the project page is written whole
    assert six["wheels"][0]["url"] == f"{mirror.base}/files/{WHEEL}"
    assert "t0k" not in exported.text
    assert "ci%40" not in exported.text
    assert not any("t0k" in path.name for path in tmp_path.rglob("*"))


def test_without_the_login_the_error_says_the_index_asks_for_one(
    mirror: Mirror, tmp_path: Path
) -> None:
    index = PackageIndex(f"{mirror.base}/simple", cache=tmp_path)
    with pytest.raises(IndexUnavailableError) as info:
        to_pylock(SNAPSHOT, index)
    assert info.value.message == (
        f"The index {mirror.base}/simple answered 401 for six. It asks for a login: give the "
        "URL with one (https://user:token@host/simple)."
    )
    assert info.value.details["field"] == "index_url"


def test_a_wrong_login_is_not_told_to_add_one(mirror: Mirror, tmp_path: Path) -> None:
    wrong = with_login(mirror, "/simple").replace("t0k", "bad")
    with pytest.raises(IndexUnavailableError) as info:
        to_pylock(SNAPSHOT, PackageIndex(wrong, cache=tmp_path))
    assert info.value.message == f"The index {mirror.base}/simple answered 401 for six."
    assert "bad" not in info.value.message


def test_the_login_does_not_follow_a_redirect(mirror: Mirror, tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailableError, match="answered 401"):
        to_pylock(SNAPSHOT, PackageIndex(with_login(mirror, "/moved"), cache=tmp_path))
    (moved, sent), (redirected, carried) = mirror.authorizations
    assert (moved, redirected) == ("/moved/six/", "/simple/six/")
    assert sent is not None
    assert carried is None


def test_an_index_without_the_json_api_is_named(mirror: Mirror, tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailableError) as info:
        to_pylock(SNAPSHOT, PackageIndex(f"{mirror.base}/html", cache=tmp_path))
    assert "does not serve the JSON simple API (PEP 691)" in info.value.message
    assert "--" not in info.value.message  # the REST API shows it too: no command-line flag


def export(tmp_path: Path, *flags: str, **environ: str) -> Result:
    """``nbtools env export requirements.txt --format pylock`` with only ``environ``'s index."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.17.0\n", encoding="utf-8")
    quiet_pip = {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": None,
        "NBTOOLS_ENV_INDEX_URL": None,
    }
    runner = CliRunner(env={**quiet_pip, **environ})
    args = ["--root", str(tmp_path), "env", "export", str(requirements), "--format", "pylock"]
    return runner.invoke(cli, [*args, *flags])


@pytest.mark.parametrize("variable", ["NBTOOLS_ENV_INDEX_URL", "PIP_INDEX_URL"])
def test_the_cli_exports_from_the_configured_index(
    mirror: Mirror, tmp_path: Path, variable: str
) -> None:
    """The setting, or else the index pip installs from."""
    result = export(tmp_path, **{variable: with_login(mirror, "/simple")})
    assert result.exit_code == 0, result.output
    (six,) = tomllib.loads(result.stdout)["packages"]
    assert six["index"] == f"{mirror.base}/simple"


def test_the_flag_beats_the_setting(mirror: Mirror, tmp_path: Path) -> None:
    lock = tmp_path / "pylock.toml"
    result = export(
        tmp_path,
        "--index-url",
        with_login(mirror, "/simple"),
        "-o",
        str(lock),
        NBTOOLS_ENV_INDEX_URL="http://127.0.0.1:9/simple",
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.rstrip().endswith(f"files from {mirror.base}/simple).")  # no login
    assert 'name = "six"' in lock.read_text(encoding="utf-8")


def test_an_unreachable_index_points_at_the_flag(tmp_path: Path) -> None:
    """The library's message names no flag (JupyterLab shows it too); the command adds its own."""
    result = export(tmp_path, "--index-url", "http://127.0.0.1:9/simple")
    assert result.exit_code == 2
    assert "Cannot reach the index http://127.0.0.1:9/simple" in result.stderr
    assert result.stderr.rstrip().endswith("which needs none. See --index-url.")


def test_a_flag_that_is_not_an_index_url_is_refused_as_it_is_read(tmp_path: Path) -> None:
    result = export(tmp_path, "--index-url", "ftp://user:s3cret@mirror.example/simple")
    assert result.exit_code == 2
    assert result.stderr.rstrip().endswith(
        "Invalid value for '--index-url': expected an http(s) URL naming a host."
    )
    assert "s3cret" not in result.output


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///srv/wheels", "needs an http:// or https:// URL with a host, got "
         "'file:///srv/wheels'."),
        ("https:///simple", "needs an http:// or https:// URL with a host"),
        # accepted before, each look-up then failing
        ("https://mirror.example:99999/simple", "has the port '99999': give a number"),
        ("https://mirror.example/my simple", "holds a space: percent-encode it (%20)."),
        ("https://mirror.example/café/simple", "holds 'é', which a request cannot carry"),
        ("https://bot:s3cret@mirror.example:0/simple", "'https://bot:***@mirror.example:0/"),
    ],
)  # fmt: skip
def test_an_index_url_no_request_can_be_made_to_is_refused_naming_the_field(
    url: str, problem: str
) -> None:
    """The index's URL is checked as every URL nbtools makes requests to (a webhook's)."""
    with pytest.raises(InvalidInputError) as refused:
        PackageIndex(url)
    assert refused.value.message.startswith("A package index ")
    assert problem in refused.value.message
    assert refused.value.details["field"] == "index_url"
    assert "s3cret" not in f"{refused.value.message} {refused.value.details}"


def test_an_index_url_is_kept_without_its_login_and_final_slash() -> None:
    assert PackageIndex("https://bot:s3cret@mirror.example:8443/simple/").url == (
        "https://mirror.example:8443/simple"
    )


@pytest.mark.parametrize("cached", ['{"files": [', "[]", '{"files": 3}'])
def test_a_cache_entry_that_is_not_an_answer_is_asked_again(
    mirror: Mirror, tmp_path: Path, cached: str
) -> None:
    """Cut short by a full disk, or written by hand: the index is asked again, and its
    answer replaces the entry whole."""
    index = PackageIndex(with_login(mirror, "/simple"), cache=tmp_path)
    assert index.cache is not None
    index.cache.mkdir(parents=True)
    (index.cache / "six.json").write_text(cached, encoding="utf-8")
    assert [f.filename for f in index.release_files("six", "1.17.0")] == [WHEEL]
    assert json.loads((index.cache / "six.json").read_text(encoding="utf-8"))["name"] == "six"
    assert [path for path, _login in mirror.authorizations] == ["/simple/six/"]
    # from the cache now: the index is not asked again
    assert [f.filename for f in index.release_files("six", "1.17.0")] == [WHEEL]
    assert len(mirror.authorizations) == 1


def test_an_answer_that_is_not_the_json_api_is_named(mirror: Mirror, tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailableError) as info:
        to_pylock(SNAPSHOT, PackageIndex(f"{mirror.base}/junk", cache=tmp_path))
    assert "with a page that is not the JSON simple API's" in info.value.message
    assert not list(tmp_path.rglob("*.json"))  # nothing cached


def test_entries_no_lock_can_pin_are_skipped(mirror: Mirror, tmp_path: Path) -> None:
    exported = to_pylock(SNAPSHOT, PackageIndex(f"{mirror.base}/odd", cache=tmp_path))
    (six,) = tomllib.loads(exported.text)["packages"]
    (wheel,) = six["wheels"]
    assert wheel == {
        "name": WHEEL,
        "url": f"{mirror.base}/files/{WHEEL}",
        "hashes": {"sha256": "cd" * 32},
    }  # neither a size that is not a number nor an upload time that is not a moment


def test_pip_s_file_index_stops_only_a_lock_file(tmp_path: Path) -> None:
    """pip installs from a folder (``file://``) that no lock can ask: a requirements.txt,
    which needs no index, is exported anyway; a pylock.toml is refused naming it."""
    folder = {"PIP_INDEX_URL": "file:///srv/wheels"}
    lock = export(tmp_path, **folder)  # a pylock.toml
    assert lock.exit_code == 2
    assert "needs an http:// or https:// URL with a host, got 'file:///srv/wheels'" in lock.stderr
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n", encoding="utf-8")
    runner = CliRunner(env={"PIP_CONFIG_FILE": os.devnull, "NBTOOLS_ENV_INDEX_URL": None, **folder})
    args = ["--root", str(tmp_path), "env", "export", str(tmp_path / "requirements.txt")]
    plain = runner.invoke(cli, [*args, "--format", "requirements"])
    assert plain.exit_code == 0, plain.output
    assert "six==1.17.0" in plain.stdout


def test_look_ups_are_counted_as_they_are_answered(mirror: Mirror, tmp_path: Path) -> None:
    told: list[tuple[int, int]] = []
    index = PackageIndex(with_login(mirror, "/simple"), cache=tmp_path)
    wanted = [("six", "1.17.0"), ("six", "1.17.0"), ("six", "1.16.0")]  # one asked once
    found = index.releases(wanted, lambda done, total: told.append((done, total)))
    assert [f.filename for f in found["six", "1.17.0"]] == [WHEEL]
    assert found["six", "1.16.0"] == []
    assert sorted(told) == [(0, 2), (1, 2), (2, 2)]
