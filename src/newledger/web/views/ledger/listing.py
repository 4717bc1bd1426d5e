"""Read queries behind the ledger pages' filtered lists and the dashboard counts.

The filtered lists are the ledger services' (``list_invoices``, ``list_expenses``), which check
the read permission and filter by the actor's company; here they are cut into pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.appconnect.apps import app_view
from newledger.appconnect.grants import GrantStatus
from newledger.appconnect.models import App
from newledger.identity.models import Membership, User
from newledger.ledger.expenses import list_expenses
from newledger.ledger.invoices import list_invoices
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


@dataclass(frozen=True)
class DocumentFilter:
    status: str | None = None
    contact_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kind: str | None = None  # expenses only


def filter_invoices(
    session: Session, actor: Actor, flt: DocumentFilter, *, limit: int, offset: int
) -> tuple[list[Invoice], bool]:
    """One page of invoices, newest first, and whether another page follows."""
    rows = list_invoices(
        session,
        actor,
        status=flt.status,
        contact_id=flt.contact_id,
        issue_date_from=flt.date_from,
        issue_date_to=flt.date_to,
        limit=limit + 1,
        offset=offset,
        with_lines=False,
    )
    return rows[:limit], len(rows) > limit


def filter_expenses(
    session: Session, actor: Actor, flt: DocumentFilter, *, limit: int, offset: int
) -> tuple[list[Expense], bool]:
    rows = list_expenses(
        session,
        actor,
        kind=flt.kind,
        status=flt.status,
        contact_id=flt.contact_id,
        date_from=flt.date_from,
        date_to=flt.date_to,
        limit=limit + 1,
        offset=offset,
        with_lines=False,
    )
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
        if app_view(app, role, active, email).status == GrantStatus.ACTIVE
    )
