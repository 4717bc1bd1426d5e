"""The ledger pages' scenario, in the test database that the live server shares: ``make_books``
books whose owner and a viewer can sign in, a second customer, and drafts from the UI and from an
API credential app (``Books.app()``, "Receipt Bot")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import Company, User
from newledger.ledger.contacts import create_contact
from newledger.ledger.expenses import create_draft_expense
from newledger.ledger.invoices import create_draft_invoice
from newledger.ledger.models import Account, Expense, Invoice
from tests.support.books import make_books
from tests.support.workspace import Person, make_person

TODAY = dt.date.today()


@dataclass
class PageBooks:
    company_id: int
    owner: Person
    viewer: Person
    customer_id: int
    other_customer_id: int
    vendor_id: int
    income_account_id: int
    expense_account_id: int
    app_invoice_id: int  # drafted by the "Receipt Bot" API credential app
    ui_invoice_id: int  # drafted by the owner in the UI
    expense_id: int  # drafted by the app


def make_page_books(
    sessions: sessionmaker[Session], *, owner_2fa: bool = False, slug: str = "acme"
) -> PageBooks:
    owner = make_person(sessions, "owner@example.com", company=slug, with_2fa=owner_2fa)
    viewer = make_person(sessions, "viewer@example.com", company=slug, role="viewer")
    assert owner.company_id is not None
    with sessions() as s:
        company = s.get(Company, owner.company_id)
        user = s.get(User, owner.user_id)
        assert company is not None and user is not None
        books = make_books(s, company=company, owner=user)
        me, bot = books.actor, books.app()
        other = create_contact(s, me, kind="customer", name="Globex", payment_terms_days=30)
        expense_account = _first_expense(books.accounts)
        app_invoice = create_draft_invoice(
            s,
            bot,
            contact_id=books.customer.id,
            issue_date=TODAY,
            lines=[{"description": "Consulting", "quantity": "3", "unit_price": "400.00"}],
        )
        ui_invoice = create_draft_invoice(
            s,
            me,
            contact_id=other.id,
            issue_date=TODAY - dt.timedelta(days=40),
            lines=[{"description": "Widgets", "quantity": "2", "unit_price": "50.00"}],
        )
        expense = create_draft_expense(
            s,
            bot,
            date=TODAY,
            contact_id=books.vendor.id,
            description="Printer paper",
            lines=[{"description": "Paper", "amount": "42.50", "account_id": expense_account.id}],
        )
        s.commit()
        return PageBooks(
            company_id=company.id,
            owner=owner,
            viewer=viewer,
            customer_id=books.customer.id,
            other_customer_id=other.id,
            vendor_id=books.vendor.id,
            income_account_id=books.acct("4000"),
            expense_account_id=expense_account.id,
            app_invoice_id=app_invoice.id,
            ui_invoice_id=ui_invoice.id,
            expense_id=expense.id,
        )


def _first_expense(accounts: dict[str, Account]) -> Account:
    return next(a for _code, a in sorted(accounts.items()) if a.subtype == "expense")


def invoice(sessions: sessionmaker[Session], invoice_id: int) -> Invoice:
    with sessions() as s:
        found = s.scalar(select(Invoice).where(Invoice.id == invoice_id))
        assert found is not None
        return found


def expense(sessions: sessionmaker[Session], expense_id: int) -> Expense:
    with sessions() as s:
        found = s.scalar(select(Expense).where(Expense.id == expense_id))
        assert found is not None
        return found
