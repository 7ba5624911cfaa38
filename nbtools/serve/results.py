"""A served function's result as the JSON of its reply, or :class:`InvalidResultError`
saying why JSON cannot carry it (a 500 ``invalid-result``: :mod:`nbtools.serve.app`).

A large result (:func:`is_large`: its JSON estimated over :data:`LARGE_RESULT_BYTES`) is
written in a worker thread by :func:`large_result_json`, in pieces: Python's JSON encoder is C
code that holds the GIL until it is done, so in a thread as on the event loop a 44 MB result
held every other request (``/health`` too) for the half second it took. Each piece is one
call of it over a part estimated at :data:`PIECE_BYTES` at most (a slice of a list, some of a
dict's items, a slice of a long text), and between two of them the event loop takes the GIL
and answers. The text is the same as :func:`result_json` writes, and so are the errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any, TypeVar

from pydantic_core import to_jsonable_python

from nbtools.errors import NbtoolsError
from nbtools.jsonplaces import Place, field_name, marked_places, places, read_marked
from nbtools.metrics.values import plain_scalar


class InvalidResultError(NbtoolsError):
    """A served function returned what JSON cannot carry; the message says what (and
    ``details["field"]`` where, for a NaN or an infinity)."""


def _default(value: Any) -> Any:
    """JSON for common non-JSON results: numpy scalars (``numpy.longdouble`` as a float: its
    ``tolist()`` is itself) and arrays, their dates and times of any unit as Python's (numpy
    gives nanoseconds as an integer); else as pydantic writes it, which is what the OpenAPI
    document built from the return annotation says: pydantic models, dataclasses, sets, dates
    and times (ISO 8601 text), ``Decimal`` and ``UUID`` as text, an ``Enum`` as its value,
    ``bytes`` as UTF-8 text. A missing time (``NaT``) has no JSON form, as a NaN has none."""
    dtype = getattr(value, "dtype", None)
    kind = getattr(dtype, "kind", "")
    if kind in ("M", "m"):  # numpy's datetime64, timedelta64
        if _holds_nat(value):
            raise TypeError(_not_json(value))
        if str(dtype).endswith(_FINER_THAN_PYTHON):  # to microseconds, Python's finest
            value = value.astype(("datetime64" if kind == "M" else "timedelta64") + "[us]")
    plain = plain_scalar(value)
    if plain is not value:
        return plain
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    try:
        return to_jsonable_python(value)
    except ValueError:  # no form pydantic knows, or bytes that are not UTF-8
        raise TypeError(_not_json(value)) from None


#: The units of numpy's datetime64 and timedelta64 finer than Python's (whose ``tolist()``
#: gives an integer of them).
_FINER_THAN_PYTHON = ("[ns]", "[ps]", "[fs]", "[as]")


def _holds_nat(value: Any) -> bool:
    """Whether ``value`` is or holds a missing time: pandas' ``NaT``, numpy's."""
    if type(value).__name__ == "NaTType":
        return True
    if getattr(getattr(value, "dtype", None), "kind", "") not in ("M", "m"):
        return False
    import numpy  # a value of a numpy dtype: numpy is there

    return bool(numpy.isnat(numpy.asarray(value)).any())


def _not_json(value: Any, at: str = "") -> str:
    """What the function returned that JSON has no form for (``at``: where, `` at a.1``)."""
    if isinstance(value, (bytes, bytearray)):
        return (
            f"the function returned bytes{at} that are not UTF-8 text, which JSON cannot "
            "carry: it should return text (such as base64 for binary data)"
        )
    if _holds_nat(value):
        return (
            f"the function returned a missing time (NaT){at}, which JSON cannot carry: it "
            "should return None for no time"
        )
    kind = type(value).__name__
    hint = ""
    if callable(getattr(value, "to_dict", None)):  # a pandas DataFrame
        hint = ": it should return its data, such as to_dict(orient='records') gives"
    return f"the function returned an object of type {kind}{at}, which is not JSON data{hint}"


def _place_without_form(value: Any) -> tuple[Place, Any] | None:
    """The first value inside ``value`` that :func:`_default` cannot convert, with its place
    (``()`` for ``value`` itself), in the order JSON writes them; ``None`` when it is inside
    a tuple (which :func:`places` does not open) or a dict or list met twice (a cycle)."""
    seen: set[int] = set()
    for place, item in places(value):
        if isinstance(item, (dict, list)):
            if id(item) in seen:
                return None
            seen.add(id(item))
        elif not isinstance(item, (str, int, float, tuple)) and item is not None:
            try:
                _default(item)
            except TypeError:
                return place, item
    return None


T = TypeVar("T")

#: A result whose JSON is estimated over this many bytes is written in a worker thread, in
#: pieces (:func:`large_result_json`); a smaller one on the event loop, at once.
LARGE_RESULT_BYTES = 64 * 1024
#: What one piece of a large result is estimated to hold at most: one call of the C encoder,
#: which holds the GIL for it (a millisecond or two).
PIECE_BYTES = 128 * 1024
#: How many items of a container the estimate reads (spread over it), and how many values
#: it reads in all, whatever the result's size.
SAMPLED, READ = 8, 256

#: The encoder of :func:`result_json` (one, made once: its options never change).
_ENCODER = json.JSONEncoder(default=_default, allow_nan=False, ensure_ascii=False)


def result_json(value: Any) -> bytes:
    """``value`` as JSON; :class:`InvalidResultError` when JSON cannot carry it: never
    ``null`` for a NaN or an infinity, which a caller would take for an answer. A lone
    surrogate (which JSON holds, as a request may send it: ``"\\ud800"``, and no UTF-8
    encodes) is written as its escape, as it came."""
    return _checked(value, lambda whole: _ENCODER.encode(whole).encode("utf-8", "backslashreplace"))


def large_result_json(value: Any) -> list[bytes]:
    """:func:`result_json`'s bytes in parts of about :data:`PIECE_BYTES`, written in pieces
    (run it in a worker thread): the event loop answers other requests between two of them.
    The parts are sent one by one, never joined: copying tens of megabytes into one would
    hold the GIL again."""
    return _checked(value, _in_parts)


def _in_parts(value: Any) -> list[bytes]:
    parts: list[bytes] = []
    held: list[bytes] = []
    size = 0
    for piece in _pieces(value, set()):
        held.append(piece.encode("utf-8", "backslashreplace"))
        size += len(held[-1])
        if size >= PIECE_BYTES:
            parts.append(b"".join(held))
            held, size = [], 0
    if held:
        parts.append(b"".join(held))
    return parts


def is_large(value: Any) -> bool:
    """Whether ``value``'s JSON is estimated over :data:`LARGE_RESULT_BYTES`."""
    return _estimate(value, [READ]) > LARGE_RESULT_BYTES


