"""Settings of environment snapshots, as traitlets (``c.EnvSettings…``)."""

from __future__ import annotations

from typing import ClassVar

from traitlets import Unicode

from nbtools.config import Settings


class EnvSettings(Settings):
    """Where a lock-file export looks up the files it pins."""

    env_prefix: ClassVar[str] = "NBTOOLS_ENV_"

    index_url = Unicode(
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
