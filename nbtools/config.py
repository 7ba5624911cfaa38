"""Configuration shared by the CLI and the server extension, declared once as traitlets.

In a Jupyter config file: ``c.NbtoolsSettings.db_url = "postgresql+psycopg://..."``; in the
environment ``$NBTOOLS_ROOT``, ``$NBTOOLS_STORE_DIR``, ``$NBTOOLS_DB_URL``; on the command line
``nbtools --root``/``--db-url``/``--actor``. :mod:`nbtools.settings` reads them in that order.
"""

from __future__ import annotations

from typing import ClassVar

from traitlets import Unicode
from traitlets.config import Configurable

#: The environment variable naming who acts (CI service accounts): ``NbtoolsSettings.actor``.
ACTOR_VARIABLE = "NBTOOLS_ACTOR"
#: The environment variable naming a kernel's purpose: set for every job run
#: (:mod:`nbtools.jobs.runner`), read by ``nbtools.data.path`` (docs/governance.md).
PURPOSE_VARIABLE = "NBTOOLS_PURPOSE"


class NbtoolsSettings(Configurable):
    """Where the project lives and where its state is stored."""

    env_prefix: ClassVar[str] = "NBTOOLS_"

    root_dir = Unicode(
        "",
        help="Project root. Notebook paths are relative to it. Default: the Jupyter server's "
        "root directory, or the current directory for the CLI.",
    ).tag(config=True, env="NBTOOLS_ROOT")

    store_dir = Unicode(
        ".nbtools",
        help="Directory holding nbtools' state (database, objects, run outputs), relative to "
        "the root unless absolute.",
    ).tag(config=True)

    db_url = Unicode(
        "",
        help="SQLAlchemy URL of the job and version store. Default: a SQLite file "
        "nbtools.db in the store directory. Example: postgresql+psycopg://user@host/nbtools",
    ).tag(config=True)

    actor = Unicode(
        "",
        help="Who acts, as recorded on jobs, runs, versions and in the audit trail (a CI "
        "service account, say). Default: $JUPYTERHUB_USER, else the operating-system user. "
        "The server always records the authenticated Jupyter user instead.",
    ).tag(config=True, env=ACTOR_VARIABLE)
