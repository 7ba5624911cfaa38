from __future__ import annotations

import json
import math
from typing import Any

import pytest

from nbtools.jobs.errors import InvalidParameterError
from nbtools.jobs.parameters import (
    declared_parameters,
    parse_cli_value,
    resolve_values,
    split_assignment,
)
from nbtools.parameters import Parameter
from tests.conftest import make_notebook

PARAMETERS = """\
city = "Lisbon"  # where to forecast
days = 7
growth: float = 0.02
verbose = False
limit = None
regions = ["north", "south"]
weights = {"a": 1}
computed = days * 2
a, b = 1, 2
"""


def declared() -> list[Parameter]:
    nb = make_notebook([("markdown", "# t", []), ("code", PARAMETERS, ["parameters"])])
    return declared_parameters(nb)


def test_types_are_inferred_from_literal_defaults() -> None:
    found = {p.name: (p.type, p.default) for p in declared()}
    assert found == {
        "city": ("str", "Lisbon"),
        "days": ("int", 7),
        "growth": ("float", 0.02),
        "verbose": ("bool", False),
        "limit": ("None", None),
        "regions": ("list", ["north", "south"]),
        "weights": ("dict", {"a": 1}),
        "computed": ("str", None),  # computed when the notebook runs; no annotation: str
    }
    assert declared()[0].help == "where to forecast"
    assert declared()[-1].computed == "days * 2"


def test_computed_defaults_and_tuples_are_parameters_too() -> None:
    source = (
        "from datetime import date\n"
        "run_date = str(date.today())  # the day to report\n"
        "horizon: int = len('abc')\n"
        "sizes = (1, 2)\n"
    )
    nb = make_notebook([("code", source, ["parameters"])])
    found = {p.name: (p.type, p.default, p.computed, p.help) for p in declared_parameters(nb)}
    assert found == {
        "run_date": ("str", None, "str(date.today())", "the day to report"),
        "horizon": ("int", None, "len('abc')", ""),
        "sizes": ("list", [1, 2], None, ""),
    }
    values = resolve_values(
        declared_parameters(nb), {"run_date": "2026-01-31", "horizon": "3"}, from_text=True
    )
    assert values == {"run_date": "2026-01-31", "horizon": 3}
    with pytest.raises(InvalidParameterError, match="expects int"):
        resolve_values(declared_parameters(nb), {"horizon": "soon"}, from_text=True)


def test_no_parameters_cell_means_no_parameters() -> None:
    assert declared_parameters(make_notebook([("code", "x = 1", [])])) == []


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (400, "too deeply"),  # parsed, too deep to write out as a computed default
        (4000, "too deeply"),  # beyond what Python compiles
        (-1, "too deeply"),  # beyond what Python's parser reads (its MemoryError, a crash)
        (0, "not valid Python"),
    ],
)
def test_a_parameters_cell_that_cannot_be_read_is_a_clear_error(terms: int, expected: str) -> None:
    chain = " + ".join(["1"] * terms) if terms > 0 else "-" * 100_000 + "1"
    source = f"days = {chain}" if terms else "days = ("
    nb = make_notebook([("code", source, ["parameters"])])
    with pytest.raises(InvalidParameterError, match=expected) as info:
        declared_parameters(nb)
    assert info.value.details["cell"] == 0


