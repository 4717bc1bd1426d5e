"""Read queries behind the ledger pages' filtered lists and the dashboard counts.

The ledger services list documents by status and contact; the pages also filter by a date range
and paginate, so these queries live here. Each checks the read permission and filters by the
actor's company, like every tenant query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect.apps import AppStatus, app_view
from newledger.appconnect.models import App
from newledger.identity.models import Membership, User
from newledger.identity.permissions import Permission
from newledger.ledger.models import Expense, ExpenseLine, Invoice, InvoiceLine
from newledger.ledger.review import ReviewItem

__all__ = [
    "DocumentFilter",
    "connected_app_count",
    "draft_lines",
    "filter_expenses",
    "filter_invoices",
]

INVOICE_STATUSES = ("draft", "approved", "partially_paid", "paid", "voided", "rejected")
EXPENSE_STATUSES = INVOICE_STATUSES
EXPENSE_KINDS = ("expense", "bill")
_Doc = TypeVar("_Doc", Invoice, Expense)


@dataclass(frozen=True)
class DocumentFilter:
    status: str | None = None
    contact_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kind: str | None = None  # expenses only


def _company(actor: Actor, permission: Permission) -> int:
    actor.require(permission)
    assert actor.company_id is not None
    return actor.company_id


def filter_invoices(
    session: Session, actor: Actor, flt: DocumentFilter, *, limit: int, offset: int
) -> tuple[list[Invoice], bool]:
    """One page of invoices, newest first, and whether another page follows."""
    company_id = _company(actor, Permission.INVOICES_READ)
    query = select(Invoice).where(Invoice.company_id == company_id)
    if flt.status:
        query = query.where(Invoice.status == flt.status)
    if flt.contact_id is not None:
        query = query.where(Invoice.contact_id == flt.contact_id)
    if flt.date_from is not None:
        query = query.where(Invoice.issue_date >= flt.date_from)
    if flt.date_to is not None:
        query = query.where(Invoice.issue_date <= flt.date_to)
    query = query.order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    return _page(session, query, limit, offset)


def filter_expenses(
    session: Session, actor: Actor, flt: DocumentFilter, *, limit: int, offset: int
) -> tuple[list[Expense], bool]:
    company_id = _company(actor, Permission.EXPENSES_READ)
    query = select(Expense).where(Expense.company_id == company_id)
    if flt.status:
        query = query.where(Expense.status == flt.status)
    if flt.kind:
        query = query.where(Expense.kind == flt.kind)
    if flt.contact_id is not None:
        query = query.where(Expense.contact_id == flt.contact_id)
    if flt.date_from is not None:
        query = query.where(Expense.date >= flt.date_from)
    if flt.date_to is not None:
        query = query.where(Expense.date <= flt.date_to)
    query = query.order_by(Expense.date.desc(), Expense.id.desc())
    return _page(session, query, limit, offset)


def _page(
    session: Session, query: Select[_Doc], limit: int, offset: int
) -> tuple[list[_Doc], bool]:
    rows = list(session.scalars(query.limit(limit + 1).offset(offset)))
    return rows[:limit], len(rows) > limit


def draft_lines(
    session: Session, company_id: int, items: list[ReviewItem]
) -> dict[tuple[str, int], list[InvoiceLine] | list[ExpenseLine]]:
    """The lines of each draft in the review queue, keyed like ``("invoice", id)``, in two
    queries however long the queue."""
    out: dict[tuple[str, int], list[Any]] = {}
    invoice_ids = [i.id for i in items if i.type == "invoice"]
    expense_ids = [i.id for i in items if i.type != "invoice"]
    if invoice_ids:
        for line in session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.company_id == company_id, InvoiceLine.invoice_id.in_(invoice_ids))
            .order_by(InvoiceLine.position, InvoiceLine.id)
        ):
            out.setdefault(("invoice", line.invoice_id), []).append(line)
    if expense_ids:
        kinds = {i.id: i.type for i in items if i.type != "invoice"}
        for eline in session.scalars(
            select(ExpenseLine)
            .where(ExpenseLine.company_id == company_id, ExpenseLine.expense_id.in_(expense_ids))
            .order_by(ExpenseLine.position, ExpenseLine.id)
        ):
            out.setdefault((kinds[eline.expense_id], eline.expense_id), []).append(eline)
    return out


def connected_app_count(session: Session, company_id: int) -> int:
    """API credential apps whose status is active (not revoked, deleted, expired or degraded)."""
    rows = session.execute(
        select(App, Membership.role, User.is_active, User.email)
        .join(User, User.id == App.created_by_user_id)
        .outerjoin(
            Membership,
            (Membership.company_id == App.company_id) & (Membership.user_id == User.id),
        )
        .where(
            App.company_id == company_id,
            App.deleted_at.is_(None),
            App.revoked_at.is_(None),
        )
    )
    return sum(
        1
        for app, role, active, email in rows
        if app_view(app, role, active, email).status == AppStatus.ACTIVE
    )
