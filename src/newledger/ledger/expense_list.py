"""The list of expenses and bills: one service for the REST API, the web pages and MCP.

Like the invoice list (``invoice_list``), a page holds summaries read in one query with the
vendor's name, and the statement for each combination of filters is built once and cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.permissions import Permission
from newledger.ledger.models import Contact, Expense
from newledger.money import format_minor
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "EXPENSE_ORDERS",
    "ExpenseFilters",
    "count_expenses",
    "expense_summary",
    "list_expenses",
]

EXPENSE_ORDERS: dict[str, Order] = {
    "changed": Order(Expense.updated_at, Expense.id),
    "newest": Order(Expense.date, Expense.id, descending=True),
}


@dataclass(frozen=True, slots=True)
class ExpenseFilters:
    """Each filter that is not ``None`` narrows the list; dates are inclusive."""

    kind: str | None = None  # expense | bill
    status: str | None = None
    contact_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


_CONDITIONS: dict[str, Callable[[Any], ColumnElement[bool]]] = {
    "kind": lambda v: Expense.kind == v,
    "status": lambda v: Expense.status == v,
    "contact_id": lambda v: Expense.contact_id == v,
    "date_from": lambda v: Expense.date >= v,
    "date_to": lambda v: Expense.date <= v,
}

_LIST = select(
    Expense.id,
    Expense.kind,
    Expense.contact_id,
    Contact.name.label("contact_name"),
    Expense.date,
    Expense.due_date,
    Expense.payment_account_id,
    Expense.currency,
    Expense.status,
    Expense.total,
    Expense.amount_paid,
    Expense.amount_credited,
    Expense.description,
    Expense.reference,
    Expense.version,
    Expense.source,
    Expense.source_label,
    Expense.journal_entry_id,
    Expense.created_at,
    Expense.updated_at,
).outerjoin(Contact, Contact.id == Expense.contact_id)


_LISTING = Listing(
    _LIST,
    Expense.company_id == bindparam("company_id"),
    Expense.updated_at,
    _CONDITIONS,
    EXPENSE_ORDERS,
)


def list_expenses(
    session: Session, actor: Actor, filters: ExpenseFilters, page: PageRequest
) -> Page[Row[*tuple[Any, ...]]]:
    """One page of expense and bill summaries of the actor's company (rows with the columns
    of ``expense_summary``). Needs ``expenses:read``."""
    actor.require(Permission.EXPENSES_READ)
    company_id = actor.company_scope()
    return _LISTING.page(session, company_id, filters, page)


def count_expenses(session: Session, actor: Actor, filters: ExpenseFilters) -> int:
    """How many expenses and bills the filters keep (a list's total). Needs ``expenses:read``."""
    actor.require(Permission.EXPENSES_READ)
    return _LISTING.count(session, actor.company_scope(), filters)


def expense_summary(row: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    """A summary row as JSON-ready data: amounts as decimal strings, dates ISO 8601."""
    cur = row.currency
    return {
        "id": row.id,
        "kind": row.kind,
        "contact_id": row.contact_id,
        "contact_name": row.contact_name,
        "date": row.date.isoformat(),
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "payment_account_id": row.payment_account_id,
        "currency": cur,
        "status": row.status,
        "total": format_minor(row.total, cur),
        "amount_paid": format_minor(row.amount_paid, cur),
        "amount_credited": format_minor(row.amount_credited, cur),
        "amount_due": format_minor(row.total - row.amount_paid - row.amount_credited, cur),
        "description": row.description,
        "reference": row.reference,
        "version": row.version,
        "source": row.source,
        "source_label": row.source_label,
        "journal_entry_id": row.journal_entry_id,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }
