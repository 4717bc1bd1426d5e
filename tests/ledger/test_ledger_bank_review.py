"""Bank statement imports, categorizing and matching; and the draft review queue."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from newledger.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger import bank, expenses, invoices
from newledger.ledger.bank import TransactionFilters
from newledger.ledger.payments import record_payment
from newledger.ledger.review import count_drafts_awaiting_review, list_drafts_awaiting_review
from newledger.pagination import PageRequest
from tests.support.books import Books, make_books, net, row_counts

NO_FILTERS = TransactionFilters()

D = dt.date(2026, 5, 4)
ROWS = [
    {"external_id": "t1", "date": "2026-05-01", "description": "STAPLES #12", "amount": "-42.10"},
    {"external_id": "t2", "date": "2026-05-02", "description": "ACME CORP", "amount": "452.48"},
    {"external_id": "t3", "date": "2026-05-03", "description": "Interest", "amount": "1.07"},
]


@pytest.fixture
def books(session: Session) -> Books:
    return make_books(session)


def test_an_import_skips_lines_already_imported(session: Session, books: Books) -> None:
    first = bank.import_transactions(session, books.actor, books.checking.id, ROWS)
    assert (first.imported, first.skipped) == (3, 0)
    again = bank.import_transactions(
        session,
        books.actor,
        books.checking.id,
        [*ROWS, {"external_id": "t4", "date": D, "amount": "-5.00"}, {**ROWS[0]}],
    )
    assert (again.imported, again.skipped) == (1, 4)
    listed = bank.list_transactions(
        session,
        books.actor,
        TransactionFilters(status="uncategorized"),
        PageRequest(order="newest"),
    ).items
    assert [t.external_id for t in listed] == ["t4", "t3", "t2", "t1"]
    assert [
        t.external_id
        for t in bank.list_transactions(
            session, books.actor, TransactionFilters(search="staples"), PageRequest()
        ).items
    ] == ["t1"]
    assert bank.transaction_dict(listed[-1])["amount"] == "-42.10"
    assert net(session, books.acct("1000")) == 0  # importing posts nothing


def test_a_bad_row_refuses_the_whole_import(session: Session, books: Books) -> None:
    before = row_counts(session)
    for bad in ({"amount": "abc"}, {"amount": "0"}, {"date": "yesterday"}, {"external_id": ""}):
        with pytest.raises(ValidationFailed):
            bank.import_transactions(
                session, books.actor, books.checking.id, [*ROWS, {**ROWS[0], **bad}]
            )
    assert row_counts(session) == before


def test_categorizing_posts_money_out_to_an_expense_and_money_in_to_income(
    session: Session, books: Books
) -> None:
    txns = bank.import_transactions(session, books.actor, books.checking.id, ROWS).transactions
    out = bank.categorize_transaction(session, books.actor, txns[0].id, books.acct("6500"))
    assert out.status == "categorized" and out.journal_entry_id is not None
    bank.categorize_transaction(session, books.actor, txns[2].id, books.acct("4900"))
    assert net(session, books.acct("6500")) == 4210
    assert net(session, books.acct("4900")) == -107
    assert net(session, books.acct("1000")) == -4210 + 107
    other = make_books(session)
    before = row_counts(session)
    with pytest.raises(InvalidState, match="already categorized"):
        bank.categorize_transaction(session, books.actor, txns[0].id, books.acct("6100"))
    with pytest.raises(ValidationFailed):
        bank.categorize_transaction(session, books.actor, txns[1].id, books.acct("1000"))
    with pytest.raises(NotFound):
        bank.categorize_transaction(session, books.actor, txns[1].id, other.acct("4000"))
    assert row_counts(session) == before


def test_a_receipt_is_matched_to_the_payment_that_recorded_it(
    session: Session, books: Books
) -> None:
    inv = invoices.create_draft_invoice(
        session,
        books.actor,
        contact_id=books.customer.id,
        issue_date=D,
        lines=[{"description": "Work", "unit_price": "452.48"}],
    )
    invoices.approve_invoice(session, books.actor, inv.id)
    pay = record_payment(
        session,
        books.actor,
        invoice_id=inv.id,
        amount="452.48",
        date=D,
        bank_account_id=books.checking.id,
    )
    small = record_payment(
        session,
        books.actor,
        invoice_id=invoices.approve_invoice(
            session,
            books.actor,
            invoices.create_draft_invoice(
                session,
                books.actor,
                contact_id=books.customer.id,
                issue_date=D,
                lines=[{"description": "x", "unit_price": "9.00"}],
            ).id,
        ).id,
        amount="9.00",
        date=D,
        bank_account_id=books.checking.id,
    )
    txns = bank.import_transactions(session, books.actor, books.checking.id, ROWS).transactions
    cash_before = net(session, books.acct("1000"))
    with pytest.raises(ValidationFailed) as exc:
        bank.match_transaction(session, books.actor, txns[1].id, small.id)
    assert exc.value.code == "amount_mismatch"
    matched = bank.match_transaction(session, books.actor, txns[1].id, pay.id)
    assert (matched.status, matched.payment_id) == ("matched", pay.id)
    assert net(session, books.acct("1000")) == cash_before  # matching posts nothing
    with pytest.raises(InvalidState):
        bank.match_transaction(session, books.actor, txns[1].id, pay.id)


def test_bank_reads_need_bank_read_and_writes_need_a_person(session: Session, books: Books) -> None:
    with pytest.raises(PermissionDenied):
        bank.list_transactions(
            session, books.app(Permission.INVOICES_READ), NO_FILTERS, PageRequest()
        )
    assert (
        bank.list_transactions(
            session, books.app(Permission.BANK_READ), NO_FILTERS, PageRequest()
        ).items
        == []
    )
    assert [
        b.name
        for b in bank.list_bank_accounts(session, books.app(), PageRequest(order="name")).items
    ] == [
        "Business Checking",
        "Business Savings",
    ]
    for write in (
        lambda a: bank.import_transactions(session, a, books.checking.id, ROWS),
        lambda a: bank.categorize_transaction(session, a, 1, books.acct("6500")),
        lambda a: bank.match_transaction(session, a, 1, 1),
    ):
        with pytest.raises(PermissionDenied):
            write(books.app())


def test_the_review_queue_lists_drafts_with_the_app_that_made_them(
    session: Session, books: Books
) -> None:
    bot = books.app(Permission.EXPENSES_DRAFT, Permission.INVOICES_DRAFT)
    inv = invoices.create_draft_invoice(
        session,
        books.connection(),
        contact_id=books.customer.id,
        issue_date=D,
        lines=[{"description": "x", "unit_price": "10.00"}],
    )
    exp = expenses.create_draft_expense(
        session,
        bot,
        date=D,
        lines=[{"amount": "3.50", "account_id": books.acct("6400")}],
        description="Coffee",
    )
    mine = expenses.create_draft_expense(
        session,
        books.actor,
        kind="bill",
        contact_id=books.vendor.id,
        date=D,
        lines=[{"amount": "99.00", "account_id": books.acct("6700")}],
    )
    approved = expenses.create_draft_expense(
        session, books.actor, date=D, lines=[{"amount": "1.00", "account_id": books.acct("6100")}]
    )
    expenses.approve_expense(session, books.actor, approved.id)
    queue = list_drafts_awaiting_review(session, books.actor)
    assert [(i.type, i.id, i.source, i.source_label) for i in queue] == [
        ("invoice", inv.id, "mcp", "Claude"),
        ("expense", exp.id, "api", "Receipt Bot"),
        ("bill", mine.id, "ui", books.owner.email),
    ]
    assert queue[0].contact_name == "Acme Corp" and queue[1].title == "Coffee"
    assert queue[1].as_dict()["total"] == "3.50"
    assert [i.id for i in list_drafts_awaiting_review(session, books.actor, source="api")] == [
        exp.id
    ]
    assert count_drafts_awaiting_review(session, books.actor) == {
        "invoice": 1,
        "expense": 1,
        "bill": 1,
        "credit_note": 0,
        "vendor_credit": 0,
        "payment": 0,
        "categorization": 0,
        "external": 2,
        "total": 3,
    }
    only_expenses = books.app(Permission.EXPENSES_READ)
    assert {i.type for i in list_drafts_awaiting_review(session, only_expenses)} == {
        "expense",
        "bill",
    }
    with pytest.raises(PermissionDenied):
        list_drafts_awaiting_review(session, books.app(Permission.JOURNAL_READ))
