"""Settings nbtools does not know, warned about naming the closest it does: an option of a
settings class, a config section, a ``$NBTOOLS_…`` variable (:mod:`nbtools.unknown_settings`)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.jobs.config import JobsSettings
from nbtools.settings import build, layered_config, settings_classes
from nbtools.unknown_settings import warn_unknown_variables
from tests.unit.test_settings import write_config


@pytest.mark.parametrize("source", ["file", "flags"])
def test_an_unknown_option_is_a_warning_naming_the_closest(
    tmp_path: Path, source: str, caplog: pytest.LogCaptureFixture
) -> None:
    config_file = write_config(tmp_path / "c.py", ["c.JobsSettings.wokers = 4"])
    flags = {"JobsSettings": {"wokers": 4, "poll_seconds": 2.0}}
    with caplog.at_level(logging.WARNING, logger="nbtools"):
        if source == "file":
            settings = build(JobsSettings, layered_config(config_file, {}))
        else:
            settings = build(JobsSettings, layered_config(None, {}, flags))
    assert settings.workers == 0  # nothing set, the rest applied
    assert settings.poll_seconds == (2.0 if source == "flags" else 1.0)
    assert [r.getMessage() for r in caplog.records] == [
        "The setting JobsSettings.wokers is not an option of nbtools: it has no effect; "
        "did you mean JobsSettings.workers?"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="nbtools"):
        build(JobsSettings, {"JobsSettings": {"zzz": 1}})
    assert caplog.records[0].getMessage().endswith("it has no effect.")


def test_a_misspelt_settings_class_is_a_warning_naming_the_closest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``c.JobSettings.workers = 2`` was ignored without a word (a misspelt option is
    warned about); another program's section (``c.ServerApp``) is still left alone."""
    config_file = write_config(
        tmp_path / "c.py", ["c.JobSettings.workers = 2", "c.ServerApp.port = 9999"]
    )
    with caplog.at_level(logging.WARNING, logger="nbtools"):
        result = CliRunner().invoke(
            cli, ["--root", str(tmp_path), "--config", str(config_file), "status", "--json"]
        )
    assert result.exit_code == 0, result.output
    assert [r.getMessage() for r in caplog.records] == [
        "The config section JobSettings is not a settings class of nbtools: it has no "
        "effect; did you mean JobsSettings?"
    ]


def test_a_misspelt_variable_is_a_warning_naming_the_closest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """$NBTOOLS_JOBS_WOKERS was ignored without a word, where a config file's misspelt
    option is warned of. A variable under nbtools' prefix that names none of its options
    (under a class's own prefix or the bare NBTOOLS_) is warned of, unless nbtools sets it
    for what it starts (NBTOOLS_ARTIFACTS_DIR) or it is the config file's; an empty one
    counts as unset."""
    environ = {
        "NBTOOLS_JOBS_WOKERS": "4",
        "NBTOOLS_JOBS_POLL_SECONDS": "2",
        "NBTOOLS_NOTIFY_ZZZ": "1",
        "NBTOOLS_METRICS_GONE": "",
        "NBTOOLS_DB_ULR": "sqlite:///x.db",
        "NBTOOLS_ARTIFACTS_DIR": "/tmp/x",
        "NBTOOLS_CONFIG": "c.py",
    }
    with caplog.at_level(logging.WARNING, logger="nbtools"):
        warn_unknown_variables(environ, settings_classes())
    assert [r.getMessage() for r in caplog.records] == [
        "The variable $NBTOOLS_DB_ULR is not one nbtools reads: it has no effect; did you "
        "mean $NBTOOLS_DB_URL?",
        "The variable $NBTOOLS_JOBS_WOKERS is not one nbtools reads: it has no effect; did "
        "you mean $NBTOOLS_JOBS_WORKERS?",
        "The variable $NBTOOLS_NOTIFY_ZZZ is not one nbtools reads: it has no effect.",
    ]
