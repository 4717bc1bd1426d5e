"""Postal addresses of contacts: billing and shipping, each six plain fields.

The country is an ISO 3166-1 alpha-2 code (``DE``, ``US``), checked against ``pycountry``'s
copy of the standard so an invoice never names a country that does not exist. An address is
either empty (all fields blank) or has a country: without one, the rest cannot be read
unambiguously (a postal code or region means nothing on its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import pycountry

__all__ = ["ADDRESS_LIMITS", "COUNTRY_CODES", "Address", "clean_address", "country_name"]

# Field → longest value stored (the column widths in ``ledger.models.Contact``).
ADDRESS_LIMITS: dict[str, int] = {
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "country": 2,
}

COUNTRY_CODES = frozenset(str(c.alpha_2) for c in pycountry.countries)


@dataclass(frozen=True)
class Address:
    """One postal address; the empty one (every field blank) means "none"."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def as_dict(self) -> dict[str, str] | None:
        """The JSON form: ``None`` for the empty address."""
        return None if self.is_empty else {f.name: getattr(self, f.name) for f in fields(self)}

    def lines(self) -> list[str]:
        """How a letter shows it: street lines, "postal code city", region, country name."""
        place = " ".join(p for p in (self.postal_code, self.city) if p)
        out = [self.line1, self.line2, place, self.region, country_name(self.country)]
        return [line for line in out if line]


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code) if code in COUNTRY_CODES else None
    return str(country.name) if country is not None else code


def clean_address(
    value: Address | Mapping[str, Any] | None, field: str
) -> tuple[Address, dict[str, str]]:
    """Validate an address given as a mapping (``None``: no address); return it trimmed, the
    country upper-cased, and the problems keyed ``{field}.{part}``."""
    if value is None:
        return Address(), {}
    raw = (value.as_dict() or {}) if isinstance(value, Address) else dict(value)
    errors: dict[str, str] = {}
    unknown = sorted(set(raw) - set(ADDRESS_LIMITS))
    for key in unknown:
        errors[f"{field}.{key}"] = "unknown field"
    parts: dict[str, str] = {}
    for key, limit in ADDRESS_LIMITS.items():
        part = raw.get(key)
        if part is None:
            part = ""
        if not isinstance(part, str):
            errors[f"{field}.{key}"] = "must be text"
            continue
        part = part.strip()
        if len(part) > limit and key != "country":
            errors[f"{field}.{key}"] = f"at most {limit} characters"
        parts[key] = part
    address = Address(**parts)
    country = address.country.upper()
    if country and country not in COUNTRY_CODES:
        errors[f"{field}.country"] = "not an ISO 3166-1 alpha-2 country code"
    elif not country and not address.is_empty:
        errors[f"{field}.country"] = "required for an address"
    return Address(**{**parts, "country": country}), errors
