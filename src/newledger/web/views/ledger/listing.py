"""Read queries behind the review queue's lines and the dashboard counts, and the choices the
list filters offer. The lists themselves are the ledger services' (``invoice_list``,
``expense_list``, ``contacts.list_contacts``), which check the read permission and scope to the
actor's company."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.appconnect.apps import app_view
from newledger.appconnect.grants import GrantStatus
from newledger.appconnect.models import App
from newledger.identity.models import Membership, User
from newledger.ledger.models import CreditNoteLine, ExpenseLine, InvoiceLine
from newledger.ledger.review import ReviewItem

__all__ = [
    "EXPENSE_KINDS",
    "EXPENSE_STATUSES",
    "INVOICE_STATUSES",
    "connected_app_count",
    "draft_lines",
]

INVOICE_STATUSES = ("draft", "approved", "partially_paid", "paid", "voided", "rejected")
EXPENSE_STATUSES = INVOICE_STATUSES
EXPENSE_KINDS = ("expense", "bill")


def draft_lines(
    session: Session, company_id: int, items: list[ReviewItem]
) -> dict[tuple[str, int], list[InvoiceLine] | list[ExpenseLine] | list[CreditNoteLine]]:
    """The lines of each draft in the review queue, keyed like ``("invoice", id)``, in three
    queries however long the queue."""
    out: dict[tuple[str, int], list[Any]] = {}
    invoice_ids = [i.id for i in items if i.type == "invoice"]
    expense_ids = [i.id for i in items if i.type in ("expense", "bill")]
    credits = {i.id: i.type for i in items if i.type in ("credit_note", "vendor_credit")}
    if credits:
        for cline in session.scalars(
            select(CreditNoteLine)
            .where(
                CreditNoteLine.company_id == company_id,
                CreditNoteLine.credit_note_id.in_(list(credits)),
            )
            .order_by(CreditNoteLine.position, CreditNoteLine.id)
        ):
            out.setdefault((credits[cline.credit_note_id], cline.credit_note_id), []).append(cline)
    if invoice_ids:
        for line in session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.company_id == company_id, InvoiceLine.invoice_id.in_(invoice_ids))
            .order_by(InvoiceLine.position, InvoiceLine.id)
        ):
            out.setdefault(("invoice", line.invoice_id), []).append(line)
    if expense_ids:
        kinds = {i.id: i.type for i in items if i.type in ("expense", "bill")}
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
