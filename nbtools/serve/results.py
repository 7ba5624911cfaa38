"""A served function's result as the JSON of its reply, or :class:`InvalidResultError`
saying why JSON cannot carry it (a 500 ``invalid-result``: :mod:`nbtools.serve.app`), or
:class:`ResultTooLargeError` when it is over ``ServeSettings.max_result_bytes``.

A large result (:func:`is_large`: its JSON measured over :data:`LARGE_RESULT_BYTES`) is
written in a worker thread by :func:`large_result_json`, in pieces: Python's JSON encoder is C
code that holds the GIL until it is done, so in a thread as on the event loop a 44 MB result
held every other request (``/health`` too) for the half second it took. Each piece is one
call of it over a part measured at :data:`PIECE_BYTES` at most (items of a list or a dict, a
slice of an array, of a long text), and between two of them the event loop takes the GIL
and answers. The measure (:func:`_measure`) reads every value up to its bound, never a
sample, so a large value cannot hide where a sample did not look. The text is the same as
:func:`result_json` writes, and so are the errors.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Collection, Generator, Iterator
from itertools import chain, compress, islice
from typing import Any, TypeVar

from pydantic_core import to_jsonable_python

from nbtools.errors import NbtoolsError
from nbtools.jsonplaces import Place, field_name, marked_places, places, read_marked
from nbtools.metrics.values import plain_scalar


class InvalidResultError(NbtoolsError):
    """A served function returned what JSON cannot carry; the message says what (and
    ``details["field"]`` where, for a NaN or an infinity)."""

    #: The ``error`` of the service's reply (a 500).
    code = "invalid-result"


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


def _is_pandas(value: Any, name: str) -> bool:
    """Whether ``value``'s type is pandas' type ``name``, told without importing pandas."""
    kind = type(value)
    return kind.__name__ == name and kind.__module__.partition(".")[0] == "pandas"


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
    if _is_pandas(value, "NAType"):
        return (
            f"the function returned a missing value (pandas.NA){at}, which JSON cannot carry: "
            "it should return None for no value"
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


def _place_of_long_int(value: Any) -> Place | None:
    """The place of the first integer inside ``value`` with more digits than Python writes
    as text (``sys.get_int_max_str_digits()``), in the order JSON writes them; ``None``
    when there is none outside a tuple."""
    for place, item in places(value):
        if isinstance(item, int):
            try:
                str(item)
            except ValueError:
                return place
    return None


T = TypeVar("T")

#: A result whose JSON is measured over this many bytes is written in a worker thread, in
#: pieces (:func:`large_result_json`); a smaller one on the event loop, at once.
LARGE_RESULT_BYTES = 64 * 1024
#: What one piece of a large result is measured to hold at most: one call of the C encoder,
#: which holds the GIL for it (a millisecond or two).
PIECE_BYTES = 128 * 1024
#: How many items the first piece of a list or dict takes; each next one takes twice as many
#: while the last was under half of :data:`PIECE_BYTES`, half as many once it was over.
FIRST_ITEMS = 64
#: A container of this many items at most has them measured one by one (cheaper for so few).
FEW = 8

#: The types :func:`_measure` counts as one number each, without looking at them one by one.
_NUMBERS = frozenset({int, float, bool, type(None)})
_TEXT_OR_NUMBERS = _NUMBERS | {str}
_IS_TEXT = frozenset({str}).__contains__

#: The encoder of :func:`result_json` (one, made once: its options never change).
_ENCODER = json.JSONEncoder(default=_default, allow_nan=False, ensure_ascii=False)


class ResultTooLargeError(InvalidResultError):
    """A served function's result is over ``ServeSettings.max_result_bytes`` as JSON (a
    500 ``result-too-large``, details ``limit`` and ``setting``)."""

    code = "result-too-large"


def result_json(value: Any, limit: int = 0) -> bytes:
    """``value`` as JSON; :class:`InvalidResultError` when JSON cannot carry it: never
    ``null`` for a NaN or an infinity, which a caller would take for an answer. A lone
    surrogate (which JSON holds, as a request may send it: ``"\\ud800"``, and no UTF-8
    encodes) is written as its escape, as it came. :class:`ResultTooLargeError` when it
    is over ``limit`` bytes (0: no limit), told from the text written, never a second one."""
    body = _checked(value, lambda whole: _ENCODER.encode(whole).encode("utf-8", "backslashreplace"))
    if limit and len(body) > limit:
        raise _too_large(limit)
    return body


def large_result_json(value: Any, limit: int = 0) -> list[bytes]:
    """:func:`result_json`'s bytes in parts of about :data:`PIECE_BYTES`, written in pieces
    (run it in a worker thread): the event loop answers other requests between two of them.
    The parts are sent one by one, never joined: copying tens of megabytes into one would
    hold the GIL again. Over ``limit`` bytes (0: no limit), the writing stops there, with
    :class:`ResultTooLargeError`: a result of gigabytes takes no more memory for its JSON."""
    return _checked(value, lambda whole: _in_parts(whole, limit))


def _too_large(limit: int) -> ResultTooLargeError:
    return ResultTooLargeError(
        f"The function's result is over the limit of {limit} bytes of JSON "
        "(ServeSettings.max_result_bytes, nbtools serve --max-result-bytes): return less, "
        "such as one page of it at a time, or serve with a higher limit.",
        limit=limit,
        setting="max_result_bytes",
    )


def _in_parts(value: Any, limit: int) -> list[bytes]:
    parts: list[bytes] = []
    held: list[bytes] = []
    size = total = 0
    for piece in _pieces(value, set()):
        held.append(piece.encode("utf-8", "backslashreplace"))
        size += len(held[-1])
        total += len(held[-1])
        if limit and total > limit:
            raise _too_large(limit)
        if size >= PIECE_BYTES:
            parts.append(b"".join(held))
            held, size = [], 0
    if held:
        parts.append(b"".join(held))
    return parts


def is_large(value: Any) -> bool:
    """Whether ``value``'s JSON is measured over :data:`LARGE_RESULT_BYTES`."""
    return _measure(value, LARGE_RESULT_BYTES) > LARGE_RESULT_BYTES


