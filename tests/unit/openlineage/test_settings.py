"""Which configuration decides where OpenLineage events go: ours, the client's own, none."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtools.openlineage.settings import current, enabled, standard_configuration


@pytest.fixture(autouse=True)
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No OpenLineage variable, an empty working directory and home."""
    for name in [v for v in os.environ if v.startswith(("NBTOOLS_OPENLINEAGE_", "OPENLINEAGE"))]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("NBTOOLS_CONFIG", raising=False)
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path / "work")
    current.cache_clear()
    yield tmp_path
    current.cache_clear()


def test_off_without_any_configuration() -> None:
    assert standard_configuration() is None
    assert enabled() is None


def test_the_clients_sources_in_its_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENLINEAGE_URL", "http://marquez:5000")
    assert standard_configuration() == "$OPENLINEAGE_URL"
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "console")
    assert standard_configuration() == "$OPENLINEAGE__TRANSPORT__TYPE"
    home_file = tmp_path / "home" / ".openlineage" / "openlineage.yml"
    home_file.parent.mkdir()
    home_file.write_text("transport: {type: console}\n")
    assert standard_configuration() == str(home_file)
    cwd_file = tmp_path / "work" / "openlineage.yml"
    cwd_file.write_text("transport: {type: console}\n")
    assert standard_configuration() == str(cwd_file)
    named = tmp_path / "ol.yml"
    named.write_text("transport: {type: console}\n")
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(named))
    assert standard_configuration() == str(named)
    assert enabled() is not None


def test_a_missing_openlineage_config_file_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(tmp_path / "absent.yml"))
    assert standard_configuration() is None
    monkeypatch.setenv("OPENLINEAGE_URL", "http://marquez:5000")
    assert standard_configuration() == "$OPENLINEAGE_URL"


@pytest.mark.parametrize("value", ["true", " TRUE "])
def test_openlineage_disabled_turns_every_transport_off(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_TRANSPORT", "http")
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("OPENLINEAGE_URL", "http://127.0.0.1:9")
    assert enabled() is not None
    monkeypatch.setenv("OPENLINEAGE_DISABLED", value)
    assert enabled() is None
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "false")
    assert enabled() is not None


def test_our_transport_alone_turns_events_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_TRANSPORT", "file")
    chosen = enabled()
    assert chosen is not None
    assert chosen.transport == "file"


def test_a_receiver_url_the_client_refuses_is_told_without_its_login(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client's own error shows the URL it was given; it reaches the run's log."""
    from nbtools.openlineage.emitter import _client

    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_TRANSPORT", "http")
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_URL", "http://me:s3@cret:x@127.0.0.1:9x")
    current.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"passed http://127\.0\.0\.1:9x") as info:
            _client(current())
    finally:
        current.cache_clear()
    assert "s3" not in str(info.value)
    assert "cret" not in str(info.value)
