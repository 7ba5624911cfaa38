"""``RUN``, ``ALERT``, ``RULE``, … on the command line: an id, read as the REST API reads one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from nbtools.ids import MAX_ID, parse_id

if TYPE_CHECKING:
    _IdType = click.ParamType[int]
else:  # click < 8.4: ParamType is not generic at run time
    _IdType = click.ParamType


class IdType(_IdType):
    """An id: ASCII digits from 1 to 2^31 - 1 (what an id column holds in every database);
    anything else (``0``, ``-1``, ``٣``, ten digits past it) is a usage error naming the
    argument or option."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
            return value
        number = parse_id(value) if isinstance(value, str) else None
        if number is None:
            self.fail(f"{value!r} is not an id: a whole number from 1 to {MAX_ID}.", param, ctx)
        return number


#: The type of every id argument and option (``type=ID``).
ID = IdType()