def _measure(value: Any, bound: int) -> int:
    """About how many bytes ``value``'s JSON takes, reading every value it holds until the
    count passes ``bound`` (then a number over it): a large value cannot hide where a sample
    would not look (a dict's 21st key), and a result of gigabytes costs no more to measure
    than one of ``bound`` bytes. The items of a list, tuple, set or dict are read a level at
    a time in C (:func:`_level`), one by one only where they hold more than numbers and text;
    a numpy array is measured by its size, one of objects by them (when its commas fit);
    an object JSON writes by its ``tolist()`` as over ``bound``: what that gives is measured
    once it is called, in the pieces of a large result (it is user code, which the event loop
    does not wait for); another object by its fields (a dataclass, a pydantic model), or as
    64 bytes."""
    total, left = 0, [value]
    while left and total <= bound:
        item = left.pop()
        if isinstance(item, (str, bytes, bytearray)):
            total += len(item) + 2
        elif isinstance(item, (int, float)) or item is None:
            total += 8
        elif isinstance(item, (dict, list, tuple, set, frozenset)):
            total += _level(item, left, bound - total)
        elif isinstance(getattr(item, "ndim", None), int) and isinstance(
            getattr(item, "size", None), int
        ):  # a numpy array or scalar, a pandas object
            if _holds_objects(item) and 2 + 2 * item.size <= bound - total:
                left.append(item.tolist())  # its objects as they are (text, dicts), not copied
            else:
                width = getattr(item, "itemsize", 0)
                total += 2 + item.size * max(20, width if isinstance(width, int) else 0)
        elif callable(getattr(item, "tolist", None)):  # its size unknown until it is called
            total += bound + 1
        else:
            fields = getattr(item, "__dict__", None)  # a dataclass, a pydantic model
            if isinstance(fields, dict):
                left.append(fields)
            else:
                total += 64
    return total


