"""Where a bad setting came from: a config file, a Jupyter command line, a root that does
not exist — each refused naming the option as it was given, before anything starts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from traitlets.config import Config
from traitlets.config.loader import KVArgParseConfigLoader

from nbtools.cli.app import cli
from nbtools.errors import InvalidInputError
from nbtools.jobs.config import JobsSettings
from nbtools.serve.config import ServeSettings
from nbtools.settings import (
    CONFIG_FILE_VARIABLE,
    build,
    environment_variable,
    in_file,
    layered_config,
    settings_classes,
    typed_flags,
)
from nbtools.unknown_settings import VARIABLE_PREFIXES, own_variables
from tests.unit.test_settings import write_config


@pytest.mark.parametrize("given", ["flag", "variable", "config"])
def test_a_root_that_does_not_exist_is_refused_not_made_into_an_empty_project(
    tmp_path: Path, given: str
) -> None:
    """A mistyped root in CI would otherwise read as "no versions, success"."""
    missing = tmp_path / "typo" / "root"
    args, env = ["version", "log", "nb.ipynb", "--json"], {"NBTOOLS_ROOT": ""}
    if given == "flag":
        args = ["--root", str(missing), *args]
    elif given == "variable":
        env["NBTOOLS_ROOT"] = str(missing)
    else:
        config_file = write_config(
            tmp_path / "c.py", [f"c.NbtoolsSettings.root_dir = {str(missing)!r}"]
        )
        args = ["--config", str(config_file), *args]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["details"] == {"field": "root_dir"}
    assert (
        f"The project root {missing} does not exist: name the project's directory."
        in (json.loads(result.stdout)["message"])
    )
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize(
    ("line", "shown", "expected"),
    [
        ("c.JobsSettings.workers = -1", "-1", "an integer of at least 0"),
        (
            "c.JobsSettings.poll_seconds = float('nan')",
            "nan",
            "a finite number from 0.01 to 2147483647",
        ),
        (
            "c.JobsSettings.poll_seconds = 1e10",
            "10000000000.0",
            "a finite number from 0.01 to 2147483647",
        ),
        (
            "c.JobsSettings.progress_save_seconds = 0",
            "0",
            "a finite number from 0.01 to 2147483647",
        ),
        (
            "c.JobsSettings.kernel_start_timeout_seconds = 0",
            "0",
            "a finite number from 0.001 to 2147483647",
        ),
        ("c.NotificationSettings.smtp_port = 70000", "70000", "an integer from 1 to 65535"),
        ("c.NbtoolsSettings.actor = 5", "5", "text of at most 255 characters"),
        (
            "c.NbtoolsSettings.actor = 'a' * 256",
            f"{'a' * 30!r}…{'a' * 15!r} (256 characters)",
            "text of at most 255 characters",
        ),
        ("c.JobsSettings.run_scheduler = 'yes'", "'yes'", "true or false (1 or 0)"),
        (
            "c.EnvSettings.index_url = 'https://me:secret@[bad/simple'",
            "'https://[bad/simple'",
            "an http(s) URL naming a host",
        ),
    ],
)
def test_a_bad_value_in_a_config_file_is_refused_naming_the_file_the_option_and_the_rule(
    tmp_path: Path, line: str, shown: str, expected: str
) -> None:
    """Not traitlets' "Invalid JobsSettings setting: The value of the 'workers' trait of a
    JobsSettings instance should not be less than 0": the setting as the file spells it, and
    which file; a login in a URL is never shown."""
    config_file = write_config(tmp_path / "nbtools_config.py", [line])
    option = line.split(" = ")[0].removeprefix("c.")
    with pytest.raises(InvalidInputError) as info:
        layered_config(config_file, {})
    assert info.value.message == f"c.{option} = {shown} in {config_file}: expected {expected}."
    assert info.value.details["field"] == option


def test_the_cli_refuses_a_bad_config_file_value_with_exit_2_before_anything_starts(
    tmp_path: Path,
) -> None:
    config_file = write_config(tmp_path / "c.py", ["c.JobsSettings.workers = -1"])
    root = tmp_path / "root"
    result = CliRunner().invoke(
        cli, ["--config", str(config_file), "--root", str(root), "scheduler"]
    )
    assert result.exit_code == 2, result.output
    assert f"c.JobsSettings.workers = -1 in {config_file}: expected an integer of at least 0." in (
        result.output
    )
    assert not root.exists()


def test_only_the_value_in_effect_is_checked(tmp_path: Path) -> None:
    """A bad value a later layer overrides is not in effect: the variable's value is used."""
    config_file = write_config(tmp_path / "c.py", ["c.JobsSettings.workers = -1"])
    config = layered_config(config_file, {"NBTOOLS_JOBS_WORKERS": "3"})
    assert build(JobsSettings, config).workers == 3
    flags = {"JobsSettings": {"workers": 2}}
    assert build(JobsSettings, layered_config(config_file, {}, flags)).workers == 2


