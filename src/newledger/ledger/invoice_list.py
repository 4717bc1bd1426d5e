"""The invoice list: one service for the REST API, the web pages and MCP.

A page holds invoice *summaries*: one row per invoice with its contact's name, read in one
query with no ORM objects and no lines (a detail read has the lines). This is the REST API's
hot path (DESIGN §9: ≥ 1,000 req/s), so the statement for each combination of filters is built
once and cached; the values travel as bound parameters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, func, or_, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.permissions import Permission
from newledger.ledger.models import Contact, Invoice
from newledger.money import format_minor
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "INVOICE_ORDERS",
    "InvoiceFilters",
    "count_invoices",
    "invoice_summary",
    "list_invoices",
]

INVOICE_ORDERS: dict[str, Order] = {
    # Incremental sync: a row changed after it was read moves to the end of the walk.
    "changed": Order(Invoice.updated_at, Invoice.id),
    # People: the latest issued first.
    "newest": Order(Invoice.issue_date, Invoice.id, descending=True),
}


@dataclass(frozen=True, slots=True)
class InvoiceFilters:
    """Each filter that is not ``None`` narrows the list; dates are inclusive."""

    status: str | None = None
    contact_id: int | None = None
    issue_date_from: dt.date | None = None
    issue_date_to: dt.date | None = None
    due_date_to: dt.date | None = None
    # Number or customer name contains this, any case.
    search: str | None = None


_CONDITIONS: dict[str, Callable[[Any], ColumnElement[bool]]] = {
    "status": lambda v: Invoice.status == v,
    "contact_id": lambda v: Invoice.contact_id == v,
    "issue_date_from": lambda v: Invoice.issue_date >= v,
    "issue_date_to": lambda v: Invoice.issue_date <= v,
    "due_date_to": lambda v: Invoice.due_date <= v,
    "search": lambda v: or_(func.lower(Invoice.number).like(v), func.lower(Contact.name).like(v)),
}

_LIST = select(
    Invoice.id,
    Invoice.number,
    Invoice.contact_id,
    Contact.name.label("contact_name"),
    Invoice.issue_date,
    Invoice.due_date,
    Invoice.currency,
    Invoice.status,
    Invoice.total,
    Invoice.amount_paid,
    Invoice.amount_credited,
    Invoice.memo,
    Invoice.version,
    Invoice.source,
    Invoice.source_label,
    Invoice.journal_entry_id,
    Invoice.created_at,
    Invoice.updated_at,
).join(Contact, Contact.id == Invoice.contact_id)


_LISTING = Listing(
    _LIST,
    Invoice.company_id == bindparam("company_id"),
    Invoice.updated_at,
    _CONDITIONS,
    INVOICE_ORDERS,
)


def list_invoices(
    session: Session, actor: Actor, filters: InvoiceFilters, page: PageRequest
) -> Page[Row[*tuple[Any, ...]]]:
    """One page of invoice summaries of the actor's company (rows with the columns of
    ``invoice_summary``, and ``contact_name``). Needs ``invoices:read``."""
    actor.require(Permission.INVOICES_READ)
    company_id = actor.company_scope()
    return _LISTING.page(session, company_id, _patterned(filters), page)


def count_invoices(session: Session, actor: Actor, filters: InvoiceFilters) -> int:
    """How many invoices the filters keep (a list's total). Needs ``invoices:read``."""
    actor.require(Permission.INVOICES_READ)
    return _LISTING.count(session, actor.company_scope(), _patterned(filters))


def _patterned(filters: InvoiceFilters) -> InvoiceFilters:
    search = (filters.search or "").strip().lower()
    return dataclasses.replace(filters, search=f"%{search}%" if search else None)


def invoice_summary(row: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    """A summary row as JSON-ready data: amounts as decimal strings, dates ISO 8601."""
    (
        id_,
        number,
        contact_id,
        contact_name,
        issue_date,
        due_date,
        cur,
        status,
        total,
        paid,
        credited,
        memo,
        version,
        source,
        source_label,
        entry_id,
        created_at,
        updated_at,
    ) = row
    return {
        "id": id_,
        "number": number,
        "contact_id": contact_id,
        "contact_name": contact_name,
        "issue_date": issue_date.isoformat(),
        "due_date": due_date.isoformat(),
        "currency": cur,
        "status": status,
        "total": format_minor(total, cur),
        "amount_paid": format_minor(paid, cur),
        "amount_credited": format_minor(credited, cur),
        "amount_due": format_minor(total - paid - credited, cur),
        "memo": memo,
        "version": version,
        "source": source,
        "source_label": source_label,
        "journal_entry_id": entry_id,
        "created_at": created_at.isoformat(),
        "updated_at": updated_at.isoformat(),
    }
