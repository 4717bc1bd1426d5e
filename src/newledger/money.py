"""Money: integer minor units inside, decimal strings at every edge. Never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from newledger.errors import ValidationFailed

__all__ = ["CURRENCIES", "format_minor", "minor_digits", "parse_amount", "validate_currency"]

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
    if isinstance(value, float):
        raise ValidationFailed("Amounts must be decimal strings", errors={field: "not a string"})
    try:
        dec = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed(
            f"{field} is not a decimal number", errors={field: "not a decimal number"}
        ) from None
    if not dec.is_finite():
        raise ValidationFailed(f"{field} must be finite", errors={field: "not finite"})
    scaled = dec.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(
            f"{field} has more than {digits} decimals for {currency}",
            errors={field: f"at most {digits} decimals"},
        )
    minor = int(scaled.to_integral_value(rounding=ROUND_HALF_EVEN))
    if abs(minor) >= 10**15:
        raise ValidationFailed(f"{field} is too large", errors={field: "too large"})
    return minor


def format_minor(minor: int, currency: str) -> str:
    """Format minor units as a decimal string with exactly the currency's digits."""
    digits = CURRENCIES.get(currency, 2)
    if digits == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"
