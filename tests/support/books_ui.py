"""The scenario of the books-in-the-UI tests: a company with the standard chart and no documents
yet (``make_books``), whose owner, bookkeeper and viewer can sign in; and the forms' posts,
made like a browser makes them (the CSRF token read from the page the form is on)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import Company, User
from newledger.ledger.models import Account, Expense, Invoice, Payment
from tests.support.books import Books, make_books
from tests.support.workspace import Person, csrf, make_person

TODAY = dt.date.today()


@dataclass
class UiBooks:
    books: Books  # the chart, Business Checking, "Acme Corp" (customer), "Staples" (vendor)
    owner: Person
    keeper: Person  # a bookkeeper
    viewer: Person

    def acct(self, code: str) -> int:
        return self.books.acct(code)


def make_ui_books(sessions: sessionmaker[Session], slug: str = "bookshop") -> UiBooks:
    owner = make_person(sessions, "owner@example.com", company=slug)
    keeper = make_person(sessions, "keeper@example.com", company=slug, role="bookkeeper")
    viewer = make_person(sessions, "viewer@example.com", company=slug, role="viewer")
    with sessions.begin() as s:
        company, user = s.get(Company, owner.company_id), s.get(User, owner.user_id)
        assert company is not None and user is not None
        books = make_books(s, company=company, owner=user)
    return UiBooks(books, owner, keeper, viewer)


def submit(
    c: httpx.Client, page: str, action: str, data: dict[str, str | list[str]]
) -> httpx.Response:
    """Open ``page`` and post ``data`` to ``action`` with the page's CSRF token, as the form
    on that page would."""
    shown = c.get(page)
    assert shown.status_code == 200, shown.text
    return c.post(action, data={"csrf_token": csrf(shown.text), **data})


def invoice_fields(
    contact_id: int, *lines: tuple[str, str, str], account_id: int | str = ""
) -> dict[str, str | list[str]]:
    """The new-invoice form filled in: ``lines`` as (description, quantity, unit price)."""
    data: dict[str, str | list[str]] = {
        "contact_id": str(contact_id),
        "issue_date": TODAY.isoformat(),
        "due_date": "",
        "memo": "",
        "version": "",
    }
    for n, (text, quantity, price) in enumerate(lines):
        data |= {
            f"lines-{n}-description": text,
            f"lines-{n}-quantity": quantity,
            f"lines-{n}-unit_price": price,
            f"lines-{n}-account_id": str(account_id),
        }
    return data


def bill_fields(vendor_id: int, account_id: int, *lines: tuple[str, str]) -> dict[str, str]:
    """The new-expense form filled in as a bill: ``lines`` as (description, amount)."""
    data = {
        "kind": "bill",
        "contact_id": str(vendor_id),
        "date": TODAY.isoformat(),
        "due_date": "",
        "payment_account_id": "",
        "description": "",
        "reference": "",
        "version": "",
    }
    for n, (text, amount) in enumerate(lines):
        data |= {
            f"lines-{n}-description": text,
            f"lines-{n}-amount": amount,
            f"lines-{n}-account_id": str(account_id),
        }
    return data


_PAGE_ID = re.compile(r"^/(?:invoices|expenses)/(\d+)\?")


def created_id(response: httpx.Response) -> int:
    """The id of the document a successful form post went on to show."""
    assert response.status_code == 303, response.text
    match = _PAGE_ID.match(response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def invoice_row(sessions: sessionmaker[Session], invoice_id: int) -> Invoice:
    with sessions() as s:
        found = s.get(Invoice, invoice_id)
        assert found is not None
        _ = found.lines
        return found


def expense_row(sessions: sessionmaker[Session], expense_id: int) -> Expense:
    with sessions() as s:
        found = s.get(Expense, expense_id)
        assert found is not None
        _ = found.lines
        return found


def payments_of(sessions: sessionmaker[Session], invoice_id: int) -> list[Payment]:
    with sessions() as s:
        return list(s.scalars(select(Payment).where(Payment.invoice_id == invoice_id)))


def account_id(sessions: sessionmaker[Session], company_id: int, code: str) -> int:
    with sessions() as s:
        found = s.scalar(
            select(Account.id).where(Account.company_id == company_id, Account.code == code)
        )
        assert found is not None
        return found