def test_a_jupyter_command_line_value_is_named_as_typed_and_beats_a_config_file() -> None:
    bad = typed_flags(KVArgParseConfigLoader(["--JobsSettings.workers=many"]).load_config())
    base = Config({"JobsSettings": {"workers": 4}})
    with pytest.raises(InvalidInputError) as info:
        layered_config(None, {}, bad, base=base, base_source=in_file("a.py"))
    assert info.value.message == (
        "--JobsSettings.workers='many' on the command line: expected an integer of at least 0."
    )
    with pytest.raises(InvalidInputError) as info:
        layered_config(
            None,
            {},
            base=Config({"JobsSettings": {"workers": -4}}),
            base_source=in_file("Jupyter's config files (a.py)"),
        )
    assert info.value.message == (
        "c.JobsSettings.workers = -4 in Jupyter's config files (a.py): "
        "expected an integer of at least 0."
    )


def test_a_value_a_trait_refuses_with_a_reason_is_named_with_it_wherever_it_was_set(
    tmp_path: Path,
) -> None:
    """The reason a trait gives (:class:`~nbtools.config.Refused`: a URL's driver is missing)
    is kept beside what is expected, for a variable, a config file, the server's config
    files and its command line alike; a URL's login is never shown."""
    url = "nosuchdialect://me:s3cret@db/x"
    reason = (
        "expected a database URL nbtools can use "
        "(Can't load plugin: sqlalchemy.dialects:nosuchdialect)."
    )
    shown = "'nosuchdialect://db/x'"
    classes = (ServeSettings,)
    config_file = write_config(tmp_path / "c.py", [f"c.ServeSettings.record_to = {url!r}"])
    base = Config({"ServeSettings": {"record_to": url}})
    flags = {"ServeSettings": {"record_to": url}}
    for call, expected in (
        (
            lambda: layered_config(None, {"NBTOOLS_SERVE_RECORD_TO": url}, classes=classes),
            f"$NBTOOLS_SERVE_RECORD_TO={shown} is not a valid ServeSettings.record_to: {reason}",
        ),
        (
            lambda: layered_config(config_file, {}, classes=classes),
            f"c.ServeSettings.record_to = {shown} in {config_file}: {reason}",
        ),
        (
            lambda: layered_config(None, {}, base=base, classes=classes),
            f"c.ServeSettings.record_to = {shown} in Jupyter's config files: {reason}",
        ),
        (
            lambda: layered_config(None, {}, flags, classes=classes),
            f"--ServeSettings.record_to={shown} on the command line: {reason}",
        ),
    ):
        with pytest.raises(InvalidInputError) as info:
            call()
        assert info.value.message == expected
    # a good value above the bad one is the one in effect
    good = {"ServeSettings": {"record_to": "sqlite://"}}
    config = layered_config(config_file, {}, good, base=base, classes=classes)
    assert build(ServeSettings, config).record_to == "sqlite://"


