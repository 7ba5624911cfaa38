"""One order of precedence for every setting: default < config file < environment < flag."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from traitlets.config import Config
from traitlets.config.loader import KVArgParseConfigLoader

from nbtools.cli.app import cli
from nbtools.config import NbtoolsSettings
from nbtools.errors import InvalidInputError
from nbtools.jobs.config import JobsSettings
from nbtools.metrics.config import NotificationSettings
from nbtools.settings import (
    bounds,
    build,
    config_file_of,
    environment_variable,
    layered_config,
    settings_classes,
    typed_flags,
)


def write_config(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def test_each_layer_overrides_the_one_before(tmp_path: Path) -> None:
    config_file = write_config(
        tmp_path / "nbtools_config.py",
        [
            "c.JobsSettings.workers = 2",
            "c.JobsSettings.executor = 'dask'",
            "c.JobsSettings.poll_seconds = 5.0",
        ],
    )
    environ = {
        "NBTOOLS_JOBS_WORKERS": "3",
        "NBTOOLS_JOBS_EXECUTOR": "dask",
        "NBTOOLS_JOBS_STORAGE": "",
    }
    flags = Config()
    flags.JobsSettings.workers = 4

    assert build(JobsSettings, layered_config(None, {})).workers == 0  # the trait's default
    from_file = build(JobsSettings, layered_config(config_file, {}))
    assert (from_file.workers, from_file.executor, from_file.poll_seconds) == (2, "dask", 5.0)
    from_env = build(JobsSettings, layered_config(config_file, environ))
    assert (from_env.workers, from_env.poll_seconds) == (3, 5.0)
    assert from_env.storage == ""  # an empty variable counts as unset
    from_flag = build(JobsSettings, layered_config(config_file, environ, flags))
    assert (from_flag.workers, from_flag.executor, from_flag.poll_seconds) == (4, "dask", 5.0)


def test_json_config_files_and_every_class_read_the_same_way(tmp_path: Path) -> None:
    config_file = tmp_path / "nbtools_config.json"
    config_file.write_text(json.dumps({"NotificationSettings": {"smtp_port": 2525}}))
    environ = {"NBTOOLS_NOTIFY_MAX_ATTEMPTS": "9"}
    settings = build(NotificationSettings, layered_config(config_file, environ))
    assert (settings.smtp_port, settings.max_attempts) == (2525, 9)


def test_every_option_has_help_and_one_environment_variable() -> None:
    variables = [
        environment_variable(cls, name)
        for cls in settings_classes()
        for name in cls.class_traits(config=True)
    ]
    assert len(variables) == len(set(variables))
    assert {"NBTOOLS_ROOT", "NBTOOLS_DB_URL", "NBTOOLS_JOBS_WORKERS"} <= set(variables)
    for cls in settings_classes():
        for name, trait in cls.class_traits(config=True).items():
            assert trait.help, f"{cls.__name__}.{name} has no help"


@pytest.mark.parametrize(
    ("environ", "lines", "message"),
    [
        ({"NBTOOLS_JOBS_WORKERS": "many"}, [], "$NBTOOLS_JOBS_WORKERS='many' is not a valid"),
        ({}, ["c.JobsSettings.workers = 'many'"], "c.JobsSettings.workers = 'many' in "),
        ({}, ["c.JobsSettings.workers = ("], "failed: SyntaxError"),
    ],
)
def test_bad_values_name_their_option(
    tmp_path: Path, environ: dict[str, str], lines: list[str], message: str
) -> None:
    config_file = write_config(tmp_path / "c.py", lines)
    with pytest.raises(InvalidInputError) as info:
        build(JobsSettings, layered_config(config_file, environ))
    assert message in info.value.message


def status(tmp_path: Path, args: list[str], env: dict[str, str]) -> dict[str, str]:
    result = CliRunner().invoke(cli, [*args, "status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report: dict[str, str] = json.loads(result.output)
    return report


def test_the_cli_reads_root_and_store_from_file_then_environment_then_flags(
    tmp_path: Path,
) -> None:
    roots = {name: tmp_path / name for name in ("file", "env", "flag")}
    for root in roots.values():
        root.mkdir()
    config_file = write_config(
        tmp_path / "nbtools_config.py",
        [
            f"c.NbtoolsSettings.root_dir = {str(roots['file'])!r}",
            "c.NbtoolsSettings.store_dir = 'state'",
        ],
    )
    clean = {
        "NBTOOLS_ROOT": "",
        "NBTOOLS_CONFIG": "",
        "NBTOOLS_DB_URL": "",
        "NBTOOLS_STORE_DIR": "",
    }

    report = status(tmp_path, ["--config", str(config_file)], clean)
    assert report["root"] == str(roots["file"].resolve())
    assert report["store_path"] == str(roots["file"].resolve() / "state")

    report = status(tmp_path, [], {**clean, "NBTOOLS_CONFIG": str(config_file)})
    assert report["root"] == str(roots["file"].resolve())  # the file named by $NBTOOLS_CONFIG

    env = {**clean, "NBTOOLS_ROOT": str(roots["env"])}
    report = status(tmp_path, ["--config", str(config_file)], env)
    assert report["root"] == str(roots["env"].resolve())
    assert report["store_path"] == str(roots["env"].resolve() / "state")  # still from the file

    report = status(tmp_path, ["--config", str(config_file), "--root", str(roots["flag"])], env)
    assert report["root"] == str(roots["flag"].resolve())
    db = tmp_path / "elsewhere.db"
    report = status(
        tmp_path, ["--root", str(roots["flag"])], {**env, "NBTOOLS_DB_URL": f"sqlite:///{db}"}
    )
    assert report["db_url"] == f"sqlite:///{db}"


@pytest.mark.parametrize("position", ["group", "command"])
def test_scheduler_config_reaches_jobs_settings_below_environment_and_flags(
    tmp_path: Path, position: str
) -> None:
    """The lease is checked before anything starts: its error shows which layer won."""
    config_file = write_config(tmp_path / "c.py", ["c.JobsSettings.stale_after_seconds = 1.0"])
    config = ["--config", str(config_file)]
    args = [*config, "scheduler"] if position == "group" else ["scheduler", *config]
    (tmp_path / "root").mkdir()
    root = ["--root", str(tmp_path / "root")]
    variable = "NBTOOLS_JOBS_STALE_AFTER_SECONDS"

    result = CliRunner().invoke(cli, [*root, *args], env={variable: ""})
    assert result.exit_code == 2
    assert (
        f"c.JobsSettings.stale_after_seconds = 1.0 in {config_file}: expected a finite "
        "number from 3 to" in " ".join(result.output.split())
    )
    result = CliRunner().invoke(cli, [*root, *args], env={variable: "2"})
    assert f"${variable}='2' is not a valid" in result.output
    result = CliRunner().invoke(cli, [*root, *args, "--lease", "2.5"], env={variable: "2"})
    assert "Invalid value for '--lease'" in result.output
    assert not (tmp_path / "root/.nbtools").exists()  # refused before anything was created


def test_the_scheduler_takes_executor_settings_from_its_config_file(tmp_path: Path) -> None:
    config_file = write_config(
        tmp_path / "c.json", [json.dumps({"JobsSettings": {"executor": "dask"}})]
    )
    result = CliRunner().invoke(
        cli, ["--root", str(tmp_path), "scheduler", "--config", str(config_file)]
    )
    assert result.exit_code == 2
    assert "needs the Dask scheduler's address" in result.output


@pytest.mark.parametrize(("value", "forks"), [(None, True), ("false", False), ("true", True)])
def test_the_kernel_zygote_setting_reaches_the_local_executor(
    tmp_path: Path, value: str | None, forks: bool
) -> None:
    from nbtools.jobs.executors.local import LocalExecutor
    from nbtools.limits import DEFAULT_MAX_VALUE_BYTES
    from nbtools.project import Project

    environ = {} if value is None else {"NBTOOLS_JOBS_KERNEL_ZYGOTE": value}
    settings = build(JobsSettings, layered_config(None, environ))
    project = Project(tmp_path)
    try:
        executor = settings.create_scheduler(project, DEFAULT_MAX_VALUE_BYTES).executor
    finally:
        project.close()
    assert isinstance(executor, LocalExecutor)
    assert executor.zygote is forks


def test_a_config_object_and_plain_mappings_are_the_same_layers(tmp_path: Path) -> None:
    """The server hands over Jupyter's ``Config``; the CLI plain dictionaries."""
    base = Config()
    base.JobsSettings.workers = 2
    base.ServerApp.port = 9999  # another application's section rides along untouched
    base.log_level = "DEBUG"  # not a class section
    config = layered_config(None, {"NBTOOLS_JOBS_EXECUTOR": "dask"}, base=base)
    assert config["JobsSettings"] == {"workers": 2, "executor": "dask"}
    assert "log_level" not in config
    assert base.JobsSettings == {"workers": 2}  # the server's own config is not changed


