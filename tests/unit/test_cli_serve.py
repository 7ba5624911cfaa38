"""``nbtools serve``: what it refuses before starting anything, and what it never imports."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from nbtools.cli.serve import serve_installed
from nbtools.cpus import available_cpus
from nbtools.errors import InvalidInputError
from nbtools.export.api import ExtractRequest, run_extract
from nbtools.export.model import MANIFEST
from nbtools.serve.config import WORKERS_PER_CPU, ServeSettings
from nbtools.serve.runner import serve
from tests.conftest import NotebookFactory, exit_on_signal, run_python
from tests.unit.test_cli import run_cli


def test_the_cli_start_up_imports_no_web_framework() -> None:
    code = (
        "import sys; from nbtools.cli.app import cli; from nbtools.cli import serve; "
        "print([m for m in ('fastapi', 'uvicorn', 'starlette', 'prometheus_client') "
        "if m in sys.modules])"
    )
    result = run_python(code)
    assert result.stdout.strip() == "[]"
    assert "serve" in run_cli("--help").stdout


def test_a_directory_without_a_package_is_refused(tmp_path: Path) -> None:
    result = run_cli("serve", str(tmp_path))
    assert result.returncode == 2
    assert "holds no extracted package" in result.stderr


def test_a_package_serving_nothing_is_refused(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    notebook = notebook_factory(
        "plain.ipynb", [("code", "def f() -> int:\n    return 1", ["export"])]
    )
    run_extract(ExtractRequest(notebook, tmp_path / "pkg", mode="write"))
    result = run_cli("serve", str(tmp_path / "pkg"))
    assert result.returncode == 2
    assert "has no service module: mark a function with '#| serve'" in result.stderr


def test_missing_dependencies_are_named_with_the_install_command(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    notebook = notebook_factory("s.ipynb", [("code", "def f() -> int:\n    return 1", ["serve"])])
    out = tmp_path / "pkg"
    run_extract(ExtractRequest(notebook, out, mode="write"))
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["dependencies"] = {"surely_not_installed_mod": "surely-not-installed>=1.2"}
    (out / MANIFEST).write_text(json.dumps(manifest))
    result = run_cli("serve", str(out), "--port", "1")
    assert result.returncode == 2
    assert "missing surely-not-installed>=1.2" in result.stderr
    assert "pip install 'surely-not-installed>=1.2'" in result.stderr


def test_a_record_to_url_nbtools_cannot_use_is_refused_before_anything_starts(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """As a bad flag is (exit 2, the flag named with the reason, no traceback), before the
    port is taken or the package imported; a password in it is not shown, even where a
    part of the URL cannot be read (a port, whose text SQLAlchemy's error would show)."""
    notebook = notebook_factory("s.ipynb", [("code", "def f() -> int:\n    return 1", ["serve"])])
    out = tmp_path / "pkg"
    run_extract(ExtractRequest(notebook, out, mode="write"))
    for url, reason in (
        ("notaurl", "Could not parse SQLAlchemy URL from given URL string"),
        ("nosuchdialect://x/y", "Can't load plugin: sqlalchemy.dialects:nosuchdialect"),
        ("postgresql+nodriver://me:s3cret@db/x", "Can't load plugin"),
        ("postgresql+psycopg://me:s3cret@db:5432x/x", "a port or an option in it has the wrong"),
    ):
        result = run_cli("serve", str(out), "--port", "0", "--record-to", url)
        assert result.returncode == 2, result.stderr
        assert (
            "Error: Invalid value for '--record-to': expected a database URL nbtools can use "
            f"({reason}"
        ) in result.stderr
        assert "Traceback" not in result.stderr
        assert "listening on" not in result.stderr
        assert "s3cret" not in result.stderr


def test_a_record_to_url_whose_driver_is_not_installed_is_refused_before_anything_starts(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """The setting's check knows SQLAlchemy's drivers but not the package each imports (it
    imports none: nbtools.store.url); the service makes its store's engine before it starts,
    so the missing package is bad input still (exit 2), told as the store tells it."""
    if importlib.util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed here")
    notebook = notebook_factory("s.ipynb", [("code", "def f() -> int:\n    return 1", ["serve"])])
    out = tmp_path / "pkg"
    run_extract(ExtractRequest(notebook, out, mode="write"))
    url = "postgresql+psycopg2://me:s3cret@db/x"
    result = run_cli("serve", str(out), "--port", "0", "--record-to", url)
    assert result.returncode == 2, result.stderr
    assert (
        "Error: Cannot use the database URL 'postgresql+psycopg2://db/x': No module named "
        "'psycopg2'."
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert "listening on" not in result.stderr
    assert "s3cret" not in result.stderr


def test_a_host_that_is_not_this_machine_s_is_refused_naming_the_host(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    notebook = notebook_factory("s.ipynb", [("code", "def f() -> int:\n    return 1", ["serve"])])
    out = tmp_path / "pkg"
    run_extract(ExtractRequest(notebook, out, mode="write"))
    result = run_cli("serve", str(out), "--host", "nonexistent.invalid", "--port", "0")
    assert result.returncode == 2, result.stderr
    assert "Error: Cannot listen on nonexistent.invalid: " in result.stderr
    assert result.stderr.rstrip().endswith("See --host.")
    assert "--port" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def unservable(tmp_path: Path) -> Path:
    """A directory with a manifest but no package: settings are read, then it is refused."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / MANIFEST).write_text(json.dumps({"package": "missing", "files": {}}))
    return tmp_path / "pkg"


def serve_given(
    unservable: Path,
    given: str,
    option: str,
    flag: str,
    value: str,
    env: dict[str, str],
    shown: str | None = None,
) -> tuple[Result, str]:
    """``nbtools serve`` of ``unservable`` with ``env``, ``ServeSettings.option`` set to
    ``value`` by ``given`` (its ``flag``, its variable or a ``config`` file): the result, and
    how a refusal of the value begins, naming where it was set (``shown``: the value as the
    refusal shows it, its repr unless said)."""
    variable = f"NBTOOLS_SERVE_{option.upper()}"
    env = {variable: "", "NBTOOLS_CONFIG": "", **env}
    args = ["serve", str(unservable), "--port", "0"]
    shown = repr(value) if shown is None else shown
    if given == "flag":
        args += [flag, value]
        where = f"Invalid value for '{flag}': "
    elif given == "variable":
        env[variable] = value
        where = f"${variable}={shown} is not a valid ServeSettings.{option}: "
    else:
        config_file = unservable.parent / "serve_config.py"
        config_file.write_text(f"c.ServeSettings.{option} = {value!r}\n")
        args = ["--config", str(config_file), *args]
        where = f"c.ServeSettings.{option} = {shown} in {config_file}: "
    return CliRunner().invoke(cli, args, env=env), where


BAD_SERVE_SETTINGS = [
    (
        "record_to",
        "--record-to",
        "postgresql+psycopg://me:s3cret@db:54x/x",
        "expected a database URL nbtools can use (a port or an option in it has the wrong "
        "form; a password holding @, : or / must be percent-encoded (@ as %40))",
    ),
    (
        "api_key_env",
        "--api-key-env",
        "NBTOOLS_TEST_UNSET_KEY",
        "expected the name of an environment variable holding the API key "
        "($NBTOOLS_TEST_UNSET_KEY is empty or unset)",
    ),
    # the name of the service's job, taken as it was (a 300-character one, or a number,
    # which commands read as a job's id) where a job made any other way is refused it
    (
        "service_name",
        "--service-name",
        "s" * 201,
        "expected a job's name (A job's name has at most 200 characters; this one has 201)",
    ),
    (
        "service_name",
        "--service-name",
        "42",
        "expected a job's name (A job's name cannot be a number ('42'): commands take a job by "
        "its id or its name, and read a number as an id. Add a word: 'report 42')",
    ),
]


@pytest.mark.parametrize("given", ["flag", "variable", "config"])
@pytest.mark.parametrize(("option", "flag", "value", "reason"), BAD_SERVE_SETTINGS)
def test_a_bad_serve_setting_is_refused_naming_where_it_was_set(
    unservable: Path, given: str, option: str, flag: str, value: str, reason: str
) -> None:
    """The flag, the variable or the config file that gave it, never a flag that was not
    given (``See --record-to.`` for a variable); exit 2 before anything starts."""
    shown = {
        "record_to": "'postgresql+psycopg://db:54x/x'",
        "service_name": f"'{'s' * 30}'…'{'s' * 15}' (201 characters)" if len(value) > 200 else None,
    }.get(option)
    env = {"NBTOOLS_TEST_UNSET_KEY": ""}
    result, where = serve_given(unservable, given, option, flag, value, env, shown)
    assert result.exit_code == 2, result.output
    assert f"{where}{reason}." in result.output
    if given != "flag":
        assert flag not in result.output
    assert "s3cret" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_bad_serve_setting_a_flag_overrides_is_not_refused(unservable: Path) -> None:
    config_file = unservable.parent / "serve_config.py"
    config_file.write_text(
        "c.ServeSettings.api_key_env = 'NBTOOLS_TEST_UNSET_KEY'\n"
        "c.ServeSettings.record_to = 'notaurl'\n"
    )
    args = ["--config", str(config_file), "serve", str(unservable), "--port", "0"]
    args += ["--api-key-env", "NBTOOLS_TEST_KEY", "--record-to", "sqlite://"]
    env = {"NBTOOLS_TEST_KEY": "k", "NBTOOLS_SERVE_RECORD_TO": "", "NBTOOLS_SERVE_API_KEY_ENV": ""}
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 2, result.output
    assert "missing has no service module" in result.output  # the settings were taken


@pytest.mark.parametrize("workers", ["0", "-1", "more", "100000", "10" * 3000])
def test_workers_below_one_or_over_the_maximum_are_refused_naming_the_flag(
    unservable: Path, workers: str
) -> None:
    """No fork bomb: --workers 100000 started processes until the machine failed."""
    most = WORKERS_PER_CPU * available_cpus()
    result = CliRunner().invoke(cli, ["serve", str(unservable), "--workers", workers])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--workers': " in result.output
    if workers.lstrip("-").isdigit() and len(workers) < 10:
        assert f"{workers} is not in the range 1<=x<={most}." in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("value", "said"),
    [("-1", "expected an integer of at least 0"), ("100MB", "'100MB' is not a valid integer")],
)
def test_a_result_limit_below_zero_or_not_a_number_is_refused_naming_the_flag(
    unservable: Path, value: str, said: str
) -> None:
    result = CliRunner().invoke(cli, ["serve", str(unservable), "--max-result-bytes", value])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '--max-result-bytes': {said}" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["0", "1"])
def test_a_result_limit_of_0_for_none_or_more_is_taken(unservable: Path, value: str) -> None:
    args = ["serve", str(unservable), "--port", "0", "--max-result-bytes", value]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "missing has no service module" in result.output  # the flag was taken


def test_the_most_workers_are_taken(unservable: Path) -> None:
    most = str(WORKERS_PER_CPU * available_cpus())
    result = CliRunner().invoke(cli, ["serve", str(unservable), "--port", "0", "--workers", most])
    assert result.exit_code == 2, result.output
    assert "missing has no service module" in result.output  # the flag was taken


def test_an_installed_package_s_serve_refuses_too_many_workers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert serve_installed("missing", ["--workers", "100000"]) == 2
    assert "Invalid value for '--workers': 100000 is not in the range" in capsys.readouterr().err


@pytest.mark.parametrize("workers", [0, 100000])
def test_the_library_refuses_workers_out_of_range_naming_the_field(workers: int) -> None:
    """For a caller of nbtools.serve.runner.serve other than the CLI, before anything starts."""
    with pytest.raises(
        InvalidInputError, match=r"workers must be from 1 to \d+ \(8 for each"
    ) as info:
        serve("missing", app_dir=None, host="127.0.0.1", port=0, workers=workers,
              settings=ServeSettings())  # fmt: skip
    assert info.value.details == {"field": "workers"}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_while_the_service_starts_is_as_graceful_as_later(
    tmp_path: Path, signum: int
) -> None:
    """SIGTERM or Ctrl-C before the service handles stops itself (here its config file waits
    on a named pipe): a service's stop is graceful at any moment, exit 0 and a line saying
    so, where it exited 143 or 130 (and SIGTERM inside the config file read as the file
    failing, exit 2)."""
    package = tmp_path / "out"
    package.mkdir()
    (package / MANIFEST).write_text(json.dumps({"package": "pkg", "files": {}}))
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    config = tmp_path / "slow_config.py"
    config.write_text(f"open({str(fifo)!r}).read()\n")
    entry = [sys.executable, "-m", "nbtools.cli.main", "--config", str(config)]
    service = subprocess.Popen([*entry, "serve", str(package)], stderr=subprocess.PIPE)
    assert exit_on_signal(fifo, service, signum) == 0
    assert service.stderr is not None
    assert service.stderr.read().decode() == "nbtools serve: stopped.\n"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("   ", "holds only whitespace"),
        ("\t\n", "holds only whitespace"),
        (" k3y", "starts or ends with whitespace, which no HTTP header carries"),
        ("k3y\n", "starts or ends with whitespace"),
        ("k\x01y", "holds a character that is not printable"),
        ("k\x1by", "holds a character that is not printable"),
        ("k\u200by", "holds a character that is not printable"),
        ("clé", "holds a character outside ASCII, which HTTP clients send in a header each"),
    ],
)
@pytest.mark.parametrize("given", ["flag", "variable"])
def test_an_api_key_no_request_could_send_is_refused_as_an_empty_one_is(
    unservable: Path, given: str, key: str, reason: str
) -> None:
    """A key of whitespace was taken, then every call was answered 401 (HTTP drops the
    whitespace at a header value's ends, and carries no control character)."""
    env = {"NBTOOLS_TEST_KEY": key, "NBTOOLS_SERVE_API_KEY_ENV": "", "NBTOOLS_CONFIG": ""}
    args = ["serve", str(unservable), "--port", "0"]
    if given == "flag":
        args += ["--api-key-env", "NBTOOLS_TEST_KEY"]
        where = "Invalid value for '--api-key-env': "
    else:
        env["NBTOOLS_SERVE_API_KEY_ENV"] = "NBTOOLS_TEST_KEY"
        where = "$NBTOOLS_SERVE_API_KEY_ENV='NBTOOLS_TEST_KEY' is not a valid "
        where += "ServeSettings.api_key_env: "
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 2, result.output
    assert (
        f"{where}expected the name of an environment variable holding the API key "
        f"($NBTOOLS_TEST_KEY {reason}"
    ) in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("key", ["k3y", "k3y\n", "k3y\r\n", "a key with spaces", "!~k3y-_."])
def test_an_api_key_file_holding_a_key_is_taken(unservable: Path, key: str) -> None:
    secret = unservable.parent / "api-key"
    secret.write_bytes(key.encode())
    args = ["serve", str(unservable), "--port", "0", "--api-key-file", str(secret)]
    result = CliRunner().invoke(cli, args, env={"NBTOOLS_SERVE_API_KEY_ENV": ""})
    assert result.exit_code == 2, result.output
    assert "missing has no service module" in result.output  # the settings were taken


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the key in {path!r} is empty"),
        (b"\n", "the key in {path!r} is empty"),
        (b"   \n", "the key in {path!r} holds only whitespace"),
        (b"k3y\n\n", "the key in {path!r} starts or ends with whitespace"),
        (b"k3y ", "the key in {path!r} starts or ends with whitespace"),
        (b"k\x003y", "the key in {path!r} holds a character that is not printable"),
        ("clé-ü".encode(), "the key in {path!r} holds a character outside ASCII"),
        (b"\xffk3y", "{path!r} is not UTF-8 text"),
        (b"k" * 4097, "{path!r} is larger than 4096 bytes: no key file"),
        (None, "cannot read {path!r}: No such file or directory"),
        ("dir", "cannot read {path!r}: Is a directory"),
    ],
)
@pytest.mark.parametrize("given", ["flag", "variable", "config"])
def test_an_api_key_file_without_a_key_is_refused_naming_where_it_was_set(
    unservable: Path,
    given: str,
    content: bytes | str | None,
    reason: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Read as the settings are (exit 2, before anything starts); a relative path from the
    directory the command runs in."""
    monkeypatch.chdir(unservable.parent)
    path = "api-key"
    if content == "dir":
        Path(path).mkdir()
    elif isinstance(content, bytes):
        Path(path).write_bytes(content)
    env = {"NBTOOLS_SERVE_API_KEY_ENV": ""}
    result, where = serve_given(unservable, given, "api_key_file", "--api-key-file", path, env)
    assert result.exit_code == 2, result.output
    expected = f"expected the path of a file holding the API key ({reason.format(path=path)}"
    assert where + expected in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_api_key_given_by_a_variable_and_a_file_is_refused(unservable: Path) -> None:
    secret = unservable.parent / "api-key"
    secret.write_text("k3y\n")
    args = ["serve", str(unservable), "--port", "0", "--api-key-env", "NBTOOLS_TEST_KEY"]
    env = {"NBTOOLS_TEST_KEY": "other", "NBTOOLS_SERVE_API_KEY_FILE": str(secret)}
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 2, result.output
    assert (
        "Error: The API key is given twice, by a variable and a file "
        "(ServeSettings.api_key_env and api_key_file): give one."
    ) in result.output
    assert "other" not in result.output


@pytest.mark.parametrize("given", ["variable", "config"])
@pytest.mark.parametrize("password", ["Zq9@Xk7", "Zq9@Xk7:w", "Zq9:w@Xk7@"])
def test_a_refused_url_is_shown_without_a_password_holding_at_or_colon(
    unservable: Path, given: str, password: str
) -> None:
    """The login ends at the last '@' before the host: its part after the first '@' was shown."""
    url = f"postgresql+psycopg://me:{password}@db:54x/x"
    env = {"NBTOOLS_SERVE_RECORD_TO": "", "NBTOOLS_CONFIG": ""}
    args = ["serve", str(unservable), "--port", "0"]
    if given == "variable":
        env["NBTOOLS_SERVE_RECORD_TO"] = url
    else:
        config_file = unservable.parent / "serve_config.py"
        config_file.write_text(f"c.ServeSettings.record_to = {url!r}\n")
        args = ["--config", str(config_file), *args]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 2, result.output
    assert "'postgresql+psycopg://db:54x/x'" in result.output
    assert "Zq9" not in result.output
    assert "Xk7" not in result.output
