"""Draft credit notes and vendor credits in the review queue: where they came from, what they
propose to apply, counted for the dashboard, and each kind only for those who may read it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from newledger.identity.permissions import Permission
from newledger.ledger import invoices
from newledger.ledger.credit_notes import create_draft_credit_note
from newledger.ledger.review import count_drafts_awaiting_review, list_drafts_awaiting_review
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


def test_credit_drafts_wait_in_the_review_queue_for_those_who_may_read_them(
    session: Session, books: Books
) -> None:
    invoice_id = _invoice(session, books, "500.00")
    bot = books.app()
    note = create_draft_credit_note(
        session,
        bot,
        kind="sales",
        contact_id=books.customer_id,
        date=D,
        lines=[{"description": "Back", "unit_price": "70.00"}],
        allocations=[{"invoice_id": invoice_id, "amount": "70.00"}],
    )
    vendor_credit = create_draft_credit_note(
        session,
        books.actor,
        kind="purchase",
        contact_id=books.vendor.id,
        date=D,
        lines=[{"description": "Damaged", "unit_price": "5.00", "account_id": books.acct("6100")}],
    )
    queue = list_drafts_awaiting_review(session, books.actor)
    by_type = {item.type: item for item in queue}
    sales, purchase = by_type["credit_note"], by_type["vendor_credit"]
    assert (sales.id, sales.title, sales.contact_name, sales.total) == (
        note.id,
        "CN-00001",
        "Acme Corp",
        70_00,
    )
    assert (sales.source, sales.source_label) == ("api", "Receipt Bot")
    assert dict(sales.facts) == {"Allocates on approval": "invoice INV-00001: 70.00 USD"}
    assert (purchase.id, purchase.title, purchase.facts) == (vendor_credit.id, "VC-00001", ())
    counts = count_drafts_awaiting_review(session, books.actor)
    assert (counts["credit_note"], counts["vendor_credit"], counts["external"]) == (1, 1, 1)
    assert counts["total"] == 2
    # Whoever reads only expenses sees the vendor credit, not the customer's credit note.
    only_expenses = books.app(Permission.EXPENSES_READ)
    assert [i.type for i in list_drafts_awaiting_review(session, only_expenses)] == [
        "vendor_credit"
    ]
    counted = count_drafts_awaiting_review(session, only_expenses)
    assert (counted["credit_note"], counted["vendor_credit"], counted["total"]) == (0, 1, 1)
    assert [i.type for i in list_drafts_awaiting_review(session, books.actor, source="ui")] == [
        "vendor_credit"
    ]
