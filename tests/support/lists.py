"""Books and readers for the list parity tests: one company's books made through the services,
then the same list read three ways: REST (real HTTP, a real app token), the web page (real
HTTP, a signed-in person, rows parsed out of the HTML) and the service called directly."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.identity.services import user_actor
from newledger.ledger.bank import import_transactions
from newledger.ledger.contacts import create_contact
from newledger.ledger.expenses import approve_expense, create_draft_expense
from newledger.ledger.invoices import approve_invoice, create_draft_invoice
from newledger.ledger.journal import create_manual_entry
from newledger.ledger.models import Account, BankAccount
from newledger.ledger.payments import record_payment
from newledger.pagination import Page, PageRequest
from tests.support.api import READ_ONLY, Api
from tests.support.appconnect import Tenant, make_app, make_tenant, token_for
from tests.support.books import Books, make_books
from tests.support.workspace import Person, client, sign_in

D = dt.date(2026, 2, 2)
TENANT_PASSWORD = "x" * 12  # what make_tenant gives its people
_NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


@dataclass
class ParityBooks:
    tenant: Tenant  # its owner signs in to the web pages
    books: Books
    customers: dict[str, int] = field(default_factory=dict)
    invoices: list[int] = field(default_factory=list)  # [0] and [1] approved and paid in part
    expenses: list[int] = field(default_factory=list)
    savings_id: int = 0  # a second bank account
    income_account_ids: list[int] = field(default_factory=list)

    @property
    def company_id(self) -> int:
        return self.tenant.company.id

    @property
    def vendor_id(self) -> int:
        return self.books.vendor.id

    def actor(self, session: Session) -> Actor:
        return user_actor(session, self.tenant.owner, self.company_id)


def make_parity_books(sessions: sessionmaker[Session]) -> ParityBooks:
    """The Books factory's company (for people who sign in) with more customers, invoices
    (some approved and paid), bills and expenses, bank lines and a manual entry: every kind of
    record a list shows, made through the services."""
    tenant = make_tenant(sessions)
    books = make_books(sessions, company=tenant.company, owner=tenant.owner)
    parity = ParityBooks(tenant, books)
    with sessions.begin() as s:
        me = parity.actor(s)
        parity.customers["Acme Corp"] = books.customer.id
        for name in ("Globex", "Initech"):
            parity.customers[name] = create_contact(s, me, name=name, kind="customer").id
        create_contact(s, me, name="Umbrella Co", kind="both", email="ap@umbrella.example")
        parity.savings_id = s.scalars(
            select(BankAccount.id).where(BankAccount.account_id == books.acct("1010"))
        ).one()
        parity.income_account_ids = [
            a.id
            for a in s.scalars(
                select(Account).where(
                    Account.company_id == books.company_id, Account.type == "income"
                )
            )
        ]
        for i in range(9):
            customer = list(parity.customers.values())[i % 3]
            invoice = create_draft_invoice(
                s,
                me,
                contact_id=customer,
                issue_date=D + dt.timedelta(days=(i * 5) % 7),  # repeated days: ids break ties
                lines=[{"description": f"Work {i}", "unit_price": f"{100 + i}.00"}],
            )
            parity.invoices.append(invoice.id)
        for invoice_id in parity.invoices[:2]:
            approve_invoice(s, me, invoice_id)
            for amount in ("10.00", "20.00"):
                record_payment(
                    s,
                    me,
                    amount=amount,
                    date=D + dt.timedelta(days=3),
                    bank_account_id=books.checking.id,
                    invoice_id=invoice_id,
                )
        for i in range(6):
            expense = create_draft_expense(
                s,
                me,
                kind="bill" if i % 2 else "expense",
                contact_id=books.vendor.id,
                date=D + dt.timedelta(days=i % 4),
                lines=[{"amount": f"{20 + i}.00", "account_id": books.acct("6500")}],
            )
            parity.expenses.append(expense.id)
        approve_expense(s, me, parity.expenses[0])
        for bank_id in (books.checking.id, parity.savings_id):
            rows = [
                {"external_id": f"{bank_id}-{i}", "date": D, "amount": f"{i - 3}.50"}
                for i in range(7)
            ]
            import_transactions(s, me, bank_id, rows)
        create_manual_entry(
            s,
            me,
            date=D,
            lines=[
                {"account_id": books.acct("6500"), "debit": "5.00"},
                {"account_id": books.acct("1000"), "credit": "5.00"},
            ],
        )
    return parity


def rest_reader(base_url: str, sessions: sessionmaker[Session], books: ParityBooks) -> Api:
    """An API credential app of the company holding every read permission."""
    cred = make_app(sessions, books.tenant, *READ_ONLY, name="Parity Bot")
    return Api(base_url, token_for(base_url, cred))


def rest_ids(api: Api, path: str, **params: Any) -> list[int]:
    """Every id of a REST list, in order, walking its cursor two rows at a time."""
    ids: list[int] = []
    cursor = None
    while True:
        page = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, params={**params, **page})
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [row["id"] for row in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids


@contextmanager
def web_client(base_url: str, books: ParityBooks) -> Iterator[httpx.Client]:
    """A browser-like client signed in as the company's owner."""
    owner = books.tenant.owner
    with client(base_url) as c:
        sign_in(c, Person(owner.id, owner.email, books.company_id), password=TENANT_PASSWORD)
        yield c


