"""A served function's signature as a pydantic request model.

Each parameter becomes a field of the JSON body, with the parameter's annotation as its type
and its default (a parameter without a default is required). Annotations are read with
:func:`typing.get_type_hints`, so notebook code written with ``from __future__ import
annotations`` works. ``*args``, ``**kwargs`` and positional-only parameters cannot come from a
JSON object and are refused at start-up.

The model's fields are named ``p0``, ``p1``, … and take the parameters' names as aliases: the
JSON body, the schema and validation errors use the parameter's name, whatever it is, also one
pydantic keeps for itself (``_x``, ``model_config``, ``model_dump``, ``keys``, ``copy``);
:func:`call_arguments` gives a body's values back under those names.

JSON's own types are taken only from values of that type (:func:`json_strict`): pydantic
would otherwise turn ``true`` into the number 1, ``"3"`` into 3 and ``1`` into ``True``.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import inspect
import operator
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PydanticUserError,
    Strict,
    create_model,
)
from pydantic.dataclasses import is_pydantic_dataclass
from pydantic_core import PydanticCustomError

from nbtools.errors import InvalidInputError
from nbtools.jsonplaces import encodable

#: What wraps each item of a container :func:`json_strict` reads (a validator adding to
#: the annotation: :mod:`nbtools.serve.large`).
Element = Callable[[Any], Any]


class RequestBody(BaseModel):
    """Base of the request models: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def request_model(
    name: str,
    function: Callable[..., Any],
    element: Element | None = None,
    base: type[BaseModel] = RequestBody,
) -> type[BaseModel]:
    """The model of ``function``'s keyword arguments, named ``<Name>Request`` in the OpenAPI;
    ``element`` wraps each item of its containers (:func:`json_strict`), ``base`` is the
    model it derives from."""
    signature = inspect.signature(function)
    try:
        hints = typing.get_type_hints(function)
    except Exception as error:  # an annotation naming something undefined
        raise InvalidInputError(
            f"Cannot serve {name}(): its annotations cannot be resolved ({error}).",
            endpoint=name,
        ) from error
    fields: dict[str, Any] = {}
    for index, parameter in enumerate(signature.parameters.values()):
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            stars = "*" if parameter.kind == parameter.VAR_POSITIONAL else ""
            stars = "**" if parameter.kind == parameter.VAR_KEYWORD else stars
            shown = stars + parameter.name
            raise InvalidInputError(
                f"Cannot serve {name}(): parameter {shown} cannot come from a JSON object; "
                "use named parameters only.",
                endpoint=name,
                parameter=parameter.name,
            )
        annotation = json_strict(hints.get(parameter.name, Any), element)
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[f"p{index}"] = (annotation, Field(default, alias=parameter.name))
    title = "".join(part.capitalize() for part in name.split("_")) + "Request"
    try:
        return create_model(title, __base__=base, **fields)
    except PydanticUserError as error:
        raise InvalidInputError(
            f"Cannot serve {name}(): a parameter's type cannot be read from JSON ({error}). "
            "Use int, float, str, bool, lists, dicts, Literal or pydantic models.",
            endpoint=name,
        ) from error


def call_arguments(body: BaseModel) -> dict[str, Any]:
    """The keyword arguments of a request model's ``body``, by parameter name."""
    fields = type(body).model_fields
    return {fields[name].alias or name: value for name, value in body}


#: JSON's own types: each takes only values JSON writes as that type.
_SCALARS = (bool, int, float, str)
#: The generic containers whose parameters :func:`json_strict` reaches into.
_CONTAINERS = frozenset(
    {
        list,
        dict,
        tuple,
        set,
        frozenset,
        collections.abc.Sequence,
        collections.abc.MutableSequence,
        collections.abc.Mapping,
        collections.abc.MutableMapping,
        collections.abc.Set,
        collections.abc.MutableSet,
    }
)
#: What a ``Literal`` is given in place of a value of another JSON type: it matches no value.
_NO_MATCH = object()


