"""Payment drafts: a payment against an invoice (received) or a bill (made), proposed by an app,
a connection or a person (``payments:draft``), waiting in the review queue.

A draft is checked like a payment when it is proposed (the document is approved and open, the
amount at most what is due, the bank account's currency the document's) but it touches nothing
else. Only a person holding ``ledger:post`` approves it, and approval records it through
``payments.record_payment``, which checks everything again against the document as it is then:
an invoice paid, voided or part-paid meanwhile is a clear refusal and nothing is written.
Rejection keeps the reason for whoever proposed it.

Several open drafts may name one document; each was at most what was open when proposed, and
approving one that no longer fits is refused (``overpayment``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import InvalidState
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.identity.permissions import Permission
from newledger.ledger._common import (
    check_version,
    company_for,
    company_row,
    flush_versioned,
    readable_row,
    require_poster,
    source_fields,
)
from newledger.ledger._lifecycle import mark_proposal_approved, mark_rejected
from newledger.ledger.models import Expense, Invoice, PaymentDraft
from newledger.ledger.payments import check_payment, document_label, record_payment
from newledger.money import format_minor
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "PAYMENT_DRAFT_ORDERS",
    "PaymentDraftFilters",
    "approve_payment_draft",
    "create_payment_draft",
    "delete_payment_draft",
    "get_payment_draft",
    "list_payment_drafts",
    "payment_draft_dict",
    "payment_draft_document",
    "payment_draft_version",
    "reject_payment_draft",
]

WHAT = "payment draft"


def create_payment_draft(
    session: Session,
    actor: Actor,
    *,
    amount: str,
    date: Any,
    bank_account_id: int,
    invoice_id: int | None = None,
    expense_id: int | None = None,
    reference: str = "",
    company_id: int | None = None,
) -> PaymentDraft:
    """Propose a payment of ``amount`` (a decimal string in the document's currency, partial
    allowed) for ``invoice_id`` or the bill ``expense_id``, through ``bank_account_id`` (a
    ``BankAccount`` id). Refused as ``record_payment`` would refuse it now (``overpayment``,
    ``not_payable``, ``currency_mismatch``…). Needs ``payments:draft``."""
    actor.require(Permission.PAYMENTS_DRAFT)
    company = company_for(session, actor, company_id)
    checked = check_payment(
        session,
        company.id,
        amount=amount,
        date=date,
        bank_account_id=bank_account_id,
        invoice_id=invoice_id,
        expense_id=expense_id,
        lock=False,  # nothing of the document changes until approval, which locks it
    )
    draft = PaymentDraft(
        company_id=company.id,
        direction="received" if checked.is_invoice else "made",
        invoice_id=invoice_id,
        expense_id=expense_id,
        bank_account_id=checked.bank.id,
        date=checked.day,
        amount=checked.amount,
        currency=checked.currency,
        reference=(reference or "")[:100],
        status="draft",
        version=1,
        rejected_reason="",
        created_by_user_id=actor.user_id,
        **source_fields(actor),
    )
    session.add(draft)
    session.flush()
    record(
        session,
        Event.PAYMENT_DRAFT_CREATED,
        actor,
        subject_type="payment_draft",
        subject_id=draft.id,
        details={
            "document": checked.label,
            "amount": format_minor(draft.amount, draft.currency),
            "currency": draft.currency,
            "source": draft.source,
        },
    )
    emit(session, company.id, EventType.PAYMENT_DRAFT_CREATED, draft.id)
    return draft


def _load(session: Session, company_id: int, draft_id: int) -> PaymentDraft:
    return company_row(session, PaymentDraft, company_id, draft_id, lock=True)


def _require_open(draft: PaymentDraft) -> None:
    if draft.status != "draft":
        raise InvalidState(
            f"Payment draft {draft.id} is {draft.status}, not awaiting review",
            code="not_a_draft",
        )


def _label(session: Session, draft: PaymentDraft) -> str:
    return document_label(payment_draft_document(session, draft))


def delete_payment_draft(
    session: Session,
    actor: Actor,
    draft_id: int,
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> None:
    """Withdraw a proposal still awaiting review. Needs ``payments:draft``."""
    actor.require(Permission.PAYMENTS_DRAFT)
    company = company_for(session, actor, company_id)
    draft = _load(session, company.id, draft_id)
    _require_open(draft)
    check_version(draft, expected_version)
    record(
        session,
        Event.PAYMENT_DRAFT_DELETED,
        actor,
        subject_type="payment_draft",
        subject_id=draft.id,
        details={
            "document": _label(session, draft),
            "amount": format_minor(draft.amount, draft.currency),
        },
    )
    session.delete(draft)
    flush_versioned(session, WHAT)
    emit(session, company.id, EventType.PAYMENT_DRAFT_DELETED, draft_id)


def approve_payment_draft(
    session: Session,
    actor: Actor,
    draft_id: int,
    *,
    expected_version: int | None = None,
    company_id: int | None = None,
) -> PaymentDraft:
    """Record the proposed payment (``record_payment``: the invoice or bill becomes partially
    paid or paid) and mark the draft approved, in one unit of work: a refusal of the payment
    leaves the draft open and nothing written. Needs ``ledger:post`` (a person)."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    draft = _load(session, company.id, draft_id)
    _require_open(draft)
    check_version(draft, expected_version)
    payment = record_payment(
        session,
        actor,
        amount=format_minor(draft.amount, draft.currency),
        date=draft.date,
        bank_account_id=draft.bank_account_id,
        invoice_id=draft.invoice_id,
        expense_id=draft.expense_id,
        currency=draft.currency,
        reference=draft.reference,
        company_id=company.id,
    )
    draft.payment_id = payment.id
    mark_proposal_approved(draft, actor)
    flush_versioned(session, WHAT)
    record(
        session,
        Event.PAYMENT_DRAFT_APPROVED,
        actor,
        subject_type="payment_draft",
        subject_id=draft.id,
        details={
            "document": _label(session, draft),
            "amount": format_minor(draft.amount, draft.currency),
            "payment_id": payment.id,
            "source": draft.source,
        },
    )
    emit(session, company.id, EventType.PAYMENT_DRAFT_APPROVED, draft.id)
    return draft


