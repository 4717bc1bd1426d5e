"""Contacts: the company's customers and vendors (``kind`` customer | vendor | both), with
billing and shipping addresses and, optionally, another system's id for them (``external_id``,
say the CRM's): one contact per external id in a company, so "create or update the contact
with this id" (``upsert_contact``) is safe to repeat and to run twice at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import Conflict, ValidationFailed
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.identity.permissions import Permission
from newledger.ledger._common import (
    check_version,
    company_for,
    company_row,
    flush_versioned,
    for_update,
    readable_row,
)
from newledger.ledger.contact_fields import (
    CONTACT_KINDS,
    clean_contact_fields,
    clean_external_id,
    refuse_taken,
    refuse_unknown,
    unique_external_id,
)
from newledger.ledger.models import Contact
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "CONTACT_ORDERS",
    "ContactFilters",
    "contact_dict",
    "contact_version",
    "count_contacts",
    "create_contact",
    "get_contact",
    "list_contacts",
    "update_contact",
    "upsert_contact",
]

_ATTEMPTS = 3  # upsert: insert, or (having lost the race to insert) update


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
    external_id: str | None = None,
    billing_address: Any = None,
    shipping_address: Any = None,
    company_id: int | None = None,
) -> Contact:
    """Create a customer, vendor or both. Needs ``contacts:write``. An ``external_id`` another
    contact has already raises ``ExternalIdTaken``."""
    actor.require(Permission.CONTACTS_WRITE)
    company = company_for(session, actor, company_id)
    values = clean_contact_fields(
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
            "external_id": external_id,
            "billing_address": billing_address,
            "shipping_address": shipping_address,
        },
    )
    if values["external_id"] is not None:
        refuse_taken(session, company.id, values["external_id"], None)
    contact = Contact(company_id=company.id, version=1, **values)
    with unique_external_id(session, company.id, contact.external_id):
        session.add(contact)
        session.flush()
    _created(session, actor, company.id, contact)
    return contact


def _created(session: Session, actor: Actor, company_id: int, contact: Contact) -> None:
    details: dict[str, Any] = {"name": contact.name, "kind": contact.kind}
    if contact.external_id is not None:
        details["external_id"] = contact.external_id
    record(
        session,
        Event.CONTACT_CREATED,
        actor,
        subject_type="contact",
        subject_id=contact.id,
        details=details,
    )
    emit(
        session, company_id, EventType.CONTACT_CREATED, contact.id, external_id=contact.external_id
    )


def get_contact(
    session: Session, actor: Actor, contact_id: int, *, company_id: int | None = None
) -> Contact:
    """One contact of the actor's company. Needs ``contacts:read``."""
    return readable_row(
        session, actor, Permission.CONTACTS_READ, Contact, contact_id, company_id=company_id
    )


def contact_version(
    session: Session,
    actor: Actor,
    *,
    contact_id: int | None = None,
    external_id: str | None = None,
    company_id: int | None = None,
) -> int | None:
    """The stored version of the contact with this id or external id (``None``: no such
    contact), which an update compares with ``If-Match``. Needs ``contacts:write``."""
    actor.require(Permission.CONTACTS_WRITE)
    query = select(Contact.version).where(Contact.company_id == actor.company_scope(company_id))
    if contact_id is not None:
        query = query.where(Contact.id == contact_id)
    if external_id is not None:
        query = query.where(Contact.external_id == external_id)
    return session.scalar(query)


