from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from nbtools import __version__
from nbtools.cli.app import cli
from nbtools.project import Project
from nbtools.unused_imports import FORMAT_CHECKS
from tests.cli_tables import table_rows
from tests.conftest import NotebookFactory, run_python


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``nbtools`` console entry in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-c", "from nbtools.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_version_and_help() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"nbtools, version {__version__}"
    help_text = run_cli("--help").stdout
    assert "status" in help_text
    assert "Exit codes" in help_text


def command_tree(
    group: click.Group = cli, prefix: tuple[str, ...] = ()
) -> dict[str, click.Command]:
    """Every command and group under ``group``, by its words (``"alerts rule add"``)."""
    found: dict[str, click.Command] = {}
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        found[" ".join((*prefix, name))] = command
        if isinstance(command, click.Group):
            found |= command_tree(command, (*prefix, name))
    return found


def test_every_command_prints_help_in_one_format() -> None:
    """Every command and subcommand, extract included, answers --help the same (click's) way."""
    commands = [words.split() for words in command_tree()]
    assert ["extract"] in commands
    assert ["version", "diff"] in commands
    for path in commands:
        result = CliRunner().invoke(cli, [*path, "--help"], prog_name="nbtools")
        assert result.exit_code == 0, (path, result.output)
        assert result.output.startswith(f"Usage: nbtools {' '.join(path)} [OPTIONS]"), path
        assert "\nOptions:\n" in result.output, result.output


def test_every_option_says_what_it_does() -> None:
    """Each option of each command has its help text (`runs list --limit`, `alerts list
    --status` had none); an option taking a value names it in words, not by its Python name
    (`--retry ID`, where the help said "notification RETRY_ID")."""
    for words, command in {"": cli, **command_tree()}.items():
        for param in command.params:
            if isinstance(param, click.Option) and "--help" not in param.opts:
                assert param.help, (words, param.opts)
                assert "_ID" not in param.help, (words, param.opts, param.help)


def test_edit_help_names_no_default_and_add_help_names_a_new_job_s() -> None:
    """`schedule edit` keeps what the job has, so its help names no default (it repeated
    add's: "default UTC", "default: the notebook's name"); add's defaults are the jobs'."""
    from nbtools.cli.job_options import NEW_JOB
    from nbtools.jobs import JOB_FIELDS

    def help_of(command: str) -> str:
        shown = CliRunner().invoke(cli, ["schedule", command, "--help"])
        assert shown.exit_code == 0, shown.output
        return " ".join(shown.output.split())  # unwrapped

    edit = help_of("edit")
    assert "default" not in edit.replace("JobsSettings.keep_runs", "")
    assert "'' resets to JobsSettings.keep_runs" in edit
    add = help_of("add")
    for field, words in NEW_JOB.items():
        assert f"(default: {words})" in add, field
        stored = JOB_FIELDS[field]
        if stored is not None:
            assert words == ("no" if stored is False else str(stored)), field


def test_every_command_takes_json_but_the_two_services() -> None:
    """docs/cli.md: a script reads any command's answer with --json; `scheduler` and `serve`
    run until stopped, answer nothing, and log for people (their state is in `status --json`
    and the service's JSON endpoints)."""
    without = [
        words
        for words, command in command_tree().items()
        if not isinstance(command, click.Group)
        and not any("--json" in getattr(param, "opts", ()) for param in command.params)
    ]
    assert without == ["scheduler", "serve"]


def test_status_json_reports_the_store(tmp_path: Path) -> None:
    """In a folder with no store, ``status`` says where the first command recording something
    would make it (at no revision) and makes none; then it reports that store's revisions."""
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["root"] == str(tmp_path.resolve())
    assert report["version"] == __version__
    assert report["store_path"] == str(tmp_path / ".nbtools")
    assert report["db_url"] == f"sqlite:///{tmp_path / '.nbtools' / 'nbtools.db'}"
    assert report["schema_revision"] == ""
    assert list(tmp_path.iterdir()) == []
    Project(tmp_path).store.close()
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "status", "--json"])
    assert json.loads(result.output)["schema_revision"]


