"""The chart of accounts: listing, balances, creating and archiving accounts.

Balances come from ``account_daily_balances`` (kept in the posting transaction), so their cost
follows the number of accounts and days, not the number of journal lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.audit.services import record
from newledger.audit.tags import Event
from newledger.errors import Conflict, InvalidState, ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger._common import company_for, company_row, readable_row, require_poster
from newledger.ledger.chart import ACCOUNT_TYPES
from newledger.ledger.models import Account, AccountDailyBalance, BankAccount
from newledger.money import format_minor
from newledger.pagination import Listing, Order, Page, PageRequest

__all__ = [
    "ACCOUNT_ORDERS",
    "ACCOUNT_SUBTYPES",
    "AccountBalance",
    "AccountFilters",
    "account_balances",
    "archive_account",
    "create_account",
    "get_account",
    "list_accounts",
]

# Subtype → the account type it belongs to (types are those of ``chart.ACCOUNT_TYPES``).
ACCOUNT_SUBTYPES: dict[str, str] = {
    "bank": "asset",
    "accounts_receivable": "asset",
    "current_asset": "asset",
    "fixed_asset": "asset",
    "accounts_payable": "liability",
    "current_liability": "liability",
    "long_term_liability": "liability",
    "tax": "liability",
    "equity": "equity",
    "retained_earnings": "equity",
    "income": "income",
    "other_income": "income",
    "cost_of_sales": "expense",
    "expense": "expense",
    "other_expense": "expense",
}
assert set(ACCOUNT_SUBTYPES.values()) <= set(ACCOUNT_TYPES)

# Control accounts the ledger posts to by itself; archiving them would break approvals.
_CONTROL_SUBTYPES = frozenset({"accounts_receivable", "accounts_payable", "retained_earnings"})


@dataclass(frozen=True)
class AccountBalance:
    """One account's movements in one currency. ``balance`` is in the account's normal sign
    (a debit-normal asset with more debits is positive; so is a credit-normal income)."""

    account_id: int
    code: str
    name: str
    type: str
    subtype: str
    currency: str
    debit: int
    credit: int

    @property
    def net(self) -> int:
        """Signed debit-positive net (debits minus credits)."""
        return self.debit - self.credit

    @property
    def balance(self) -> int:
        return self.net * ACCOUNT_TYPES[self.type]

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "code": self.code,
            "name": self.name,
            "type": self.type,
            "subtype": self.subtype,
            "currency": self.currency,
            "debit": format_minor(self.debit, self.currency),
            "credit": format_minor(self.credit, self.currency),
            "balance": format_minor(self.balance, self.currency),
        }


ACCOUNT_ORDERS: dict[str, Order] = {
    "changed": Order(Account.updated_at, Account.id),
    "code": Order(Account.code, Account.id),
}


@dataclass(frozen=True, slots=True)
class AccountFilters:
    type: str | None = None  # asset | liability | equity | income | expense
    subtype: str | None = None
    include_archived: bool = False


_LISTING = Listing(
    select(Account),
    Account.company_id == bindparam("company_id"),
    Account.updated_at,
    {
        "type": lambda v: Account.type == v,
        "subtype": lambda v: Account.subtype == v,
        "active": lambda v: Account.is_active == v,
    },
    ACCOUNT_ORDERS,
    entities=True,
)


def list_accounts(
    session: Session, actor: Actor, filters: AccountFilters, page: PageRequest
) -> Page[Account]:
    """One page of the chart, archived accounts only with ``include_archived``. Needs
    ``accounts:read``."""
    actor.require(Permission.ACCOUNTS_READ)
    company_id = actor.company_scope()
    params = {
        "type": filters.type,
        "subtype": filters.subtype,
        "active": None if filters.include_archived else True,
    }
    return _LISTING.page(session, company_id, params, page)


def get_account(
    session: Session, actor: Actor, account_id: int, *, company_id: int | None = None
) -> Account:
    """One account. Needs ``accounts:read``."""
    return readable_row(
        session, actor, Permission.ACCOUNTS_READ, Account, account_id, company_id=company_id
    )


def account_balances(
    session: Session,
    actor: Actor,
    *,
    as_of: dt.date | None = None,
    date_from: dt.date | None = None,
    include_zero: bool = False,
    company_id: int | None = None,
) -> list[AccountBalance]:
    """Each account's debits, credits and balance per currency, over days ``date_from`` ..
    ``as_of`` inclusive (both optional). Accounts with no movement appear (in the home currency,
    at zero) only with ``include_zero``. Needs ``accounts:read``."""
    actor.require(Permission.ACCOUNTS_READ)
    company = company_for(session, actor, company_id)
    adb = AccountDailyBalance
    query = (
        select(adb.account_id, adb.currency, func.sum(adb.debit), func.sum(adb.credit))
        .where(adb.company_id == company.id)
        .group_by(adb.account_id, adb.currency)
    )
    if as_of is not None:
        query = query.where(adb.day <= as_of)
    if date_from is not None:
        query = query.where(adb.day >= date_from)
    sums: dict[int, list[tuple[str, int, int]]] = {}
    for account_id, currency, debit, credit in session.execute(query):
        sums.setdefault(account_id, []).append((currency, int(debit or 0), int(credit or 0)))
    out: list[AccountBalance] = []
    accounts = session.scalars(
        select(Account).where(Account.company_id == company.id).order_by(Account.code)
    )
    for account in accounts:
        rows = sums.get(account.id)
        if rows is None:
            if not include_zero:
                continue
            rows = [(company.home_currency, 0, 0)]
        for currency, debit, credit in sorted(rows):
            out.append(
                AccountBalance(
                    account.id,
                    account.code,
                    account.name,
                    account.type,
                    account.subtype,
                    currency,
                    debit,
                    credit,
                )
            )
    return out


def create_account(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    type: str,
    subtype: str,
    description: str = "",
    institution: str = "",
    last4: str = "",
    company_id: int | None = None,
) -> Account:
    """Add an account to the chart. A ``bank`` subtype also creates its bank account (in the
    home currency). Changing the chart needs ``ledger:post`` (a person, never an app)."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    code, name = (code or "").strip(), (name or "").strip()
    errors: dict[str, str] = {}
    if not code or len(code) > 16:
        errors["code"] = "required, at most 16 characters"
    if not name or len(name) > 200:
        errors["name"] = "required, at most 200 characters"
    if type not in ACCOUNT_TYPES:
        errors["type"] = "must be one of " + ", ".join(ACCOUNT_TYPES)
    elif ACCOUNT_SUBTYPES.get(subtype) != type:
        allowed = [s for s, t in ACCOUNT_SUBTYPES.items() if t == type]
        errors["subtype"] = f"for {type} accounts one of " + ", ".join(allowed)
    if last4 and (len(last4) != 4 or not last4.isdigit()):
        errors["last4"] = "four digits"
    if errors:
        raise ValidationFailed(
            "Invalid account: " + ", ".join(f"{k} {v}" for k, v in errors.items()), errors=errors
        )
    taken = session.scalar(
        select(Account.id).where(Account.company_id == company.id, Account.code == code)
    )
    if taken is not None:
        raise Conflict(f"Account code {code} is already used", code="account_code_taken")
    account = Account(
        company_id=company.id,
        code=code,
        name=name,
        type=type,
        subtype=subtype,
        description=description[:400],
    )
    session.add(account)
    session.flush()
    if subtype == "bank":
        session.add(
            BankAccount(
                company_id=company.id,
                account_id=account.id,
                name=name,
                institution=institution[:200],
                last4=last4,
                currency=company.home_currency,
            )
        )
        session.flush()
    record(
        session,
        Event.ACCOUNT_CREATED,
        actor,
        subject_type="account",
        subject_id=account.id,
        details={"code": code, "name": name, "type": type, "subtype": subtype},
    )
    return account


