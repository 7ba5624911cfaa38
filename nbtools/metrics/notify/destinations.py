"""A notification target's destination: a webhook's URL or e-mail addresses, checked and
normalized when the target is added (:func:`check_destination`), and checked again before
every delivery and in every listing of targets (:func:`destination_problem`): a target an
older nbtools stored, whose check let through what today's refuses (a host that is no domain
name), is never sent to; each of its deliveries fails at once, saying why. Shown to anyone
by a webhook's site only (:func:`listed_destination`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nbtools.errors import InvalidInputError
from nbtools.metrics.tables import CHANNELS, EMAIL, MAX_DESTINATION, WEBHOOK
from nbtools.urls import checked_http_url, site_only

_ADDRESS = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")


def check_destination(channel: str, destination: str) -> str:
    """A webhook's http(s) URL an HTTP request can be made to
    (:func:`nbtools.urls.checked_http_url`), or comma-separated e-mail addresses (printable
    characters only: a control character went raw into the SMTP envelope and the To header),
    normalized; at most :data:`MAX_DESTINATION` characters."""
    if channel == WEBHOOK:
        checked = checked_http_url(destination.strip(), field="destination", what="A webhook")
    elif channel == EMAIL:
        addresses = [part.strip() for part in destination.split(",") if part.strip()]
        bad = [
            address
            for address in addresses
            if not _ADDRESS.fullmatch(address) or not address.isprintable()
        ]
        if not addresses or bad:
            shown = ", ".join(a if a.isprintable() else f"{a!r} (a control character)" for a in bad)
            raise InvalidInputError(
                f"Not an e-mail address: {shown or repr(destination)}. Give one or "
                "more addresses separated by commas.",
                field="destination",
                destination=destination,
            )
        checked = ", ".join(_mailboxes(addresses).values())
    else:
        raise InvalidInputError(
            f"Unknown channel {channel!r}; use one of {', '.join(CHANNELS)}.",
            field="channel",
            channel=channel,
        )
    if len(checked) > MAX_DESTINATION:
        raise InvalidInputError(
            f"A destination may have at most {MAX_DESTINATION} characters; this one has "
            f"{len(checked)}.",
            field="destination",
        )
    return checked


def destination_problem(channel: str, destination: str) -> str | None:
    """Why a stored ``destination`` is not one :func:`check_destination` takes today (the
    destination as listings show it, :func:`listed_destination`), or None when it is: a
    target an older nbtools stored with it can never be delivered to."""
    try:
        check_destination(channel, destination)
    except InvalidInputError as refusal:
        given = refusal.details.get("destination")
        reason = refusal.message
        if isinstance(given, str):  # the whole URL: its path or query may be its secret
            reason = reason.replace(repr(given), repr(listed_destination(channel, destination)))
        return (
            f"Its destination does not pass the check of a new target (it was stored by an "
            f"older nbtools): {reason} Remove the target and add its destination again, "
            "corrected."
        )
    return None


def listed_destination(channel: str, destination: str) -> str:
    """A stored ``destination`` as every listing, reply and record shows it, to anyone: a
    webhook by its site only (:func:`~nbtools.urls.site_only`, ``https://hooks.slack.com/***``),
    since its path or query is often its secret (a Slack webhook's ``/services/T…/B…/…``) and
    whoever may read nbtools may list targets; e-mail addresses as they are."""
    return site_only(destination) if channel == WEBHOOK else destination


def same_mailboxes(one: str, other: str) -> bool:
    """Whether two normalized e-mail destinations hold the same mailboxes, in any order and
    case (:func:`_mailboxes`)."""
    return set(_mailboxes(one.split(", "))) == set(_mailboxes(other.split(", ")))


def _mailboxes(addresses: Iterable[str]) -> dict[str, str]:
    """Each mailbox of ``addresses`` once, in the order given, as first spelled: two
    addresses that differ only in case are one mailbox (the one rule for addresses given
    twice in a target and for the same addresses on two targets). Keyed by the lowercase
    address."""
    mailboxes: dict[str, str] = {}
    for address in addresses:
        mailboxes.setdefault(address.lower(), address)
    return mailboxes