def json_strict(annotation: Any, element: Element | None = None) -> Any:
    """``annotation`` taking each of JSON's own types (``bool``, ``int``, ``float``, ``str``)
    only from a JSON value of that type, wherever it stands in lists, dicts, tuples, sets,
    unions, ``Annotated`` and the fields of a (standard library) dataclass, at every level of
    one that holds itself (:func:`_strict_dataclass`): no ``true`` or ``"3"`` for a number,
    no ``1`` or ``"true"`` for a bool, no ``2.5`` (nor ``3.0``) for an int, no number for a
    str. An int is taken for a float, as JSON has one kind of number. A ``Literal`` of
    numbers or bools takes a value as its member's type would (pydantic takes ``true`` for
    ``Literal[1]``, ``2.0`` for ``Literal[1, 2]``). Other types (a pydantic model, a
    datetime) are read as pydantic reads them, except that a pydantic model refuses an
    object with a key holding a lone surrogate, at every level of its fields, as pydantic
    refuses it for a dataclass (a model that ignores unknown fields dropped such a key
    without a word: :func:`_encodable_names`).

    ``element``, when given, wraps each item of a list, tuple or set and each key and value
    of a dict (:mod:`nbtools.serve.large`), except inside the members of a union of several
    types (``X | None`` is not one)."""
    if any(annotation is scalar for scalar in _SCALARS):
        return Annotated[annotation, Strict()]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return Annotated[
            annotation, BeforeValidator(functools.partial(_encodable_names, annotation))
        ]
    if _plain_dataclass(annotation):
        return _strict_dataclass(annotation, element)
    strict = functools.partial(json_strict, element=element)
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        if {_json_kind(value) for value in arguments} & {bool, int, float}:
            return Annotated[annotation, BeforeValidator(functools.partial(_of_kind, arguments))]
        return annotation
    if origin is Annotated:
        annotated = (strict(arguments[0]), *annotation.__metadata__)
        return Annotated[annotated]
    if origin is Union or origin is types.UnionType:
        if sum(argument is not type(None) for argument in arguments) > 1:
            # pydantic names a union's members in a problem's place (``u.list[int].1``) by
            # their validators: its members' items are left unwrapped, so as not to rename them
            strict = functools.partial(json_strict, element=None)
        return functools.reduce(operator.or_, (strict(argument) for argument in arguments))
    if origin in _CONTAINERS and arguments:
        items = (strict(argument) for argument in arguments)
        if element is not None:
            items = (a if a is Ellipsis else element(a) for a in items)
        return origin[tuple(items)]
    return annotation


def _plain_dataclass(annotation: Any) -> bool:
    """Whether ``annotation`` is a standard library dataclass (a pydantic dataclass, like a
    pydantic model, says itself how strict it is)."""
    return (
        isinstance(annotation, type)
        and dataclasses.is_dataclass(annotation)
        and not is_pydantic_dataclass(annotation)
    )


#: The strict reading of each dataclass (and ``element``) made so far: made once, so that the
#: OpenAPI document names one schema after it, and found there by a dataclass holding itself.
_STRICT_DATACLASSES: dict[tuple[type, Element | None], Any] = {}


def _strict_dataclass(cls: type, element: Element | None) -> Any:
    """The dataclass ``cls`` read with :func:`json_strict` fields (pydantic reads a
    dataclass's fields laxly: ``"1"`` and ``true`` for a float): a dataclass of the same name,
    documentation, fields and defaults, read by pydantic as ``cls`` is, then made into a
    ``cls`` (whose ``__post_init__`` then runs, once). Where a dataclass holds itself (a
    field of its own type, or a list or an ``Optional`` of it), or another one holding it,
    the inner one is this same reading: as strict at every level."""
    made_already = _STRICT_DATACLASSES.get((cls, element))
    if made_already is not None:
        return made_already
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception:  # an annotation naming something undefined: pydantic tells it, as before
        return cls
    fields = []
    declared: dict[str, dataclasses.Field[Any]] = cls.__dataclass_fields__  # type: ignore[attr-defined]
    for field in declared.values():  # its fields, and its InitVar and ClassVar ones
        hint = hints[field.name]
        if not field.init or typing.get_origin(hint) is typing.ClassVar:
            continue
        if isinstance(hint, dataclasses.InitVar):  # an argument of the class, not a field
            hint = hint.type
        spec = dataclasses.field(
            default=field.default, default_factory=field.default_factory, metadata=field.metadata
        )
        fields.append((field.name, hint, spec))
    # made before its fields' types, which may name it (a dataclass holding itself)
    read = dataclasses.make_dataclass(
        cls.__name__, [(name, Any, spec) for name, _, spec in fields], kw_only=True
    )
    read.__module__, read.__qualname__, read.__doc__ = cls.__module__, cls.__qualname__, cls.__doc__
    if hasattr(cls, "__pydantic_config__"):
        read.__pydantic_config__ = cls.__pydantic_config__  # type: ignore[attr-defined]
    names = [name for name, _, _ in fields]

    def made(value: Any) -> Any:
        return cls(**{name: getattr(value, name) for name in names})

    strict: Any = Annotated[read, AfterValidator(made)]
    _STRICT_DATACLASSES[cls, element] = strict
    read_fields: dict[str, dataclasses.Field[Any]] = read.__dataclass_fields__  # type: ignore[attr-defined]
    for name, hint, _ in fields:
        read_fields[name].type = read.__annotations__[name] = json_strict(hint, element)
    return strict