def test_a_jupyter_command_line_is_typed_by_the_traits() -> None:
    argv = ["--JobsSettings.workers=3", "--NbtoolsSettings.store_dir=state", "--Other.x=1"]
    flags = typed_flags(KVArgParseConfigLoader(argv).load_config())
    assert flags["JobsSettings"] == {"workers": 3}
    assert type(flags["NbtoolsSettings"]["store_dir"]) is str
    assert build(JobsSettings, flags).workers == 3
    bad = typed_flags(KVArgParseConfigLoader(["--JobsSettings.workers=many"]).load_config())
    with pytest.raises(InvalidInputError) as info:
        build(JobsSettings, bad)
    assert "'workers' trait of a JobsSettings" in info.value.message


def test_a_command_without_a_config_file_does_not_import_the_config_package(
    tmp_path: Path,
) -> None:
    """traitlets.config (its loaders, with logging.config: ≈ 14 ms of start-up) is
    imported to read a config file, and only then."""
    from tests.unit.test_cli import loaded_by

    watched = ("traitlets.config", "logging.config")
    assert loaded_by(["--root", str(tmp_path), "status", "--json"], watched) == []
    config_file = write_config(tmp_path / "c.py", ["c.NbtoolsSettings.store_dir = 's'"])
    argv = ["--config", str(config_file), "--root", str(tmp_path), "status", "--json"]
    assert "traitlets.config" in loaded_by(argv, watched)


