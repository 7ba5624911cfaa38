"""What a migration that leaves datasets sharing a location (``location_0001``,
``location_0002``) tells the operator: which datasets share which location, and what to do."""

from __future__ import annotations

import logging

from nbtools.urls import without_login

log = logging.getLogger("nbtools.store")

#: The locations named in the warning, at most (then how many more).
SHOWN = 20


def warn_shared(by_location: dict[str, list[str]], change: str, since: str) -> None:
    """Name the datasets at each location of ``by_location`` (their names in order), which
    the migration marked and left be: ``change`` says what the store now holds, ``since``
    since when they share their location."""
    shown = [
        f"{without_login(location)}: {', '.join(names)}" for location, names in by_location.items()
    ]
    more = f"; and {len(shown) - SHOWN} more locations" if len(shown) > SHOWN else ""
    log.warning(
        "%s, and %d datasets share %d location%s (%s): %s%s. They keep working and can be "
        "edited; give each its own location or remove the extra ones. `nbtools data list` and "
        "`nbtools status` name them until then.",
        change,
        sum(len(names) for names in by_location.values()),
        len(by_location),
        "" if len(by_location) == 1 else "s",
        since,
        "; ".join(shown[:SHOWN]),
        more,
    )
