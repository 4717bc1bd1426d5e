"""Contacts: the company's customers and vendors (``kind`` customer | vendor | both)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import NotFound, ValidationFailed
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.identity.permissions import Permission
from newledger.identity.services import looks_like_email
from newledger.ledger._common import company_for, company_row, load_account, readable_row
from newledger.ledger.models import Contact
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "CONTACT_KINDS",
    "CONTACT_ORDERS",
    "ContactFilters",
    "contact_dict",
    "count_contacts",
    "create_contact",
    "get_contact",
    "list_contacts",
    "update_contact",
]

CONTACT_KINDS = ("customer", "vendor", "both")
_FIELDS = (
    "name",
    "kind",
    "email",
    "phone",
    "tax_id",
    "payment_terms_days",
    "default_account_id",
    "is_archived",
)


def _clean(session: Session, company_id: int, values: dict[str, Any]) -> dict[str, Any]:
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
    if errors:
        raise ValidationFailed(
            "Invalid contact: " + ", ".join(f"{k} {v}" for k, v in errors.items()), errors=errors
        )
    return out


def create_contact(
    session: Session,
    actor: Actor,
    *,
    name: str,
    kind: str = "customer",
    email: str = "",
    phone: str = "",
    tax_id: str = "",
    payment_terms_days: int = 30,
    default_account_id: int | None = None,
    company_id: int | None = None,
) -> Contact:
    """Create a customer, vendor or both. Needs ``contacts:write``."""
    actor.require(Permission.CONTACTS_WRITE)
    company = company_for(session, actor, company_id)
    values = _clean(
        session,
        company.id,
        {
            "name": name,
            "kind": kind,
            "email": email,
            "phone": phone,
            "tax_id": tax_id,
            "payment_terms_days": payment_terms_days,
            "default_account_id": default_account_id,
        },
    )
    contact = Contact(company_id=company.id, **values)
    session.add(contact)
    session.flush()
    record(
        session,
        Event.CONTACT_CREATED,
        actor,
        subject_type="contact",
        subject_id=contact.id,
        details={"name": contact.name, "kind": contact.kind},
    )
    emit(session, company.id, EventType.CONTACT_CREATED, contact.id)
    return contact


def get_contact(
    session: Session, actor: Actor, contact_id: int, *, company_id: int | None = None
) -> Contact:
    """One contact of the actor's company. Needs ``contacts:read``."""
    return readable_row(
        session, actor, Permission.CONTACTS_READ, Contact, contact_id, company_id=company_id
    )


def update_contact(
    session: Session,
    actor: Actor,
    contact_id: int,
    changes: dict[str, Any],
    *,
    company_id: int | None = None,
) -> Contact:
    """Change some of: name, kind, email, phone, tax_id, payment_terms_days,
    default_account_id, is_archived. Needs ``contacts:write``."""
    actor.require(Permission.CONTACTS_WRITE)
    company = company_for(session, actor, company_id)
    unknown = sorted(set(changes) - set(_FIELDS))
    if unknown:
        raise ValidationFailed(
            f"Unknown contact fields: {', '.join(unknown)}",
            errors={k: "unknown field" for k in unknown},
        )
    contact = company_row(session, Contact, company.id, contact_id)
    values = _clean(session, company.id, changes)
    changed = {k: v for k, v in values.items() if getattr(contact, k) != v}
    for key, value in changed.items():
        setattr(contact, key, value)
    session.flush()
    if changed:
        record(
            session,
            Event.CONTACT_UPDATED,
            actor,
            subject_type="contact",
            subject_id=contact.id,
            details={"changed": sorted(changed)},
        )
        emit(session, company.id, EventType.CONTACT_UPDATED, contact.id)
    return contact


CONTACT_ORDERS: dict[str, Order] = {
    "changed": Order(Contact.updated_at, Contact.id),
    "name": Order(Contact.name, Contact.id),
}


@dataclass(frozen=True, slots=True)
class ContactFilters:
    kind: str | None = None  # customer or vendor also lists both
    search: str | None = None  # name or email contains, any case
    include_archived: bool = False


_LISTING = Listing(
    select(Contact),
    Contact.company_id == bindparam("company_id"),
    Contact.updated_at,
    {
        "kind": lambda v: or_(Contact.kind == v, Contact.kind == "both"),
        "pattern": lambda v: or_(
            func.lower(Contact.name).like(v), func.lower(Contact.email).like(v)
        ),
        "archived": lambda v: Contact.is_archived == v,
    },
    CONTACT_ORDERS,
    entities=True,
)


def list_contacts(
    session: Session, actor: Actor, filters: ContactFilters, page: PageRequest
) -> Page[Contact]:
    """One page of the company's contacts, archived ones only with ``include_archived``.
    Needs ``contacts:read``."""
    actor.require(Permission.CONTACTS_READ)
    return _LISTING.page(session, actor.company_scope(), _contact_params(filters), page)


def count_contacts(session: Session, actor: Actor, filters: ContactFilters) -> int:
    """How many contacts the filters keep (a list's total). Needs ``contacts:read``."""
    actor.require(Permission.CONTACTS_READ)
    return _LISTING.count(session, actor.company_scope(), _contact_params(filters))


def _contact_params(filters: ContactFilters) -> dict[str, Any]:
    if filters.kind is not None and filters.kind not in CONTACT_KINDS:
        raise ValidationFailed("Unknown contact kind", errors={"kind": "unknown"})
    search = (filters.search or "").strip().lower()
    return {
        "kind": filters.kind,
        "pattern": f"%{search}%" if search else None,
        "archived": None if filters.include_archived else False,
    }


def contact_dict(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "kind": contact.kind,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "tax_id": contact.tax_id,
        "payment_terms_days": contact.payment_terms_days,
        "default_account_id": contact.default_account_id,
        "is_archived": contact.is_archived,
        "created_at": contact.created_at.isoformat(),
        "updated_at": contact.updated_at.isoformat(),
    }
