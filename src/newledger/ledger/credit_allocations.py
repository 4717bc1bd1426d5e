"""Using a credit note: allocating it to open invoices or bills of its contact, taking an
allocation back, and refunding what is left as a payment.

An allocation moves nothing in the ledger (the credit note's posting already took the
contact's receivable or payable down); it moves what is due: the document's
``amount_credited`` and the credit note's ``amount_allocated`` grow by the same amount, under
locks on both. A refund is a payment: sales, Dr AR (the customer) / Cr the bank; purchase,
Dr the bank / Cr AP (the vendor).

Allocating, taking back and refunding are a person's acts (``ledger:post``); an app proposes
allocations on a draft credit note, which its approval applies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import InvalidState, NotFound, ValidationFailed
from newledger.events.catalogue import EventType
from newledger.events.changes import emit
from newledger.ledger._common import (
    amount_due,
    company_for,
    company_row,
    flush_versioned,
    for_update,
    load_account,
    load_bank_account,
    parse_date,
    parse_positive_amount,
    require_poster,
    settled_status,
)
from newledger.ledger.chart import account_by_subtype
from newledger.ledger.credit_kinds import CreditKind, credit_kind
from newledger.ledger.models import CreditAllocation, CreditNote, Expense, Invoice, Payment
from newledger.ledger.posting import LineSpec, post_entry
from newledger.money import format_minor

__all__ = [
    "allocate_credit_note",
    "apply_proposed",
    "check_proposed",
    "proposal_input",
    "refund_credit_note",
    "remove_allocation",
]

_OPEN = ("approved", "partially_paid")
Document = Invoice | Expense


def _document_label(document: Document) -> str:
    if isinstance(document, Invoice):
        return f"invoice {document.number}"
    return f"bill #{document.id}"


def _document_date(document: Document) -> dt.date:
    return document.issue_date if isinstance(document, Invoice) else document.date


def _load_document(
    session: Session, company_id: int, spec: CreditKind, document_id: Any, field: str, lock: bool
) -> Document:
    if not isinstance(document_id, int) or isinstance(document_id, bool):
        raise ValidationFailed(f"{field} must be an integer", errors={field: "required"})
    model = spec.document
    query: Any = select(model).where(model.company_id == company_id, model.id == document_id)
    document: Document | None = session.scalar(for_update(session, query) if lock else query)
    if document is None or (isinstance(document, Expense) and document.kind != "bill"):
        raise NotFound(
            f"Unknown {spec.document_noun} {document_id}", code=f"unknown_{spec.document_noun}"
        )
    return document


def _check(
    spec: CreditKind,
    document: Document,
    contact_id: int,
    currency: str,
    amount: int,
    field: str,
    document_field: str | None = None,
) -> None:
    """The rules every allocation meets: the credit's contact and currency, an open document,
    and no more than is due on it. A refusal about the document names ``document_field``
    (default ``field``, which names the amount)."""
    document_field = document_field or field
    label = _document_label(document)
    if document.contact_id != contact_id:
        raise ValidationFailed(
            f"The {label} is another contact's; a {spec.noun} applies to its own contact's "
            f"{spec.document_noun}s",
            errors={document_field: "another contact's"},
            code="contact_mismatch",
        )
    if document.currency != currency:
        raise ValidationFailed(
            f"The {label} is in {document.currency}, not {currency}",
            errors={document_field: f"not in {currency}"},
            code="currency_mismatch",
        )
    if document.status not in _OPEN:
        raise InvalidState(
            f"Only approved, unpaid {spec.document_noun}s take credit; the {label} is "
            f"{document.status}",
            code="not_open",
        )
    due = amount_due(document)
    if amount > due:
        raise ValidationFailed(
            f"{format_minor(amount, currency)} {currency} is more than the "
            f"{format_minor(due, currency)} {currency} due on the {label}",
            errors={field: f"at most {format_minor(due, currency)}"},
            code="over_allocation",
        )


def _allocation_date(value: Any, note_date: dt.date, document: Document, field: str) -> dt.date:
    """When an allocation counts: as given, or the later of the two documents' dates; never
    before either."""
    earliest = max(note_date, _document_date(document))
    if value is None or value == "":
        return earliest
    day = parse_date(value, field)
    if day < earliest:
        raise ValidationFailed(
            f"An allocation cannot be dated before the documents it joins ({earliest})",
            errors={field: f"on or after {earliest.isoformat()}"},
        )
    return day


def check_proposed(
    session: Session,
    company_id: int,
    spec: CreditKind,
    contact_id: int,
    currency: str,
    total: int,
    day: dt.date,
    raw: Any,
) -> list[dict[str, Any]]:
    """Check a draft's ``allocations`` (``[{"invoice_id" | "expense_id", "amount", "date"?}]``)
    against the documents as they stand; returns ``CreditAllocation`` keyword dicts (status
    ``proposed``). Together they may not pass the credit note's total."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationFailed("allocations must be a list", errors={"allocations": "not a list"})
    key = spec.document_fk.key
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValidationFailed(
                f"Allocation {i + 1} is not an object", errors={f"allocations[{i}]": "?"}
            )
        field = f"allocations[{i}].{key}"
        document = _load_document(session, company_id, spec, item.get(key), field, lock=False)
        if document.id in seen:
            raise ValidationFailed(
                f"The {spec.document_noun} {document.id} is named twice",
                errors={field: "named twice"},
            )
        seen.add(document.id)
        amount = parse_positive_amount(item.get("amount"), currency, f"allocations[{i}].amount")
        _check(spec, document, contact_id, currency, amount, f"allocations[{i}].amount", field)
        out.append(
            {
                "company_id": company_id,
                key: document.id,
                "amount": amount,
                "date": _allocation_date(item.get("date"), day, document, f"allocations[{i}].date"),
                "status": "proposed",
            }
        )
    allocated = sum(a["amount"] for a in out)
    if allocated > total:
        raise ValidationFailed(
            f"The allocations ({format_minor(allocated, currency)} {currency}) pass the "
            f"{spec.noun}'s total ({format_minor(total, currency)} {currency})",
            errors={"allocations": "more than the total"},
            code="over_allocation",
        )
    return out


