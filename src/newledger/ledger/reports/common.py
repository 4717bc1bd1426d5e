"""Pieces every report shares: access checks, periods, and account sums from daily balances.

Reports read ``account_daily_balances`` (per account, currency and day, kept by posting) rather
than journal lines, so their cost follows accounts x days, not the number of lines.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.errors import NotFound, PermissionDenied, ValidationFailed
from newledger.identity.models import Company
from newledger.identity.permissions import Permission
from newledger.ledger.models import Account, AccountDailyBalance
from newledger.money import format_minor, validate_currency

__all__ = [
    "AccountRef",
    "Period",
    "account_sums",
    "add_months",
    "authorize",
    "authorize_actor",
    "balances_split",
    "daily_rows",
    "fiscal_year_start",
    "load_accounts",
    "money",
    "report_currency",
    "validate_period",
]

ADB = AccountDailyBalance


@dataclass(frozen=True)
class AccountRef:
    id: int
    code: str
    name: str
    type: str
    subtype: str


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def to_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def authorize_actor(actor: Actor, company_id: int, permission: Permission) -> None:
    """Check the actor may read this company's reports (the company's existence is the
    caller's to check)."""
    if actor.company_id is not None and actor.company_id != company_id:
        raise PermissionDenied("This actor belongs to another company", required=(permission,))
    actor.require(permission)


def authorize(session: Session, actor: Actor, company_id: int, permission: Permission) -> Company:
    """Check the actor may read this company's reports; return the company."""
    authorize_actor(actor, company_id, permission)
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound(f"No company {company_id}")
    return company


def report_currency(company: Company, currency: str | None) -> str:
    return company.home_currency if currency is None else validate_currency(currency)


def money(minor: int, currency: str) -> str:
    return format_minor(minor, currency)


def validate_period(start: dt.date, end: dt.date) -> Period:
    if start > end:
        raise ValidationFailed(
            "The period starts after it ends", errors={"from": "after 'to'", "to": "before 'from'"}
        )
    return Period(start, end)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def fiscal_year_start(as_of: dt.date, start_month: int) -> dt.date:
    year = as_of.year if as_of.month >= start_month else as_of.year - 1
    return dt.date(year, start_month, 1)


def load_accounts(
    session: Session, company_id: int, types: Iterable[str] | None = None
) -> dict[int, AccountRef]:
    stmt = select(Account.id, Account.code, Account.name, Account.type, Account.subtype).where(
        Account.company_id == company_id
    )
    if types is not None:
        stmt = stmt.where(Account.type.in_(list(types)))
    return {
        row.id: AccountRef(row.id, row.code, row.name, row.type, row.subtype)
        for row in session.execute(stmt.order_by(Account.code))
    }


def account_sums(
    session: Session,
    company_id: int,
    *,
    currency: str | None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    account_ids: Iterable[int] | None = None,
) -> dict[tuple[int, str], tuple[int, int]]:
    """(account, currency) -> (debits, credits) over [start, end]; either end may be open."""
    stmt = select(ADB.account_id, ADB.currency, func.sum(ADB.debit), func.sum(ADB.credit)).where(
        ADB.company_id == company_id
    )
    if currency is not None:
        stmt = stmt.where(ADB.currency == currency)
    if start is not None:
        stmt = stmt.where(ADB.day >= start)
    if end is not None:
        stmt = stmt.where(ADB.day <= end)
    if account_ids is not None:
        stmt = stmt.where(ADB.account_id.in_(list(account_ids)))
    stmt = stmt.group_by(ADB.account_id, ADB.currency)
    return {(a, c): (int(dr or 0), int(cr or 0)) for a, c, dr, cr in session.execute(stmt)}


def balances_split(
    session: Session, company_id: int, *, currency: str, end: dt.date, split: dt.date
) -> dict[int, tuple[int, int]]:
    """account -> (balance at ``end``, balance before ``split``), debit positive, in one pass."""
    net = ADB.debit - ADB.credit
    stmt = (
        select(ADB.account_id, func.sum(net), func.sum(case((ADB.day < split, net), else_=0)))
        .where(ADB.company_id == company_id, ADB.currency == currency, ADB.day <= end)
        .group_by(ADB.account_id)
    )
    return {a: (int(total or 0), int(early or 0)) for a, total, early in session.execute(stmt)}


def daily_rows(
    session: Session,
    company_id: int,
    *,
    currency: str,
    start: dt.date,
    end: dt.date,
    account_ids: Iterable[int],
) -> list[tuple[int, dt.date, int, int]]:
    """(account, day, debits, credits) rows for the period, for folding into months."""
    stmt = select(ADB.account_id, ADB.day, ADB.debit, ADB.credit).where(
        ADB.company_id == company_id,
        ADB.currency == currency,
        ADB.day >= start,
        ADB.day <= end,
        ADB.account_id.in_(list(account_ids)),
    )
    return [(a, d, int(dr), int(cr)) for a, d, dr, cr in session.execute(stmt)]
