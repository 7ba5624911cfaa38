"""The datasets a served package's functions use through ``nbtools.data``: checked against the
service's purpose, logged, and kept with the minutes of traffic.

The service's purpose is ``$NBTOOLS_PURPOSE``, else the one its package was extracted for
(its manifest's; ``nbtools serve`` puts it into the variable, an app under another ASGI server
reads the manifest). For each call the service sets :data:`nbtools.data.notebook.USE_SINK` to
a :class:`CallUses`:

- a use the purpose allows is kept: logged the first time a worker makes it
  (``/lookup read dataset pii (personal) for the purpose 'churn-model'``), and, with
  ``--record-to``, stored as a dataset of the run of the call's minute, as a run's uses are
  (:func:`nbtools.data.uses.save_uses`), so ``data usage``, erasure and a dataset's retention
  find the service as they find runs;
- a use it does not allow raises :class:`~nbtools.errors.PolicyRefusedError` in the function,
  and the call is answered 403 ``data-use-refused`` (also when the function caught the
  error: the data was asked for outside its purposes), the reason logged as an error and
  the refusal recorded in the project's audit trail (``policy.refuse``, :func:`audit_refusal`).

At start-up, while ``nbtools serve`` (each worker) imports the package, its module-level
code's uses go to a :class:`CallUses` of the start-up (:func:`start_up_uses`): one the purpose
does not allow refuses the start (:mod:`nbtools.serve.loading`), also when the code caught the
error. A call's sink is a context variable, which a thread the function (or the package's
code) starts does not inherit: there uses go to the process's :class:`ThreadUses`, held to the
same purpose, a refused one raising in that thread, logged and audited, without failing a
call (the one that started the thread may have been answered already).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from nbtools.config import PURPOSE_VARIABLE
from nbtools.data.notebook import USE_SINK, hold_process_uses
from nbtools.errors import PolicyRefusedError

log = logging.getLogger("nbtools.serve")

#: The error code of a call that used data its service's purpose does not allow.
REFUSED = "data-use-refused"


def service_purpose(manifest: Mapping[str, Any], environ: Mapping[str, str]) -> str | None:
    """``$NBTOOLS_PURPOSE`` (an empty one is not set), else the purpose the package was
    extracted for (``manifest``'s), else None."""
    extracted = manifest.get("purpose")
    return environ.get(PURPOSE_VARIABLE) or (extracted if isinstance(extracted, str) else None)


class CallUses:
    """The uses of one call (a :class:`nbtools.data.notebook.UseSink`)."""

    def __init__(self, purpose: str | None) -> None:
        self.purpose = purpose
        self.uses: list[dict[str, str]] = []
        #: Why the first use refused was refused (None: none was).
        self.refused: str | None = None
        #: The first use refused (None: none was).
        self.refused_use: dict[str, str] | None = None

    def take(self, use: dict[str, str], refused: str | None) -> None:
        if refused is None:
            self.uses.append(use)
            return
        if self.refused is None:
            self.refused, self.refused_use = refused, use
        raise PolicyRefusedError(
            refused,
            dataset=use["dataset"],
            classification=use["classification"],
            purpose=self.purpose,
        )


class UsesLog:
    """Logs each ``(dataset, mode)`` the first time this worker's calls use it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._told: set[tuple[str, str]] = set()

    def tell(self, path: str, uses: CallUses) -> None:
        for use in uses.uses:
            key = (use["dataset"], use["mode"])
            with self._lock:
                if key in self._told:
                    continue
                self._told.add(key)
            log.info(
                "%s %s dataset %s (%s) for %s (logged once per dataset and worker)",
                path,
                use["mode"],
                use["dataset"],
                use["classification"],
                f"the purpose {uses.purpose!r}" if uses.purpose else "no purpose",
            )


class ThreadUses:
    """The uses of a served process outside any call, in threads (a
    :class:`nbtools.data.notebook.UseSink` for the whole process): one the purpose allows is
    logged once per dataset; one it does not raises
    :class:`~nbtools.errors.PolicyRefusedError` in its thread, is logged as an error and
    recorded in the audit trail (``during: thread``)."""

    def __init__(self, package: str, purpose: str | None) -> None:
        self.package, self.purpose = package, purpose
        self._log = UsesLog()

    def take(self, use: dict[str, str], refused: str | None) -> None:
        uses, thread = CallUses(self.purpose), threading.current_thread().name
        try:
            uses.take(use, refused)
        except PolicyRefusedError:
            log.error("data use refused in thread %s, outside a call: %s", thread, refused)
            where = {"during": "thread", "thread": thread}
            audit_refusal(self.package, uses, "PolicyRefusedError raised in the thread", where)
            raise
        self._log.tell(f"thread {thread}", uses)


def hold_threads(package: str, purpose: str | None) -> None:
    """Hold the uses of this process's threads, outside calls, to ``purpose``."""
    hold_process_uses(ThreadUses(package, purpose))


@contextlib.contextmanager
def start_up_uses(package: str, purpose: str | None = None) -> Iterator[CallUses]:
    """While in effect, ``nbtools.data``'s uses (the package's module-level code as it is
    imported) are held to the service's purpose, ``purpose`` or else ``$NBTOOLS_PURPOSE``
    (``nbtools serve`` put the extraction's there before any worker started), as a call's
    are; from then on, the uses of the threads that code or a served function starts
    (:class:`ThreadUses`)."""
    uses = CallUses(purpose or os.environ.get(PURPOSE_VARIABLE) or None)
    hold_threads(package, uses.purpose)
    token = USE_SINK.set(uses)
    try:
        yield uses
    finally:
        USE_SINK.reset(token)


def start_up_refused(
    package: str, uses: CallUses, error: BaseException, printed: str, exit_code: int
) -> None:
    """Tell that ``package``'s start-up was refused the data ``uses`` refused (its
    module-level code used it as it was imported; ``printed``: what it wrote meanwhile), and
    record it in the audit trail; the process then exits ``exit_code``."""
    from nbtools.serve.startup import log_failure

    told = (
        f"data use refused: {uses.refused} (the package's module-level code used it as "
        "it was imported: serve it for a purpose the data allows, or use the data inside "
        "a served function, where each call is checked)"
    )
    log_failure(package, told, error, printed)
    outcome = f"start-up refused: exit code {exit_code}"
    audit_refusal(package, uses, outcome, {"during": "start-up"})


def audit_refusal(package: str, uses: CallUses, outcome: str, where: dict[str, str]) -> None:
    """Record the refused use in ``uses`` in the audit trail of the project the dataset was
    looked up in, as ``policy.refuse`` by the user the service runs as (its callers are not
    named; :func:`nbtools.audit.current_actor`), target ``service PACKAGE``; ``where``: the
    call's ``function``, ``path`` and ``error_id``, or ``{"during": "start-up"}``. A trail that
    cannot be written is logged: the call or start is refused all the same."""
    from nbtools import audit
    from nbtools.project import project_from_environment

    use = uses.refused_use
    assert use is not None, "a use was refused"
    summary = {
        "purpose": uses.purpose,
        "refused": [use["dataset"]],
        "during": "serve",
        **where,
        "mode": use["mode"],
        "outcome": outcome,
    }
    try:
        store = project_from_environment().store
        audit.record_now(store, None, "policy.refuse", f"service {package}", summary)
    except Exception:
        log.exception("cannot record the refused data use of %s in the audit trail", package)
