"""The review queue: draft invoices and expenses waiting for a person to approve or reject.

Drafts made by an app or connection name it (``source_label``), and stay in the queue even if
that app or connection is later deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
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


def _drafts(
    session: Session,
    model: type[Invoice] | type[Expense],
    company_id: int,
    source: str | None,
    limit: int,
) -> Iterable[Any]:
    """The company's oldest drafts of ``model`` with their contact's name (``None`` for an
    expense without one)."""
    query = (
        select(model, Contact.name)
        .outerjoin(Contact, Contact.id == model.contact_id)
        .where(model.company_id == company_id, model.status == "draft")
    )
    if source is not None:
        query = query.where(model.source == source)
    return session.execute(query.order_by(model.created_at).limit(limit))


def _item(
    type_: str, doc: Invoice | Expense, title: str, contact_name: str, date: dt.date
) -> ReviewItem:
    return ReviewItem(
        type_,
        doc.id,
        title,
        doc.contact_id,
        contact_name,
        date,
        doc.total,
        doc.currency,
        doc.source,
        doc.source_label,
        doc.source_app_id,
        doc.source_connection_id,
        doc.created_at,
        doc.version,
    )


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
        for inv, name in _drafts(session, Invoice, company.id, source, limit):
            items.append(_item("invoice", inv, inv.number, name, inv.issue_date))
    if see_expenses:
        for exp, name in _drafts(session, Expense, company.id, source, limit):
            title = exp.description or exp.reference or f"{exp.kind.capitalize()} #{exp.id}"
            items.append(_item(exp.kind, exp, title, name or "", exp.date))
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
