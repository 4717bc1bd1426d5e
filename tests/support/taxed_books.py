"""Taxed books for the property tests, built through the services, one operation at a time.

``apply_operation`` runs one operation (drawn by ``tests.support.taxed_operations``) on a
``Taxed`` company: a taxed invoice, bill or expense (exclusive or inclusive, some lines from an
item), the rounding rule, a payment, a later-dated void, tax paid to the authority, a credit
note or vendor credit (taxed lines, a proposed allocation applied on approval, or left as a
draft for review later), an allocation made later (or a cent too much, which must be refused),
an allocation taken back, a refund, and a credit note's void (refused while any of it is used).
Operations that find nothing to act on do nothing; those that must be refused are checked to
be refused, with nothing changed. Every date stays within ``END``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import currently_in_test_context, event
from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.errors import InvalidState, ValidationFailed
from newledger.ledger import expenses, invoices
from newledger.ledger.credit_allocations import (
    allocate_credit_note,
    refund_credit_note,
    remove_allocation,
)
from newledger.ledger.credit_notes import (
    approve_credit_note,
    create_draft_credit_note,
    reject_credit_note,
    update_draft_credit_note,
    void_credit_note,
)
from newledger.ledger.items import create_item
from newledger.ledger.journal import create_manual_entry
from newledger.ledger.models import CreditAllocation, CreditNote, Expense, Invoice, TaxRate
from newledger.ledger.payments import record_payment
from newledger.ledger.tax_rates import create_tax_rate, set_tax_rounding
from newledger.money import format_minor
from tests.support.books import Books

__all__ = ["END", "START", "Taxed", "apply_operation", "usd"]

START = dt.date(2026, 1, 1)
# Documents fall on days 0-120 and everything done to them (payments, allocations, refunds,
# voids) up to 120 days after them; the whole period covers all of it.
END = START + dt.timedelta(days=250)


def usd(minor: int) -> str:
    return format_minor(minor, "USD")


class Taxed:
    """A company's books with four tax rates and two items: a service sold (income, state
    sales tax) and a part bought (expense, a rate of both sides)."""

    def __init__(self, session: Session, books: Books) -> None:
        a = books.actor
        self.books = books
        self.rates = {
            "state": create_tax_rate(session, a, name="State 7.25%", rate="7.25").id,
            "both": create_tax_rate(session, a, name="GST 2.5%", rate="2.5", kind="both").id,
            "zero": create_tax_rate(session, a, name="Zero rated", rate="0").id,
            "vat": create_tax_rate(session, a, name="VAT 19%", rate="19", kind="purchase").id,
        }
        self.service = create_item(
            session,
            a,
            code="SVC",
            name="Service",
            unit_price="33.33",
            income_account_id=books.acct("4100"),
            tax_rate_id=self.rates["state"],
        ).id
        self.part = create_item(
            session,
            a,
            code="PART",
            name="Spare part",
            unit_price="12.34",
            expense_account_id=books.acct("6500"),
            tax_rate_id=self.rates["both"],
        ).id

    def sale_line(self, cents: int, rate: str) -> dict[str, Any]:
        """An invoice or credit note line."""
        if rate == "item":
            return {"item_id": self.service, "quantity": "2"}
        return {"unit_price": usd(cents), "tax_rate_id": self.rates.get(rate)}

    def buy_line(self, cents: int, rate: str, price: str) -> dict[str, Any]:
        """An expense line (``price`` "amount") or a vendor credit line ("unit_price")."""
        if rate == "item":
            return (
                {"item_id": self.part, "quantity": "3"}
                if price == "unit_price"
                else {"item_id": self.part}
            )
        return {
            price: usd(cents),
            "account_id": self.books.acct("6500"),
            "tax_rate_id": self.rates.get(rate),
        }


def _event(name: str) -> None:
    """Count what a sequence did, for ``--hypothesis-show-statistics`` (also usable outside
    a Hypothesis test, as the scene is)."""
    if currently_in_test_context():
        event(name)


def _on(d: int) -> dt.date:
    return START + dt.timedelta(days=d)


def _dated(document: Invoice | Expense | CreditNote) -> dt.date:
    return document.issue_date if isinstance(document, Invoice) else document.date


def _open_documents(session: Session, books: Books, kind: str) -> list[Invoice] | list[Expense]:
    """Approved invoices (sales) or bills (purchase) with something still due, oldest first."""
    if kind == "sales":
        return list(
            session.scalars(
                select(Invoice)
                .where(
                    Invoice.company_id == books.company_id,
                    Invoice.status.in_(("approved", "partially_paid")),
                )
                .order_by(Invoice.id)
            )
        )
    return list(
        session.scalars(
            select(Expense)
            .where(
                Expense.company_id == books.company_id,
                Expense.kind == "bill",
                Expense.status.in_(("approved", "partially_paid")),
            )
            .order_by(Expense.id)
        )
    )


def _pick_note(session: Session, books: Books, idx: int, *statuses: str) -> CreditNote | None:
    """One of the company's credit notes and vendor credits in ``statuses`` (None: none)."""
    notes = list(
        session.scalars(
            select(CreditNote)
            .where(CreditNote.company_id == books.company_id, CreditNote.status.in_(statuses))
            .order_by(CreditNote.id)
        )
    )
    return notes[idx % len(notes)] if notes else None


