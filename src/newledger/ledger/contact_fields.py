"""What a contact's fields may hold, and the rule that an ``external_id`` names one contact per
company: checked before writing (a clear ``ExternalIdTaken``), with the unique constraint
``(company_id, external_id)`` as the backstop when two transactions race."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newledger.errors import Conflict, NotFound, ValidationFailed
from newledger.identity.services import looks_like_email
from newledger.ledger._common import load_account
from newledger.ledger.addresses import clean_address
from newledger.ledger.models import Contact

__all__ = [
    "CONTACT_FIELDS",
    "CONTACT_KINDS",
    "EXTERNAL_ID_PATTERN",
    "ExternalIdTaken",
    "clean_contact_fields",
    "clean_external_id",
    "refuse_taken",
    "refuse_unknown",
    "unique_external_id",
]

CONTACT_KINDS = ("customer", "vendor", "both")
# Safe as one URL path segment unescaped (``/contacts/by-external-id/{external_id}``): no
# slash, no space, and not ``.`` or ``..``, which clients resolve away.
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._~:@-]{0,99}$"
_EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)
CONTACT_FIELDS = (
    "name",
    "kind",
    "email",
    "phone",
    "tax_id",
    "payment_terms_days",
    "default_account_id",
    "is_archived",
    "external_id",
    "billing_address",
    "shipping_address",
)


class ExternalIdTaken(Conflict):
    """Another contact of the company already has this ``external_id`` (409)."""

    code = "external_id_taken"

    def __init__(self, external_id: str, holder_id: int) -> None:
        super().__init__(f"Contact {holder_id} already has external_id {external_id!r}")
        self.errors = {"external_id": f"taken by contact {holder_id}"}


def clean_external_id(value: Any, errors: dict[str, str]) -> str | None:
    """``None`` or blank: no external id; else it must match ``EXTERNAL_ID_PATTERN``."""
    if value is None:
        return None
    if not isinstance(value, str):
        errors["external_id"] = "must be text"
        return None
    text = value.strip()
    if not text:
        return None
    if not _EXTERNAL_ID.fullmatch(text):
        errors["external_id"] = (
            "1 to 100 letters, digits and . _ ~ : @ -, starting with a letter or digit"
        )
    return text


def clean_contact_fields(
    session: Session, company_id: int, values: dict[str, Any]
) -> dict[str, Any]:
    """Validate the given fields; every problem is reported at once, per field."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if "name" in values:
        name = (values["name"] or "").strip()
        if not name:
            errors["name"] = "required"
        elif len(name) > 200:
            errors["name"] = "at most 200 characters"
        out["name"] = name
    if "kind" in values:
        if values["kind"] not in CONTACT_KINDS:
            errors["kind"] = "must be customer, vendor or both"
        out["kind"] = values["kind"]
    if "email" in values:
        email = (values["email"] or "").strip()
        if email and (not looks_like_email(email) or len(email) > 320):
            errors["email"] = "not a valid email address"
        out["email"] = email
    for key, limit in (("phone", 64), ("tax_id", 64)):
        if key in values:
            text = (values[key] or "").strip()
            if len(text) > limit:
                errors[key] = f"at most {limit} characters"
            out[key] = text
    if "payment_terms_days" in values:
        terms = values["payment_terms_days"]
        if not isinstance(terms, int) or isinstance(terms, bool) or not 0 <= terms <= 365:
            errors["payment_terms_days"] = "must be a whole number of days from 0 to 365"
        out["payment_terms_days"] = terms
    if "default_account_id" in values:
        account_id = values["default_account_id"]
        if account_id is not None:
            try:
                load_account(session, company_id, account_id, field="default_account_id")
            except (NotFound, ValidationFailed) as exc:
                errors["default_account_id"] = exc.message
        out["default_account_id"] = account_id
    if "is_archived" in values:
        out["is_archived"] = bool(values["is_archived"])
    if "external_id" in values:
        out["external_id"] = clean_external_id(values["external_id"], errors)
    for key in ("billing_address", "shipping_address"):
        if key in values:
            out[key], problems = clean_address(values[key], key)
            errors.update(problems)
    if errors:
        raise ValidationFailed(
            "Invalid contact: " + ", ".join(f"{k} {v}" for k, v in errors.items()), errors=errors
        )
    return out


def _holder(session: Session, company_id: int, external_id: str) -> int | None:
    return session.scalar(
        select(Contact.id).where(
            Contact.company_id == company_id, Contact.external_id == external_id
        )
    )


def refuse_taken(
    session: Session, company_id: int, external_id: str, contact_id: int | None
) -> None:
    holder = _holder(session, company_id, external_id)
    if holder is not None and holder != contact_id:
        raise ExternalIdTaken(external_id, holder)


@contextmanager
def unique_external_id(
    session: Session, company_id: int, external_id: str | None
) -> Iterator[None]:
    """Run a flush in a savepoint; if another transaction took ``external_id`` first (the
    unique constraint fired), raise ``ExternalIdTaken`` with the rest of the unit of work
    intact."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError:
        holder = _holder(session, company_id, external_id) if external_id else None
        if holder is None:
            raise
        raise ExternalIdTaken(external_id or "", holder) from None


def refuse_unknown(changes: dict[str, Any]) -> None:
    unknown = sorted(set(changes) - set(CONTACT_FIELDS))
    if unknown:
        raise ValidationFailed(
            f"Unknown contact fields: {', '.join(unknown)}",
            errors={k: "unknown field" for k in unknown},
        )
