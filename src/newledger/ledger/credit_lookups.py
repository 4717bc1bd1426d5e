"""Read-only questions about credit notes that the pages around them ask: which credits an
invoice or bill carries, which invoices or bills of a contact are open to take credit, and a
credit note's allocations named by their documents.

Each checks the kind's read permission (``invoices:read`` for credit notes, ``expenses:read``
for vendor credits) and reads only the actor's company.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.ledger._common import amount_due
from newledger.ledger.credit_kinds import credit_kind
from newledger.ledger.models import CreditAllocation, CreditNote, Expense, Invoice
from newledger.ledger.payments import document_label

__all__ = [
    "AllocationView",
    "CreditApplied",
    "allocation_views",
    "credits_on_document",
    "open_documents",
]

_OPEN = ("approved", "partially_paid")


@dataclass(frozen=True)
class CreditApplied:
    """A credit note set against one invoice or bill: ``applied``, or ``proposed`` on a draft
    credit note (it applies when the draft is approved)."""

    allocation_id: int
    credit_note_id: int
    number: str
    credit_status: str
    date: dt.date
    amount: int
    currency: str
    status: str  # applied | proposed


@dataclass(frozen=True)
class AllocationView:
    """One of a credit note's allocations with the document it is set against."""

    id: int
    document_id: int
    document_label: str  # invoice INV-00001 | bill #7
    date: dt.date
    amount: int
    status: str  # applied | proposed


def credits_on_document(
    session: Session, actor: Actor, kind: str, document_id: int
) -> list[CreditApplied]:
    """The credit notes (``kind`` sales, against an invoice) or vendor credits (``purchase``,
    against a bill) allocated to one document, oldest first; rejected and deleted drafts' are
    gone, so what is listed is applied or still proposed."""
    spec = credit_kind(kind)
    actor.require(spec.read)
    company_id = actor.company_scope()
    rows = session.execute(
        select(CreditAllocation, CreditNote.number, CreditNote.status, CreditNote.currency)
        .join(CreditNote, CreditNote.id == CreditAllocation.credit_note_id)
        .where(
            CreditAllocation.company_id == company_id,
            spec.document_fk == document_id,
            CreditNote.kind == spec.kind,
            CreditNote.status.in_(("draft", "approved", "applied")),
        )
        .order_by(CreditAllocation.date, CreditAllocation.id)
    )
    return [
        CreditApplied(
            allocation.id,
            allocation.credit_note_id,
            number,
            status,
            allocation.date,
            allocation.amount,
            currency,
            allocation.status,
        )
        for allocation, number, status, currency in rows
    ]


def open_documents(
    session: Session,
    actor: Actor,
    kind: str,
    contact_id: int,
    currency: str,
    *,
    also: Collection[int] = (),
) -> list[Invoice | Expense]:
    """The contact's invoices (``kind`` sales) or bills (``purchase``) in ``currency`` that can
    take credit now (approved or partly paid, something still due), oldest first; ``also``
    adds these documents whatever their state or contact (the ones a credit note names, so a
    person sees why one is refused)."""
    spec = credit_kind(kind)
    actor.require(spec.read)
    company_id = actor.company_scope()
    model: Any = spec.document
    query = select(model).where(
        model.company_id == company_id,
        and_(
            model.contact_id == contact_id,
            model.currency == currency,
            model.status.in_(_OPEN),
        )
        | model.id.in_(list(also)),
    )
    if model is Expense:
        query = query.where(Expense.kind == "bill")
    date = Invoice.issue_date if model is Invoice else Expense.date
    found: list[Invoice | Expense] = list(session.scalars(query.order_by(date, model.id)))
    return [d for d in found if d.id in also or amount_due(d) > 0]


def allocation_views(session: Session, actor: Actor, note: CreditNote) -> list[AllocationView]:
    """A credit note's allocations (applied and proposed), each naming its invoice or bill."""
    spec = credit_kind(note.kind)
    actor.require(spec.read)
    ids = sorted({a.invoice_id or a.expense_id or 0 for a in note.allocations})
    model: Any = spec.document
    documents = {
        d.id: d
        for d in session.scalars(
            select(model).where(model.company_id == note.company_id, model.id.in_(ids))
        )
    }
    views = []
    for allocation in note.allocations:
        document_id = allocation.invoice_id or allocation.expense_id
        assert document_id is not None
        document = documents.get(document_id)
        label = document_label(document) if document is not None else f"#{document_id}"
        views.append(
            AllocationView(
                allocation.id,
                document_id,
                label,
                allocation.date,
                allocation.amount,
                allocation.status,
            )
        )
    return views
