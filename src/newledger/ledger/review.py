"""The review queue: draft invoices and expenses waiting for a person to approve or reject.

Drafts made by an app or connection name it (``source_label``), and stay in the queue even if
that app or connection is later deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.errors import PermissionDenied
from newledger.identity.permissions import Permission
from newledger.ledger._common import company_for
from newledger.ledger.models import Contact, Expense, Invoice
from newledger.money import format_minor

__all__ = ["ReviewItem", "count_drafts_awaiting_review", "list_drafts_awaiting_review"]


@dataclass(frozen=True)
class ReviewItem:
    type: str  # invoice | expense | bill
    id: int
    title: str  # invoice number, or the expense's description / reference
    contact_id: int | None
    contact_name: str
    date: dt.date
    total: int
    currency: str
    source: str  # ui | api | mcp | demo | import
    source_label: str
    source_app_id: int | None
    source_connection_id: int | None
    created_at: dt.datetime
    version: int

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total"] = format_minor(self.total, self.currency)
        data["date"] = self.date.isoformat()
        data["created_at"] = self.created_at.isoformat()
        return data


def _readable(actor: Actor) -> tuple[bool, bool]:
    invoices = actor.can(Permission.INVOICES_READ)
    expenses = actor.can(Permission.EXPENSES_READ)
    if not (invoices or expenses):
        raise PermissionDenied(
            "Missing permission: invoices:read or expenses:read",
            required=(Permission.INVOICES_READ, Permission.EXPENSES_READ),
        )
    return invoices, expenses


def list_drafts_awaiting_review(
    session: Session,
    actor: Actor,
    *,
    source: str | None = None,
    limit: int = 200,
    company_id: int | None = None,
) -> list[ReviewItem]:
    """Drafts oldest first (the order a reviewer works through them), invoices and expenses
    together; only the kinds the actor may read (``invoices:read`` / ``expenses:read``).
    ``source`` keeps only drafts from ``ui`` / ``api`` / ``mcp`` / …"""
    see_invoices, see_expenses = _readable(actor)
    company = company_for(session, actor, company_id)
    limit = max(1, min(limit, 1000))
    items: list[ReviewItem] = []
    if see_invoices:
        query = (
            select(Invoice, Contact.name)
            .join(Contact, Contact.id == Invoice.contact_id)
            .where(Invoice.company_id == company.id, Invoice.status == "draft")
        )
        if source is not None:
            query = query.where(Invoice.source == source)
        for inv, name in session.execute(query.order_by(Invoice.created_at).limit(limit)):
            items.append(
                ReviewItem(
                    "invoice",
                    inv.id,
                    inv.number,
                    inv.contact_id,
                    name,
                    inv.issue_date,
                    inv.total,
                    inv.currency,
                    inv.source,
                    inv.source_label,
                    inv.source_app_id,
                    inv.source_connection_id,
                    inv.created_at,
                    inv.version,
                )
            )
    if see_expenses:
        query2 = (
            select(Expense, Contact.name)
            .outerjoin(Contact, Contact.id == Expense.contact_id)
            .where(Expense.company_id == company.id, Expense.status == "draft")
        )
        if source is not None:
            query2 = query2.where(Expense.source == source)
        for exp, name in session.execute(query2.order_by(Expense.created_at).limit(limit)):
            items.append(
                ReviewItem(
                    exp.kind,
                    exp.id,
                    exp.description or exp.reference or f"{exp.kind.capitalize()} #{exp.id}",
                    exp.contact_id,
                    name or "",
                    exp.date,
                    exp.total,
                    exp.currency,
                    exp.source,
                    exp.source_label,
                    exp.source_app_id,
                    exp.source_connection_id,
                    exp.created_at,
                    exp.version,
                )
            )
    items.sort(key=lambda item: (item.created_at, item.type, item.id))
    return items[:limit]


def count_drafts_awaiting_review(
    session: Session, actor: Actor, *, company_id: int | None = None
) -> dict[str, int]:
    """Counts for the dashboard: ``{"invoice": n, "expense": n, "bill": n, "external": n,
    "total": n}`` where ``external`` counts drafts from apps and connections."""
    see_invoices, see_expenses = _readable(actor)
    company = company_for(session, actor, company_id)
    counts = {"invoice": 0, "expense": 0, "bill": 0, "external": 0}
    if see_invoices:
        rows = session.execute(
            select(Invoice.source, func.count())
            .where(Invoice.company_id == company.id, Invoice.status == "draft")
            .group_by(Invoice.source)
        )
        for source, n in rows:
            counts["invoice"] += n
            counts["external"] += n if source in ("api", "mcp") else 0
    if see_expenses:
        expense_rows = session.execute(
            select(Expense.kind, Expense.source, func.count())
            .where(Expense.company_id == company.id, Expense.status == "draft")
            .group_by(Expense.kind, Expense.source)
        )
        for kind, source, n in expense_rows:
            counts[kind] = counts.get(kind, 0) + n
            counts["external"] += n if source in ("api", "mcp") else 0
    counts["total"] = counts["invoice"] + counts["expense"] + counts["bill"]
    return counts
