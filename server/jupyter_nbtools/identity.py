"""Who a request acts as: the name recorded on the jobs, runs and versions it creates and on
its audit entries.

The authenticated Jupyter user, as the server's identity provider names them (JupyterHub's
user, a proxy's header). Jupyter's plain token login identifies nobody: it makes up a user
per browser, a random 32-digit hex id named "Anonymous <moon>". Recorded, that id would
change with every browser and name no one, so a request from such a user records the
server's own actor instead, as the CLI would on the same machine: ``c.NbtoolsSettings.actor``
/ ``$NBTOOLS_ACTOR``, else ``$JUPYTERHUB_USER``, else the operating-system user running the
server (:func:`nbtools.audit.current_actor`).
"""

from __future__ import annotations

import re
from typing import Any

#: The ``nbtools`` web-app setting holding the server's own actor.
SERVER_ACTOR = "nbtools_actor"

_MADE_UP_ID = re.compile(r"[0-9a-f]{32}")


def request_actor(handler: Any) -> str | None:
    """The name ``handler``'s request acts as, or None outside an authenticated request."""
    user = getattr(handler, "current_user", None)
    name = getattr(user, "username", None)
    if not isinstance(name, str) or not name:
        return None
    if is_made_up(user):
        actor: str = handler.settings[SERVER_ACTOR]
        return actor
    return name


def is_made_up(user: Any) -> bool:
    """Whether ``user`` is one Jupyter's identity provider made up for a token login
    (``IdentityProvider.generate_anonymous_user``), not a person it identified."""
    name = getattr(user, "name", "")
    return (
        _MADE_UP_ID.fullmatch(str(getattr(user, "username", ""))) is not None
        and isinstance(name, str)
        and name.startswith("Anonymous ")
        and getattr(user, "display_name", None) == name
    )
