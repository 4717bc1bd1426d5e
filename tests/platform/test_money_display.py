"""Amounts for people (``money.display_money``): the locale's grouping, decimal mark, symbol and
negative style, with the currency's own decimals."""

from __future__ import annotations

import pytest

from newledger.errors import ValidationFailed
from newledger.money import display_money, validate_locale

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("locale", "minor", "currency", "shown"),
    [
        ("en_US", 47922500, "USD", "$479,225.00"),
        ("en_US", -123450, "USD", "($1,234.50)"),
        ("en_US", 0, "USD", "$0.00"),
        ("en_US", 6916822, "EUR", "€69,168.22"),
        ("en_US", -1234, "JPY", "(¥1,234)"),
        ("en_US", 1234567, "KWD", "KWD1,234.567"),
        ("de_DE", 47922500, "EUR", f"479.225,00{NBSP}€"),
        ("de_DE", -123450, "EUR", f"-1.234,50{NBSP}€"),
        ("de_DE", 1234, "JPY", f"1.234{NBSP}¥"),
        ("fr_FR", 47922500, "EUR", f"479{NNBSP}225,00{NBSP}€"),
        ("fr_FR", -123450, "EUR", f"(1{NNBSP}234,50{NBSP}€)"),
        ("fr_FR", 5, "USD", f"0,05{NBSP}$US"),
        ("ja_JP", 123456789, "JPY", "￥123,456,789"),
        ("ja_JP", -500, "JPY", "(￥500)"),
        ("ja_JP", 123450, "USD", "$1,234.50"),
    ],
)
def test_amounts_read_as_the_locale_writes_them(
    locale: str, minor: int, currency: str, shown: str
) -> None:
    assert display_money(minor, currency, locale) == shown


def test_large_amounts_keep_every_digit() -> None:
    assert display_money(9 * 10**17 + 1, "USD", "en_US") == "$9,000,000,000,000,000.01"


@pytest.mark.parametrize(("given", "canonical"), [("en-US", "en_US"), ("de_DE", "de_DE")])
def test_locales_are_checked_and_canonical(given: str, canonical: str) -> None:
    assert validate_locale(given) == canonical


@pytest.mark.parametrize("bad", ["xx_YY", "", "en_US;drop"])
def test_unknown_locales_are_refused(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        validate_locale(bad)
