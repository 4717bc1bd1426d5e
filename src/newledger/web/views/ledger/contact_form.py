"""The contact form, for a new contact and for an edit: a plain HTML form (no JavaScript) over
``ledger.contacts``.

Addresses are fields named ``billing-line1`` … ``shipping-country``; an address left entirely
blank is removed. The service validates everything (the country against ISO 3166-1) and names
problems by field (``billing_address.country``), which the page shows beside each field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from newledger.ledger.addresses import ADDRESS_LIMITS, COUNTRY_CODES, country_name
from newledger.ledger.models import Contact

__all__ = [
    "ADDRESS_KINDS",
    "COUNTRIES",
    "ContactForm",
    "contact_changes",
    "contact_form",
    "new_contact_form",
]

ADDRESS_KINDS = ("billing", "shipping")
TEXT_FIELDS = ("name", "kind", "email", "phone", "tax_id", "payment_terms_days", "external_id")
# (code, name) for the country menu, by name.
COUNTRIES = sorted(((c, country_name(c)) for c in COUNTRY_CODES), key=lambda c: c[1])


@dataclass
class ContactForm:
    """What the edit page shows: every field as a string, and errors by the service's keys."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None

    def error_list(self) -> list[tuple[str, str]]:
        return [(_label(key), message) for key, message in self.errors.items()]


def _label(key: str) -> str:
    address, _, part = key.partition("_address.")
    if part:
        return f"{address.capitalize()} address {part.replace('_', ' ')}"
    return key.replace("_", " ").capitalize()


def contact_form(contact: Contact) -> ContactForm:
    values = {name: str(getattr(contact, name) or "") for name in TEXT_FIELDS}
    for kind in ADDRESS_KINDS:
        address = getattr(contact, f"{kind}_address")
        for part in ADDRESS_LIMITS:
            values[f"{kind}-{part}"] = getattr(address, part)
    values["version"] = str(contact.version)
    return ContactForm(values)


def new_contact_form(kind: str) -> ContactForm:
    """A blank contact of ``kind`` (customer, vendor or both), on 30 days' terms."""
    values = dict.fromkeys(TEXT_FIELDS, "")
    values.update(kind=kind, payment_terms_days="30", version="")
    for address in ADDRESS_KINDS:
        values.update({f"{address}-{part}": "" for part in ADDRESS_LIMITS})
    return ContactForm(values)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def contact_changes(form: FormData) -> tuple[ContactForm, dict[str, Any]]:
    """The submitted form (to show again if refused) and the changes for ``update_contact``."""
    values = {name: _text(form, name) for name in TEXT_FIELDS}
    changes: dict[str, Any] = {k: v for k, v in values.items() if k != "payment_terms_days"}
    terms = values["payment_terms_days"]
    changes["payment_terms_days"] = int(terms) if terms.isascii() and terms.isdigit() else terms
    changes["external_id"] = values["external_id"] or None
    for kind in ADDRESS_KINDS:
        address = {part: _text(form, f"{kind}-{part}") for part in ADDRESS_LIMITS}
        values.update({f"{kind}-{part}": v for part, v in address.items()})
        changes[f"{kind}_address"] = address if any(address.values()) else None
    values["version"] = _text(form, "version")
    return ContactForm(values), changes