#: What a Dask scheduler address is, as a refusal says it.
DASK = "expected a Dask scheduler address, [tcp://]HOST:PORT "


@pytest.mark.parametrize(
    ("option", "variable", "flag", "value", "expected"),
    [
        ("JobsSettings.stale_after_seconds", "NBTOOLS_JOBS_STALE_AFTER_SECONDS", "--lease", "2",
         "expected a finite number from 3 to 2147483647."),
        ("JobsSettings.executor", "NBTOOLS_JOBS_EXECUTOR", "--executor", "nosuch",
         "expected one of local, dask."),
        ("JobsSettings.storage", "NBTOOLS_JOBS_STORAGE", "--storage", "relative/dir",
         "expected an absolute path or a URL fsspec can open (Storage path 'relative/dir' "
         "must be absolute"),
        ("NbtoolsSettings.db_url", "NBTOOLS_DB_URL", "--db-url", "notaurl",
         "expected a database URL nbtools can use (Could not parse SQLAlchemy URL"),
        ("JobsSettings.dask_address", "NBTOOLS_JOBS_DASK_ADDRESS", "--dask-address",
         "tcp://127.0.0.1", "expected a Dask scheduler address, [tcp://]HOST:PORT "
         "(missing port number in address '127.0.0.1')."),
        ("JobsSettings.dask_address", "NBTOOLS_JOBS_DASK_ADDRESS", "--dask-address",
         "notanaddress", DASK + "(missing port number in address 'notanaddress')."),
        ("JobsSettings.dask_address", "NBTOOLS_JOBS_DASK_ADDRESS", "--dask-address",
         "http://127.0.0.1:8786", DASK + "(unknown address scheme 'http'"),
        ("JobsSettings.dask_address", "NBTOOLS_JOBS_DASK_ADDRESS", "--dask-address",
         "tcp://127.0.0.1:99999", DASK + "(port 99999 is not from 1 to 65535)."),
    ],
)  # fmt: skip
def test_a_bad_scheduler_or_store_setting_names_where_it_was_set(
    tmp_path: Path, option: str, variable: str, flag: str, value: str, expected: str
) -> None:
    """The lease, the executor, the storage and the database URL were checked after the
    settings were read ("The lease must be at least 3 s…, got 2.", "Unknown executor…",
    "Cannot use the database URL…", or "See --storage." for a value from the environment):
    their traits check them now, so the refusal names the flag, the variable or the file."""
    (tmp_path / "root").mkdir()
    root = ["--root", str(tmp_path / "root")]
    before = ["--db-url", value] if flag == "--db-url" else []  # a global option
    after = [flag, value] if not before else []
    cls, name = option.split(".")
    config_file = write_config(tmp_path / "c.py", [f"c.{option} = {value!r}"])
    given = {
        "flag": ([*root, *before, "scheduler", *after], {}),
        "variable": ([*root, "scheduler"], {variable: value}),
        "config": ([*root, "--config", str(config_file), "scheduler"], {}),
    }
    said = {  # a flag's value is checked as click reads it (an executor: click's choice)
        "flag": f"Invalid value for '{flag}': "
        + ("'nosuch' is not one of 'local', 'dask'." if flag == "--executor" else ""),
        "variable": f"${variable}={value!r} is not a valid {option}: ",
        "config": f"c.{option} = {value!r} in {config_file}: ",
    }
    for where, (args, env) in given.items():
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 2, (where, result.output)
        shown = said[where] if where == "flag" and flag == "--executor" else said[where] + expected
        assert shown in " ".join(result.output.split()), where
        assert "Traceback" not in result.output
        if where != "flag":
            assert f"See {flag}" not in result.output  # the flag was not what set it
    assert not (tmp_path / "root/.nbtools").exists()  # refused before anything was created
    with pytest.raises(InvalidInputError):  # the server's config files too (layered_config)
        layered_config(None, {}, base=Config({cls: {name: value}}))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "expected a number of runs (10) or an age (30d, 12w, 1y)."),
        ("0", "expected a number of runs (10) or an age (30d, 12w, 1y) "
         "(it keeps 1 to 1000000 runs)."),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", [["scheduler"], ["runs", "prune", "--dry-run"]])