def test_cli_values_are_parsed_by_declared_type() -> None:
    values = resolve_values(
        declared(),
        {
            "days": "5",
            "city": "  Porto\\n ",
            "growth": "1e-3",
            "verbose": "yes",
            "limit": "3",
            "regions": '["x"]',
            "weights": '{"b": 2}',
        },
        from_text=True,
    )
    assert values == {
        "days": 5,
        "city": "  Porto\\n ",
        "growth": 0.001,
        "verbose": True,
        "limit": 3,
        "regions": ["x"],
        "weights": {"b": 2},
    }


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("days", "five", "expects int"),
        ("days", "1.5", "expects int"),
        ("growth", "nanx", "expects float"),
        ("verbose", "maybe", "expects bool"),
        ("regions", '{"a": 1}', "expects list"),
        ("weights", "[1]", "expects dict"),
    ],
)
def test_wrong_type_names_the_expected_type(name: str, text: str, expected: str) -> None:
    with pytest.raises(InvalidParameterError, match=expected) as info:
        resolve_values(declared(), {name: text}, from_text=True)
    assert name in info.value.message


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Lisbon, Porto", '["Lisbon", "Porto"]'),
        ("1, 2.5,true", "[1, 2.5, true]"),
        ('[north, "south"', '["north", "south"]'),
        ("Zürich,", '["Zürich"]'),
    ],
)
def test_a_list_typed_as_comma_separated_text_is_shown_as_json(text: str, written: str) -> None:
    """Refused (the items' types are not known), with the JSON to type instead."""
    with pytest.raises(InvalidParameterError) as info:
        resolve_values(declared(), {"regions": text}, from_text=True)
    shown = json.dumps(text, ensure_ascii=False)
    assert info.value.message.endswith(f"got {shown}: write it as {written}.")


@pytest.mark.parametrize("name", ["regions", "weights", "limit"])
def test_a_json_value_too_deep_to_read_names_the_parameter(name: str) -> None:
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(InvalidParameterError, match="too deeply") as info:
        resolve_values(declared(), {name: deep}, from_text=True)
    assert info.value.details["parameter"] == name


def test_unknown_parameter_lists_valid_names() -> None:
    with pytest.raises(InvalidParameterError) as info:
        resolve_values(declared(), {"dyas": "5"}, from_text=True)
    assert "Unknown parameter 'dyas'" in info.value.message
    assert "city, days, growth" in info.value.message


def test_json_values_are_checked_not_coerced() -> None:
    params = declared()
    assert resolve_values(params, {"growth": 1, "days": 3}) == {"growth": 1.0, "days": 3}
    for bad in ({"days": True}, {"days": "3"}, {"city": 5}, {"regions": "a"}):
        with pytest.raises(InvalidParameterError):
            resolve_values(params, bad)


@pytest.mark.parametrize("text", ["days", "1x=2", "os.system=1", "a b=1"])
def test_assignments_need_an_identifier_and_equals(text: str) -> None:
    with pytest.raises(InvalidParameterError):
        split_assignment(text)


def test_assignment_keeps_the_value_verbatim() -> None:
    assert split_assignment("city= a=b ") == ("city", " a=b ")
    assert parse_cli_value(Parameter("x", "str", ""), "") == ""


@pytest.mark.parametrize(
    ("given", "stored", "from_text"),
    [
        ("nan", "nan", True),
        ("-inf", "-inf", True),
        ("Infinity", "inf", True),
        ("nan", "nan", False),  # JSON has no NaN: a REST client sends the string
        ("-Infinity", "-inf", False),
        (float("inf"), "inf", False),  # a NaN token Python's json accepts
    ],
)
def test_non_finite_floats_round_trip(given: Any, stored: str, from_text: bool) -> None:
    values = resolve_values(declared(), {"growth": given}, from_text=from_text)
    assert values == {"growth": stored}
    again = resolve_values(declared(), values)  # the stored form is accepted as it is
    assert again == values
    (number,) = resolve_values(declared(), values, for_kernel=True).values()
    assert isinstance(number, float)
    assert (math.isnan(number) and stored == "nan") or str(number) == stored
    with pytest.raises(InvalidParameterError, match="expects int"):
        resolve_values(declared(), {"days": given}, from_text=from_text)


@pytest.mark.parametrize(
    ("name", "given", "from_text"),
    [
        ("regions", "[1e400]", True),  # a number too large for a float: infinity
        ("regions", '["a", [NaN]]', True),
        ("weights", '{"a": {"b": -Infinity}}', True),
        ("limit", "NaN", True),  # a None default takes JSON: it has no NaN
        ("limit", "[Infinity]", True),
        ("regions", [1, float("nan")], False),  # REST: NaN tokens Python's json reads
        ("weights", {"a": [float("inf")]}, False),
        ("limit", float("-inf"), False),
    ],
)
def test_a_number_json_cannot_hold_is_refused_inside_a_value(
    name: str, given: Any, from_text: bool
) -> None:
    """Only a float parameter takes NaN and the infinities (as the strings ``"nan"``, …):
    inside a list or a dict, a string would not tell a number from text."""
    with pytest.raises(InvalidParameterError, match="JSON has no value for") as info:
        resolve_values(declared(), {name: given}, from_text=from_text)
    assert info.value.details == {"parameter": name, "field": "parameters"}


