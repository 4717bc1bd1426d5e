"""Invoices: drafts, review, approval, payments and voids."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.audit.models import Activity
from newledger.db import session_scope
from newledger.errors import Conflict, InvalidState, NotFound, PermissionDenied, ValidationFailed
from newledger.identity.permissions import Permission, Role
from newledger.ledger import invoices
from newledger.ledger.invoice_list import InvoiceFilters, list_invoices
from newledger.ledger.models import Invoice, JournalLine
from newledger.ledger.payments import PaymentFilters, list_payments, record_payment
from newledger.pagination import PageRequest
from tests.support.books import Books, balance_by_type, make_books, net, row_counts

D = dt.date(2026, 2, 10)


@pytest.fixture
def books(session: Session) -> Books:
    return make_books(session)


def draft(session: Session, books: Books, **kw: object) -> Invoice:
    args: dict[str, object] = {
        "contact_id": books.customer.id,
        "issue_date": D,
        "lines": [
            {"description": "Consulting", "quantity": "3", "unit_price": "150.00"},
            {"description": "Widgets", "quantity": "2.5", "unit_price": "0.99"},
        ],
    }
    args.update(kw)
    return invoices.create_draft_invoice(session, books.actor, **args)  # type: ignore[arg-type]


def test_a_draft_invoice_gets_a_number_terms_and_half_even_line_amounts(
    session: Session, books: Books
) -> None:
    inv = draft(session, books)
    assert inv.number == "INV-00001" and inv.status == "draft" and inv.version == 1
    assert inv.due_date == D + dt.timedelta(days=14)  # the customer's terms
    assert inv.currency == "USD" and inv.source == "ui"
    # 2.5 x 0.99 = 2.475 -> 2.48 (half-even rounds 247.5 cents to 248)
    assert [line.amount for line in inv.lines] == [45000, 248]
    assert inv.total == 45248
    assert {line.account_id for line in inv.lines} == {books.acct("4000")}
    assert draft(session, books).number == "INV-00002"
    data = invoices.invoice_dict(inv)
    assert data["total"] == "452.48" and data["lines"][1]["quantity"] == "2.5"
    assert session.scalar(select(func.count()).select_from(JournalLine)) == 0


def test_a_draft_from_an_app_or_connection_records_its_source(
    session: Session, books: Books
) -> None:
    app_draft = invoices.create_draft_invoice(
        session,
        books.app(Permission.INVOICES_DRAFT),
        contact_id=books.customer.id,
        issue_date="2026-02-10",
        lines=[{"description": "x", "quantity": "1", "unit_price": "10"}],
    )
    assert (app_draft.source, app_draft.source_app_id, app_draft.source_label) == (
        "api",
        7,
        "Receipt Bot",
    )
    mcp = invoices.create_draft_invoice(
        session,
        books.connection(),
        contact_id=books.customer.id,
        issue_date=D,
        lines=[{"description": "x", "unit_price": "10"}],
    )
    assert (mcp.source, mcp.source_connection_id) == ("mcp", 9)
    with pytest.raises(PermissionDenied):
        invoices.create_draft_invoice(
            session,
            books.app(Permission.INVOICES_READ),
            contact_id=books.customer.id,
            issue_date=D,
            lines=[{"description": "x", "unit_price": "10"}],
        )


def test_an_app_can_never_approve_a_draft_and_nothing_is_posted(
    session: Session, books: Books
) -> None:
    inv = draft(session, books)
    before = row_counts(session)
    for actor in (
        books.app(),
        books.app(Permission.LEDGER_POST, Permission.INVOICES_DRAFT),
        books.connection(),
        books.role(Role.VIEWER),
    ):
        with pytest.raises(PermissionDenied):
            invoices.approve_invoice(session, actor, inv.id)
    assert row_counts(session) == before
    assert invoices.get_invoice(session, books.actor, inv.id).status == "draft"


def test_an_invoice_is_approved_paid_in_part_then_in_full(session: Session, books: Books) -> None:
    inv = draft(session, books)
    approved = invoices.approve_invoice(session, books.actor, inv.id, expected_version=1)
    assert approved.status == "approved" and approved.journal_entry_id is not None
    assert approved.approved_by_user_id == books.owner.id and approved.approved_at is not None
    assert net(session, books.acct("1100")) == 45248
    assert net(session, books.acct("4000")) == -45248
    ar_lines = session.scalars(
        select(JournalLine).where(JournalLine.account_id == books.acct("1100"))
    ).all()
    assert [ln.contact_id for ln in ar_lines] == [books.customer.id]

    record_payment(
        session,
        books.actor,
        invoice_id=inv.id,
        amount="200.00",
        date="2026-02-20",
        bank_account_id=books.checking.id,
    )
    assert (inv.status, inv.amount_paid) == ("partially_paid", 20000)
    record_payment(
        session,
        books.actor,
        invoice_id=inv.id,
        amount="252.48",
        date=dt.date(2026, 3, 1),
        bank_account_id=books.checking.id,
    )
    assert (inv.status, inv.amount_paid) == ("paid", 45248)
    assert net(session, books.acct("1100")) == 0
    assert net(session, books.acct("1000")) == 45248
    events = session.scalars(
        select(Activity.event).where(Activity.event.like("ledger:%")).order_by(Activity.id)
    ).all()
    assert events == [
        "ledger:invoice:drafted",
        "ledger:invoice:approved",
        "ledger:payment:recorded",
        "ledger:payment:recorded",
    ]
    with pytest.raises(InvalidState, match="already fully paid"):
        record_payment(
            session,
            books.actor,
            invoice_id=inv.id,
            amount="0.01",
            date=D,
            bank_account_id=books.checking.id,
        )


def test_a_payment_larger_than_the_amount_due_is_refused_and_nothing_written(
    session: Session, books: Books
) -> None:
    inv = invoices.approve_invoice(session, books.actor, draft(session, books).id)
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as exc:
        record_payment(
            session,
            books.actor,
            invoice_id=inv.id,
            amount="452.49",
            date=D,
            bank_account_id=books.checking.id,
        )
    assert exc.value.code == "overpayment"
    assert "452.49 USD is more than the 452.48 USD due" in exc.value.message
    for bad in ({"currency": "EUR"}, {"amount": "-1.00"}, {"amount": "0"}):
        args: dict[str, object] = {"amount": "1.00", **bad}
        with pytest.raises(ValidationFailed):
            record_payment(
                session,
                books.actor,
                invoice_id=inv.id,
                date=D,
                bank_account_id=books.checking.id,
                **args,  # type: ignore[arg-type]
            )
    assert row_counts(session) == before
    assert inv.amount_paid == 0 and inv.status == "approved"


def test_payments_are_refused_on_drafts_and_voided_invoices(session: Session, books: Books) -> None:
    inv = draft(session, books)
    with pytest.raises(InvalidState, match="is draft"):
        record_payment(
            session,
            books.actor,
            invoice_id=inv.id,
            amount="1.00",
            date=D,
            bank_account_id=books.checking.id,
        )
    invoices.approve_invoice(session, books.actor, inv.id)
    invoices.void_invoice(session, books.actor, inv.id, reason="duplicate")
    with pytest.raises(InvalidState, match="is voided"):
        record_payment(
            session,
            books.actor,
            invoice_id=inv.id,
            amount="1.00",
            date=D,
            bank_account_id=books.checking.id,
        )


def test_voiding_posts_a_reversing_entry_and_the_books_return_to_zero(
    session: Session, books: Books
) -> None:
    inv = invoices.approve_invoice(session, books.actor, draft(session, books).id)
    voided = invoices.void_invoice(session, books.actor, inv.id, reason="sent twice")
    assert voided.status == "voided" and voided.void_entry_id is not None
    assert all(v == 0 for v in balance_by_type(session, books.company.id).values())
    with pytest.raises(InvalidState):
        invoices.void_invoice(session, books.actor, inv.id)


def test_an_invoice_with_payments_or_not_approved_cannot_be_voided(
    session: Session, books: Books
) -> None:
    inv = draft(session, books)
    with pytest.raises(InvalidState, match="delete or reject the draft instead"):
        invoices.void_invoice(session, books.actor, inv.id)
    invoices.approve_invoice(session, books.actor, inv.id)
    record_payment(
        session,
        books.actor,
        invoice_id=inv.id,
        amount="1.00",
        date=D,
        bank_account_id=books.checking.id,
    )
    before = row_counts(session)
    with pytest.raises(InvalidState, match="has payments") as exc:
        invoices.void_invoice(session, books.actor, inv.id)
    assert exc.value.code == "has_payments"
    assert row_counts(session) == before


def test_editing_a_draft_needs_the_current_version(session: Session, books: Books) -> None:
    inv = draft(session, books)
    invoices.update_draft_invoice(
        session,
        books.actor,
        inv.id,
        {"memo": "Thanks!", "lines": [{"description": "Audit", "unit_price": "1000.00"}]},
        expected_version=1,
    )
    assert inv.version == 2 and inv.total == 100000 and len(inv.lines) == 1
    with pytest.raises(Conflict) as exc:
        invoices.update_draft_invoice(
            session, books.actor, inv.id, {"memo": "stale"}, expected_version=1
        )
    assert exc.value.code == "version_mismatch"
    assert inv.memo == "Thanks!"


def test_editing_or_deleting_a_posted_invoice_is_refused_and_nothing_changes(
    session: Session, books: Books
) -> None:
    inv = invoices.approve_invoice(session, books.actor, draft(session, books).id)
    before = row_counts(session)
    with pytest.raises(InvalidState) as exc:
        invoices.update_draft_invoice(session, books.actor, inv.id, {"memo": "sneaky"})
    assert exc.value.code == "not_a_draft"
    with pytest.raises(InvalidState):
        invoices.delete_draft_invoice(session, books.actor, inv.id)
    with pytest.raises(InvalidState):
        invoices.reject_invoice(session, books.actor, inv.id, reason="no")
    with pytest.raises(InvalidState):
        invoices.approve_invoice(session, books.actor, inv.id)
    assert row_counts(session) == before
    assert inv.memo == "" and inv.total == 45248


def test_a_draft_is_rejected_with_a_reason_or_deleted(session: Session, books: Books) -> None:
    inv = draft(session, books)
    with pytest.raises(ValidationFailed):
        invoices.reject_invoice(session, books.actor, inv.id, reason="  ")
    invoices.reject_invoice(session, books.actor, inv.id, reason="Wrong customer")
    assert (inv.status, inv.rejected_reason) == ("rejected", "Wrong customer")
    other = draft(session, books)
    invoices.delete_draft_invoice(session, books.app(Permission.INVOICES_DRAFT), other.id)
    with pytest.raises(NotFound):
        invoices.get_invoice(session, books.actor, other.id)
    assert [
        i.id for i in list_invoices(session, books.actor, InvoiceFilters(), PageRequest()).items
    ] == [inv.id]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": []}, "lines"),
        (
            {"lines": [{"description": "x", "quantity": "0", "unit_price": "1"}]},
            "lines[0].quantity",
        ),
        (
            {"lines": [{"description": "x", "quantity": "-1", "unit_price": "1"}]},
            "lines[0].quantity",
        ),
        ({"lines": [{"description": "x", "unit_price": "1.001"}]}, "lines[0].unit_price"),
        ({"lines": [{"description": "x", "unit_price": 1.5}]}, "lines[0].unit_price"),
        ({"due_date": dt.date(2026, 1, 1)}, "due_date"),
        ({"currency": "XXX"}, "currency"),
    ],
)
def test_invalid_invoice_input_is_refused_per_field_and_nothing_written(
    session: Session, books: Books, change: dict[str, object], field: str
) -> None:
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as exc:
        draft(session, books, **change)
    assert field in exc.value.errors
    assert row_counts(session) == before


def test_unknown_wrong_kind_and_other_company_accounts_and_contacts_are_refused(
    session: Session, books: Books
) -> None:
    other = make_books(session)
    before = row_counts(session)
    with pytest.raises(NotFound):
        draft(session, books, contact_id=other.customer.id)
    with pytest.raises(NotFound):
        draft(session, books, contact_id=424242)
    with pytest.raises(ValidationFailed, match="not a customer"):
        draft(session, books, contact_id=books.vendor.id)
    for account_id, error in (
        (other.acct("4000"), NotFound),
        (999999, NotFound),
        (books.acct("6500"), ValidationFailed),  # an expense account
    ):
        with pytest.raises(error):
            draft(
                session,
                books,
                lines=[{"description": "x", "unit_price": "5", "account_id": account_id}],
            )
    with pytest.raises(PermissionDenied):
        draft(session, books, company_id=other.company.id)
    assert row_counts(session) == before


@pytest.mark.postgres_only
def test_concurrent_drafts_get_unique_consecutive_numbers(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as s:
        books = make_books(s)
        s.commit()
        company_id, customer_id = books.company.id, books.customer.id
        actor = books.actor

    def create_some(_: int) -> list[str]:
        numbers = []
        for _i in range(5):
            with session_scope(sessions) as s:
                inv = invoices.create_draft_invoice(
                    s,
                    actor,
                    contact_id=customer_id,
                    issue_date=D,
                    lines=[{"description": "x", "unit_price": "1.00"}],
                )
                numbers.append(inv.number)
        return numbers

    with ThreadPoolExecutor(4) as pool:
        numbers = [n for batch in pool.map(create_some, range(4)) for n in batch]
    assert sorted(numbers) == [f"INV-{i:05d}" for i in range(1, 21)]
    with sessions() as s:
        stored = s.scalars(select(Invoice.number).where(Invoice.company_id == company_id)).all()
    assert len(stored) == 20


def test_listing_payments_of_one_invoice_shows_only_that_invoices_payments(
    session: Session, books: Books
) -> None:
    first, second = draft(session, books), draft(session, books)
    for inv in (first, second):
        invoices.approve_invoice(session, books.actor, inv.id, expected_version=1)
        record_payment(
            session,
            books.actor,
            invoice_id=inv.id,
            amount="10.00",
            date=D,
            bank_account_id=books.checking.id,
        )
    listed = list_payments(
        session, books.actor, PaymentFilters(invoice_id=first.id), PageRequest()
    ).items
    assert [p.invoice_id for p in listed] == [first.id]
    received = list_payments(
        session, books.actor, PaymentFilters(direction="received"), PageRequest()
    )
    assert len(received.items) == 2