def _holds_objects(value: Any) -> bool:
    """Whether ``value`` is a numpy array (a pandas object) of Python objects: text, dicts."""
    return getattr(getattr(value, "dtype", None), "kind", "") == "O"


def _level(container: Collection[Any], left: list[Any], room: int) -> int:
    """The bytes of ``container``'s brackets, commas and keys, and of its items: at once when
    they are numbers and text, or dicts, lists or tuples holding only those (a table's rows);
    else they are put on ``left`` to be measured. Over ``room``, what was counted so far."""
    size = 2 + 2 * len(container)
    if size > room:  # its commas alone are over: its items are not looked at
        return size
    if isinstance(container, dict):
        keys = container.keys()
        size += 2 * len(keys) + max(_flat(keys, 0) if len(keys) > FEW else _few(keys), 0)
        container = container.values()
    if len(container) <= FEW:
        left.extend(container)
        return size
    kinds = set(map(type, container))
    flat = _flat(container, 0, kinds)
    if flat >= 0:
        return size + flat
    items: Collection[Any] = container
    if kinds == {dict} or kinds <= {list, tuple}:  # rows: their items read at once too
        count = sum(map(len, container))
        size += 2 * len(container) + 2 * count
        if size > room:
            return size
        if kinds == {dict}:
            size += max(_flat(list(chain.from_iterable(container)), 2 * count), 0)
            items = list(chain.from_iterable(map(dict.values, container)))
        else:
            items = list(chain.from_iterable(container))
        flat = _flat(items, 0)
        if flat >= 0:
            return size + flat
    left.extend(items)
    return size


def _few(keys: Collection[Any]) -> int:
    """The bytes of a few keys, one by one."""
    return sum(len(key) + 2 if isinstance(key, str) else 8 for key in keys)


def _flat(items: Collection[Any], extra: int, kinds: set[type] | None = None) -> int:
    """The bytes of ``items`` (of the types ``kinds``) and ``extra`` when they are all
    numbers (8 each) or numbers and text (as their text); else -1."""
    kinds = set(map(type, items)) if kinds is None else kinds
    if kinds <= _NUMBERS:
        return extra + 8 * len(items)
    if kinds <= _TEXT_OR_NUMBERS:  # the lengths of its texts, picked out in C
        texts = compress(items, map(_IS_TEXT, map(type, items)))
        return extra + 10 * len(items) + sum(map(len, texts))
    return -1


