"""Payments: money received against an invoice, or paid against a bill. Partial payments are
fine; paying more than is due is not.

Posting (source_type ``payment``): received → Dr the bank account's GL / Cr AR (contact);
made → Dr AP (contact) / Cr the bank account's GL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import InvalidState, NotFound, ValidationFailed
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.identity.permissions import Permission
from newledger.ledger._common import (
    amount_due,
    company_for,
    flush_versioned,
    for_update,
    load_account,
    load_bank_account,
    parse_date,
    parse_positive_amount,
    readable_row,
    require_poster,
    settled_status,
)
from newledger.ledger.chart import account_by_subtype
from newledger.ledger.models import BankAccount, Expense, Invoice, Payment
from newledger.ledger.posting import LineSpec, post_entry
from newledger.money import format_minor, validate_currency
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "PAYMENT_ORDERS",
    "CheckedPayment",
    "PaymentFilters",
    "check_payment",
    "document_label",
    "get_payment",
    "list_payments",
    "payment_dict",
    "record_payment",
]

_PAYABLE = ("approved", "partially_paid")


def _document(
    session: Session, company_id: int, invoice_id: int | None, expense_id: int | None, lock: bool
) -> Invoice | Expense:
    if (invoice_id is None) == (expense_id is None):
        raise ValidationFailed(
            "A payment applies to exactly one invoice or one bill",
            errors={"invoice_id": "give invoice_id or expense_id", "expense_id": "or this"},
        )
    query: Any = (
        select(Invoice).where(Invoice.company_id == company_id, Invoice.id == invoice_id)
        if invoice_id is not None
        else select(Expense).where(Expense.company_id == company_id, Expense.id == expense_id)
    )
    # Lock the document: two concurrent payments must not both see the old amount due.
    document: Invoice | Expense | None = session.scalar(
        for_update(session, query) if lock else query
    )
    if document is None:
        what = f"invoice {invoice_id}" if invoice_id is not None else f"bill {expense_id}"
        raise NotFound(f"Unknown {what}", code="unknown_document")
    return document


def document_label(document: Invoice | Expense) -> str:
    """``invoice INV-00001`` or ``bill #7``: how a payment names what it pays."""
    if isinstance(document, Invoice):
        return f"invoice {document.number}"
    return f"bill #{document.id}"


_PAID = {
    (True, True): EventType.INVOICE_PAID,
    (True, False): EventType.INVOICE_PARTIALLY_PAID,
    (False, True): EventType.EXPENSE_PAID,
    (False, False): EventType.EXPENSE_PARTIALLY_PAID,
}


@dataclass(frozen=True, slots=True)
class CheckedPayment:
    """A payment that may be recorded now: its document, bank account and parsed values."""

    document: Invoice | Expense
    label: str  # "invoice INV-00001" | "bill #7"
    bank: BankAccount
    amount: int  # minor units, more than zero and at most what is due
    currency: str
    day: dt.date

    @property
    def is_invoice(self) -> bool:
        return isinstance(self.document, Invoice)


def check_payment(
    session: Session,
    company_id: int,
    *,
    amount: Any,
    date: Any,
    bank_account_id: Any,
    invoice_id: int | None = None,
    expense_id: int | None = None,
    currency: str | None = None,
    lock: bool = True,
) -> CheckedPayment:
    """Every rule a payment must meet, without writing anything: what ``record_payment`` checks
    (under a lock on the document, ``lock``) and what a payment draft is checked against when it
    is proposed. See ``record_payment`` for the refusals."""
    document = _document(session, company_id, invoice_id, expense_id, lock)
    label = document_label(document)
    if isinstance(document, Expense) and document.kind != "bill":
        raise InvalidState(
            "This expense was paid when it was approved; payments apply to bills",
            code="not_a_bill",
        )
    if document.status not in _PAYABLE:
        why = {"paid": "already fully paid"}.get(document.status, f"{document.status}")
        raise InvalidState(
            f"Payments can only be recorded on approved documents; the {label} is {why}",
            code="not_payable",
        )
    cur = validate_currency(currency or document.currency)
    if cur != document.currency:
        raise ValidationFailed(
            f"The {label} is in {document.currency}, not {cur}",
            errors={"currency": f"must be {document.currency}"},
            code="currency_mismatch",
        )
    bank = load_bank_account(session, company_id, bank_account_id)
    if bank.currency != cur:
        raise ValidationFailed(
            f"Bank account {bank.name} holds {bank.currency}, not {cur}",
            errors={"bank_account_id": f"not a {cur} account"},
            code="currency_mismatch",
        )
    load_account(session, company_id, bank.account_id, field="bank_account_id")  # still active
    minor = parse_positive_amount(amount, cur, "amount")
    due = amount_due(document)
    if minor > due:
        raise ValidationFailed(
            f"The payment of {format_minor(minor, cur)} {cur} is more than the "
            f"{format_minor(due, cur)} {cur} due on the {label}",
            errors={"amount": f"at most {format_minor(due, cur)}"},
            code="overpayment",
        )
    day = parse_date(date, "date")
    if document.contact_id is None:
        raise InvalidState(f"The {label} has no contact", code="no_contact")
    return CheckedPayment(document, label, bank, minor, cur, day)