def archive_account(
    session: Session, actor: Actor, account_id: int, *, company_id: int | None = None
) -> Account:
    """Archive an account so nothing new posts to it. Refused for control accounts (AR, AP,
    retained earnings) and for accounts that still carry a balance. Needs ``ledger:post``."""
    require_poster(actor)
    company = company_for(session, actor, company_id)
    account = company_row(session, Account, company.id, account_id)
    if not account.is_active:
        raise InvalidState(f"Account {account.code} is already archived", code="already_archived")
    if account.subtype in _CONTROL_SUBTYPES:
        raise InvalidState(
            f"Account {account.code} {account.name} is a control account and cannot be archived",
            code="control_account",
        )
    adb = AccountDailyBalance
    nonzero = session.execute(
        select(adb.currency, func.sum(adb.debit) - func.sum(adb.credit))
        .where(adb.company_id == company.id, adb.account_id == account.id)
        .group_by(adb.currency)
        .having(func.sum(adb.debit) - func.sum(adb.credit) != 0)
    ).first()
    if nonzero is not None:
        raise InvalidState(
            f"Account {account.code} {account.name} still has a balance of "
            f"{format_minor(int(nonzero[1]), nonzero[0])} {nonzero[0]}; move it first",
            code="account_has_balance",
        )
    account.is_active = False
    session.flush()
    record(
        session,
        Event.ACCOUNT_ARCHIVED,
        actor,
        subject_type="account",
        subject_id=account.id,
        details={"code": account.code, "name": account.name},
    )
    return account
