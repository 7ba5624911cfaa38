"""Who a request acts as: the name recorded on the jobs, runs and versions it creates and on
its audit entries.

The authenticated Jupyter user, as the server's identity provider names them (JupyterHub's
user, a proxy's header). Jupyter's plain token login identifies nobody: it makes up a user
per browser, a random 32-digit hex id named "Anonymous <moon>". Recorded, that id would
change with every browser and name no one, so a request from such a user records the
server's own actor instead, as the CLI would on the same machine: ``c.NbtoolsSettings.actor``
/ ``$NBTOOLS_ACTOR``, else ``$JUPYTERHUB_USER``, else the operating-system user running the
server (:func:`nbtools.audit.current_actor`).

A name is recorded without its surrounding whitespace and with each character that does not
show (a line break, a terminal escape, a zero-width space) written as its escape
(:func:`nbtools.audit.provided_actor`): never refused, which would lock the user out. A name
that is empty or blank after that names no one either, but someone did log in: it is recorded
as :data:`UNNAMED`, never as the server's own actor, which would credit the server's operator
with another user's acts.
"""

from __future__ import annotations

import re
from typing import Any

from nbtools.audit import provided_actor

#: The ``nbtools`` web-app setting holding the server's own actor.
SERVER_ACTOR = "nbtools_actor"
#: Who a request acts as when its user's name is blank, or it has none.
UNNAMED = "unknown"

_MADE_UP_ID = re.compile(r"[0-9a-f]{32}")


def request_actor(handler: Any) -> str | None:
    """The name ``handler``'s request acts as, or None outside an authenticated request."""
    user = getattr(handler, "current_user", None)
    name = getattr(user, "username", None)
    if not isinstance(name, str):
        return None
    if is_made_up(user):
        actor: str = handler.settings[SERVER_ACTOR]
        return actor
    return provided_actor(name) or UNNAMED


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
