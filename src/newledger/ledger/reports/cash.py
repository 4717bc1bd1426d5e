"""Cash position: per bank account, opening balance, money in, money out and closing balance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.permissions import Permission
from newledger.ledger.models import BankAccount
from newledger.ledger.reports.common import (
    Period,
    account_sums,
    authorize,
    money,
    validate_period,
)

__all__ = ["CashAccount", "CashPosition", "CashTotal", "cash_position"]


@dataclass(frozen=True)
class CashAccount:
    bank_account_id: int
    account_id: int
    name: str
    currency: str
    opening: int
    money_in: int
    money_out: int
    closing: int

    def to_json(self) -> dict[str, Any]:
        c = self.currency
        return {
            "bank_account_id": self.bank_account_id,
            "account_id": self.account_id,
            "name": self.name,
            "currency": c,
            "opening": money(self.opening, c),
            "money_in": money(self.money_in, c),
            "money_out": money(self.money_out, c),
            "closing": money(self.closing, c),
        }


@dataclass(frozen=True)
class CashTotal:
    currency: str
    opening: int
    money_in: int
    money_out: int
    closing: int

    def to_json(self) -> dict[str, str]:
        c = self.currency
        return {
            "currency": c,
            "opening": money(self.opening, c),
            "money_in": money(self.money_in, c),
            "money_out": money(self.money_out, c),
            "closing": money(self.closing, c),
        }


@dataclass(frozen=True)
class CashPosition:
    company_id: int
    period: Period
    accounts: tuple[CashAccount, ...]
    totals: tuple[CashTotal, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "report": "cash_position",
            "company_id": self.company_id,
            "period": self.period.to_json(),
            "accounts": [a.to_json() for a in self.accounts],
            "totals": [t.to_json() for t in self.totals],
        }


def cash_position(
    session: Session, actor: Actor, company_id: int, start: dt.date, end: dt.date
) -> CashPosition:
    """Each bank account's movement in [start, end], from its GL account's daily totals."""
    authorize(session, actor, company_id, Permission.REPORTS_READ)
    period = validate_period(start, end)
    banks = session.execute(
        select(BankAccount.id, BankAccount.account_id, BankAccount.name, BankAccount.currency)
        .where(BankAccount.company_id == company_id)
        .order_by(BankAccount.name, BankAccount.id)
    ).all()
    gl_ids = [b.account_id for b in banks]
    before = account_sums(
        session, company_id, currency=None, end=start - dt.timedelta(days=1), account_ids=gl_ids
    )
    during = account_sums(
        session, company_id, currency=None, start=start, end=end, account_ids=gl_ids
    )
    accounts: list[CashAccount] = []
    totals: dict[str, list[int]] = {}
    for bank in banks:
        key = (bank.account_id, bank.currency)
        dr0, cr0 = before.get(key, (0, 0))
        money_in, money_out = during.get(key, (0, 0))
        opening = dr0 - cr0
        closing = opening + money_in - money_out
        accounts.append(
            CashAccount(
                bank.id,
                bank.account_id,
                bank.name,
                bank.currency,
                opening,
                money_in,
                money_out,
                closing,
            )
        )
        total = totals.setdefault(bank.currency, [0, 0, 0, 0])
        for i, value in enumerate((opening, money_in, money_out, closing)):
            total[i] += value
    return CashPosition(
        company_id,
        period,
        tuple(accounts),
        tuple(CashTotal(c, *t) for c, t in sorted(totals.items())),
    )
