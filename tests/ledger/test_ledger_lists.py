"""Invoice and expense lists: the one set of filters the UI and the REST API use too."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy.orm import Session

from newledger.errors import PermissionDenied
from newledger.identity.permissions import Permission
from newledger.ledger import expenses, invoices
from newledger.ledger.expense_list import ExpenseFilters, list_expenses
from newledger.ledger.invoice_list import InvoiceFilters, list_invoices
from newledger.pagination import PageRequest
from tests.support.books import Books, make_books

D = dt.date(2026, 3, 10)


@pytest.fixture
def books(session: Session) -> Books:
    return make_books(session)


def test_invoices_are_listed_newest_first_within_an_inclusive_date_range(
    session: Session, books: Books
) -> None:
    made = [
        invoices.create_draft_invoice(
            session,
            books.actor,
            contact_id=books.customer.id,
            issue_date=D + dt.timedelta(days=days),
            due_date=D + dt.timedelta(days=days + 30),
            lines=[{"description": "Work", "unit_price": "10.00"}],
        )
        for days in (0, 1, 2, 3)
    ]

    def ids(page: PageRequest = PageRequest(), **filters: object) -> list[int]:
        flt = InvoiceFilters(**filters)  # type: ignore[arg-type]
        return [
            i.id
            for i in list_invoices(session, books.actor, flt, replace(page, order="newest")).items
        ]

    assert ids() == [i.id for i in reversed(made)]
    day1, day2 = D + dt.timedelta(days=1), D + dt.timedelta(days=2)
    window = {"issue_date_from": day1, "issue_date_to": day2}
    assert ids(**window) == [made[2].id, made[1].id]
    assert ids(due_date_to=D + dt.timedelta(days=31)) == [made[1].id, made[0].id]
    assert ids(**window, status="approved") == []
    first = list_invoices(
        session, books.actor, InvoiceFilters(**window), PageRequest(limit=1, order="newest")
    )
    assert first.next_cursor is not None
    assert ids(PageRequest(limit=1, cursor=first.next_cursor), **window) == [made[1].id]
    with pytest.raises(PermissionDenied):
        list_invoices(session, books.app(Permission.EXPENSES_READ), InvoiceFilters(), PageRequest())


def test_expenses_and_bills_are_listed_within_an_inclusive_date_range_and_by_kind(
    session: Session, books: Books
) -> None:
    made = [
        expenses.create_draft_expense(
            session,
            books.actor,
            kind=kind,
            contact_id=books.vendor.id,
            date=D + dt.timedelta(days=days),
            lines=[{"description": "Paper", "amount": "12.00", "account_id": books.acct("6500")}],
        )
        for days, kind in ((0, "bill"), (1, "expense"), (2, "bill"), (3, "bill"))
    ]

    def ids(**filters: object) -> list[int]:
        flt = ExpenseFilters(**filters)  # type: ignore[arg-type]
        return [
            e.id
            for e in list_expenses(session, books.actor, flt, PageRequest(order="newest")).items
        ]

    assert ids() == [e.id for e in reversed(made)]
    window = {"date_from": D + dt.timedelta(days=1), "date_to": D + dt.timedelta(days=2)}
    assert ids(**window) == [made[2].id, made[1].id]
    assert ids(**window, kind="bill") == [made[2].id]
    assert ids(date_to=D) == [made[0].id]
    with pytest.raises(PermissionDenied):
        list_expenses(session, books.app(Permission.INVOICES_READ), ExpenseFilters(), PageRequest())