def test_a_config_file_may_read_the_options_it_sets(tmp_path: Path) -> None:
    """Reading an unset option leaves a LazyConfigValue in traitlets' Config: it is the
    option's default, never an invalid value."""
    config_file = write_config(
        tmp_path / "c.py",
        [
            "print(c.NbtoolsSettings.actor, c.JobsSettings.workers, c.JobsSettings.wokers)",
            "c.NbtoolsSettings.store_dir = 'state'",
        ],
    )
    config = layered_config(config_file, {})
    settings = build(NbtoolsSettings, config)
    assert (settings.actor, settings.store_dir) == ("", "state")
    assert build(JobsSettings, config).workers == 0  # read, never set: the default
    base = Config()
    _ = base.JobsSettings.poll_seconds  # the server's Config, read the same way
    assert "poll_seconds" in base.JobsSettings
    assert build(JobsSettings, layered_config(None, {}, base=base)).poll_seconds == 1.0


@pytest.mark.parametrize(
    ("line", "calls"),
    [
        ("c.JobsSettings.workers.append(4)", ".append()/.extend()"),
        ("c.JobsSettings.workers.insert(0, 4)", ".insert()"),
        ("c.NbtoolsSettings.actor.update({'a': 1})", ".update()/.add()"),
    ],
)
def test_a_config_file_that_changes_a_single_value_in_place_is_refused(
    tmp_path: Path, line: str, calls: str
) -> None:
    """traitlets applies ``.append()`` and the like to list, dict and set options only and
    drops them on any other: every nbtools option is one value, so it is an error."""
    config_file = write_config(tmp_path / "c.py", [line])
    with pytest.raises(InvalidInputError) as info:
        layered_config(config_file, {})
    option = line.split(".")[1] + "." + line.split(".")[2]
    assert info.value.message == (
        f"{option} is one value, not a list, dict or set: the config file calls {calls} on "
        f"it, which would have no effect. Set it instead: c.{option} = ..."
    )


