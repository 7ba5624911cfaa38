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
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PydanticUserError, create_model

from nbtools.errors import InvalidInputError


class RequestBody(BaseModel):
    """Base of the request models: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def request_model(name: str, function: Callable[..., Any]) -> type[BaseModel]:
    """The model of ``function``'s keyword arguments, named ``<Name>Request`` in the OpenAPI."""
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
        annotation = hints.get(parameter.name, Any)
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[f"p{index}"] = (annotation, Field(default, alias=parameter.name))
    title = "".join(part.capitalize() for part in name.split("_")) + "Request"
    try:
        return create_model(title, __base__=RequestBody, **fields)
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
