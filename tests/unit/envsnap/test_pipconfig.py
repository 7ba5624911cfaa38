"""The index pip installs from, read as pip reads it: each case is also asked of pip itself
(its own configuration loader, in a process with the same environment)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.envsnap import EnvSettings
from nbtools.envsnap.pipconfig import pip_index_url
from nbtools.errors import InvalidInputError
from nbtools.settings import build, layered_config

PIP_SAYS = """
import json
from pip._internal.configuration import Configuration
configuration = Configuration(isolated=False)
configuration.load()
values = {}
for _source, settings in configuration.items():  # each file, then the variables, in order
    values.update(settings)
print(json.dumps(
    values.get(":env:.index-url") or values.get("install.index-url")
    or values.get("global.index-url")
))
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def section(name: str, url: str) -> str:
    return f"[{name}]\nindex-url = {url}\n"


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    """An environment whose every pip location is under ``tmp_path``, but two: the venv's
    ``sys.prefix/pip.conf`` and ``/etc/pip.conf``, which must not set an index here."""
    for fixed in (Path(sys.prefix) / "pip.conf", Path("/etc/pip.conf")):
        if fixed.exists() and "index" in fixed.read_text(encoding="utf-8"):
            pytest.skip(f"{fixed} sets an index on this machine")
    return {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"),
        "XDG_CONFIG_DIRS": str(tmp_path / "xdg"),
        "PATH": os.environ["PATH"],
    }


def pip_says(environ: dict[str, str]) -> str | None:
    done = subprocess.run(
        [sys.executable, "-c", PIP_SAYS], env=environ, capture_output=True, text=True, check=True
    )
    answer: str | None = json.loads(done.stdout)
    return answer


def case_global_only(tmp: Path, environ: dict[str, str]) -> str:
    write(tmp / "xdg" / "pip" / "pip.conf", section("global", "https://global.example/simple"))
    return "https://global.example/simple"


def case_user_over_global(tmp: Path, environ: dict[str, str]) -> str:
    write(tmp / "xdg" / "pip" / "pip.conf", section("global", "https://global.example/simple"))
    write(tmp / "home" / ".pip" / "pip.conf", section("global", "https://legacy.example/simple"))
    write(
        tmp / "home" / ".config" / "pip" / "pip.conf",
        section("global", "https://new.example/simple"),
    )
    return "https://new.example/simple"  # the new user file overrides the legacy one


def case_install_section_beats_a_later_global(tmp: Path, environ: dict[str, str]) -> str:
    write(tmp / "xdg" / "pip" / "pip.conf", section("install", "https://install.example/simple"))
    write(
        tmp / "home" / ".config" / "pip" / "pip.conf",
        section("global", "https://user.example/simple"),
    )
    return "https://install.example/simple"


def case_named_file_skips_the_user_files(tmp: Path, environ: dict[str, str]) -> str:
    write(
        tmp / "home" / ".config" / "pip" / "pip.conf",
        section("install", "https://user.example/simple"),
    )
    named = write(tmp / "ci.conf", section("global", "https://ci.example/simple"))
    environ["PIP_CONFIG_FILE"] = str(named)
    return "https://ci.example/simple"


def case_devnull_reads_no_file(tmp: Path, environ: dict[str, str]) -> None:
    write(tmp / "xdg" / "pip" / "pip.conf", section("global", "https://global.example/simple"))
    environ["PIP_CONFIG_FILE"] = os.devnull


def case_variable_beats_every_file(tmp: Path, environ: dict[str, str]) -> str:
    write(
        tmp / "home" / ".config" / "pip" / "pip.conf",
        section("install", "https://user.example/simple"),
    )
    environ["PIP_INDEX_URL"] = "https://variable.example/simple"
    return "https://variable.example/simple"


