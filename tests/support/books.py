"""The one factory for a small company's books, for every feature's tests.

``make_books`` gives a company with the standard chart, its checking account, a customer and a
vendor, the owner and an accountant (who creates App Connect apps: ``Books.tenant``), and, if
asked, a few draft invoices. Pass a session (the caller commits) or, for tests against the live
server, the session factory (the books are committed). Feature scenarios build on it: the
workspace pages' ``make_page_books`` (``support/ledger_pages.py``); the reports keep their own
hand-posted scenario (``support/reports_books.py``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from newledger.actor import Actor
from newledger.identity.models import Company, Membership, User
from newledger.identity.permissions import DELEGABLE, ROLES, Permission, Role
from newledger.identity.services import create_company, user_actor
from newledger.ledger.chart import create_standard_chart
from newledger.ledger.invoices import create_draft_invoice
from newledger.ledger.models import Account, AccountDailyBalance, BankAccount, Contact
from newledger.models import Base
from tests.support.appconnect import Tenant

_counter = itertools.count(1)


@dataclass
class Books:
    company: Company
    owner: User
    actor: Actor  # the owner, signed in
    accounts: dict[str, Account]
    checking: BankAccount
    customer: Contact
    vendor: Contact
    accountant: User  # holds appconnect:manage and every delegable permission
    invoice_ids: list[int] = field(default_factory=list)  # drafts, oldest first

    @property
    def company_id(self) -> int:
        return self.company.id

    @property
    def customer_id(self) -> int:
        return self.customer.id

    @property
    def tenant(self) -> Tenant:
        """The company and the accountant who creates its apps (``support.appconnect``)."""
        return Tenant(self.company, self.owner, self.accountant)

    def app(self, *permissions: Permission) -> Actor:
        """An API credential app holding ``permissions`` (all delegable ones by default)."""
        return app_actor(self.company.id, self.owner.id, *permissions)

    def connection(self) -> Actor:
        return Actor(
            "connection",
            self.company.id,
            DELEGABLE,
            user_id=self.owner.id,
            connection_id=9,
            label="Claude",
        )

    def role(self, role: Role) -> Actor:
        return Actor("user", self.company.id, ROLES[role], user_id=self.owner.id, label=role)

    def acct(self, code: str) -> int:
        return self.accounts[code].id


def app_actor(company_id: int, owner_id: int, *permissions: Permission) -> Actor:
    """The "Receipt Bot" API credential app of ``owner_id``, holding ``permissions`` (all
    delegable ones by default), as an actor: without an app row, for service-level tests."""
    return Actor(
        "app",
        company_id,
        frozenset(permissions) if permissions else DELEGABLE,
        user_id=owner_id,
        app_id=7,
        label="Receipt Bot",
    )


def make_books(
    db: Session | sessionmaker[Session],
    slug: str | None = None,
    currency: str = "USD",
    *,
    invoices: int = 0,
    company: Company | None = None,
    owner: User | None = None,
) -> Books:
    """Books for a new company ``slug``, or for ``company`` whose ``owner`` already exists (people
    made to sign in, for example). ``invoices`` draft invoices to the customer, a day apart from
    2025-01-01, 100.00 each."""
    if isinstance(db, sessionmaker):
        with db.begin() as session:
            return make_books(
                session, slug, currency, invoices=invoices, company=company, owner=owner
            )
    session = db
    n = next(_counter)
    slug = slug or (company.slug if company is not None else f"co-{n}")
    # Users without create_user: argon2id hashing would dominate these tests' run time.
    if company is None or owner is None:
        owner = _user(session, f"owner{n}-{slug}@example.com", "Olivia Owner")
        company = create_company(
            session, name=f"Company {slug}", slug=slug, home_currency=currency, owner=owner
        )
    accountant = _user(session, f"acct{n}-{slug}@example.com", "Ada Accountant")
    session.add(Membership(company_id=company.id, user_id=accountant.id, role=Role.ACCOUNTANT))
    accounts = create_standard_chart(session, company)
    checking = session.scalars(
        select(BankAccount).where(BankAccount.account_id == accounts["1000"].id)
    ).one()
    customer = Contact(
        company_id=company.id, kind="customer", name="Acme Corp", payment_terms_days=14
    )
    vendor = Contact(company_id=company.id, kind="vendor", name="Staples", payment_terms_days=30)
    session.add_all([customer, vendor])
    session.flush()
    books = Books(
        company,
        owner,
        user_actor(session, owner, company.id),
        accounts,
        checking,
        customer,
        vendor,
        accountant,
    )
    for i in range(invoices):
        invoice = create_draft_invoice(
            session,
            books.actor,
            contact_id=customer.id,
            issue_date=dt.date(2025, 1, 1) + dt.timedelta(days=i),
            lines=[{"description": f"Work {i}", "quantity": "1", "unit_price": "100.00"}],
        )
        books.invoice_ids.append(invoice.id)
    return books


def _user(session: Session, email: str, name: str) -> User:
    user = User(email=email, name=name, password_hash="!")
    session.add(user)
    session.flush()
    return user


def row_counts(session: Session) -> dict[str, int]:
    """Rows in every table, to show a refused operation left nothing half-written."""
    session.expire_all()
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def balance_by_type(session: Session, company_id: int) -> dict[tuple[str, str], int]:
    """(account type, currency) → debit-positive net, from account_daily_balances."""
    adb = AccountDailyBalance
    rows = session.execute(
        select(Account.type, adb.currency, func.sum(adb.debit) - func.sum(adb.credit))
        .join(Account, Account.id == adb.account_id)
        .where(adb.company_id == company_id)
        .group_by(Account.type, adb.currency)
    ).all()
    return {(t, c): int(v) for t, c, v in rows}


def net(session: Session, account_id: int) -> int:
    """An account's debit-positive net from account_daily_balances."""
    adb = AccountDailyBalance
    value = session.scalar(
        select(func.coalesce(func.sum(adb.debit) - func.sum(adb.credit), 0)).where(
            adb.account_id == account_id
        )
    )
    return int(value or 0)