def test_a_command_reading_a_setting_changed_in_place_exits_2_and_creates_nothing(
    tmp_path: Path,
) -> None:
    config_file = write_config(tmp_path / "c.py", ["c.NbtoolsSettings.store_dir.append('x')"])
    root = tmp_path / "root"
    result = CliRunner().invoke(cli, ["--config", str(config_file), "--root", str(root), "status"])
    assert result.exit_code == 2, result.output
    assert "NbtoolsSettings.store_dir is one value" in result.output
    assert not root.exists()


def test_a_config_file_may_read_options_of_serve_settings(tmp_path: Path) -> None:
    """``nbtools serve --config FILE`` reads ServeSettings, a class beyond settings_classes():
    an option the file only reads is its default there too."""
    from nbtools.cli.context import CliContext
    from nbtools.serve.config import ServeSettings

    context = CliContext(environ={})
    context.config_file = write_config(
        tmp_path / "c.py",
        ["print(c.ServeSettings.max_batch)", "c.ServeSettings.timeout_seconds = 5.0"],
    )
    settings = context.settings(ServeSettings)
    assert (settings.max_batch, settings.timeout_seconds) == (1000, 5.0)


def test_a_jupyter_flag_given_twice_is_refused_naming_it() -> None:
    argv = ["--JobsSettings.workers=4", "--JobsSettings.workers=5"]
    with pytest.raises(InvalidInputError) as info:
        typed_flags(KVArgParseConfigLoader(argv).load_config())
    assert info.value.message.startswith("--JobsSettings.workers: ")
    assert "only accepts one value, got 2: ['4', '5']" in info.value.message