def update_contact(
    session: Session,
    actor: Actor,
    contact_id: int,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> Contact:
    """Change some of: name, kind, email, phone, tax_id, payment_terms_days,
    default_account_id, is_archived, external_id, billing_address, shipping_address (an
    address: a mapping of its fields, ``None`` to remove it). A stale ``expected_version``
    raises ``Conflict("version_mismatch")``. Needs ``contacts:write``."""
    actor.require(Permission.CONTACTS_WRITE)
    company = company_for(session, actor, company_id)
    refuse_unknown(changes)
    # Read fresh and locked until commit: the version compared and written is the latest.
    contact = company_row(session, Contact, company.id, contact_id, lock=True)
    return _apply(session, actor, company.id, contact, changes, expected_version)


def _by_external_id(session: Session, company_id: int, external_id: str) -> Contact | None:
    """The contact with this external id, read fresh and locked until commit."""
    query = select(Contact).where(
        Contact.company_id == company_id, Contact.external_id == external_id
    )
    return session.scalar(for_update(session, query))


def _apply(
    session: Session,
    actor: Actor,
    company_id: int,
    contact: Contact,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Contact:
    check_version(contact, expected_version)
    values = clean_contact_fields(session, company_id, changes)
    changed = {k: v for k, v in values.items() if getattr(contact, k) != v}
    if changed.get("external_id") is not None:
        refuse_taken(session, company_id, changed["external_id"], contact.id)
    if not changed:
        return contact
    for key, value in changed.items():
        setattr(contact, key, value)
    contact.version += 1
    with unique_external_id(session, company_id, contact.external_id):
        flush_versioned(session, "contact")
    record(
        session,
        Event.CONTACT_UPDATED,
        actor,
        subject_type="contact",
        subject_id=contact.id,
        details={"changed": sorted(changed), "version": contact.version},
    )
    emit(
        session,
        company_id,
        EventType.CONTACT_UPDATED,
        contact.id,
        external_id=contact.external_id,
        changed=changed,
    )
    return contact


def upsert_contact(
    session: Session,
    actor: Actor,
    external_id: str,
    values: dict[str, Any],
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> tuple[Contact, bool]:
    """Create the contact with this ``external_id`` from ``values`` (``name`` required), or
    change the one that has it (only the fields given; a stale ``expected_version`` raises
    ``Conflict("version_mismatch")``). Returns the contact and whether it was created.

    Race-safe: of two transactions upserting one new external id at once, one inserts and the
    other's insert meets the unique constraint (on PostgreSQL it waits for the first to
    commit), rolls back to its savepoint and updates the contact the first one made. SQLite
    runs writers one at a time (``for_update`` takes its write lock), so the second sees it.
    Needs ``contacts:write``."""
    actor.require(Permission.CONTACTS_WRITE)
    company = company_for(session, actor, company_id)
    errors: dict[str, str] = {}
    key = clean_external_id(external_id, errors)
    if errors or key is None:
        raise ValidationFailed("Invalid external_id", errors=errors or {"external_id": "required"})
    refuse_unknown(values)
    if values.get("external_id", key) != key:
        raise ValidationFailed(
            "The external_id is the one in the address",
            errors={"external_id": "differs from the address"},
        )
    fields = {k: v for k, v in values.items() if k != "external_id"}
    for _attempt in range(_ATTEMPTS):
        contact = _by_external_id(session, company.id, key)
        if contact is not None:
            return _apply(session, actor, company.id, contact, fields, expected_version), False
        if expected_version is not None:
            raise Conflict(f"No contact has external_id {key!r} yet", code="version_mismatch")
        if "name" not in fields:
            raise ValidationFailed("A new contact needs a name", errors={"name": "required"})
        defaults = {"kind": "customer", "billing_address": None, "shipping_address": None}
        cleaned = clean_contact_fields(session, company.id, {**defaults, **fields})
        contact = Contact(company_id=company.id, version=1, external_id=key, **cleaned)
        try:
            with session.begin_nested():
                session.add(contact)
                session.flush()
        except IntegrityError:
            continue  # made meanwhile by another transaction: update that one
        _created(session, actor, company.id, contact)
        return contact, True
    raise Conflict(
        "The contact was changed by someone else at the same time; retry",
        code="concurrent_update",
    )


CONTACT_ORDERS: dict[str, Order] = {
    "changed": Order(Contact.updated_at, Contact.id),
    "name": Order(Contact.name, Contact.id),
}


@dataclass(frozen=True, slots=True)
class ContactFilters:
    kind: str | None = None  # customer or vendor also lists both
    search: str | None = None  # name or email contains, any case
    include_archived: bool = False
    external_id: str | None = None  # exactly this one, archived or not


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
        "external_id": lambda v: Contact.external_id == v,
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
    # A look-up by external id finds the contact whether or not it is archived.
    by_id = filters.external_id is not None
    return {
        "kind": filters.kind,
        "pattern": f"%{search}%" if search else None,
        "archived": None if filters.include_archived or by_id else False,
        "external_id": filters.external_id,
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
        "external_id": contact.external_id,
        "billing_address": contact.billing_address.as_dict(),
        "shipping_address": contact.shipping_address.as_dict(),
        "version": contact.version,
        "created_at": contact.created_at.isoformat(),
        "updated_at": contact.updated_at.isoformat(),
    }