def proposal_input(allocation: CreditAllocation, currency: str) -> dict[str, Any]:
    """A proposed allocation as a draft edit sends it back. Its date is left to follow the
    credit note's (an edit may move the credit note's date past a date chosen before)."""
    key = "invoice_id" if allocation.invoice_id is not None else "expense_id"
    return {
        key: allocation.invoice_id if allocation.invoice_id is not None else allocation.expense_id,
        "amount": format_minor(allocation.amount, currency),
    }


def _restate(note: CreditNote) -> None:
    """After its allocated or refunded amount changed: applied when nothing is left, else
    approved; a new version either way."""
    note.status = "applied" if note.remaining == 0 else "approved"
    note.version += 1


def _apply(
    session: Session, spec: CreditKind, note: CreditNote, document: Document, amount: int
) -> None:
    """Move ``amount`` of ``note`` onto ``document`` (both locked, both checked)."""
    document.amount_credited += amount
    document.status = settled_status(document)
    document.version += 1
    note.amount_allocated += amount
    _restate(note)
    flush_versioned(session, spec.document_noun)
    emit(session, note.company_id, spec.credited, document.id)
    if document.status == "paid":
        paid = EventType.INVOICE_PAID if isinstance(document, Invoice) else EventType.EXPENSE_PAID
        emit(session, note.company_id, paid, document.id)


