from __future__ import annotations

import pytest

from nbtools.data.words import split_words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("customer_payment_amount", ["customer", "payment", "amount"]),
        ("customerPaymentAmount", ["customer", "payment", "amount"]),
        ("CustomerPayment-Amount.v2", ["customer", "payment", "amount", "v", "2"]),
        ("HTTPServerLog", ["http", "server", "log"]),
        ("tx_2026", ["tx", "2026"]),
        ("ÉlanVital_größe", ["élan", "vital", "größe"]),
        ('"payment" OR x* NEAR(', ["payment", "or", "x", "near"]),
        ("", []),
        ("__--..", []),
    ],
)
def test_split_words(text: str, words: list[str]) -> None:
    assert split_words(text) == words
