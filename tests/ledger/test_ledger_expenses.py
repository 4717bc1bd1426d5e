"""Expenses (paid at once) and bills (owed to vendors, paid later)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from newledger.errors import Conflict, InvalidState, NotFound, PermissionDenied, ValidationFailed
from newledger.identity.permissions import Permission, Role
from newledger.ledger import expenses
from newledger.ledger.expense_list import ExpenseFilters, list_expenses
from newledger.ledger.models import Expense
from newledger.ledger.payments import PaymentFilters, list_payments, record_payment
from newledger.pagination import PageRequest
from tests.support.books import Books, balance_by_type, make_books, net, row_counts

D = dt.date(2026, 4, 3)


@pytest.fixture
def books(session: Session) -> Books:
    return make_books(session)


def bill(session: Session, books: Books, **kw: object) -> Expense:
    args: dict[str, object] = {
        "kind": "bill",
        "contact_id": books.vendor.id,
        "date": D,
        "reference": "STP-881",
        "lines": [
            {"description": "Paper", "amount": "120.00", "account_id": books.acct("6500")},
            {"description": "Toner", "amount": "80.50", "account_id": books.acct("6500")},
            {"description": "Delivery", "amount": "9.50", "account_id": books.acct("7400")},
        ],
    }
    args.update(kw)
    return expenses.create_draft_expense(session, books.actor, **args)  # type: ignore[arg-type]


def test_an_expense_paid_from_the_bank_is_paid_on_approval(session: Session, books: Books) -> None:
    exp = expenses.create_draft_expense(
        session,
        books.app(Permission.EXPENSES_DRAFT),
        date="2026-04-03",
        description="Team lunch",
        lines=[{"description": "Lunch", "amount": "64.20", "account_id": books.acct("6400")}],
    )
    assert exp.kind == "expense" and exp.payment_account_id == books.acct("1000")
    assert (exp.source, exp.source_label, exp.status) == ("api", "Receipt Bot", "draft")
    expenses.approve_expense(session, books.actor, exp.id, expected_version=1)
    assert (exp.status, exp.amount_paid) == ("paid", 6420)
    assert net(session, books.acct("6400")) == 6420
    assert net(session, books.acct("1000")) == -6420
    with pytest.raises(InvalidState, match="payments apply to bills"):
        record_payment(
            session,
            books.actor,
            expense_id=exp.id,
            amount="1.00",
            date=D,
            bank_account_id=books.checking.id,
        )
    expenses.void_expense(session, books.actor, exp.id, reason="personal")
    assert exp.status == "voided"
    assert all(v == 0 for v in balance_by_type(session, books.company.id).values())


def test_a_bill_posts_to_payables_and_is_paid_in_two_parts(session: Session, books: Books) -> None:
    b = bill(session, books)
    assert b.due_date == D + dt.timedelta(days=30) and b.total == 21000
    expenses.approve_expense(session, books.actor, b.id)
    assert b.status == "approved"
    assert net(session, books.acct("2000")) == -21000
    assert net(session, books.acct("6500")) == 20050
    record_payment(
        session,
        books.actor,
        expense_id=b.id,
        amount="100.00",
        date=D + dt.timedelta(days=10),
        bank_account_id=books.checking.id,
    )
    assert (b.status, b.amount_paid) == ("partially_paid", 10000)
    pay = record_payment(
        session,
        books.actor,
        expense_id=b.id,
        amount="110.00",
        date=D + dt.timedelta(days=20),
        bank_account_id=books.checking.id,
        reference="chq 1002",
    )
    assert pay.direction == "made" and pay.contact_id == books.vendor.id
    assert (b.status, b.amount_paid) == ("paid", 21000)
    assert net(session, books.acct("2000")) == 0
    assert net(session, books.acct("1000")) == -21000
    assert (
        len(
            list_payments(
                session, books.actor, PaymentFilters(expense_id=b.id), PageRequest()
            ).items
        )
        == 2
    )
    with pytest.raises(InvalidState, match="has payments"):
        expenses.void_expense(session, books.actor, b.id)


def test_overpaying_a_bill_is_refused_and_nothing_written(session: Session, books: Books) -> None:
    b = expenses.approve_expense(session, books.actor, bill(session, books).id)
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as exc:
        record_payment(
            session,
            books.actor,
            expense_id=b.id,
            amount="210.01",
            date=D,
            bank_account_id=books.checking.id,
        )
    assert exc.value.code == "overpayment"
    assert row_counts(session) == before


def test_apps_draft_bills_but_never_approve_them(session: Session, books: Books) -> None:
    b = bill(session, books)
    before = row_counts(session)
    for actor in (books.app(), books.connection(), books.role(Role.VIEWER)):
        with pytest.raises(PermissionDenied):
            expenses.approve_expense(session, actor, b.id)
        with pytest.raises(PermissionDenied):
            expenses.reject_expense(session, actor, b.id, reason="no")
    assert row_counts(session) == before
    with pytest.raises(PermissionDenied):
        bill(session, books, company_id=make_books(session).company.id)


def test_a_draft_bill_is_edited_with_its_version_and_then_locked(
    session: Session, books: Books
) -> None:
    b = bill(session, books)
    expenses.update_draft_expense(
        session,
        books.actor,
        b.id,
        {"lines": [{"description": "Chairs", "amount": "500", "account_id": books.acct("6500")}]},
        expected_version=1,
    )
    assert b.total == 50000 and b.version == 2 and b.reference == "STP-881"
    with pytest.raises(Conflict):
        expenses.update_draft_expense(
            session, books.actor, b.id, {"reference": "x"}, expected_version=1
        )
    expenses.update_draft_expense(session, books.actor, b.id, {"kind": "expense"})
    assert (b.kind, b.due_date, b.payment_account_id) == ("expense", None, books.acct("1000"))
    expenses.approve_expense(session, books.actor, b.id)
    before = row_counts(session)
    with pytest.raises(InvalidState):
        expenses.update_draft_expense(session, books.actor, b.id, {"reference": "x"})
    with pytest.raises(InvalidState):
        expenses.delete_draft_expense(session, books.actor, b.id)
    assert row_counts(session) == before


def test_a_draft_expense_is_rejected_with_a_reason_or_deleted(
    session: Session, books: Books
) -> None:
    b = bill(session, books)
    expenses.reject_expense(session, books.actor, b.id, reason="Duplicate of STP-880")
    assert b.status == "rejected"
    with pytest.raises(InvalidState):
        expenses.approve_expense(session, books.actor, b.id)
    other = bill(session, books)
    expenses.delete_draft_expense(session, books.actor, other.id)
    with pytest.raises(NotFound):
        expenses.get_expense(session, books.actor, other.id)
    bills = list_expenses(session, books.actor, ExpenseFilters(kind="bill"), PageRequest()).items
    assert [e.id for e in bills] == [b.id]
    assert expenses.expense_dict(b)["total"] == "210.00"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"amount": "0", "account_id": None}]}, "lines[0].amount"),
        ({"lines": [{"amount": "-5.00", "account_id": None}]}, "lines[0].amount"),
        ({"lines": [{"amount": "5.001", "account_id": None}]}, "lines[0].amount"),
        ({"contact_id": None}, "contact_id"),
        ({"kind": "gift"}, "kind"),
        ({"due_date": "2026-01-01"}, "due_date"),
        ({"date": "04/03/2026"}, "date"),
    ],
)
def test_invalid_expense_input_is_refused_per_field_and_nothing_written(
    session: Session, books: Books, change: dict[str, object], field: str
) -> None:
    lines = change.get("lines")
    if isinstance(lines, list):
        for line in lines:
            line["account_id"] = books.acct("6500")
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as exc:
        bill(session, books, **change)
    assert field in exc.value.errors
    assert row_counts(session) == before


def test_wrong_accounts_and_contacts_are_refused(session: Session, books: Books) -> None:
    other = make_books(session)
    before = row_counts(session)
    for account_id, error in (
        (other.acct("6500"), NotFound),
        (123456, NotFound),
        (books.acct("4000"), ValidationFailed),  # income, not expense
    ):
        with pytest.raises(error):
            bill(session, books, lines=[{"amount": "1.00", "account_id": account_id}])
    with pytest.raises(ValidationFailed, match="not a vendor"):
        bill(session, books, contact_id=books.customer.id)
    with pytest.raises(NotFound):
        bill(session, books, contact_id=other.vendor.id)
    with pytest.raises(ValidationFailed, match="not a bank account"):
        bill(session, books, kind="expense", payment_account_id=books.acct("6500"))
    assert row_counts(session) == before