def apply_proposed(session: Session, actor: Actor, spec: CreditKind, note: CreditNote) -> int:
    """Apply a just-approved credit note's proposed allocations, each checked again against
    its document under a lock; returns the amount applied."""
    applied = 0
    for i, allocation in enumerate(a for a in note.allocations if a.status == "proposed"):
        document_id = allocation.invoice_id or allocation.expense_id
        field = f"allocations[{i}].{spec.document_fk.key}"
        document = _load_document(session, note.company_id, spec, document_id, field, lock=True)
        _check(spec, document, note.contact_id, note.currency, allocation.amount, field)
        allocation.status = "applied"
        _apply(session, spec, note, document, allocation.amount)
        applied += allocation.amount
    if note.allocations:
        emit(session, note.company_id, spec.events["allocated"], note.id)
    return applied


def _load_note(session: Session, company_id: int, spec: CreditKind, note_id: Any) -> CreditNote:
    note = company_row(session, CreditNote, company_id, note_id, lock=True)
    if note.kind != spec.kind:
        raise NotFound(f"Unknown {spec.noun} {note_id}", code=f"unknown_{spec.resource}")
    if note.status != "approved":
        why = "fully used" if note.status == "applied" else note.status
        raise InvalidState(
            f"Only approved {spec.noun}s with something left can be used; {note.number} is {why}",
            code="not_available",
        )
    return note


def _check_amount_left(spec: CreditKind, note: CreditNote, amount: int, field: str) -> None:
    if amount > note.remaining:
        cur = note.currency
        raise ValidationFailed(
            f"{format_minor(amount, cur)} {cur} is more than the "
            f"{format_minor(note.remaining, cur)} {cur} left on {note.number}",
            errors={field: f"at most {format_minor(note.remaining, cur)}"},
            code="over_allocation",
        )


def allocate_credit_note(
    session: Session,
    actor: Actor,
    kind: str,
    note_id: int,
    *,
    document_id: int,
    amount: str,
    date: dt.date | str | None = None,
    company_id: int | None = None,
) -> CreditAllocation:
    """Apply ``amount`` of an approved credit note to one open invoice (sales) or bill
    (purchase) of its contact, dated ``date`` (default: the later of the two documents' dates).
    Refused: more than is left on the credit or due on the document, another contact's or
    currency's document, a document that is not open. Needs ``ledger:post``."""
    spec = credit_kind(kind)
    require_poster(actor)
    company = company_for(session, actor, company_id)
    note = _load_note(session, company.id, spec, note_id)
    field = spec.document_fk.key
    document = _load_document(session, company.id, spec, document_id, field, lock=True)
    minor = parse_positive_amount(amount, note.currency, "amount")
    _check_amount_left(spec, note, minor, "amount")
    _check(spec, document, note.contact_id, note.currency, minor, "amount")
    allocation = CreditAllocation(
        company_id=company.id,
        amount=minor,
        date=_allocation_date(date, note.date, document, "date"),
        status="applied",
        created_by_user_id=actor.user_id,
        **{field: document.id},
    )
    note.allocations.append(allocation)
    _apply(session, spec, note, document, minor)
    record(
        session,
        Event.CREDIT_NOTE_ALLOCATED,
        actor,
        subject_type="credit_note",
        subject_id=note.id,
        details={
            "number": note.number,
            "document": _document_label(document),
            "amount": format_minor(minor, note.currency),
            "currency": note.currency,
        },
    )
    emit(session, company.id, spec.events["allocated"], note.id)
    return allocation