def test_a_bad_keep_runs_names_where_it_was_set(
    tmp_path: Path, value: str, expected: str, command: list[str]
) -> None:
    """keep_runs was a plain text option, parsed only when runs were pruned: "JobsSettings.
    keep_runs must be a number of runs…", naming neither the variable nor the file, while
    every other option's refusal did. Its trait checks it now."""
    (tmp_path / "root").mkdir()
    root = ["--root", str(tmp_path / "root")]
    config_file = write_config(tmp_path / "c.py", [f"c.JobsSettings.keep_runs = {value!r}"])
    for args, env, said in (
        ([*root, *command], {"NBTOOLS_JOBS_KEEP_RUNS": value},
         f"$NBTOOLS_JOBS_KEEP_RUNS={value!r} is not a valid JobsSettings.keep_runs: "),
        ([*root, "--config", str(config_file), *command], {},
         f"c.JobsSettings.keep_runs = {value!r} in {config_file}: "),
    ):  # fmt: skip
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 2, result.output
        assert said + expected in " ".join(result.output.split())
    assert not (tmp_path / "root/.nbtools").exists()  # refused before anything was created
    assert build(
        JobsSettings, layered_config(None, {"NBTOOLS_JOBS_KEEP_RUNS": "07"})
    ).keep_runs == ("7")


@pytest.mark.parametrize("given", ["variable", "config"])
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "(No such file or directory)."),
        ("not a certificate\n", "(it holds no PEM certificate (NO_CERTIFICATE_OR_CRL_FOUND))."),
    ],
    ids=["missing", "not PEM"],
)
def test_a_ca_file_that_cannot_be_used_stops_the_scheduler_as_it_starts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    given: str,
    content: str | None,
    reason: str,
) -> None:
    """Before, the scheduler started and every delivery failed on it; now it exits 2 naming
    the setting, where it was set and why, before anything starts."""
    monkeypatch.chdir(tmp_path)  # a short path, shown whole
    ca_file = Path("ca.pem")
    if content is not None:
        ca_file.write_text(content)
    root = tmp_path / "root"
    root.mkdir()
    args, env = ["--root", str(root), "scheduler"], {"NBTOOLS_NOTIFY_CA_FILE": ""}
    if given == "variable":
        env["NBTOOLS_NOTIFY_CA_FILE"] = str(ca_file)
        where = "$NBTOOLS_NOTIFY_CA_FILE='ca.pem' is not a valid NotificationSettings.ca_file: "
    else:
        config_file = write_config(Path("c.py"), ["c.NotificationSettings.ca_file = 'ca.pem'"])
        args = ["--config", str(config_file), *args]
        where = f"c.NotificationSettings.ca_file = 'ca.pem' in {config_file}: "
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 2, result.output
    assert where in result.output
    assert f"expected the path of a readable PEM file of CA certificates {reason}" in (
        result.output
    )
    assert list(root.iterdir()) == []  # no store