def _due(document: Invoice | Expense) -> int:
    return document.total - document.amount_paid - document.amount_credited


def apply_operation(session: Session, taxed: Taxed, op: tuple[Any, ...]) -> None:
    """Run one operation drawn from ``OPERATIONS``."""
    books, a = taxed.books, taxed.books.actor
    kind = op[0]
    _event(kind)
    if kind == "taxed_invoice":
        _, lines, tax_mode, d = op
        inv = invoices.create_draft_invoice(
            session,
            a,
            contact_id=books.customer.id,
            issue_date=_on(d),
            tax_mode=tax_mode,
            lines=[taxed.sale_line(c, rate) for c, rate in lines],
        )
        invoices.approve_invoice(session, a, inv.id)
    elif kind == "taxed_expense":
        _, doc_kind, lines, tax_mode, d = op
        exp = expenses.create_draft_expense(
            session,
            a,
            kind=doc_kind,
            contact_id=books.vendor.id if doc_kind == "bill" else None,
            date=_on(d),
            tax_mode=tax_mode,
            lines=[taxed.buy_line(c, rate, "amount") for c, rate in lines],
        )
        expenses.approve_expense(session, a, exp.id)
    elif kind == "rounding":
        set_tax_rounding(session, a, op[1])
    elif kind == "pay":
        _pay(session, taxed, op)
    elif kind == "void_later":
        _void_document(session, taxed, op)
    elif kind == "tax_paid":
        _, c, d = op
        state = session.get(TaxRate, taxed.rates["state"])
        assert state is not None
        create_manual_entry(
            session,
            a,
            date=_on(d),
            lines=[
                {"account_id": state.account_id, "debit": usd(c)},
                {"account_id": books.acct("1000"), "credit": usd(c)},
            ],
        )
    elif kind == "credit_note":
        _credit_note_op(session, taxed, op)
    elif kind == "review":
        _review(session, taxed, op)
    elif kind == "allocate":
        _allocate(session, taxed, op)
    elif kind == "unallocate":
        _, idx = op
        applied = session.execute(
            select(CreditAllocation.id, CreditNote.kind)
            .join(CreditNote, CreditNote.id == CreditAllocation.credit_note_id)
            .where(CreditNote.company_id == books.company_id, CreditAllocation.status == "applied")
            .order_by(CreditAllocation.id)
        ).all()
        if applied:
            allocation_id, note_kind = applied[idx % len(applied)]
            remove_allocation(session, a, note_kind, allocation_id)
            _event("unallocate: done")
    elif kind == "refund":
        _, idx, pct, after = op
        note = _pick_note(session, books, idx, "approved")
        if note is not None:
            refund_credit_note(
                session,
                a,
                note.kind,
                note.id,
                amount=usd(max(1, note.remaining * pct // 100)),
                date=note.date + dt.timedelta(days=after),
                bank_account_id=books.checking.id,
            )
            _event("refund: done")
    elif kind == "void_credit":
        _void_credit(session, taxed, op)
    else:  # pragma: no cover - the strategy draws only the kinds above
        raise AssertionError(kind)


def _pay(session: Session, taxed: Taxed, op: tuple[Any, ...]) -> None:
    _, doc_side, idx, pct, after = op
    documents = _open_documents(session, taxed.books, doc_side)
    if not documents:
        return
    doc = documents[idx % len(documents)]
    key = "invoice_id" if isinstance(doc, Invoice) else "expense_id"
    # Paid on or after its date, so aging at any date sees what the ledger saw.
    when = _dated(doc) + dt.timedelta(days=after)
    pay = {"bank_account_id": taxed.books.checking.id, "date": when, key: doc.id}
    if pct == -1:
        with pytest.raises(ValidationFailed) as refused:
            record_payment(session, taxed.books.actor, amount=usd(_due(doc) + 1), **pay)
        assert refused.value.code == "overpayment"
        return
    record_payment(session, taxed.books.actor, amount=usd(max(1, _due(doc) * pct // 100)), **pay)


def _void_document(session: Session, taxed: Taxed, op: tuple[Any, ...]) -> None:
    """Void an invoice or bill/expense on a later date; one with credit applied is refused."""
    _, doc_side, idx, after = op
    model: type[Invoice] | type[Expense] = Invoice if doc_side == "sales" else Expense
    docs = [
        doc
        for doc in session.scalars(
            select(model)
            .where(
                model.company_id == taxed.books.company_id,
                model.status.in_(("approved", "partially_paid", "paid")),
            )
            .order_by(model.id)
        )
        if doc.amount_paid == 0 or (isinstance(doc, Expense) and doc.kind == "expense")
    ]
    if not docs:
        return
    doc = docs[idx % len(docs)]
    on = _dated(doc) + dt.timedelta(days=after)
    void = invoices.void_invoice if isinstance(doc, Invoice) else expenses.void_expense
    if doc.amount_credited:
        with pytest.raises(InvalidState) as refused:
            void(session, taxed.books.actor, doc.id, date=on, reason="property")
        assert refused.value.code == "has_credits"
        _event("void document: refused, credited")
        return
    void(session, taxed.books.actor, doc.id, date=on, reason="property")


def _credit_note_op(session: Session, taxed: Taxed, op: tuple[Any, ...]) -> None:
    """A credit note with taxed lines and, when ``pct``, a proposed allocation of that share
    of what it may take from its contact's oldest open document; approved now or left for
    review."""
    _, note_kind, lines, tax_mode, d, pct, approve = op
    books = taxed.books
    sales = note_kind == "sales"
    note = create_draft_credit_note(
        session,
        books.actor,
        kind=note_kind,
        contact_id=books.customer.id if sales else books.vendor.id,
        date=_on(d),
        tax_mode=tax_mode,
        lines=[
            taxed.sale_line(c, rate) if sales else taxed.buy_line(c, rate, "unit_price")
            for c, rate in lines
        ],
    )
    documents = _open_documents(session, books, note_kind)
    if pct and documents:
        doc = documents[0]
        amount = max(1, min(_due(doc), note.total) * pct // 100)
        key = "invoice_id" if sales else "expense_id"
        changes = {"allocations": [{key: doc.id, "amount": usd(amount)}]}
        update_draft_credit_note(session, books.actor, note_kind, note.id, changes)
        _event("credit note: proposed allocation")
    if approve:
        approve_credit_note(session, books.actor, note_kind, note.id)


def _review(session: Session, taxed: Taxed, op: tuple[Any, ...]) -> None:
    """Approve or reject a draft left earlier. Its proposals were checked when proposed; the
    documents may have been paid or voided since, and then approval is refused whole: no entry,
    no allocation, the draft as it was."""
    _, idx, verdict = op
    note = _pick_note(session, taxed.books, idx, "draft")
    if note is None:
        return
    note_kind, a = note.kind, taxed.books.actor
    if verdict == "reject":
        reject_credit_note(session, a, note_kind, note.id, reason="property")
        _event("review: rejected")
        return
    try:
        with session.begin_nested():
            approve_credit_note(session, a, note_kind, note.id)
    except (InvalidState, ValidationFailed) as refused:
        assert refused.code in ("not_open", "over_allocation"), refused
        _event("review: approval refused, stale proposal")
        session.refresh(note)
        assert (note.status, note.journal_entry_id, note.amount_allocated) == ("draft", None, 0)
        assert all(p.status == "proposed" for p in note.allocations)
        reject_credit_note(session, a, note_kind, note.id, reason="stale proposal")
    else:
        _event("review: approved")


def _allocate(session: Session, taxed: Taxed, op: tuple[Any, ...]) -> None:
    _, note_idx, doc_idx, pct, after = op
    note = _pick_note(session, taxed.books, note_idx, "approved")
    if note is None:
        _event("allocate: no note")
        return
    note_kind = note.kind
    documents = _open_documents(session, taxed.books, note_kind)
    if not documents:
        _event("allocate: no document")
        return
    doc = documents[doc_idx % len(documents)]
    most = min(note.remaining, _due(doc))
    on = max(note.date, _dated(doc)) + dt.timedelta(days=after)
    allocate = {"document_id": doc.id, "date": on}
    if pct == -1:
        before = (note.amount_allocated, doc.amount_credited)
        with pytest.raises(ValidationFailed) as refused:
            allocate_credit_note(
                session, taxed.books.actor, note_kind, note.id, amount=usd(most + 1), **allocate
            )
        assert refused.value.code == "over_allocation"
        assert (note.amount_allocated, doc.amount_credited) == before
        _event("allocate: refused, a cent too much")
        return
    allocate_credit_note(
        session,
        taxed.books.actor,
        note_kind,
        note.id,
        amount=usd(max(1, most * pct // 100)),
        **allocate,
    )
    _event("allocate: done")


def _void_credit(session: Session, taxed: Taxed, op: tuple[Any, ...]) -> None:
    """Void a credit note on a later date; refused while any of it is allocated or refunded."""
    _, idx, after = op
    note = _pick_note(session, taxed.books, idx, "approved", "applied")
    if note is None:
        return
    note_kind, on = note.kind, note.date + dt.timedelta(days=after)
    if note.amount_allocated or note.amount_refunded:
        with pytest.raises(InvalidState) as refused:
            void_credit_note(session, taxed.books.actor, note_kind, note.id, date=on)
        assert refused.value.code == "has_allocations"
        _event("void credit: refused, used")
        return
    void_credit_note(session, taxed.books.actor, note_kind, note.id, date=on, reason="property")
    _event("void credit: done")