def test_deep_finite_values_and_integers_past_64_bits_are_kept() -> None:
    deep = "[" * 900 + "1.5" + "]" * 900
    values = resolve_values(
        declared(),
        {"regions": deep, "days": "99999999999999999999999999", "weights": '{"n": 1e308}'},
        from_text=True,
    )
    assert values["days"] == 99999999999999999999999999
    assert values["weights"] == {"n": 1e308}
    assert json.loads(json.dumps(values, allow_nan=False)) == values


LONG = "9" * 5000  # past the 4300 digits Python converts


@pytest.mark.parametrize(
    ("name", "given", "said"),
    [
        ("days", LONG, "cannot be read: Exceeds the limit (4300 digits) for integer string "
         "conversion: value has 5000 digits."),
        ("days", f" -1_{LONG} ", "value has 5001 digits."),
        ("days", "9" * 4301, "value has 4301 digits."),
        ("regions", f"[1, {LONG}]", "cannot be read: Exceeds the limit (4300 digits)"),
        ("weights", f'{{"n": {LONG}}}', "value has 5000 digits."),
        ("limit", LONG, "value has 5000 digits."),  # not taken as the text
        ("days", f"x{LONG}", 'expects int (a whole number such as 5), got "x999'),
        ("growth", "1e400", "expects float, got \"1e400\", beyond a float's range (±1.8e+308); "
         "an infinity is written inf or -inf."),
        ("growth", "-1e400", "got \"-1e400\", beyond a float's range"),
        ("growth", LONG, "beyond a float's range"),
    ],
)  # fmt: skip
def test_a_number_too_long_or_too_large_is_refused_saying_so(
    name: str, given: str, said: str
) -> None:
    """A 5000-digit int was "expected int (a whole number such as 5)" and quoted whole; a
    float beyond a float's range (1e400) was taken as infinity, silently. Neither is stored;
    a message quotes at most 60 characters of a long value."""
    with pytest.raises(InvalidParameterError) as info:
        resolve_values(declared(), {name: given}, from_text=True)
    assert said in info.value.message
    assert len(info.value.message) < 300
    assert (info.value.details["parameter"], info.value.details["field"]) == (name, "parameters")


def test_numbers_at_the_limits_are_kept() -> None:
    """4300 digits are read; the largest float is a float; inf, nan and their spellings
    are the non-finite floats; a REST integer past a float's range is refused for a float."""
    most = "9" * 4300
    assert resolve_values(declared(), {"days": most}, from_text=True) == {"days": int(most)}
    assert resolve_values(declared(), {"limit": most}, from_text=True) == {"limit": int(most)}
    kept = resolve_values(declared(), {"growth": "1.7976931348623157e308"}, from_text=True)
    assert kept == {"growth": 1.7976931348623157e308}
    for text, stored in (("+Infinity", "inf"), (" -inf ", "-inf"), ("NaN", "nan")):
        assert resolve_values(declared(), {"growth": text}, from_text=True) == {"growth": stored}
    assert resolve_values(declared(), {"growth": "1e-400"}, from_text=True) == {"growth": 0.0}
    for value in (10**400, "1e400"):  # REST: an int past a float (a 500), a string not a name
        with pytest.raises(InvalidParameterError, match="expects float"):
            resolve_values(declared(), {"growth": value})


@pytest.mark.parametrize(
    ("name", "text"), [("days", "\u0663"), ("days", "\uff11\uff12"), ("growth", "\u0661.\u0665")]
)
def test_numbers_are_ascii_digits(name: str, text: str) -> None:
    """Python's ``int()`` and ``float()`` read other scripts' digits (``int('٣') == 3``); a
    parameter takes what JSON and the REST API take."""
    expected = "int" if name == "days" else "float"
    with pytest.raises(InvalidParameterError, match=f"expects {expected}"):
        resolve_values(declared(), {name: text}, from_text=True)