def test_a_settings_section_that_is_not_a_section_is_refused(tmp_path: Path) -> None:
    config_file = tmp_path / "c.json"
    config_file.write_text(json.dumps({"JobsSettings": [1, 2], "Other": [3]}))
    with pytest.raises(InvalidInputError) as info:
        layered_config(config_file, {})
    assert info.value.message == (
        "JobsSettings is the list [1, 2], not a section of options ({'option': value})."
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("NBTOOLS_JOBS_WORKERS", "-1", "an integer of at least 0"),
        ("NBTOOLS_JOBS_POLL_SECONDS", "0", "a finite number from 0.01 to 2147483647"),
        ("NBTOOLS_JOBS_POLL_SECONDS", "inf", "a finite number from 0.01 to 2147483647"),
        ("NBTOOLS_JOBS_STALE_AFTER_SECONDS", "nan", "a finite number from 3 to 2147483647"),
        (
            "NBTOOLS_JOBS_DASK_CONNECT_TIMEOUT_SECONDS",
            "0",
            "a finite number from 0.001 to 2147483647",
        ),
        (
            "NBTOOLS_JOBS_KERNEL_START_TIMEOUT_SECONDS",
            "-5",
            "a finite number from 0.001 to 2147483647",
        ),
        ("NBTOOLS_JOBS_RUN_SCHEDULER", "yes", "true or false (1 or 0)"),
        ("NBTOOLS_NOTIFY_SMTP_PORT", "70000", "an integer from 1 to 65535"),
        ("NBTOOLS_NOTIFY_SMTP_SECURITY", "tls", "one of none, starttls, ssl"),
    ],
)
def test_an_environment_value_out_of_bounds_names_its_variable_and_the_bounds(
    variable: str, value: str, expected: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        layered_config(None, {variable: value})
    assert info.value.message.endswith(f"expected {expected}.")
    assert info.value.message.startswith(f"${variable}={value!r} is not a valid ")


def test_every_variable_holding_bytes_that_are_not_utf8_is_refused_naming_it() -> None:
    """Every option's variable, whatever its type (a number's ``\\xff`` was "expected an
    integer", a text's a lone surrogate a trait named as such, or no word at all), and
    ``$NBTOOLS_CONFIG``: the server reads them too."""
    for cls in settings_classes():
        for name in cls.class_trait_names(config=True):
            variable = environment_variable(cls, name)
            with pytest.raises(InvalidInputError) as info:
                layered_config(None, {variable: "1\udcff"}, classes=(cls,))
            assert info.value.message.startswith(
                f"${variable} must be UTF-8 text, as nbtools keeps paths, names and values: "
                "1\\xff holds bytes that are not UTF-8 (shown as \\xNN)."
            )
            assert info.value.details == {"variable": variable}
    with pytest.raises(InvalidInputError) as info:
        config_file_of({"NBTOOLS_CONFIG": "c\udcff.py"})
    assert info.value.message.startswith("$NBTOOLS_CONFIG must be UTF-8 text")
    assert config_file_of({"NBTOOLS_CONFIG": ""}) is None


def test_every_number_option_is_finite_and_bounded_where_a_bound_means_something() -> None:
    """nan and inf compare false with any bound: every float option refuses them; counts,
    sizes, ports and intervals have their lower bound (a negative worker count left a
    scheduler with no slot, a poll of 0 spun)."""
    from traitlets import Float, Int

    from nbtools.config import Number
    from nbtools.serve.config import ServeSettings

    for cls in (*settings_classes(), ServeSettings):
        for name, trait in cls.class_traits(config=True).items():
            if isinstance(trait, Float):
                assert isinstance(trait, Number), f"{cls.__name__}.{name}"
                for bad in (float("nan"), float("inf")):
                    with pytest.raises(InvalidInputError):
                        build(cls, {cls.__name__: {name: bad}})
            if isinstance(trait, (Int, Float)):
                assert bounds(trait)[0] is not None, f"{cls.__name__}.{name}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--workers", "-1"], "an integer of at least 0"),
        (["--poll", "nan"], "a finite number from 0.01 to 2147483647"),
        (["--poll", "0"], "a finite number from 0.01 to 2147483647"),
    ],
)
def test_a_scheduler_flag_out_of_bounds_exits_2_naming_it_before_anything_starts(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    root = tmp_path / "root"
    result = CliRunner().invoke(cli, ["--root", str(root), "scheduler", *args])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{args[0]}': expected {expected}." in result.output
    assert not root.exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d, "is a directory: name a .py or .json file."),
        (lambda d: write_config(d / "exits.py", ["import sys", "sys.exit(3)"]), "SystemExit: 3"),
        (lambda d: d / "missing.py", "does not exist."),
    ],
)
def test_a_config_file_that_is_not_one_exits_2_naming_it(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    path = make(tmp_path)
    root = tmp_path / "root"
    result = CliRunner().invoke(
        cli, ["--root", str(root), "status"], env={"NBTOOLS_CONFIG": str(path)}
    )
    assert result.exit_code == 2, result.output
    assert f"The config file {path}" in result.output
    assert message in result.output
    assert not root.exists()


def test_a_long_bad_value_is_shown_shortened_and_a_root_that_is_a_file_named() -> None:
    with pytest.raises(InvalidInputError) as info:
        layered_config(None, {"NBTOOLS_JOBS_WORKERS": "9" * 5000 + "x"})
    assert "(5001 characters)" in info.value.message
    assert len(info.value.message) < 250
    result = CliRunner().invoke(cli, ["status"], env={"NBTOOLS_ROOT": __file__})
    assert result.exit_code == 2
    assert "is a file: name the project's directory. It is set by --root, $NBTOOLS_ROOT" in (
        result.output
    )
