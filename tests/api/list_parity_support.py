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
from newledger.ledger.chart import create_standard_chart
from newledger.ledger.contacts import create_contact
from newledger.ledger.expenses import approve_expense, create_draft_expense
from newledger.ledger.invoices import approve_invoice, create_draft_invoice
from newledger.ledger.journal import create_manual_entry
from newledger.ledger.models import Account, BankAccount
from newledger.ledger.payments import record_payment
from newledger.pagination import Page, PageRequest
from tests.api_support import READ_ONLY, Api
from tests.appconnect_support import Tenant, make_app, make_tenant, token_for
from tests.workspace_support import Person, client, sign_in

D = dt.date(2026, 2, 2)
TENANT_PASSWORD = "x" * 12  # what make_tenant gives its people
_NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


@dataclass
class ParityBooks:
    tenant: Tenant
    customers: dict[str, int] = field(default_factory=dict)
    vendor_id: int = 0
    invoices: list[int] = field(default_factory=list)  # [0] and [1] approved and paid in part
    expenses: list[int] = field(default_factory=list)
    checking_id: int = 0  # the bank account
    savings_id: int = 0
    income_account_ids: list[int] = field(default_factory=list)

    @property
    def company_id(self) -> int:
        return self.tenant.company.id

    def actor(self, session: Session) -> Actor:
        return user_actor(session, self.tenant.owner, self.company_id)


def make_parity_books(sessions: sessionmaker[Session]) -> ParityBooks:
    """Customers and a vendor, invoices (some approved and paid), bills and expenses, bank
    lines, a manual entry: every kind of record a list shows, through the services."""
    tenant = make_tenant(sessions)
    books = ParityBooks(tenant)
    with sessions.begin() as s:
        accounts = create_standard_chart(s, tenant.company)
        me = tenant.actor(s)
        for name in ("Acme Corp", "Globex", "Initech"):
            books.customers[name] = create_contact(s, me, name=name, kind="customer").id
        create_contact(s, me, name="Umbrella Co", kind="both", email="ap@umbrella.example")
        books.vendor_id = create_contact(s, me, name="Staples", kind="vendor").id
        banks = {b.account_id: b.id for b in s.scalars(select(BankAccount))}
        books.checking_id, books.savings_id = banks[accounts["1000"].id], banks[accounts["1010"].id]
        books.income_account_ids = [
            a.id for a in s.scalars(select(Account).where(Account.type == "income"))
        ]
        for i in range(9):
            customer = list(books.customers.values())[i % 3]
            invoice = create_draft_invoice(
                s,
                me,
                contact_id=customer,
                issue_date=D + dt.timedelta(days=(i * 5) % 7),  # repeated days: ids break ties
                lines=[{"description": f"Work {i}", "unit_price": f"{100 + i}.00"}],
            )
            books.invoices.append(invoice.id)
        for invoice_id in books.invoices[:2]:
            approve_invoice(s, me, invoice_id)
            for cents in ("10.00", "20.00"):
                record_payment(
                    s,
                    me,
                    amount=cents,
                    date=D + dt.timedelta(days=3),
                    bank_account_id=books.checking_id,
                    invoice_id=invoice_id,
                )
        for i in range(6):
            expense = create_draft_expense(
                s,
                me,
                kind="bill" if i % 2 else "expense",
                contact_id=books.vendor_id,
                date=D + dt.timedelta(days=i % 4),
                lines=[{"amount": f"{20 + i}.00", "account_id": accounts["6500"].id}],
            )
            books.expenses.append(expense.id)
        approve_expense(s, me, books.expenses[0])
        for bank_id in (books.checking_id, books.savings_id):
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
                {"account_id": accounts["6500"].id, "debit": "5.00"},
                {"account_id": accounts["1000"].id, "credit": "5.00"},
            ],
        )
    return books


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