def reject_payment_draft(
    session: Session, actor: Actor, draft_id: int, *, reason: str, company_id: int | None = None
) -> PaymentDraft:
    """Reject a proposal, with a reason kept for whoever made it. Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    draft = _load(session, company.id, draft_id)
    reason = mark_rejected(draft, reason, WHAT)
    flush_versioned(session, WHAT)
    record(
        session,
        Event.PAYMENT_DRAFT_REJECTED,
        actor,
        subject_type="payment_draft",
        subject_id=draft.id,
        details={"document": _label(session, draft), "reason": reason[:200]},
    )
    emit(session, company.id, EventType.PAYMENT_DRAFT_REJECTED, draft.id)
    return draft


def get_payment_draft(
    session: Session, actor: Actor, draft_id: int, *, company_id: int | None = None
) -> PaymentDraft:
    """One payment draft. Needs ``payments:read``."""
    return readable_row(
        session, actor, Permission.PAYMENTS_READ, PaymentDraft, draft_id, company_id=company_id
    )


def payment_draft_version(
    session: Session, actor: Actor, draft_id: int, *, company_id: int | None = None
) -> int | None:
    """The stored version of one of the company's payment drafts (``None``: no such draft),
    which a delete compares with ``If-Match``. Needs ``payments:draft``."""
    actor.require(Permission.PAYMENTS_DRAFT)
    return session.scalar(
        select(PaymentDraft.version).where(
            PaymentDraft.company_id == actor.company_scope(company_id), PaymentDraft.id == draft_id
        )
    )


def payment_draft_document(session: Session, draft: PaymentDraft) -> Invoice | Expense:
    """The invoice or bill a draft pays (same company, by construction)."""
    document: Invoice | Expense | None = (
        session.get(Invoice, draft.invoice_id)
        if draft.invoice_id is not None
        else session.get(Expense, draft.expense_id)
    )
    assert document is not None and document.company_id == draft.company_id
    return document


PAYMENT_DRAFT_ORDERS: dict[str, Order] = {
    "changed": Order(PaymentDraft.updated_at, PaymentDraft.id),
    "newest": Order(PaymentDraft.created_at, PaymentDraft.id, descending=True),
}


@dataclass(frozen=True, slots=True)
class PaymentDraftFilters:
    status: str | None = None  # draft | approved | rejected
    invoice_id: int | None = None
    expense_id: int | None = None


_LISTING = Listing(
    select(PaymentDraft),
    PaymentDraft.company_id == bindparam("company_id"),
    PaymentDraft.updated_at,
    {
        "status": lambda v: PaymentDraft.status == v,
        "invoice_id": lambda v: PaymentDraft.invoice_id == v,
        "expense_id": lambda v: PaymentDraft.expense_id == v,
    },
    PAYMENT_DRAFT_ORDERS,
    entities=True,
)


def list_payment_drafts(
    session: Session, actor: Actor, filters: PaymentDraftFilters, page: PageRequest
) -> Page[PaymentDraft]:
    """One page of the company's payment drafts, open and decided. Needs ``payments:read``."""
    actor.require(Permission.PAYMENTS_READ)
    return _LISTING.page(session, actor.company_scope(), filters, page)


def payment_draft_dict(draft: PaymentDraft) -> dict[str, Any]:
    return {
        "id": draft.id,
        "direction": draft.direction,
        "invoice_id": draft.invoice_id,
        "expense_id": draft.expense_id,
        "bank_account_id": draft.bank_account_id,
        "date": draft.date.isoformat(),
        "amount": format_minor(draft.amount, draft.currency),
        "currency": draft.currency,
        "reference": draft.reference,
        "status": draft.status,
        "version": draft.version,
        "source": draft.source,
        "source_label": draft.source_label,
        "rejected_reason": draft.rejected_reason,
        "payment_id": draft.payment_id,
        "created_at": draft.created_at.isoformat(),
        "updated_at": draft.updated_at.isoformat(),
    }
