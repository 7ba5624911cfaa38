"""The docs name every setting, command and flag the code has, so that they cannot drift apart:
docs/configuration.md's settings table, docs/cli.md's command tree, each group's page."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click

from nbtools.cli.app import cli
from nbtools.cli.options import SettingOption
from nbtools.serve.config import ServeSettings
from nbtools.settings import environment_variable, settings_classes
from tests.unit.test_cli import command_tree

DOCS = Path(__file__).parents[2] / "docs"

#: The page describing each command group's options, beside docs/cli.md.
PAGES = {
    "version": ["versions.md"],
    "env": ["envsnap.md"],
    "extract": ["export.md"],
    "init": ["export.md"],
    "run": ["jobs.md", "lineage.md", "governance.md"],
    "schedule": ["jobs.md"],
    "runs": ["jobs.md", "governance.md"],
    "metrics": ["monitoring.md"],
    "alerts": ["monitoring.md"],
    "audit": ["governance.md"],
    "data": ["governance.md"],
    "serve": ["serving.md"],
    "scheduler": ["operations.md"],
    "store": ["operations.md"],
    "status": [],
}
#: Where the settings without a row in configuration.md's table are described, each in a
#: table of its own page.
ELSEWHERE = {
    "MetricsSettings": "monitoring.md",
    "NotificationSettings": "monitoring.md",
    "OpenLineageSettings": "lineage.md",
}


def text(*pages: str) -> str:
    return "".join((DOCS / page).read_text(encoding="utf-8") for page in pages)


def table_rows(page: str) -> dict[str, list[str]]:
    """The rows of ``page``'s settings tables by option (``JobsSettings.workers``), each
    row's cells; a row may name several options of one class (``smtp_host`` / ``smtp_port``)."""
    rows: dict[str, list[str]] = {}
    for line in text(page).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        found = re.fullmatch(r"`c\.(\w+)\.(\w+)`((?: / `\w+`)*)", cells[0]) if cells else None
        if found:
            cls, first, more = found.groups()
            for name in (first, *re.findall(r"`(\w+)`", more)):
                rows[f"{cls}.{name}"] = cells
    return rows


def flags_of_settings() -> dict[str, list[str]]:
    """Every flag made from a setting (``setting_option``), as a command line spells it
    (``nbtools scheduler --lease``), by the option it sets."""
    flags: dict[str, list[str]] = {}
    for words, command in {"": cli, **command_tree()}.items():
        for param in command.get_params(click.Context(command)):  # the group's: made then
            if isinstance(param, SettingOption):
                cls, name = param.setting
                spelled = " ".join(filter(None, ("nbtools", words, max(param.opts, key=len))))
                flags.setdefault(f"{cls.__name__}.{name}", []).append(spelled)
    return flags


def test_every_setting_has_a_row_naming_its_flags_and_its_variable() -> None:
    """configuration.md's table gave max_retry_backoff_seconds no flag ("—") while `nbtools
    scheduler --max-retry-backoff` sets it, and had no row for JobsSettings.max_running."""
    rows = table_rows("configuration.md")
    flags = flags_of_settings()
    for cls in (*settings_classes(), ServeSettings):
        page = ELSEWHERE.get(cls.__name__)
        described = table_rows(page) if page else rows
        for name in cls.class_traits(config=True):
            option = f"{cls.__name__}.{name}"
            assert option in described, f"{option} has no row in docs/{page or 'configuration.md'}"
            row = " | ".join(described[option])
            variable = environment_variable(cls, name)
            assert page == "monitoring.md" or f"`{variable}`" in row, (option, variable)
            for flag in flags.get(option, []):
                assert f"`{flag}`" in row, (option, flag)
            if not page and option not in flags:
                assert described[option][1] in ("—", "(set by `nbtools serve`)"), option
    assert set(flags) <= set(rows)  # a flag's setting is in the table


def test_every_command_is_in_the_command_tree_and_every_flag_on_its_pages() -> None:
    """cli.md's command tree left out `env import`; `schedule add --paused`, `edit --no-cron`,
    `run --kernel`, `scheduler --max-retry-backoff` and others were on no page."""
    tree: dict[str, str] = {}  # each group's rows of the table
    for match in re.finditer(r"^\| `nbtools (\w+)(.*)$", text("cli.md"), re.M):
        tree[match.group(1)] = tree.get(match.group(1), "") + match.group(2)
    missing = []
    for words, command in command_tree().items():
        group, *sub = words.split()
        assert group in tree, group
        if isinstance(command, click.Group):
            continue
        if len(sub) == 1 and not re.search(rf"\b{sub[0]}\b", tree[group]):
            missing.append(words)  # a subcommand the group's row does not name
        described = text("cli.md", *PAGES[group])
        for param in command.params:
            if not isinstance(param, click.Option) or "--help" in param.opts:
                continue
            spelled = [*param.opts, *param.secondary_opts]
            if not any(re.search(re.escape(flag) + r"(?![\w-])", described) for flag in spelled):
                missing.append(f"{words} {max(param.opts, key=len)}")
    assert missing == [], missing


def examples(command: click.Command) -> list[list[str]]:
    """The command lines of ``command``'s ``Examples:`` block, each split as a shell splits
    it (a ``# comment`` left out), without its leading ``nbtools``."""
    _, found, block = (command.help or "").partition("Examples:\n")
    lines = block.splitlines() if found else []
    return [shlex.split(line, comments=True)[1:] for line in lines if line.strip()]


def test_the_examples_of_a_command_s_help_parse_as_written() -> None:
    """``nbtools extract --help``, ``run --help`` and ``version move --help`` showed no command
    line to start from (nbdev's and papermill's users look for one); each example, of every
    command, uses the command's own options with values they take."""
    tree = command_tree()
    assert all(examples(tree[words]) for words in ("extract", "run", "version move"))
    for words, command in tree.items():
        for example in examples(command):
            assert " ".join(example[: len(words.split())]) == words, (words, example)
            context = click.Context(command, info_name=words)
            values, extra, order = command.make_parser(context).parse_args(
                example[len(words.split()) :]
            )
            assert extra == [], (words, example)
            for param in order:  # click's own types (a Choice, a range): ours look things up
                if type(param.type).__module__.startswith("click."):
                    param.type_cast_value(context, values.get(param.name))