def _estimate(value: Any, left: list[int]) -> int:
    """About how many bytes ``value``'s JSON takes, read from :data:`SAMPLED` items of each
    container (spread over it) and :data:`READ` values in all (``left``: how many more): as
    cheap for a result of megabytes as for one number, and close enough to tell them apart."""
    left[0] -= 1
    if isinstance(value, str):
        return len(value) + 2
    if value is None or isinstance(value, (bool, int, float)):
        return 8
    if isinstance(value, (dict, list, tuple)):
        count = len(value)
        if not count or left[0] <= 0:
            return 2 + count * 10
        if isinstance(value, dict):
            keyed = list(islice(value.items(), SAMPLED))
            each = sum(len(str(key)) + 4 + _estimate(item, left) for key, item in keyed)
            return 2 + count * each // len(keyed)
        read = value[:: max(1, count // SAMPLED)][:SAMPLED]
        return 2 + count * sum(_estimate(item, left) + 2 for item in read) // len(read)
    size = getattr(value, "size", None)  # a numpy array
    if isinstance(size, int) and isinstance(getattr(value, "ndim", None), int):
        return 2 + size * 20
    fields = getattr(value, "__dict__", None)  # a dataclass, a pydantic model
    return _estimate(fields, left) if isinstance(fields, dict) else 64


def _pieces(value: Any, open_ids: set[int]) -> Iterator[str]:
    """``value``'s JSON text, each piece one call of the C encoder over a part estimated at
    :data:`PIECE_BYTES` at most; ``open_ids``: the containers being written (one met again
    inside itself is the encoder's circular reference)."""
    estimate = _estimate(value, [READ])
    if estimate <= PIECE_BYTES:
        yield _ENCODER.encode(value)
        return
    if isinstance(value, str):  # escaped one character at a time: cut anywhere
        yield '"'
        for start in range(0, len(value), PIECE_BYTES):
            yield _ENCODER.encode(value[start : start + PIECE_BYTES])[1:-1]
        yield '"'
        return
    keyed = isinstance(value, dict)
    if not keyed and not isinstance(value, (list, tuple)) and not _is_array(value):
        yield from _pieces(_default(value), open_ids)  # its form: a list, a dict
        return
    if id(value) in open_ids:
        raise ValueError("Circular reference detected")
    open_ids.add(id(value))
    count = len(value)
    per = max(1, PIECE_BYTES * count // estimate)  # items per piece
    items = iter(value.items()) if keyed else None
    yield "{" if keyed else "["
    for start in range(0, count, per):
        part: Any = dict(islice(items, per)) if items is not None else value[start : start + per]
        if start:
            yield ", "
        if per > 1:
            yield _ENCODER.encode(part)[1:-1]
        elif items is not None:  # one large value: its key, then its own pieces
            ((key, item),) = part.items()
            yield _ENCODER.encode({key: None})[1 : -len("null}")]
            yield from _pieces(item, open_ids)
        else:
            yield from _pieces(part[0], open_ids)
    yield "}" if keyed else "]"
    open_ids.discard(id(value))


def _is_array(value: Any) -> bool:
    """Whether ``value`` is a numpy array of one dimension or more (written by rows)."""
    ndim = getattr(value, "ndim", None)
    return isinstance(ndim, int) and ndim >= 1 and callable(getattr(value, "tolist", None))


def _checked(value: Any, write: Callable[[Any], T]) -> T:
    """``write(value)``, its failure told as :class:`InvalidResultError` saying what JSON
    cannot carry and where."""
    try:
        return write(value)
    except ValueError as error:  # a NaN or an infinity; or a circular reference
        reason = str(error)
        try:
            found = marked_places(
                *read_marked(
                    json.dumps(value, default=_default, ensure_ascii=False), constants=True
                )
            )
        except ValueError:
            found = []
        if found:
            place, number = found[0]
            field = ".".join(str(part) for part in place)
            at = f" at {field}" if field else ""
            raise InvalidResultError(
                f"The function returned {number}{at}, which JSON cannot carry: it should "
                "return a finite number, or None for no number.",
                field=field,
            ) from None
    except TypeError as error:  # a value _default cannot convert, a key that is not text
        reason = str(error)
        found_at = _place_without_form(value)
        if found_at is not None:
            field = field_name(found_at[0])
            at = f" at {field}" if field else ""
            raise InvalidResultError(
                f"The function's result cannot be sent as JSON: {_not_json(found_at[1], at)}.",
                field=field,
            ) from None
    except RecursionError:
        reason = "it nests lists or dicts too deeply"
    raise InvalidResultError(f"The function's result cannot be sent as JSON: {reason}.")