def test_status_table_is_readable(tmp_path: Path) -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--root", str(tmp_path), "status"])
    assert result.exit_code == 0
    fields = {row["field"]: row["value"] for row in table_rows(result.output)}
    assert list(fields) == [
        "version",
        "root",
        "store",
        "database",
        "schema revision",
        "schedulers",
    ]
    assert fields["database"] == f"sqlite:///{tmp_path / '.nbtools' / 'nbtools.db'}"


def test_bad_input_exits_2_with_a_message(tmp_path: Path) -> None:
    result = run_cli("--db-url", "nosuchdialect://x", "status", cwd=tmp_path)
    assert result.returncode == 2
    assert "Invalid value for '--db-url': expected a database URL nbtools can use" in (
        result.stderr
    )
    assert run_cli("no-such-command").returncode == 2


def test_help_loads_only_the_command_table_and_the_global_options() -> None:
    """``nbtools --help`` pays for click, traitlets (the global options' traits) and these
    modules only (bench/bench_cli.py times it); a new import on its path fails this."""
    code = (
        "import sys\n"
        "from nbtools.cli.app import cli\n"
        "try:\n"
        "    cli.main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'nbtools'), file=sys.stderr)"
    )
    result = run_python(code)
    assert result.stderr.strip() == str(
        [
            "nbtools",
            "nbtools._version",
            "nbtools.cli",
            "nbtools.cli.app",
            "nbtools.cli.context",
            "nbtools.cli.groups",  # imports click only
            "nbtools.cli.options",
            "nbtools.cli.registry",
            "nbtools.config",
            "nbtools.ids",
            "nbtools.settings",
            "nbtools.unused_imports",
        ]
    )


#: A command module, imported as the group imports a command's, reporting the cyclic garbage
#: collector's state at its import and when it runs.
PROBE_COMMAND = """
import gc, click
enabled_at_import = gc.isenabled()

@click.command()
def probe():
    print(enabled_at_import, gc.isenabled(), gc.get_freeze_count() > 0)
"""


def test_the_console_script_pauses_the_collector_for_start_up_only(tmp_path: Path) -> None:
    """Start-up (imports, the command's module) runs without the cyclic garbage collector and
    is then frozen out of its reach; the command itself runs with it (docs/performance.md)."""
    (tmp_path / "probe_command.py").write_text(PROBE_COMMAND)
    code = (
        "import sys\n"
        "from nbtools.cli.registry import COMMANDS, CommandEntry\n"
        "COMMANDS['probe'] = CommandEntry('probe_command', 'probe', 'The collector state.')\n"
        "from nbtools.cli.main import main\n"
        "sys.argv = ['nbtools', 'probe']\n"
        "main()"
    )
    assert run_python(code, cwd=tmp_path).stdout.split() == ["False", "True", "True"]


def test_invoked_in_process_the_group_leaves_the_collector_alone(tmp_path: Path) -> None:
    import gc

    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "status", "--json"])
    assert result.exit_code == 0, result.output
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_objects_are_kept_until_exit_only_when_the_process_ends_with_the_command() -> None:
    import weakref

    from nbtools.cli.context import CliContext

    class Large:
        pass

    for ends_process in (True, False):
        cli_ctx, large = CliContext(ends_process=ends_process), Large()
        kept = weakref.ref(large)
        cli_ctx.keep_until_exit(large)
        del large
        assert (kept() is not None) is ends_process


def test_cli_does_not_import_the_server() -> None:
    code = (
        "import sys; from nbtools.cli.app import cli; import nbtools.status; "
        "bad = [m for m in ('jupyter_server', 'tornado', 'jupyter_nbtools', 'nbformat') "
        "if m in sys.modules]; print(bad)"
    )
    result = run_python(code)
    assert result.stdout.strip() == "[]"


