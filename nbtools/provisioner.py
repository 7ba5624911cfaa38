"""How nbtools launches a kernel as a new process: with jupyter_client's local provisioner, the
kernel *watched* (:func:`nbtools.processes.watched_command`).

Once the process that started the kernel is gone, even killed by SIGKILL, the kernel's
process group (the kernel and whatever its notebook started) is killed after a grace: a
kernel run as ``python -m MODULE`` watches from its own interpreter, any other (a wrapper
script, another language's kernel) runs under a small Python supervisor that does. The
zygote's provisioner (:mod:`nbtools.zygote`) launches so the kernels it does not fork. A
kernel spec that names a provisioner of its own keeps it, unwatched.
"""

from __future__ import annotations

import functools
import os
import uuid
from typing import TYPE_CHECKING, Any

from nbtools.processes import supervised_command, watched_command

if TYPE_CHECKING:
    from jupyter_client.connect import KernelConnectionInfo
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

#: jupyter_client's name for its local provisioner, the one a kernel spec gets by default.
LOCAL = "local-provisioner"


def launches_locally(km: AsyncKernelManager) -> bool:
    """Whether the kernel of ``km`` is launched by jupyter_client's local provisioner (its
    spec names no other)."""
    spec = km.kernel_spec
    named = (spec.metadata.get("kernel_provisioner") or {}) if spec is not None else {}
    return bool(named.get("provisioner_name", LOCAL) == LOCAL)


def watched_provisioner(
    km: AsyncKernelManager, grace: float, cls: type[LocalProvisioner] | None = None
) -> LocalProvisioner:
    """A provisioner for ``km`` launching its kernel watched, its group killed ``grace``
    seconds after the process that started it is gone; of class ``cls``, a subclass of
    :func:`watched_provisioner_class`'s, if given."""
    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    provisioner = (cls or watched_provisioner_class())(
        kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km
    )
    provisioner.grace = grace  # type: ignore[attr-defined]
    return provisioner


@functools.cache
def watched_provisioner_class() -> type[LocalProvisioner]:
    """The provisioner class, defined on first use (jupyter_client imports tornado)."""
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class WatchedProvisioner(LocalProvisioner):
        """jupyter_client's local provisioner, launching the kernel's command watched."""

        #: Seconds between the end of the process that started the kernel and the kill.
        grace: float = 0.0

        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
            # "independent" leaves ipykernel's own watch of its parent off: it would end the
            # kernel alone (os._exit), leaving what its notebook started, before the watch
            # kills the kernel's group. $JPY_PARENT_PID 1 says the same to ipykernel (a parent
            # it does not watch, as init) and that a program started it: without one it
            # printed its banner for `ipython kernel` typed in a terminal (Ctrl-C's note and
            # the connection file, 7 lines) into the scheduler's or the server's output on
            # every run
            env = {**(kwargs.get("env") or os.environ), "JPY_PARENT_PID": "1"}
            try:
                watched = watched_command(cmd, grace=self.grace)
            except ValueError:  # not a Python module: a supervisor watches it
                watched = supervised_command(cmd, grace=self.grace)
            return await super().launch_kernel(
                watched, **{**kwargs, "env": env, "independent": True}
            )

    return WatchedProvisioner