def _encodable_names(model: type[BaseModel], value: object) -> object:
    """``value``, refused when it is an object with a key holding a lone surrogate, or holds
    one, read as the fields of a model or a dataclass, at any depth of ``model``'s fields:
    ``string_unicode``, as pydantic refuses it for a dataclass, its context's ``place``
    naming the object below ``model``'s where the key is (:mod:`nbtools.serve.problems` names
    each such key)."""
    place = _surrogate_place(model, value)
    if place is not None:
        context = {"place": place}
        raise PydanticCustomError("string_unicode", "A key holds a lone surrogate", context)
    return value


def _surrogate_place(annotation: Any, value: object) -> list[object] | None:
    """Where in ``value`` (read as ``annotation``) an object read as fields has a key holding
    a lone surrogate (``[]``: ``value`` itself), or None. Only the places ``annotation``
    reads as fields are searched: elsewhere such a key is the function's data."""
    fields = _fields_of(annotation)
    if fields is not None:
        if not isinstance(value, dict):
            return None
        if not all(encodable(key) for key in value):
            return []
        return _first_place((key, fields[key], value[key]) for key in fields if key in value)
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _surrogate_place(arguments[0], value)
    if origin is Union or origin is types.UnionType:
        return _first_place((None, argument, value) for argument in arguments)
    if origin not in _CONTAINERS or not arguments:
        return None
    if isinstance(value, dict):
        return _first_place((key, arguments[-1], item) for key, item in value.items())
    if not isinstance(value, list):
        return None
    if origin is tuple and arguments[-1] is not Ellipsis:  # one type per position
        positions = enumerate(value[: len(arguments)])
        return _first_place((index, arguments[index], item) for index, item in positions)
    return _first_place((index, arguments[0], item) for index, item in enumerate(value))


def _first_place(
    parts: collections.abc.Iterable[tuple[object, Any, object]],
) -> list[object] | None:
    """The first place :func:`_surrogate_place` finds in ``(key, annotation, value)``
    ``parts``, under its key (None: the same place)."""
    for key, annotation, value in parts:
        place = _surrogate_place(annotation, value)
        if place is not None:
            return place if key is None else [key, *place]
    return None


def _fields_of(annotation: Any) -> dict[str, Any] | None:
    """The types of a pydantic model's or a dataclass's fields, by the key a JSON object
    gives each; None for any other type."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        infos = annotation.model_fields
    elif is_pydantic_dataclass(annotation):
        infos = annotation.__pydantic_fields__
    elif _plain_dataclass(annotation):
        try:
            return typing.get_type_hints(annotation)
        except Exception:  # an annotation naming something undefined: pydantic tells it
            return {}
    else:
        return None
    return {
        info.validation_alias if isinstance(info.validation_alias, str) else info.alias or name: (
            info.annotation
        )
        for name, info in infos.items()
    }


def _json_kind(value: object) -> type:
    """The JSON type of a Python value as the body reader gives it: ``int`` for a number
    written without a fraction or an exponent, ``float`` for one written with them."""
    return bool if isinstance(value, bool) else type(value)


#: The JSON types a ``Literal`` member of each kind takes a value of, as its type would.
_TAKEN_BY = {bool: (bool,), int: (int,), float: (int, float)}


def _of_kind(members: tuple[object, ...], value: object) -> object:
    """``value`` if a member of ``members`` (a ``Literal``'s) takes it as the member's type
    would (:func:`json_strict`): a bool member only a bool, an int member only an integer
    (not ``2.0`` or ``1e0``, as an ``int`` takes neither), a float member any number equal
    to it; a value of another JSON type if a member is of its type (pydantic compares it);
    :data:`_NO_MATCH` otherwise."""
    kind = _json_kind(value)
    for member in members:
        taken = _TAKEN_BY.get(_json_kind(member))
        if taken is None:
            if kind is _json_kind(member):
                return value
        elif kind in taken and member == value:
            return value
    return _NO_MATCH
