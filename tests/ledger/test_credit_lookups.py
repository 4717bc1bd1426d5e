"""What the pages around credit notes ask the ledger: the credits an invoice or bill carries, the
open documents a credit can go on, and a credit note's allocations by document."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from newledger.errors import PermissionDenied
from newledger.identity.permissions import Permission
from newledger.ledger import expenses, invoices
from newledger.ledger.credit_lookups import (
    allocation_views,
    credits_on_document,
    open_documents,
)
from newledger.ledger.credit_notes import (
    approve_credit_note,
    create_draft_credit_note,
    reject_credit_note,
)
from newledger.ledger.payments import record_payment
from tests.support.books import Books, make_books

D = dt.date(2026, 3, 2)


@pytest.fixture
def books(session: Session) -> Books:
    return make_books(session)


def _invoice(session: Session, books: Books, price: str) -> int:
    draft = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer_id,
        issue_date=D,
        lines=[{"description": "Work", "unit_price": price}],
    )
    return invoices.approve_invoice(session, books.actor, draft.id).id


def _credit(session: Session, books: Books, price: str, **kw: object) -> int:
    note = create_draft_credit_note(
        session,
        books.actor,
        kind="sales",
        contact_id=books.customer_id,
        date=D,
        lines=[{"description": "Back", "unit_price": price}],
        **kw,  # type: ignore[arg-type]
    )
    return note.id


def test_an_invoice_lists_applied_and_proposed_credits_but_not_rejected_ones(
    session: Session, books: Books
) -> None:
    invoice_id = _invoice(session, books, "500.00")
    applied = _credit(
        session, books, "100.00", allocations=[{"invoice_id": invoice_id, "amount": "60.00"}]
    )
    approve_credit_note(session, books.actor, "sales", applied)
    proposed = _credit(
        session, books, "40.00", allocations=[{"invoice_id": invoice_id, "amount": "40.00"}]
    )
    rejected = _credit(
        session, books, "10.00", allocations=[{"invoice_id": invoice_id, "amount": "10.00"}]
    )
    reject_credit_note(session, books.actor, "sales", rejected, reason="No")
    found = credits_on_document(session, books.actor, "sales", invoice_id)
    assert [(c.credit_note_id, c.number, c.amount, c.currency, c.status) for c in found] == [
        (applied, "CN-00001", 60_00, "USD", "applied"),
        (proposed, "CN-00002", 40_00, "USD", "proposed"),
    ]
    # A vendor credit is another resource: none against this id as a bill.
    assert credits_on_document(session, books.actor, "purchase", invoice_id) == []
    with pytest.raises(PermissionDenied):
        credits_on_document(session, books.app(Permission.EXPENSES_READ), "sales", invoice_id)


def test_open_documents_are_the_contacts_unsettled_ones_plus_any_named(
    session: Session, books: Books
) -> None:
    paid = _invoice(session, books, "100.00")
    record_payment(
        session,
        books.actor,
        amount="100.00",
        date=D,
        bank_account_id=books.checking.id,
        invoice_id=paid,
    )
    part = _invoice(session, books, "200.00")
    record_payment(
        session,
        books.actor,
        amount="50.00",
        date=D,
        bank_account_id=books.checking.id,
        invoice_id=part,
    )
    fresh = _invoice(session, books, "300.00")
    draft = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer_id,
        issue_date=D,
        lines=[{"description": "Later", "unit_price": "9.00"}],
    )
    bill = expenses.create_draft_expense(
        session,
        books.actor,
        kind="bill",
        contact_id=books.vendor.id,
        date=D,
        lines=[{"description": "Paper", "amount": "80.00", "account_id": books.acct("6100")}],
    )
    expenses.approve_expense(session, books.actor, bill.id)
    customer = books.customer_id
    assert [d.id for d in open_documents(session, books.actor, "sales", customer, "USD")] == [
        part,
        fresh,
    ]
    assert open_documents(session, books.actor, "sales", customer, "EUR") == []
    named = open_documents(session, books.actor, "sales", customer, "USD", also=[paid, draft.id])
    assert [d.id for d in named] == [paid, part, fresh, draft.id]
    vendor = books.vendor.id
    assert [d.id for d in open_documents(session, books.actor, "purchase", vendor, "USD")] == [
        bill.id
    ]


def test_a_credit_notes_allocations_name_their_invoices(session: Session, books: Books) -> None:
    invoice_id = _invoice(session, books, "500.00")
    note_id = _credit(
        session, books, "100.00", allocations=[{"invoice_id": invoice_id, "amount": "25.00"}]
    )
    note = approve_credit_note(session, books.actor, "sales", note_id)
    [view] = allocation_views(session, books.actor, note)
    assert (view.document_id, view.document_label, view.amount, view.status) == (
        invoice_id,
        "invoice INV-00001",
        25_00,
        "applied",
    )
