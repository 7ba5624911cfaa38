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

Uses made outside a call (the package's module-level code, at start-up) and in threads a
function starts itself are not seen: there ``nbtools.data`` behaves as in any script.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from nbtools.config import PURPOSE_VARIABLE
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


def audit_refusal(package: str, path: str, uses: CallUses, error_id: str) -> None:
    """Record the refused use of the call to ``path`` (``/lookup``, ``/lookup/batch``) in the
    audit trail of the project the dataset was looked up in, as ``policy.refuse`` by the user
    the service runs as (its callers are not named; :func:`nbtools.audit.current_actor`),
    target ``service PACKAGE``. A trail that cannot be written is logged: the call is
    refused all the same."""
    from nbtools import audit
    from nbtools.project import project_from_environment

    use = uses.refused_use
    assert use is not None, "a use was refused"
    summary = {
        "purpose": uses.purpose,
        "refused": [use["dataset"]],
        "during": "serve",
        "function": path.strip("/").split("/")[0],
        "path": path,
        "mode": use["mode"],
        "outcome": f"403 {REFUSED}",
        "error_id": error_id,
    }
    try:
        store = project_from_environment().store
        audit.record_now(store, None, "policy.refuse", f"service {package}", summary)
    except Exception:
        log.exception("error %s: cannot record the refusal in the audit trail", error_id)
