"""Money: integer minor units inside, decimal strings at every edge. Never floats.

Machines get ``format_minor`` (``-1234.50``); people get ``display_money`` (``($1,234.50)``,
``-1.234,50 €``), in the company's locale.
"""

from __future__ import annotations

import copy
import re
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberPattern, parse_pattern

from newledger.errors import ValidationFailed

__all__ = [
    "CURRENCIES",
    "DEFAULT_LOCALE",
    "MAX_MINOR",
    "check_bounded",
    "display_money",
    "format_minor",
    "minor_digits",
    "parse_amount",
    "parse_decimal",
    "validate_currency",
    "validate_locale",
]

DEFAULT_LOCALE = "en_US"
# language, optional script, optional territory: en, en_US, de-DE, zh_Hant_TW
_LOCALE_CODE = re.compile(r"[a-z]{2,3}(?:[_-][A-Z][a-z]{3})?(?:[_-](?:[A-Z]{2}|[0-9]{3}))?")

# ISO 4217 minor-unit exponents for the currencies we accept.
CURRENCIES: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "MXN": 2,
    "BRL": 2,
    "ZAR": 2,
    "SGD": 2,
    "HKD": 2,
    "INR": 2,
    "JPY": 0,
    "KRW": 0,
    "ISK": 0,
    "KWD": 3,
    "BHD": 3,
}


# The largest magnitude of any amount NewLedger stores, in minor units (a line, quantity x price,
# a total, a payment): 10**15 cents is ten trillion dollars, and the bound keeps every sum of a
# day's lines far inside 64 bits. Every edge refuses more with 422; CHECK constraints back it.
MAX_MINOR = 10**15

# Amounts and quantities at the edge are plain ASCII decimals: no exponent, no digit grouping, no
# other scripts' digits (Decimal would read "١٢.00" as 12.00 and "1_000" as 1000).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def check_bounded(minor: int, field: str, what: str | None = None) -> int:
    """``minor`` if it is within ±MAX_MINOR, else a 422 naming ``field``."""
    if abs(minor) >= MAX_MINOR:
        raise ValidationFailed(f"{what or field} is too large", errors={field: "too large"})
    return minor


def parse_decimal(value: object, field: str, what: str = "a decimal number") -> Decimal:
    """A plain ASCII decimal string (or an int) as a ``Decimal``; anything else is a 422."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValidationFailed(f"{field} must be a decimal string", errors={field: "not a string"})
    text = str(value).strip()
    if not _DECIMAL.fullmatch(text):
        raise ValidationFailed(f"{field} is not {what}", errors={field: f"not {what}"})
    return Decimal(text)


def validate_currency(code: str, field: str = "currency") -> str:
    upper = (code or "").strip().upper()
    if upper not in CURRENCIES:
        raise ValidationFailed(f"Unknown currency {code!r}", errors={field: "unknown currency"})
    return upper


def minor_digits(currency: str) -> int:
    return CURRENCIES[validate_currency(currency)]


def parse_amount(value: str | int | Decimal, currency: str, field: str = "amount") -> int:
    """Parse a decimal string such as ``"1250.00"`` into minor units.

    More decimals than the currency allows is an error rather than silent rounding.
    """
    digits = minor_digits(currency)
    dec = parse_decimal(value, field)
    scaled = dec.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(
            f"{field} has more than {digits} decimals for {currency}",
            errors={field: f"at most {digits} decimals"},
        )
    return check_bounded(int(scaled.to_integral_value(rounding=ROUND_HALF_EVEN)), field)


def format_minor(minor: int, currency: str) -> str:
    """Format minor units as a decimal string with exactly the currency's digits."""
    digits = CURRENCIES.get(currency, 2)
    if digits == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"


def validate_locale(code: str, field: str = "locale") -> str:
    """A locale Babel knows (``en_US``, ``de-DE``, ``fr``), in its canonical ``ll_CC`` form."""
    refused = ValidationFailed(
        f"Unknown locale {code[:40]!r}", errors={field: "use a code like en_US or de_DE"}
    )
    if not _LOCALE_CODE.fullmatch(code):
        raise refused
    try:
        return str(Locale.parse(code.replace("-", "_")))
    except (ValueError, TypeError, UnknownLocaleError) as exc:
        raise refused from exc


@cache
def _pattern(locale: str, digits: int) -> tuple[Locale, NumberPattern]:
    """The locale's accounting currency pattern with exactly ``digits`` decimals."""
    parsed = Locale.parse(locale)
    # A copy: Babel caches parsed patterns, and this one's decimals are the currency's.
    pattern = copy.copy(parse_pattern(parsed.currency_formats["accounting"]))
    pattern.frac_prec = (digits, digits)
    return parsed, pattern


def display_money(
    minor: int, currency: str, locale: str = DEFAULT_LOCALE, *, whole: bool = False
) -> str:
    """Minor units for people: the locale's grouping, decimal mark, currency symbol and
    negative style (accounting: ``($1,234.50)`` in en_US, ``-1.234,50 €`` in de_DE), with the
    currency's own number of decimals (none for JPY), as stored here rather than as CLDR
    rounds cash. ``whole``: rounded to whole units (a chart axis: ``$60,000``)."""
    digits = CURRENCIES.get(currency, 2)
    amount = Decimal(minor).scaleb(-digits)
    if whole:
        amount = amount.to_integral_value(rounding=ROUND_HALF_EVEN)
        digits = 0
    parsed, pattern = _pattern(locale, digits)
    return str(pattern.apply(amount, parsed, currency=currency, currency_digits=False))
