"""The API key a service takes: what its settings refuse, and a key that changed since."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.errors import InvalidInputError
from nbtools.serve.config import ServeSettings, api_key


def test_a_key_file_emptied_after_the_settings_were_taken_is_refused_naming_the_setting(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "key"
    secret.write_text("k3y\n")
    settings = ServeSettings(api_key_file=str(secret))
    assert api_key(settings, {}) == "k3y"
    secret.write_text("  \n")
    with pytest.raises(InvalidInputError) as info:
        api_key(settings, {})
    assert info.value.message == (
        f"Cannot use the API key file: the key in {str(secret)!r} holds only whitespace "
        "(ServeSettings.api_key_file)."
    )
    assert info.value.details == {"field": "api_key_file"}


@pytest.mark.parametrize(
    ("key", "problem"), [("", "is empty or unset"), ("\t", "holds only whitespace")]
)
def test_a_key_variable_changed_after_the_settings_were_taken_is_refused(
    monkeypatch: pytest.MonkeyPatch, key: str, problem: str
) -> None:
    monkeypatch.setenv("NBTOOLS_TEST_KEY", "k3y")
    settings = ServeSettings(api_key_env="NBTOOLS_TEST_KEY")
    assert api_key(settings, {"NBTOOLS_TEST_KEY": "k3y"}) == "k3y"
    with pytest.raises(InvalidInputError) as info:
        api_key(settings, {"NBTOOLS_TEST_KEY": key})
    assert info.value.message.startswith(f"The API key variable $NBTOOLS_TEST_KEY {problem}: ")
    assert info.value.details == {"field": "api_key_env"}


def test_no_key_setting_is_no_key() -> None:
    assert api_key(ServeSettings(), {}) == ""
