"""Draft credit notes and vendor credits wait in the review queue beside invoices and bills,
each shown to those who may read its kind, with the allocations approving it would apply."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from newledger.identity.permissions import Permission
from newledger.ledger import expenses, invoices
from newledger.ledger.credit_notes import approve_credit_note, create_draft_credit_note
from newledger.ledger.review import count_drafts_awaiting_review, list_drafts_awaiting_review
from tests.support.books import make_books

D = dt.date(2026, 3, 2)


def test_credit_note_drafts_are_reviewed_by_those_who_read_their_kind(session: Session) -> None:
    books = make_books(session)
    invoice = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer_id,
        issue_date=D,
        lines=[{"description": "Work", "unit_price": "100.00"}],
    )
    invoices.approve_invoice(session, books.actor, invoice.id)
    bill = expenses.create_draft_expense(
        session,
        books.actor,
        kind="bill",
        contact_id=books.vendor.id,
        date=D,
        lines=[{"amount": "80.00", "account_id": books.acct("6100")}],
    )
    expenses.approve_expense(session, books.actor, bill.id)
    note = create_draft_credit_note(
        session,
        books.actor,
        kind="sales",
        contact_id=books.customer_id,
        date=D,
        reference="RMA-3",
        lines=[{"description": "Returned", "unit_price": "30.00"}],
        allocations=[{"invoice_id": invoice.id, "amount": "25.00"}],
    )
    credit = create_draft_credit_note(
        session,
        books.app(Permission.EXPENSES_DRAFT),
        kind="purchase",
        contact_id=books.vendor.id,
        date=D,
        lines=[{"unit_price": "12.00", "account_id": books.acct("6100")}],
        allocations=[{"expense_id": bill.id, "amount": "12.00"}],
    )

    queue = list_drafts_awaiting_review(session, books.actor)
    assert [(i.type, i.id, i.title, i.source) for i in queue] == [
        ("credit_note", note.id, "CN-00001", "ui"),
        ("vendor_credit", credit.id, "VC-00001", "api"),
    ]
    mine, theirs = queue
    assert (mine.link, mine.contact_name, mine.as_dict()["total"]) == (
        f"/credit-notes/{note.id}",
        "Acme Corp",
        "30.00",
    )
    assert dict(mine.facts) == {
        "Allocates on approval": f"invoice {invoice.number}: 25.00 USD",
        "Reference": "RMA-3",
    }
    assert theirs.link == f"/vendor-credits/{credit.id}"
    assert theirs.source_label == "Receipt Bot"
    assert dict(theirs.facts) == {"Allocates on approval": f"bill #{bill.id}: 12.00 USD"}
    assert count_drafts_awaiting_review(session, books.actor) == {
        "invoice": 0,
        "expense": 0,
        "bill": 0,
        "credit_note": 1,
        "vendor_credit": 1,
        "payment": 0,
        "categorization": 0,
        "external": 1,
        "total": 2,
    }
    sales = books.app(Permission.INVOICES_READ)
    assert [i.type for i in list_drafts_awaiting_review(session, sales)] == ["credit_note"]
    purchases = books.app(Permission.EXPENSES_READ)
    assert [i.type for i in list_drafts_awaiting_review(session, purchases)] == ["vendor_credit"]
    assert count_drafts_awaiting_review(session, purchases)["credit_note"] == 0
    assert [i.id for i in list_drafts_awaiting_review(session, books.actor, source="api")] == [
        credit.id
    ]

    approve_credit_note(session, books.actor, "sales", note.id)
    assert [i.type for i in list_drafts_awaiting_review(session, books.actor)] == ["vendor_credit"]
