"""Shared set-up for the ledger service tests: a company with the standard chart and actors."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.models import Company, User
from newledger.identity.permissions import DELEGABLE, ROLES, Permission, Role
from newledger.identity.services import create_company, user_actor
from newledger.ledger.chart import create_standard_chart
from newledger.ledger.models import Account, AccountDailyBalance, BankAccount, Contact
from newledger.models import Base

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

    def app(self, *permissions: Permission) -> Actor:
        """An API credential app holding ``permissions`` (all delegable ones by default)."""
        return Actor(
            "app",
            self.company.id,
            frozenset(permissions) if permissions else DELEGABLE,
            user_id=self.owner.id,
            app_id=7,
            label="Receipt Bot",
        )

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


def make_books(session: Session, slug: str | None = None, currency: str = "USD") -> Books:
    n = next(_counter)
    slug = slug or f"co-{n}"
    # A user row without create_user: argon2id hashing would dominate these tests' run time.
    owner = User(email=f"owner{n}-{slug}@example.com", name="Olivia Owner", password_hash="!")
    session.add(owner)
    session.flush()
    company = create_company(
        session, name=f"Company {slug}", slug=slug, home_currency=currency, owner=owner
    )
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
    return Books(
        company,
        owner,
        user_actor(session, owner, company.id),
        accounts,
        checking,
        customer,
        vendor,
    )


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