def remove_allocation(
    session: Session,
    actor: Actor,
    kind: str,
    allocation_id: int,
    *,
    company_id: int | None = None,
) -> CreditNote:
    """Take an applied allocation back: the document owes that much again and the credit note
    has it to use again. Needs ``ledger:post``."""
    spec = credit_kind(kind)
    require_poster(actor)
    company = company_for(session, actor, company_id)
    allocation = company_row(session, CreditAllocation, company.id, allocation_id, lock=True)
    note = company_row(session, CreditNote, company.id, allocation.credit_note_id, lock=True)
    if note.kind != spec.kind or allocation.status != "applied":
        raise NotFound(f"Unknown credit allocation {allocation_id}", code="unknown_allocation")
    document_id = allocation.invoice_id or allocation.expense_id
    document = _load_document(session, company.id, spec, document_id, "allocation", lock=True)
    document.amount_credited -= allocation.amount
    document.status = settled_status(document)
    document.version += 1
    note.amount_allocated -= allocation.amount
    _restate(note)
    note.allocations.remove(allocation)
    flush_versioned(session, spec.noun)
    record(
        session,
        Event.CREDIT_NOTE_UNALLOCATED,
        actor,
        subject_type="credit_note",
        subject_id=note.id,
        details={
            "number": note.number,
            "document": _document_label(document),
            "amount": format_minor(allocation.amount, note.currency),
            "currency": note.currency,
        },
    )
    emit(session, company.id, spec.credited, document.id)
    emit(session, company.id, spec.events["allocated"], note.id)
    return note


def refund_credit_note(
    session: Session,
    actor: Actor,
    kind: str,
    note_id: int,
    *,
    amount: str,
    date: dt.date | str,
    bank_account_id: int,
    reference: str = "",
    company_id: int | None = None,
) -> Payment:
    """Refund part or all of what is left on an approved credit note through a bank account:
    money paid back to the customer (sales) or received back from the vendor (purchase), as a
    payment naming the credit note. Needs ``ledger:post``."""
    spec = credit_kind(kind)
    require_poster(actor)
    company = company_for(session, actor, company_id)
    note = _load_note(session, company.id, spec, note_id)
    cur = note.currency
    minor = parse_positive_amount(amount, cur, "amount")
    _check_amount_left(spec, note, minor, "amount")
    day = parse_date(date, "date")
    if day < note.date:
        raise ValidationFailed(
            f"A refund cannot be dated before the {spec.noun} ({note.date})",
            errors={"date": f"on or after {note.date.isoformat()}"},
        )
    bank = load_bank_account(session, company.id, bank_account_id)
    if bank.currency != cur:
        raise ValidationFailed(
            f"Bank account {bank.name} holds {bank.currency}, not {cur}",
            errors={"bank_account_id": f"not a {cur} account"},
            code="currency_mismatch",
        )
    load_account(session, company.id, bank.account_id, field="bank_account_id")
    sales = spec.kind == "sales"
    payment = Payment(
        company_id=company.id,
        direction="made" if sales else "received",
        contact_id=note.contact_id,
        credit_note_id=note.id,
        bank_account_id=bank.id,
        date=day,
        amount=minor,
        currency=cur,
        reference=(reference or "")[:100],
    )
    session.add(payment)
    session.flush()
    control = account_by_subtype(session, company.id, spec.control)
    sign = -1 if sales else 1  # money out credits the bank; money in debits it
    entry = post_entry(
        session,
        company_id=company.id,
        date=day,
        lines=[
            LineSpec(bank.account_id, sign * minor, cur, note.contact_id, reference),
            LineSpec(control.id, -sign * minor, cur, note.contact_id, note.number),
        ],
        source_type="payment",
        source_id=payment.id,
        memo=f"Refund of {spec.noun} {note.number}",
        posted_by_user_id=actor.user_id,
    )
    payment.journal_entry_id = entry.id
    note.amount_refunded += minor
    _restate(note)
    flush_versioned(session, spec.noun)
    record(
        session,
        Event.CREDIT_NOTE_REFUNDED,
        actor,
        subject_type="credit_note",
        subject_id=note.id,
        details={
            "number": note.number,
            "amount": format_minor(minor, cur),
            "currency": cur,
            "payment_id": payment.id,
        },
    )
    emit(session, company.id, EventType.PAYMENT_RECORDED, payment.id)
    emit(session, company.id, spec.events["refunded"], note.id)
    return payment
