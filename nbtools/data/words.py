"""Splitting names into the words a search matches: ``customer_payment_amount``,
``customerPaymentAmount`` and ``CustomerPayment-Amount`` all give ``customer payment amount``.

Search indexes these words (stemmed by the database: SQLite FTS5's ``porter`` tokenizer,
PostgreSQL's ``english`` configuration, beside each word as it is), and a query is split the
same way, so what a user types never reaches the database's query syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CHUNK = re.compile(r"[^\W_]+")


def split_words(text: str) -> list[str]:
    """The lower-case words of ``text``, identifiers split at ``_``, ``-``, ``.`` and case changes."""
    return [word.lower() for chunk in _CHUNK.findall(text) for word in _split_case(chunk)]


def _kind(char: str) -> str:
    return "digit" if char.isdigit() else "upper" if char.isupper() else "lower"


def _split_case(chunk: str) -> list[str]:
    """``customerPaymentAmount`` -> customer, Payment, Amount; ``HTTPServer`` -> HTTP, Server;
    ``tx2026`` -> tx, 2026 (any alphabet: case is read from the characters)."""
    words: list[str] = []
    start = 0
    for index in range(1, len(chunk)):
        before, here = _kind(chunk[index - 1]), _kind(chunk[index])
        after = _kind(chunk[index + 1]) if index + 1 < len(chunk) else ""
        if (
            (before == "digit") != (here == "digit")
            or (before == "lower" and here == "upper")
            or (before == "upper" and here == "upper" and after == "lower")
        ):
            words.append(chunk[start:index])
            start = index
    words.append(chunk[start:])
    return words


def words_text(texts: Iterable[str]) -> str:
    """The words of every text, space-separated (what the search columns hold)."""
    return " ".join(word for text in texts for word in split_words(text))
