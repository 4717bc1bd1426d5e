"""Credit notes (customers) and vendor credits: draft → approved, posting net and tax back,
allocation to invoices and bills, refunds, voids, and db verify of all of it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from newledger.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger import expenses, invoices
from newledger.ledger.credit_allocations import (
    allocate_credit_note,
    refund_credit_note,
    remove_allocation,
)
from newledger.ledger.credit_notes import (
    approve_credit_note,
    create_draft_credit_note,
    delete_draft_credit_note,
    get_credit_note,
    reject_credit_note,
    update_draft_credit_note,
    void_credit_note,
)
from newledger.ledger.models import CreditNote, Expense, Invoice, Payment
from newledger.ledger.payments import record_payment
from newledger.ledger.reports import ar_aging
from newledger.ledger.tax_rates import create_tax_rate
from newledger.ledger.verify import verify_books
from tests.support.books import Books, make_books, net, row_counts

D = dt.date(2026, 3, 2)


@pytest.fixture
def books(session: Session) -> Books:
    return make_books(session)


def _invoice(session: Session, books: Books, price: str = "100.00", **kw: object) -> Invoice:
    draft = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer_id,
        issue_date=D,
        lines=[{"description": "Work", "unit_price": price, **kw}],
    )
    return invoices.approve_invoice(session, books.actor, draft.id)


def _bill(session: Session, books: Books, amount: str = "80.00") -> Expense:
    draft = expenses.create_draft_expense(
        session,
        books.actor,
        kind="bill",
        contact_id=books.vendor.id,
        date=D,
        lines=[{"description": "Paper", "amount": amount, "account_id": books.acct("6100")}],
    )
    return expenses.approve_expense(session, books.actor, draft.id)


def _credit(session: Session, books: Books, price: str = "30.00", **kw: object) -> CreditNote:
    return create_draft_credit_note(
        session,
        books.actor,
        kind="sales",
        contact_id=books.customer_id,
        date=D + dt.timedelta(days=3),
        lines=[{"description": "Returned", "unit_price": price}],
        **kw,  # type: ignore[arg-type]
    )


def test_a_credit_note_posts_the_mirror_of_an_invoice_with_its_tax(
    session: Session, books: Books
) -> None:
    vat = create_tax_rate(session, books.actor, name="VAT 20", rate="20", kind="sales")
    note = create_draft_credit_note(
        session,
        books.actor,
        kind="sales",
        contact_id=books.customer_id,
        date=D,
        lines=[{"description": "Refund", "unit_price": "50.00", "tax_rate_id": vat.id}],
    )
    assert note.number == "CN-00001" and note.status == "draft"
    assert (note.subtotal, note.tax_total, note.total) == (5000, 1000, 6000)
    approve_credit_note(session, books.actor, "sales", note.id)
    assert note.status == "approved" and note.remaining == 6000
    assert net(session, books.acct("1100")) == -6000  # AR down
    assert net(session, books.acct("4000")) == 5000  # income back
    assert net(session, vat.account_id) == 1000  # tax collected back
    assert verify_books(session, books.company_id) == []


def test_a_vendor_credit_posts_the_mirror_of_a_bill(session: Session, books: Books) -> None:
    vat = create_tax_rate(session, books.actor, name="Input 19", rate="19", kind="purchase")
    note = create_draft_credit_note(
        session,
        books.actor,
        kind="purchase",
        contact_id=books.vendor.id,
        date=D,
        lines=[
            {
                "description": "Damaged",
                "unit_price": "100.00",
                "account_id": books.acct("6100"),
                "tax_rate_id": vat.id,
            }
        ],
    )
    assert note.number == "VC-00001"
    approve_credit_note(session, books.actor, "purchase", note.id)
    assert net(session, books.acct("2000")) == 11900  # AP down (a debit)
    assert net(session, books.acct("6100")) == -10000
    assert net(session, vat.account_id) == -1900
    assert verify_books(session, books.company_id) == []


def test_proposed_allocations_apply_on_approval_and_settle_the_invoice(
    session: Session, books: Books
) -> None:
    invoice = _invoice(session, books)
    note = _credit(session, books, allocations=[{"invoice_id": invoice.id, "amount": "30.00"}])
    assert invoice.amount_credited == 0  # proposed only
    approve_credit_note(session, books.actor, "sales", note.id)
    assert (invoice.amount_credited, invoice.status) == (3000, "partially_paid")
    assert (note.amount_allocated, note.status) == (3000, "applied")
    record_payment(
        session,
        books.actor,
        amount="70.00",
        date=D,
        bank_account_id=books.checking.id,
        invoice_id=invoice.id,
    )
    assert invoice.status == "paid"
    assert verify_books(session, books.company_id) == []
    aging = ar_aging(session, books.actor, books.company_id, D + dt.timedelta(days=10))
    assert aging.total == net(session, books.acct("1100")) == 0


def test_an_unallocated_credit_shows_as_negative_in_aging_and_can_be_refunded(
    session: Session, books: Books
) -> None:
    invoice = _invoice(session, books)
    note = _credit(session, books, price="40.00")
    approve_credit_note(session, books.actor, "sales", note.id)
    day = D + dt.timedelta(days=5)
    aging = ar_aging(session, books.actor, books.company_id, day)
    assert aging.total == 6000 == net(session, books.acct("1100"))
    allocate_credit_note(
        session, books.actor, "sales", note.id, document_id=invoice.id, amount="15.00"
    )
    payment = refund_credit_note(
        session,
        books.actor,
        "sales",
        note.id,
        amount="25.00",
        date=day,
        bank_account_id=books.checking.id,
    )
    assert payment.direction == "made" and payment.credit_note_id == note.id
    assert note.status == "applied" and note.remaining == 0
    assert net(session, books.acct("1000")) == -2500
    aging = ar_aging(session, books.actor, books.company_id, day)
    assert aging.total == 8500 == net(session, books.acct("1100"))
    assert verify_books(session, books.company_id) == []
    with pytest.raises(InvalidState) as refused:
        void_credit_note(session, books.actor, "sales", note.id, reason="x")
    assert refused.value.code == "not_approved" or refused.value.code == "has_allocations"


def test_allocation_refusals_leave_everything_as_it_was(session: Session, books: Books) -> None:
    invoice = _invoice(session, books, price="20.00")
    note = _credit(session, books, price="30.00")
    approve_credit_note(session, books.actor, "sales", note.id)
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as over:
        allocate_credit_note(
            session, books.actor, "sales", note.id, document_id=invoice.id, amount="25.00"
        )
    assert over.value.code == "over_allocation"
    with pytest.raises(ValidationFailed) as early:
        allocate_credit_note(
            session,
            books.actor,
            "sales",
            note.id,
            document_id=invoice.id,
            amount="5.00",
            date=D,
        )
    assert "date" in early.value.errors
    with pytest.raises(PermissionDenied):
        allocate_credit_note(
            session, books.app(), "sales", note.id, document_id=invoice.id, amount="5.00"
        )
    with pytest.raises(NotFound):
        allocate_credit_note(
            session, books.actor, "purchase", note.id, document_id=invoice.id, amount="5.00"
        )
    assert row_counts(session) == before
    assert (invoice.amount_credited, note.amount_allocated) == (0, 0)


def test_an_app_drafts_but_cannot_approve_and_a_draft_can_be_edited_and_deleted(
    session: Session, books: Books
) -> None:
    app = books.app(Permission.INVOICES_DRAFT, Permission.INVOICES_READ)
    note = _credit(session, books)
    note = create_draft_credit_note(
        session,
        app,
        kind="sales",
        contact_id=books.customer_id,
        date=D,
        lines=[{"description": "Goodwill", "unit_price": "5.00"}],
    )
    assert note.source == "api"
    with pytest.raises(PermissionDenied):
        approve_credit_note(session, app, "sales", note.id)
    with pytest.raises(PermissionDenied):
        create_draft_credit_note(
            session,
            app,
            kind="purchase",
            contact_id=books.vendor.id,
            date=D,
            lines=[{"unit_price": "1.00", "account_id": books.acct("6100")}],
        )
    update_draft_credit_note(
        session, app, "sales", note.id, {"lines": [{"description": "More", "unit_price": "7.50"}]}
    )
    assert note.total == 750 and note.version == 2
    delete_draft_credit_note(session, app, "sales", note.id)
    with pytest.raises(NotFound):
        get_credit_note(session, app, "sales", note.id)


def test_voiding_reverses_exactly_and_an_invoice_with_credit_cannot_be_voided(
    session: Session, books: Books
) -> None:
    invoice = _invoice(session, books)
    note = _credit(session, books)
    approve_credit_note(session, books.actor, "sales", note.id)
    allocation = allocate_credit_note(
        session, books.actor, "sales", note.id, document_id=invoice.id, amount="10.00"
    )
    with pytest.raises(InvalidState) as refused:
        invoices.void_invoice(session, books.actor, invoice.id, reason="wrong")
    assert refused.value.code == "has_credits"
    with pytest.raises(InvalidState) as held:
        void_credit_note(session, books.actor, "sales", note.id, reason="wrong")
    assert held.value.code == "has_allocations"
    remove_allocation(session, books.actor, "sales", allocation.id)
    assert (invoice.amount_credited, invoice.status) == (0, "approved")
    void_credit_note(session, books.actor, "sales", note.id, reason="issued in error")
    assert note.status == "voided"
    assert net(session, books.acct("1100")) == 10000
    assert net(session, books.acct("4000")) == -10000
    assert verify_books(session, books.company_id) == []


def test_a_vendor_credit_applies_to_a_bill_and_is_refunded_into_the_bank(
    session: Session, books: Books
) -> None:
    bill = _bill(session, books)
    note = create_draft_credit_note(
        session,
        books.actor,
        kind="purchase",
        contact_id=books.vendor.id,
        date=D,
        lines=[{"unit_price": "100.00", "account_id": books.acct("6100")}],
        allocations=[{"expense_id": bill.id, "amount": "80.00"}],
    )
    approve_credit_note(session, books.actor, "purchase", note.id)
    assert (bill.status, bill.amount_credited) == ("paid", 8000)
    refund = refund_credit_note(
        session,
        books.actor,
        "purchase",
        note.id,
        amount="20.00",
        date=D,
        bank_account_id=books.checking.id,
    )
    assert refund.direction == "received"
    assert net(session, books.acct("1000")) == 2000
    assert net(session, books.acct("2000")) == 0
    assert verify_books(session, books.company_id) == []
    assert session.get(Payment, refund.id) is not None


def test_the_sales_tax_report_takes_credit_notes_off_and_ties_out(
    session: Session, books: Books
) -> None:
    from newledger.ledger.reports import sales_tax

    sales = create_tax_rate(session, books.actor, name="Sales 7.25", rate="7.25", kind="sales")
    vat = create_tax_rate(session, books.actor, name="Input 19", rate="19", kind="purchase")
    _invoice(session, books, price="200.00", tax_rate_id=sales.id)
    note = _credit(session, books, price="40.00")
    update_draft_credit_note(
        session,
        books.actor,
        "sales",
        note.id,
        {"lines": [{"description": "Returned", "unit_price": "40.00", "tax_rate_id": sales.id}]},
    )
    approve_credit_note(session, books.actor, "sales", note.id)
    credit = create_draft_credit_note(
        session,
        books.actor,
        kind="purchase",
        contact_id=books.vendor.id,
        date=D,
        lines=[{"unit_price": "10.00", "account_id": books.acct("6100"), "tax_rate_id": vat.id}],
    )
    approve_credit_note(session, books.actor, "purchase", credit.id)
    report = sales_tax(session, books.actor, books.company_id, D, D + dt.timedelta(days=30))
    by_name = {r.name: r for r in report.rates}
    # 200.00 x 7.25 % = 14.50 charged; 40.00 x 7.25 % = 2.90 given back.
    assert (by_name["Sales 7.25"].sales_net, by_name["Sales 7.25"].sales_tax) == (16000, 1160)
    # 10.00 x 19 % = 1.90 of input tax given back by the vendor.
    assert (by_name["Input 19"].purchases_net, by_name["Input 19"].purchases_tax) == (-1000, -190)
    assert report.net_owed == 1160 + 190
    assert report.ties_out and report.other_movement == 0


def test_a_rejected_draft_keeps_its_reason_and_drops_its_proposed_allocations(
    session: Session, books: Books
) -> None:
    invoice = _invoice(session, books)
    note = _credit(session, books, allocations=[{"invoice_id": invoice.id, "amount": "30.00"}])
    assert [a.status for a in note.allocations] == ["proposed"]
    with pytest.raises(ValidationFailed) as no_reason:
        reject_credit_note(session, books.actor, "sales", note.id, reason=" ")
    assert "reason" in no_reason.value.errors
    reject_credit_note(session, books.actor, "sales", note.id, reason="Wrong customer")
    assert (note.status, note.rejected_reason, note.allocations) == (
        "rejected",
        "Wrong customer",
        [],
    )
    assert (invoice.amount_credited, invoice.status) == (0, "approved")
    assert verify_books(session, books.company_id) == []


def test_approval_is_refused_whole_when_a_proposed_invoice_was_paid_meanwhile(
    session: Session, books: Books
) -> None:
    invoice = _invoice(session, books)
    note = _credit(session, books, allocations=[{"invoice_id": invoice.id, "amount": "30.00"}])
    record_payment(
        session,
        books.actor,
        amount="80.00",
        date=D,
        bank_account_id=books.checking.id,
        invoice_id=invoice.id,
    )
    before = row_counts(session)
    # The savepoint stands for the request's unit of work, which rolls back on any error.
    with pytest.raises(ValidationFailed) as stale, session.begin_nested():
        approve_credit_note(session, books.actor, "sales", note.id)
    assert stale.value.code == "over_allocation"
    assert row_counts(session) == before
    assert (note.status, note.journal_entry_id, invoice.amount_credited) == ("draft", None, 0)
    assert verify_books(session, books.company_id) == []