#: Modules no start-up or store command needs: the kernel machinery, notebook formats,
#: validation and web libraries, Alembic (the store is at its newest revision), nbdime.
NEVER_NEEDED = (
    "alembic",
    "jsonschema",
    "jupyter_client",
    "nbdime",
    "nbformat",
    "papermill",
    "pydantic",
    "tornado",
    "zmq",
)


def loaded_by(
    argv: list[str],
    watched: tuple[str, ...],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    exit_code: int = 0,
) -> list[str]:
    """Which of ``watched`` the ``nbtools`` command ``argv`` imported, run as the console
    script runs it (unused imports skipped), in a fresh interpreter with the variables
    ``env`` set; it must end with ``exit_code``."""
    code = (
        "import sys; from nbtools.unused_imports import skip_unused_imports; skip_unused_imports()\n"
        "from nbtools.cli.app import cli\n"
        "try:\n"
        f"    cli.main({argv!r})\n"
        "except SystemExit as done:\n"
        f"    assert (done.code or 0) == {exit_code}, done.code\n"
        f"print([m for m in {watched!r} if sys.modules.get(m) is not None], file=sys.stderr)"
    )
    result = run_python(code, cwd=cwd, env={**os.environ, **(env or {})})
    return json.loads(result.stderr.strip().splitlines()[-1].replace("'", '"'))


def test_start_up_imports_neither_the_store_nor_rich() -> None:
    """`nbtools --help` and a command's help load click, the command and traitlets (for the
    group's flags, or the command's settings) only (docs/performance.md, "Where a CLI
    command's time goes"); not timed, so it cannot be flaky."""
    watched = (*NEVER_NEEDED, "sqlalchemy", "rich", "jupyter_core", "importlib.metadata")
    for argv in (["--help"], ["extract", "--help"], ["version", "--help"], ["env", "--help"]):
        assert loaded_by(argv, watched) == [], argv


#: A PostgreSQL store's URL, as an operator sets it for every process (docs/operations.md).
POSTGRES_URL = "postgresql+psycopg://nbtools:s3cr%40t@db.example.org:5432/nbtools"
#: What a command that does not open the store must not import for its URL: the store's
#: data-access layer and the URL's driver.
STORE_IMPORTS = ("sqlalchemy", "psycopg")


