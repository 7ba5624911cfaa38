"""Jupyter server configuration for the Galata UI tests (never use it elsewhere).

Galata's helper creates its root, workspaces folder and shell rc file with
``tempfile``. They are gathered in one scratch folder per server, removed when
the server stops (Playwright stops it with SIGTERM, see playwright.config.js).
"""

import atexit
import os
import shutil
import tempfile

from jupyter_server.auth.authorizer import AllowAllAuthorizer
from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821 -- provided by the traitlets config loader

_scratch = tempfile.mkdtemp(prefix="nbtools-ui-tests-")
tempfile.tempdir = _scratch
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)

configure_jupyter_server(c)

# A Jupyter data folder inside the server's root, first on its data path: a test makes a
# kernel there (kernel-data/kernels/NAME/kernel.json) through the contents API, as a user
# installs one, to give the server a kernel whose environment it cannot otherwise have
# (helpers.ts, kernelWithSixTwice). Absent until a test makes it.
_kernel_data = os.path.join(c.ServerApp.root_dir, "kernel-data")
os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [_kernel_data, os.environ.get("JUPYTER_PATH")]))


class RefuseAdminWhenAsked(AllowAllAuthorizer):
    """Jupyter's allow-all authorizer, except that a request with the header
    ``X-Nbtools-Test-Role: no-admin`` is refused nbtools' ``admin`` action, as a
    JupyterHub or custom authorizer refuses it to a user without it (audit.spec.ts), and
    one with ``X-Nbtools-Test-Role: no-read`` every action on nbtools (JupyterLab's own
    routes stay allowed), as to a user who may not read nbtools at all (refused.spec.ts)."""

    def is_authorized(self, handler, user, action, resource):
        role = handler.request.headers.get("X-Nbtools-Test-Role")
        if role == "no-read":
            return resource != "nbtools"
        return not (action == "admin" and role == "no-admin")


c.ServerApp.authorizer_class = RefuseAdminWhenAsked

c.ServerApp.allow_root = True
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ.get("NBTOOLS_UI_PORT", "8888"))
c.NotificationSettings.poll_seconds = 0.5  # deliver webhooks promptly in UI tests
