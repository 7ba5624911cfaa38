"""Rules from their compact text form, as typed in the CLI and the panel.

    accuracy < 0.9                    threshold (<, <=, >, >=, ==, !=)
    accuracy drops > 5%               relative to the median of the last 5 successful runs
    accuracy drops >= 5%              by 5% or more
    loss rises > 0.1 over 10          absolute change, median of the last 10
    missing accuracy                  a successful run did not record it
    failed                            the run failed or timed out
    late | late 26h                   no success within the schedule's interval (or 26h)

Numbers take the ASCII digits 0-9 only. Errors name the column and what was expected there.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from nbtools.metrics.errors import RuleSyntaxError
from nbtools.metrics.rules import (
    CHANGE_OPERATORS,
    DEFAULT_WINDOW,
    DIRECTIONS,
    MAX_WINDOW,
    OPERATORS,
    Change,
    Failed,
    Late,
    Missing,
    Rule,
    Threshold,
)
from nbtools.metrics.values import MAX_NAME_LENGTH

FORMS = (
    "'METRIC < 0.9' (or <=, >, >=, ==, !=), 'METRIC drops > 5%' or 'METRIC drops > 5% over "
    "10' (or rises, changes; >= for by the amount or more; without % for an absolute change), "
    "'missing METRIC', 'failed', 'late' or 'late 26h'"
)
MAX_RULE_LENGTH = 500
#: The longest interval of a ``late`` rule: 10 years (a yearly job's ``late 370d`` fits).
MAX_LATE_SECONDS = 3650 * 86400
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: Digits are ASCII's (``\d`` would take any Unicode digit: ``\u0665`` read as 5).
_TOKEN = re.compile(
    r"\s*(?:(?P<duration>[0-9]+[smhdw])\b|(?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
    r"|(?P<op><=|>=|==|!=|<|>)|(?P<percent>%)|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)
KEYWORDS = ("missing", "failed", "late")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    column: int  # 1-based


def tokenize(text: str) -> list[Token]:
    """The rule's tokens; a digit other than 0-9 (``\u0665``, ``²``, ``\uff15``) is refused at its
    column, wherever it stands, rather than read as another token."""
    for column, char in enumerate(text, 1):
        if char.isnumeric() and not char.isascii():
            raise _error(
                text, column, f"{char!r} is not a digit 0-9 (rules take ASCII digits only)"
            )
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            column = position + len(text[position:]) - len(text[position:].lstrip()) + 1
            raise _error(text, column, f"unexpected character {text[column - 1]!r}")
        tokens.append(
            Token(match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup) + 1)
        )
        position = match.end()
    return tokens


def _error(text: str, column: int, problem: str) -> RuleSyntaxError:
    return RuleSyntaxError(
        f"Cannot parse the rule {text!r} at column {column}: {problem}. Rules look like {FORMS}.",
        rule=text,
        column=column,
        field="text",
    )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self, offset: int = 0) -> Token | None:
        at = self.index + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def take(self, kind: str, what: str) -> Token:
        token = self.peek()
        if token is None or token.kind != kind:
            found = f"found {token.text!r}" if token else "the rule ends there"
            column = token.column if token else len(self.text.rstrip()) + 1
            raise _error(self.text, column, f"expected {what}, {found}")
        self.index += 1
        return token

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        token = self.peek()
        if token is not None and token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        return None

    def end(self) -> None:
        token = self.peek()
        if token is not None:
            raise _error(self.text, token.column, f"unexpected {token.text!r} after the rule")

    def number(self, what: str) -> tuple[Token, float]:
        """A finite number (``1e400`` would be infinity: a rule that never or always fires),
        and 0 only as written (``1e-400`` would be 0)."""
        token = self.take("number", what)
        value = float(token.text)
        if not math.isfinite(value):
            raise _error(
                self.text, token.column, f"{token.text} is beyond the numbers a metric can hold"
            )
        mantissa = token.text.lower().partition("e")[0]
        if value == 0 and any(char.isdecimal() and int(char) for char in mantissa):
            raise _error(
                self.text,
                token.column,
                f"{token.text} is too small for the numbers a metric can hold (it would be 0)",
            )
        return token, value

    def metric(self) -> str:
        token = self.take("word", "a metric name")
        if len(token.text) > MAX_NAME_LENGTH:
            raise _error(
                self.text,
                token.column,
                f"the metric name is {len(token.text)} characters long, longer than any "
                f"metric's (at most {MAX_NAME_LENGTH})",
            )
        if token.text.endswith("."):
            raise _error(self.text, token.column, f"{token.text!r} is not a valid metric name")
        return token.text

    def parse(self) -> Rule:
        first = self.peek()
        if first is None:
            raise _error(self.text, 1, "the rule is empty")
        following = self.peek(1)
        names_metric = following is not None and (
            following.kind == "op" or following.text in DIRECTIONS
        )
        if first.kind == "word" and first.text in KEYWORDS and not names_metric:
            self.index += 1
            rule = self.keyword_rule(first.text)
        else:
            rule = self.metric_rule()
        self.end()
        return rule

    def keyword_rule(self, keyword: str) -> Rule:
        if keyword == "missing":
            return Missing(self.metric())
        if keyword == "failed":
            return Failed()
        duration = self.accept("duration")
        if duration is None:
            return Late()
        seconds = int(duration.text[:-1]) * _UNITS[duration.text[-1]]
        if seconds <= 0:
            raise _error(self.text, duration.column, "the interval must be longer than 0")
        if seconds > MAX_LATE_SECONDS:
            raise _error(
                self.text, duration.column, "the interval must be at most 3650d (10 years)"
            )
        return Late(seconds)

    def metric_rule(self) -> Rule:
        metric = self.metric()
        op = self.accept("op")
        if op is not None:
            _, value = self.number(f"a number after {op.text!r}")
            return Threshold(metric, op.text, value)
        direction = self.peek()
        if direction is None or direction.text not in DIRECTIONS:
            found = f"found {direction.text!r}" if direction else "the rule ends there"
            column = direction.column if direction else len(self.text.rstrip()) + 1
            raise _error(
                self.text,
                column,
                f"expected a comparison ({', '.join(OPERATORS)}) or drops/rises/changes after "
                f"{metric!r}, {found}",
            )
        self.index += 1
        compare = ">"
        if not self.accept("word", "by") and (compared := self.accept("op")) is not None:
            if compared.text not in CHANGE_OPERATORS:
                raise _error(
                    self.text,
                    compared.column,
                    f"a change is compared with > or >=, not {compared.text!r}",
                )
            compare = compared.text
        amount, value = self.number(f"an amount after {direction.text!r}")
        if value <= 0:
            raise _error(self.text, amount.column, "the amount must be greater than 0")
        percent = self.accept("percent") is not None
        window = DEFAULT_WINDOW
        if self.accept("word", "over"):
            count = self.take("number", "a number of runs after 'over'")
            if not count.text.isdigit() or not 1 <= int(count.text) <= MAX_WINDOW:
                raise _error(
                    self.text, count.column, f"the number of runs must be 1 to {MAX_WINDOW}"
                )
            window = int(count.text)
            self.accept("word", "runs")
        return Change(metric, direction.text, value, percent, window, compare)


def parse_rule(text: str) -> Rule:
    """Parse a rule, raising :class:`RuleSyntaxError` with the column of the problem."""
    if len(text) > MAX_RULE_LENGTH:
        raise RuleSyntaxError(
            f"A rule is at most {MAX_RULE_LENGTH} characters long.", rule=text, field="text"
        )
    return _Parser(text).parse()