def test_a_database_url_is_checked_without_importing_the_store(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """Issue #14: with a database URL set (variable, flag), a command that does not open the
    store (a help, ``extract``) and reading the settings import neither SQLAlchemy nor the
    driver: the URL's form, dialect and driver are checked without them (nbtools.store.url)."""
    notebook = notebook_factory("a.ipynb", [("code", "def f() -> int:\n    return 1", ["export"])])
    env = {"NBTOOLS_DB_URL": POSTGRES_URL, "NBTOOLS_CONFIG": ""}
    extract = ["extract", notebook.name, "-o", str(tmp_path / "pkg"), "--lineage", "off"]
    for argv in (["extract", "--help"], extract, ["--db-url", POSTGRES_URL, "extract", "--help"]):
        assert loaded_by(argv, STORE_IMPORTS, cwd=notebook.parent, env=env) == [], argv
    assert (tmp_path / "pkg" / "pyproject.toml").is_file()
    code = (  # the settings every command reads, and those of a service recording traffic
        "import sys\n"
        "from nbtools.cli.context import CliContext\n"
        "from nbtools.config import NbtoolsSettings\n"
        "from nbtools.serve.config import ServeSettings\n"
        "cli_ctx = CliContext()\n"
        "print(cli_ctx.settings(NbtoolsSettings).db_url)\n"
        "print(cli_ctx.settings(ServeSettings).record_to)\n"
        f"print([m for m in {STORE_IMPORTS!r} if m in sys.modules])"
    )
    env["NBTOOLS_SERVE_RECORD_TO"] = POSTGRES_URL
    read = run_python(code, env={**os.environ, **env}).stdout.splitlines()
    assert read == [POSTGRES_URL, POSTGRES_URL, "[]"]


@pytest.mark.parametrize(
    "url",
    [
        "nosuchdialect://db/x",
        "postgresql+psycopg://nbtools:s3cr@tPass@db/nbtools",
        "postgresql+psycopg://db:54x/x",
    ],
)
def test_a_bad_database_url_is_refused_without_importing_the_store(
    tmp_path: Path, url: str
) -> None:
    """Exit 2 naming where it was set (the flag, the variable, the config file), before the
    store is imported, as before it is opened."""
    config_file = tmp_path / "c.py"
    config_file.write_text(f"c.NbtoolsSettings.db_url = {url!r}\n")
    root = ["--root", str(tmp_path)]
    unset = {"NBTOOLS_DB_URL": "", "NBTOOLS_CONFIG": ""}  # empty: unset
    for argv, env in (
        ([*root, "--db-url", url, "status"], unset),
        ([*root, "status"], {**unset, "NBTOOLS_DB_URL": url}),
        ([*root, "--config", str(config_file), "status"], unset),
    ):
        assert loaded_by(argv, STORE_IMPORTS, env=env, exit_code=2) == [], argv
    result = subprocess.run(
        [sys.executable, "-c", "from nbtools.cli.main import main; main()", *root, "status"],
        capture_output=True,
        text=True,
        env={**os.environ, **unset, "NBTOOLS_DB_URL": url},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Error: $NBTOOLS_DB_URL=")
    assert "expected a database URL nbtools can use (" in result.stderr
    assert "s3cr" not in result.stderr
    assert not (tmp_path / ".nbtools").exists()


def test_a_one_shot_run_loads_neither_format_checks_nor_requests(
    notebook_factory: NotebookFactory,
) -> None:
    """`nbtools run` only executes a notebook: jsonschema's format-check libraries and
    papermill's ``requests`` (read only for http:// notebook paths) stay out of its imports
    (docs/performance.md), and the run and its output notebook are as usual."""
    nb = notebook_factory("a.ipynb", [("code", "print(6 * 7)", [])])
    out = nb.parent / "out.ipynb"
    watched = (*FORMAT_CHECKS, "requests", "urllib3", "papermill", "nbformat")
    argv = ["--root", str(nb.parent), "run", nb.name, "-o", str(out)]
    assert loaded_by(argv, watched, cwd=nb.parent) == ["papermill", "nbformat"]
    executed = json.loads(out.read_text())
    assert "".join(executed["cells"][0]["outputs"][0]["text"]) == "42\n"


def test_store_commands_import_only_what_they_use(notebook_factory: NotebookFactory) -> None:
    """Each command that opens the store imports SQLAlchemy but none of NEVER_NEEDED; `version
    save` prints without rich, and `runs list --json` needs neither rich, the kernel specs'
    paths, the environment capture nor monitoring's tables (its run-event subscriber answers
    nothing for a list); `env snapshot`, the versioning commands, `runs list` (a run with
    its lineage in the store) and `runs show` (with its metrics) store and read through
    SQLAlchemy Core, without the ORM."""
    nb = notebook_factory("a.ipynb", [("code", "x = 1", [])])
    root = ["--root", str(nb.parent)]
    Project(nb.parent).store.close()  # creates and migrates the store
    watched = (*NEVER_NEEDED, "rich", "jupyter_core", "sqlalchemy", "nbtools.metrics.tables")
    core = (*watched, "sqlalchemy.orm")
    assert loaded_by([*root, "version", "save", nb.name], core, cwd=nb.parent) == ["sqlalchemy"]
    nb.write_text(nb.read_text().replace("x = 1", "x = 2"))  # a second version, with a delta
    assert loaded_by([*root, "version", "save", nb.name], core, cwd=nb.parent) == ["sqlalchemy"]
    for reading in (["log", nb.name, "--json"], ["show", nb.name, "latest~1", "--json"]):
        assert loaded_by([*root, "version", *reading], core, cwd=nb.parent) == ["sqlalchemy"]
    assert run_cli(*root, "run", nb.name).returncode == 0  # a run, its lineage recorded
    listing = (*core, "nbtools.envsnap.kernel_capture")
    assert loaded_by([*root, "runs", "list", "--json"], listing) == ["sqlalchemy"]
    # a run shown alone has its metrics too, read in Core
    assert loaded_by([*root, "runs", "show", "1", "--json"], core) == ["sqlalchemy"]
    assert loaded_by([*root, "env", "snapshot", "--json"], (*watched, "sqlalchemy.orm")) == [
        "jupyter_core",  # where the kernel specs are
        "sqlalchemy",
    ]


@pytest.mark.parametrize(
    ("args", "error", "field"),
    [
        (["version", "log", "nb.ipynb", "-n", "many", "--json"], "BadParameter", "limit"),
        (["version", "log", "nb.ipynb", "--json", "-n", "many"], "BadParameter", "limit"),
        (["version", "gc", "--keep", "abc", "--json"], "BadParameter", "keep"),
        (["version", "restore", "--json"], "MissingParameter", "notebook"),
        (["version", "log", "nb.ipynb", "--bogus", "--json"], "NoSuchOption", None),
        (["version", "log", "nb.ipynb", "extra", "--json"], "UsageError", None),
        # the group's own options, read before the command's
        (["--actor", "a" * 256, "version", "log", "nb.ipynb", "--json"], "BadParameter", "actor"),
    ],
)
def test_a_usage_error_with_json_is_the_json_answer_whatever_the_order(
    tmp_path: Path, args: list[str], error: str, field: str | None
) -> None:
    """docs/cli.md: with --json, stdout holds the error of a command that failed before
    answering; click's own usage errors too, wherever --json stands."""
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    answer = json.loads(result.stdout)
    assert answer["error"] == error
    assert answer["details"] == ({"field": field} if field else {})
    assert answer["message"] in result.stderr
    plain = [arg for arg in args if arg != "--json"]
    without = CliRunner().invoke(cli, ["--root", str(tmp_path), *plain])
    assert without.exit_code == 2
    assert without.stdout == ""  # a person's: stderr only


def test_a_json_flag_given_as_another_option_s_value_prints_no_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--root", str(tmp_path), "version", "save", "nb.ipynb", "-m", "--json"]
    )
    assert result.exit_code == 2
    assert not result.stdout.lstrip().startswith("{")


def test_every_id_is_ascii_digits_from_1_to_2_31_minus_1(tmp_path: Path) -> None:
    """Ids are read as the REST API reads them (``nbtools.cli.ids.ID``): past what the
    database holds, or in another script's digits (Python's ``int('٣') == 3``), a usage error
    naming the argument, never a traceback or another run; the largest id is looked up."""
    commands = [
        ("runs", "show", "{}"),
        ("runs", "cancel", "{}"),
        ("runs", "rerun", "{}"),
        ("runs", "list", "--before", "{}"),
        ("run", "--reproduce", "{}"),
        ("metrics", "show", "{}"),
        ("metrics", "series", "1", "--before", "{}"),
        ("alerts", "ack", "1", "{}"),
        ("alerts", "rule", "remove", "{}"),
        ("alerts", "notify", "remove", "{}"),
        ("alerts", "deliveries", "--retry", "{}"),
    ]
    root = ["--root", str(tmp_path)]
    for index, command in enumerate(commands):
        values = ("99999999999999999999", str(2**31), "\u0663", "\u00b2", "0", "1.0", " 1")
        for bad in values if index == 0 else [values[index % len(values)]]:
            result = CliRunner().invoke(cli, [*root, *(a.format(bad) for a in command)])
            assert result.exit_code == 2, (command, bad, result.output)
            assert f"{bad!r} is not an id: a whole number from 1 to {2**31 - 1}." in (
                " ".join(result.output.split())
            ), (command, bad)
        largest = CliRunner().invoke(cli, [*root, *(a.format(2**31 - 1) for a in command)])
        assert largest.exception is None or isinstance(largest.exception, SystemExit)
        assert largest.exit_code in (0, 2), (command, largest.output)
        assert "not an id" not in largest.output
