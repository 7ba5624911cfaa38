from __future__ import annotations

import re

import pytest

from nbtools.metrics.errors import RuleSyntaxError
from nbtools.metrics.rule_parser import FORMS, parse_rule
from nbtools.metrics.rules import Change, Failed, Late, Missing, Threshold


@pytest.mark.parametrize(
    ("text", "rule", "canonical"),
    [
        ("accuracy < 0.9", Threshold("accuracy", "<", 0.9), "accuracy < 0.9"),
        ("  rows>=1000 ", Threshold("rows", ">=", 1000), "rows >= 1000"),
        ("drift != -1.5e-3", Threshold("drift", "!=", -0.0015), "drift != -0.0015"),
        ("accuracy drops > 5%", Change("accuracy", "drops", 5, True), "accuracy drops > 5% over 5"),
        ("loss rises by 0.1 over 10 runs", Change("loss", "rises", 0.1, False, 10),
         "loss rises > 0.1 over 10"),
        ("val.f1 changes 3% over 2", Change("val.f1", "changes", 3, True, 2),
         "val.f1 changes > 3% over 2"),
        ("accuracy drops >= 5%", Change("accuracy", "drops", 5, True, 5, ">="),
         "accuracy drops >= 5% over 5"),  # by 5% or more
        ("loss rises>=0.1 over 3", Change("loss", "rises", 0.1, False, 3, ">="),
         "loss rises >= 0.1 over 3"),
        ("missing accuracy", Missing("accuracy"), "missing accuracy"),
        ("failed", Failed(), "failed"),
        ("late", Late(), "late"),
        ("late 26h", Late(26 * 3600), "late 26h"),
        ("late 90m", Late(90 * 60), "late 90m"),
        ("late 3650d", Late(3650 * 86400), "late 3650d"),  # the longest interval
        ("late 1s", Late(1), "late 1s"),  # the shortest
        ("x < 1.7976931348623157e308", Threshold("x", "<", 1.7976931348623157e308),
         "x < 1.7976931348623157e+308"),  # the largest finite number
        ("failed > 2", Threshold("failed", ">", 2), "failed > 2"),
        # whole numbers up to 1e16 have no '.0' (they read 1000000000000000.0), as alerts write them
        ("acc > 1e15", Threshold("acc", ">", 1e15), "acc > 1000000000000000"),
        ("acc > -9999999999999998", Threshold("acc", ">", -9999999999999998),
         "acc > -9999999999999998"),
        ("acc > 1e16", Threshold("acc", ">", 1e16), "acc > 1e+16"),
        ("acc < 0e-400", Threshold("acc", "<", 0), "acc < 0"),  # a zero written as one
    ],
)  # fmt: skip
def test_rules_parse_and_print_canonically(text: str, rule: object, canonical: str) -> None:
    parsed = parse_rule(text)
    assert parsed == rule
    assert parsed.text == canonical
    assert parse_rule(parsed.text) == parsed


@pytest.mark.parametrize(
    ("text", "column", "problem"),
    [
        ("", 1, "the rule is empty"),
        ("accuracy < abc", 12, "expected a number after '<', found 'abc'"),
        ("accuracy", 9, "expected a comparison"),
        (
            "accuracy grows 5%",
            10,
            "expected a comparison (<, <=, >, >=, ==, !=) or drops/rises/changes after 'accuracy', found 'grows'",
        ),
        ("accuracy drops", 15, "expected an amount after 'drops', the rule ends there"),
        ("accuracy drops > 0%", 18, "the amount must be greater than 0"),
        ("accuracy drops >= 0%", 19, "the amount must be greater than 0"),
        ("accuracy drops < 5%", 16, "a change is compared with > or >=, not '<'"),
        ("accuracy rises == 5%", 16, "a change is compared with > or >=, not '=='"),
        ("accuracy drops > 5% over 0", 26, "the number of runs must be 1 to 100"),
        ("accuracy drops > 5% over 1.5", 26, "the number of runs must be 1 to 100"),
        ("accuracy < 0.9 extra", 16, "unexpected 'extra' after the rule"),
        ("acc $ 3", 5, "unexpected character '$'"),
        ("1abc < 3", 1, "expected a metric name, found '1'"),
        ("missing", 8, "expected a metric name, the rule ends there"),
        ("late 0h", 6, "the interval must be longer than 0"),
        ("late soon", 6, "unexpected 'soon'"),
        ("late 3651d", 6, "the interval must be at most 3650d (10 years)"),
        ("late 99999999999999999999999999s", 6, "the interval must be at most 3650d"),
        ("accuracy >= 1e400", 13, "1e400 is beyond the numbers a metric can hold"),
        ("loss > -2e308", 8, "-2e308 is beyond the numbers a metric can hold"),
        ("accuracy drops > 1e999%", 18, "1e999 is beyond the numbers a metric can hold"),
        # they read as 0: 'acc < 0' was stored, and a change said 'greater than 0'
        (
            "acc < 1e-400",
            7,
            "1e-400 is too small for the numbers a metric can hold (it would be 0)",
        ),
        ("acc > -2.5e-330", 7, "-2.5e-330 is too small for the numbers a metric can hold"),
        ("acc drops > 1e-400%", 13, "1e-400 is too small for the numbers a metric can hold"),
    ],
)
def test_parse_errors_name_the_column_and_the_problem(text: str, column: int, problem: str) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(text)
    assert info.value.details["column"] == column
    assert f"at column {column}: {problem}" in info.value.message
    assert "Rules look like" in info.value.message


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("acc < \u0665", 7),  # Arabic-Indic five: it read as 'acc < 5'
        ("acc < \u0661.\u0665", 7),
        ("acc < 1e\u0665", 9),
        ("acc < ²", 7),
        ("late \u0665h", 6),
        ("acc drops > 5% over \u0663", 21),
        ("acc drops > \uff15%", 13),  # a fullwidth five
    ],
)
def test_a_rule_takes_ascii_digits_only_and_the_error_names_the_column(
    text: str, column: int
) -> None:
    """Python's ``\\d`` took any Unicode digit: `acc < \u0665` was stored as `acc < 5`, and
    `late \u0665h` as five hours. Rules take 0-9 only; another digit is refused at its column,
    as every parse error is."""
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(text)
    assert info.value.details == {"rule": text, "column": column, "field": "text"}
    digit = text[column - 1]
    assert f"at column {column}: {digit!r} is not a digit 0-9 (rules take ASCII digits only)" in (
        info.value.message
    )


def test_every_example_a_parse_error_gives_is_a_rule_as_typed() -> None:
    """The forms an error lists are typed as they are shown (no [optional] notation a user
    would copy): each quoted one parses, with a metric's name for METRIC."""
    examples = re.findall(r"'([^']+)'", FORMS)
    assert len(examples) == 7
    for example in examples:
        parse_rule(example.replace("METRIC", "accuracy"))


def test_a_metric_name_is_at_most_100_characters_and_the_error_says_so() -> None:
    """A rule names every series a job stores, a service's ``mean.<name>`` too (the service
    stores none longer); a longer name was "not a valid metric name", without the reason."""
    longest = "mean." + "b" * 95
    assert parse_rule(f"{longest} > 1") == Threshold(longest, ">", 1)
    assert parse_rule(f"missing {'a' * 100}") == Missing("a" * 100)
    for text, column in ((f"mean.{'b' * 96} > 1", 1), (f"missing {'a' * 101}", 9)):
        with pytest.raises(RuleSyntaxError) as info:
            parse_rule(text)
        assert info.value.details["column"] == column
        assert "characters long, longer than any metric's (at most 100)" in info.value.message