def record_payment(
    session: Session,
    actor: Actor,
    *,
    amount: str,
    date: dt.date | str,
    bank_account_id: int,
    invoice_id: int | None = None,
    expense_id: int | None = None,
    currency: str | None = None,
    reference: str = "",
    company_id: int | None = None,
) -> Payment:
    """Record a payment received for an invoice (``invoice_id``) or made for a bill
    (``expense_id`` of an expense with kind ``bill``), through ``bank_account_id`` (a
    ``BankAccount`` id). ``amount`` is a decimal string; ``currency`` defaults to the document's
    and must match it and the bank account's. Updates ``amount_paid`` and the status
    (partially_paid / paid) and posts cash against AR or AP.

    Refused: drafts, rejected and voided documents (``InvalidState``), expenses paid at once
    (kind ``expense``), and more than the amount due (``ValidationFailed`` code
    ``overpayment``). Needs ``ledger:post``.
    """
    require_poster(actor)
    company = company_for(session, actor, company_id)
    checked = check_payment(
        session,
        company.id,
        amount=amount,
        date=date,
        bank_account_id=bank_account_id,
        invoice_id=invoice_id,
        expense_id=expense_id,
        currency=currency,
    )
    document, label, bank = checked.document, checked.label, checked.bank
    minor, cur, day, is_invoice = checked.amount, checked.currency, checked.day, checked.is_invoice
    payment = Payment(
        company_id=company.id,
        direction="received" if is_invoice else "made",
        contact_id=document.contact_id,
        invoice_id=invoice_id,
        expense_id=expense_id,
        bank_account_id=bank.id,
        date=day,
        amount=minor,
        currency=cur,
        reference=(reference or "")[:100],
    )
    session.add(payment)
    session.flush()
    control = account_by_subtype(
        session, company.id, "accounts_receivable" if is_invoice else "accounts_payable"
    )
    sign = 1 if is_invoice else -1  # money in debits the bank; money out credits it
    entry = post_entry(
        session,
        company_id=company.id,
        date=day,
        lines=[
            LineSpec(bank.account_id, sign * minor, cur, document.contact_id, reference),
            LineSpec(control.id, -sign * minor, cur, document.contact_id, label),
        ],
        source_type="payment",
        source_id=payment.id,
        memo=f"Payment {'received for' if is_invoice else 'made on'} {label}",
        posted_by_user_id=actor.user_id,
    )
    payment.journal_entry_id = entry.id
    document.amount_paid += minor
    document.status = settled_status(document)
    document.version += 1
    flush_versioned(session, label)
    record(
        session,
        Event.PAYMENT_RECORDED,
        actor,
        subject_type="payment",
        subject_id=payment.id,
        details={
            "direction": payment.direction,
            "document": label,
            "amount": format_minor(minor, cur),
            "currency": cur,
            "status": document.status,
        },
    )
    emit(session, company.id, EventType.PAYMENT_RECORDED, payment.id)
    emit(session, company.id, _PAID[is_invoice, document.status == "paid"], document.id)
    return payment


def get_payment(
    session: Session, actor: Actor, payment_id: int, *, company_id: int | None = None
) -> Payment:
    """One payment. Needs ``payments:read``."""
    return readable_row(
        session, actor, Permission.PAYMENTS_READ, Payment, payment_id, company_id=company_id
    )


PAYMENT_ORDERS: dict[str, Order] = {
    "changed": Order(Payment.updated_at, Payment.id),
    "newest": Order(Payment.date, Payment.id, descending=True),
}


@dataclass(frozen=True, slots=True)
class PaymentFilters:
    direction: str | None = None  # received | made
    contact_id: int | None = None
    invoice_id: int | None = None
    expense_id: int | None = None
    credit_note_id: int | None = None
    bank_account_id: int | None = None


_LISTING = Listing(
    select(Payment),
    Payment.company_id == bindparam("company_id"),
    Payment.updated_at,
    {
        "direction": lambda v: Payment.direction == v,
        "contact_id": lambda v: Payment.contact_id == v,
        "invoice_id": lambda v: Payment.invoice_id == v,
        "expense_id": lambda v: Payment.expense_id == v,
        "credit_note_id": lambda v: Payment.credit_note_id == v,
        "bank_account_id": lambda v: Payment.bank_account_id == v,
    },
    PAYMENT_ORDERS,
    entities=True,
)


def list_payments(
    session: Session, actor: Actor, filters: PaymentFilters, page: PageRequest
) -> Page[Payment]:
    """One page of the company's payments. Needs ``payments:read``."""
    actor.require(Permission.PAYMENTS_READ)
    company_id = actor.company_scope()
    return _LISTING.page(session, company_id, filters, page)


def payment_dict(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "direction": payment.direction,
        "contact_id": payment.contact_id,
        "invoice_id": payment.invoice_id,
        "expense_id": payment.expense_id,
        "credit_note_id": payment.credit_note_id,
        "bank_account_id": payment.bank_account_id,
        "date": payment.date.isoformat(),
        "amount": format_minor(payment.amount, payment.currency),
        "currency": payment.currency,
        "reference": payment.reference,
        "journal_entry_id": payment.journal_entry_id,
    }