def web_ids(c: httpx.Client, url: str, row: str) -> list[int]:
    """The ids of a web list's rows (``<tr id="ROW-ID">``), following its "next" links."""
    pattern = re.compile(rf'<tr id="{row}-(\d+)"')
    ids: list[int] = []
    next_url: str | None = url
    while next_url is not None:
        page = c.get(next_url)
        assert page.status_code == 200, page.text
        ids += [int(i) for i in pattern.findall(page.text)]
        found = _NEXT.search(page.text)
        next_url = html.unescape(found.group(1)) if found else None
    return ids


def service_ids(
    sessions: sessionmaker[Session],
    books: ParityBooks,
    read: Callable[..., Page[Any]],
    *filters: Any,
    order: str = "changed",
) -> list[int]:
    """Every id the list service ``read`` returns for ``filters`` in ``order``, walking its
    cursor three rows at a time."""
    ids: list[int] = []
    cursor = None
    with sessions() as s:
        actor = books.actor(s)
        while True:
            page = read(s, actor, *filters, PageRequest(limit=3, cursor=cursor, order=order))
            ids += [row.id for row in page.items]
            cursor = page.next_cursor
            if cursor is None:
                return ids


@dataclass
class Readers:
    """One company's books and the three ways to read its lists."""

    books: ParityBooks
    sessions: sessionmaker[Session]
    api: Api
    web: httpx.Client

    def service(
        self, read: Callable[..., Page[Any]], *filters: Any, order: str = "changed"
    ) -> list[int]:
        return service_ids(self.sessions, self.books, read, *filters, order=order)

    def three_ways(
        self,
        read: Callable[..., Page[Any]],
        filters: Any,
        rest: tuple[str, dict[str, Any]],
        web: tuple[str, str],
        web_order: str,
    ) -> list[int]:
        """REST (``rest``: path and query) and the service in the sync order, the web page
        (``web``: URL and row id prefix) and the service in ``web_order``: each pair the same
        ids in the same order, and both lists the same records. Returns the REST ids."""
        rest_got = rest_ids(self.api, rest[0], **rest[1])
        web_got = web_ids(self.web, *web)
        assert rest_got == self.service(read, filters)
        assert web_got == self.service(read, filters, order=web_order)
        assert rest_got and sorted(rest_got) == sorted(web_got)
        assert len(set(rest_got)) == len(rest_got)
        return rest_got


@contextmanager
def readers(base_url: str, sessions: sessionmaker[Session]) -> Iterator[Readers]:
    books = make_parity_books(sessions)
    api = rest_reader(base_url, sessions, books)
    with web_client(base_url, books) as web:
        yield Readers(books, sessions, api, web)