def test_a_misspelt_variable_is_reported_once_naming_the_closest_and_nbtools_own_never(
    tmp_path: Path,
) -> None:
    """Before, ``$NBTOOLS_JOBS_WOKERS=4`` changed nothing, silently, while the same typo in a
    config file was reported. The variables nbtools sets for what it starts (a run's kernel
    runs ``nbtools`` too) and every option's are never reported."""
    own = {
        "NBTOOLS_PURPOSE": "reporting",
        "NBTOOLS_DATA_USES": str(tmp_path / "uses.jsonl"),
        "NBTOOLS_RUN_ID": "7",
        "NBTOOLS_ARTIFACTS_DIR": str(tmp_path),
        "NBTOOLS_METRIC_MAX_BYTES": "100",
        "NBTOOLS_LINEAGE_SPEC": "{}",
        "NBTOOLS_ACTOR": "ana",
        "NBTOOLS_SERVE_TIMEOUT_SECONDS": "5",
        "NBTOOLS_OPENLINEAGE_NAMESPACE": "ops",
        "NBTOOLS_SERVICE_KEY": "secret",  # a service's key, as --api-key-env names it
        "NBTOOLS_SERVE_API_KEY_ENV": "NBTOOLS_SERVICE_KEY",
    }
    typos = {"NBTOOLS_JOBS_WOKERS": "4", "NBTOOLS_ACTR": "ana", "NBTOOLS_ZZZZ": "1"}
    env = {**os.environ, **own, **typos, "NBTOOLS_JOBS_KEEP_RUNS": "10"}
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(tmp_path)]
    command += ["runs", "prune", "--dry-run"]  # reads the JobsSettings (keep_runs) too
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "The variable $NBTOOLS_ACTR is not one nbtools reads: it has no effect; did you mean "
        "$NBTOOLS_ACTOR?",
        "The variable $NBTOOLS_ZZZZ is not one nbtools reads: it has no effect.",
        "The variable $NBTOOLS_JOBS_WOKERS is not one nbtools reads: it has no effect; did you mean "
        "$NBTOOLS_JOBS_WORKERS?",
    ]


def test_a_variable_a_config_file_names_as_the_api_key_s_is_not_reported(
    tmp_path: Path,
) -> None:
    """A shared config file naming a service's API key variable
    (``c.ServeSettings.api_key_env``): every command reading it warned that the variable,
    under nbtools' prefix, was not one nbtools reads, as if misspelt."""
    config_file = write_config(
        tmp_path / "c.py", ["c.ServeSettings.api_key_env = 'NBTOOLS_SCORER_KEY'"]
    )
    env = {**os.environ, "NBTOOLS_SCORER_KEY": "secret", "NBTOOLS_ZZZZ": "1"}
    env.pop("NBTOOLS_SERVE_API_KEY_ENV", None)
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(tmp_path)]
    command += ["--config", str(config_file), "runs", "prune", "--dry-run"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "The variable $NBTOOLS_ZZZZ is not one nbtools reads: it has no effect."
    ]


def test_each_class_s_variables_are_told_apart_by_its_prefix() -> None:
    """:data:`VARIABLE_PREFIXES` is each settings class's ``env_prefix``, longest first."""
    classes = (*settings_classes(), ServeSettings)
    assert {cls.__name__: cls.env_prefix for cls in classes} == VARIABLE_PREFIXES
    lengths = [len(prefix) for prefix in VARIABLE_PREFIXES.values()]
    assert lengths == sorted(lengths, reverse=True)


def test_every_variable_nbtools_names_is_one_it_reads() -> None:
    """Each ``"NBTOOLS_…"`` name in the code (one a kernel, a service or a lineage emitter
    is given) is an option's or one of :func:`own_variables`, so it is never reported as
    misspelt, in a run's kernel running ``nbtools`` as anywhere."""
    classes = (*settings_classes(), ServeSettings)
    known = {environment_variable(c, n) for c in classes for n in c.class_trait_names(config=True)}
    known |= own_variables() | {CONFIG_FILE_VARIABLE}
    sources = [*Path("nbtools").rglob("*.py"), *Path("server/jupyter_nbtools").rglob("*.py")]
    named = {
        name
        for source in sources
        for name in re.findall(r"[\"'](NBTOOLS_[A-Z0-9_]*[A-Z0-9])[\"']", source.read_text())
    }
    # a preview's API key, handed to its `nbtools serve` as --api-key-env, which skips it
    assert named - known == {"NBTOOLS_PREVIEW_API_KEY"}
