"""Settings of environment snapshots, as traitlets (``c.EnvSettings…``)."""

from __future__ import annotations

from typing import Any, ClassVar

from traitlets import TraitError, Unicode

from nbtools.config import Settings
from nbtools.urls import without_login


class IndexUrl(Unicode):  # type: ignore[type-arg]
    """A package index's URL: http(s), naming a host; empty for the default. Refused where it
    is given (a flag, a variable, a config file), which the settings name."""

    info_text = "an http(s) URL naming a host"

    def validate(self, obj: Any, value: Any) -> str:
        from nbtools.envsnap.index import checked_index_url
        from nbtools.errors import InvalidInputError

        text: str = super().validate(obj, value)
        try:
            if text:
                checked_index_url(text)
        except InvalidInputError:
            raise TraitError(  # not traitlets' words, which would show the login
                f"The {self.name!r} trait expected {self.info_text}, not {without_login(text)!r}."
            ) from None
        return text


class EnvSettings(Settings):
    """Where a lock-file export looks up the files it pins."""

    env_prefix: ClassVar[str] = "NBTOOLS_ENV_"

    index_url = IndexUrl(
        "",
        help="Package index (PEP 691 JSON API: PyPI, devpi, Artifactory, Nexus) whose files "
        "and hashes a pylock.toml export pins; by default the index pip installs from "
        "($PIP_INDEX_URL, else pip.conf's index-url), else PyPI. A login in the URL "
        "(https://user:token@host/simple) is sent, never written into the lock file.",
    ).tag(config=True)

    def index(self) -> str:
        """The index an export asks: :attr:`index_url`, else pip's, else PyPI; refused
        (:class:`~nbtools.errors.InvalidInputError`) unless an http(s) URL."""
        from nbtools.envsnap.index import DEFAULT_INDEX, checked_index_url
        from nbtools.envsnap.pipconfig import pip_index_url

        url = self.index_url or pip_index_url() or DEFAULT_INDEX
        checked_index_url(url)
        return url