def _pieces(value: Any, open_ids: set[int], at: Place = ()) -> Iterator[str]:
    """``value``'s JSON text, each piece one call of the C encoder over a part measured at
    :data:`PIECE_BYTES` at most; ``open_ids``: the containers being written (one met again
    inside itself is the encoder's circular reference); ``at``: where ``value`` stands in
    the result, which a piece JSON cannot carry names (:func:`_encoded`)."""
    if _measure(value, PIECE_BYTES) <= PIECE_BYTES:
        yield _encoded(value, at)
        return
    if isinstance(value, str):  # escaped one character at a time: cut anywhere
        yield '"'
        for start in range(0, len(value), PIECE_BYTES):
            yield _ENCODER.encode(value[start : start + PIECE_BYTES])[1:-1]
        yield '"'
        return
    keyed = isinstance(value, dict)
    array = _is_array(value) and not _holds_objects(value)  # objects: as the list they are
    if not keyed and not array and not isinstance(value, (list, tuple)):
        yield from _pieces(_checked(value, _default, at), open_ids, at)  # a list, a dict
        return
    if id(value) in open_ids:
        raise ValueError("Circular reference detected")
    open_ids.add(id(value))
    yield "{" if keyed else "["
    if array:  # rows of one size: as many in each piece
        count = len(value)
        per = max(1, PIECE_BYTES * count // _measure(value, sys.maxsize))
        for start in range(0, count, per):
            if start:
                yield ", "
            if per == 1:
                yield from _pieces(value[start], open_ids, (*at, start))
            else:
                yield _encoded(value[start : start + per], at, start)[1:-1]
    else:
        entries = iter(value.items() if keyed else value)
        per, done = FIRST_ITEMS, 0
        while held := list(islice(entries, per)):
            if done:
                yield ", "
            size = yield from _items(held, keyed, open_ids, at, None if keyed else done)
            done += len(held)
            if size > PIECE_BYTES:
                per = max(1, per // 2)
            elif size <= PIECE_BYTES // 2:
                per *= 2
    yield "}" if keyed else "]"
    open_ids.discard(id(value))


def _items(
    held: list[Any], keyed: bool, open_ids: set[int], at: Place, first: int | None
) -> Generator[str, None, int]:
    """The JSON text of consecutive items of a list (of a dict: its ``(key, value)`` pairs),
    without its brackets: in one call of the encoder when they measure :data:`PIECE_BYTES` at
    most, else each half on its own, and one item too large alone in its own pieces. ``at``:
    where the list or dict stands; ``first``: the index of the first item (None: a dict's).
    Returns how large they measured."""
    part = dict(held) if keyed else held
    size = _measure(part, PIECE_BYTES)
    if size <= PIECE_BYTES:
        yield _encoded(part, at, first)[1:-1]
    elif len(held) > 1:
        middle = len(held) // 2
        yield from _items(held[:middle], keyed, open_ids, at, first)
        yield ", "
        later = None if first is None else first + middle
        yield from _items(held[middle:], keyed, open_ids, at, later)
    elif keyed:  # its key, then its value's own pieces
        ((key, item),) = held
        yield _encoded({key: None}, at)[1 : -len("null}")]
        yield from _pieces(item, open_ids, (*at, key))
    else:
        yield from _pieces(held[0], open_ids, (*at, first or 0))
    return size


def _encoded(part: Any, at: Place, first: int | None = None) -> str:
    """One call of the encoder over ``part``, which stands at ``at`` in the result (items of
    a list from its index ``first``): what JSON cannot carry in it is named by its place in
    the result, found in ``part`` alone, never by writing the whole result again (which held
    the GIL, and took as much memory again, for a result of any size)."""
    return _checked(part, _ENCODER.encode, at, first)


def _is_array(value: Any) -> bool:
    """Whether ``value`` is a numpy array of one dimension or more (written by rows)."""
    ndim = getattr(value, "ndim", None)
    return isinstance(ndim, int) and ndim >= 1 and callable(getattr(value, "tolist", None))


def _checked(
    value: Any, write: Callable[[Any], T], where: Place = (), first: int | None = None
) -> T:
    """``write(value)``, its failure told as :class:`InvalidResultError` saying what JSON
    cannot carry and where: ``value`` stands at ``where`` in the result (a run of a list's
    items from its index ``first``)."""

    def placed(place: Place) -> Place:
        if first is not None and place:
            return (*where, int(place[0]) + first, *place[1:])
        return (*where, *place)

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
        long_int = None
        if not found and "integer string conversion" in reason:  # before any cycle
            long_int = _place_of_long_int(value)
        if long_int is not None:
            field = field_name(placed(long_int))
            at = f" at {field}" if field else ""
            raise InvalidResultError(
                f"The function returned an integer of more than {sys.get_int_max_str_digits()} "
                f"digits{at}, over Python's limit for writing one as text: it should return "
                "it as text, such as hex(n), which has no such limit.",
                field=field,
            ) from None
        if found:
            place, number = found[0]
            field = ".".join(str(part) for part in placed(place))
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
            field = field_name(placed(found_at[0]))
            at = f" at {field}" if field else ""
            raise InvalidResultError(
                f"The function's result cannot be sent as JSON: {_not_json(found_at[1], at)}.",
                field=field,
            ) from None
    except RecursionError:
        reason = "it nests lists or dicts too deeply"
    raise InvalidResultError(f"The function's result cannot be sent as JSON: {reason}.")