def case_underscore_key_and_blank_value(tmp: Path, environ: dict[str, str]) -> str:
    write(tmp / "xdg" / "pip" / "pip.conf", "[global]\nindex_url = https://under.example/simple\n")
    write(tmp / "home" / ".config" / "pip" / "pip.conf", "[global]\nextra-index-url = https://x/\n")
    return "https://under.example/simple"


def case_nothing_configured(tmp: Path, environ: dict[str, str]) -> None:
    write(tmp / "home" / ".config" / "pip" / "pip.conf", "[global]\ntimeout = 60\n")


@pytest.mark.parametrize(
    "case",
    [
        case_global_only,
        case_user_over_global,
        case_install_section_beats_a_later_global,
        case_named_file_skips_the_user_files,
        case_devnull_reads_no_file,
        case_variable_beats_every_file,
        case_underscore_key_and_blank_value,
        case_nothing_configured,
    ],
)
def test_the_index_is_the_one_pip_would_use(
    tmp_path: Path, environ: dict[str, str], case: object
) -> None:
    expected = case(tmp_path, environ)  # type: ignore[operator]
    assert pip_index_url(environ) == expected
    assert pip_says(environ) == expected


def test_a_file_pip_cannot_parse_is_skipped(tmp_path: Path, environ: dict[str, str]) -> None:
    write(tmp_path / "xdg" / "pip" / "pip.conf", section("global", "https://global.example/simple"))
    write(tmp_path / "home" / ".config" / "pip" / "pip.conf", "index-url = no section\n")
    assert pip_index_url(environ) == "https://global.example/simple"


def test_the_setting_then_pip_then_pypi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    assert EnvSettings().index() == "https://pypi.org/simple"
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirror.example/simple")
    assert EnvSettings().index() == "https://mirror.example/simple"
    chosen = EnvSettings(index_url="https://chosen.example/simple")
    assert chosen.index() == "https://chosen.example/simple"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("ftp://mirror.example/simple", "'ftp://mirror.example/simple'"),
        ("mirror.example/simple", "'mirror.example/simple'"),
        ("https:///simple", "'https:///simple'"),
        ("https://user:s3cret@/simple", "'https:///simple'"),  # never the login
        ("https://user:s3cret@[::1/simple", "'https://[::1/simple'"),  # not even a URL
    ],
)
def test_an_index_that_is_not_an_http_url_is_refused_where_it_is_given(
    tmp_path: Path, url: str, shown: str
) -> None:
    """A variable names itself; a config file's or a command line's value names the option and
    where it was given."""
    with pytest.raises(InvalidInputError) as by_variable:
        layered_config(None, {"NBTOOLS_ENV_INDEX_URL": url})
    assert by_variable.value.message == (
        f"$NBTOOLS_ENV_INDEX_URL={shown} is not a valid EnvSettings.index_url: expected an "
        "http(s) URL naming a host."
    )
    config_file = tmp_path / "nbtools_config.json"
    config_file.write_text(json.dumps({"EnvSettings": {"index_url": url}}), encoding="utf-8")
    for where, given in (
        (f"c.EnvSettings.index_url = {shown} in {config_file}", (config_file, {})),
        (
            f"--EnvSettings.index_url={shown} on the command line",
            (None, {}, {"EnvSettings": {"index_url": url}}),
        ),
    ):
        with pytest.raises(InvalidInputError) as by_option:
            layered_config(*given)
        assert by_option.value.message == f"{where}: expected an http(s) URL naming a host."
    with pytest.raises(InvalidInputError) as built:  # the trait itself, in any other use
        build(EnvSettings, {"EnvSettings": {"index_url": url}})
    assert f"'index_url' trait expected an http(s) URL naming a host, not {shown}" in (
        built.value.message
    )
    assert "s3cret" not in built.value.message


def test_pip_s_own_index_is_checked_when_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "file:///srv/wheels")
    with pytest.raises(InvalidInputError) as info:
        EnvSettings().index()
    assert info.value.details["field"] == "index_url"
    assert (
        "needs an http:// or https:// URL with a host, got 'file:///srv/wheels'"
        in info.value.message
    )
