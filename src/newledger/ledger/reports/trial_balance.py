"""Trial balance at a date: every account's debit or credit balance; the columns agree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.permissions import Permission
from newledger.ledger.reports.common import account_sums, authorize, load_accounts, money

__all__ = ["TrialBalance", "TrialBalanceRow", "TrialBalanceTotal", "trial_balance"]


@dataclass(frozen=True)
class TrialBalanceRow:
    account_id: int
    code: str
    name: str
    type: str
    currency: str
    balance: int  # debit positive, credit negative

    @property
    def debit(self) -> int:
        return max(self.balance, 0)

    @property
    def credit(self) -> int:
        return max(-self.balance, 0)


@dataclass(frozen=True)
class TrialBalanceTotal:
    currency: str
    debit: int
    credit: int

    @property
    def difference(self) -> int:
        return self.debit - self.credit


@dataclass(frozen=True)
class TrialBalance:
    company_id: int
    as_of: dt.date
    rows: tuple[TrialBalanceRow, ...]
    totals: tuple[TrialBalanceTotal, ...]  # one per currency

    @property
    def balanced(self) -> bool:
        return all(t.difference == 0 for t in self.totals)

    def to_json(self) -> dict[str, Any]:
        return {
            "report": "trial_balance",
            "company_id": self.company_id,
            "as_of": self.as_of.isoformat(),
            "rows": [
                {
                    "account_id": r.account_id,
                    "code": r.code,
                    "name": r.name,
                    "type": r.type,
                    "currency": r.currency,
                    "debit": money(r.debit, r.currency),
                    "credit": money(r.credit, r.currency),
                    "balance": money(r.balance, r.currency),
                }
                for r in self.rows
            ],
            "totals": [
                {
                    "currency": t.currency,
                    "debit": money(t.debit, t.currency),
                    "credit": money(t.credit, t.currency),
                    "difference": money(t.difference, t.currency),
                }
                for t in self.totals
            ],
            "balanced": self.balanced,
        }


def trial_balance(session: Session, actor: Actor, company_id: int, as_of: dt.date) -> TrialBalance:
    """Every account (one row per currency it holds; home currency when unused) at ``as_of``."""
    company = authorize(session, actor, company_id, Permission.REPORTS_READ)
    accounts = load_accounts(session, company_id)
    sums = account_sums(session, company_id, currency=None, end=as_of)
    by_account: dict[int, list[tuple[str, int]]] = {}
    for (account_id, cur), (dr, cr) in sums.items():
        by_account.setdefault(account_id, []).append((cur, dr - cr))
    rows: list[TrialBalanceRow] = []
    totals: dict[str, list[int]] = {company.home_currency: [0, 0]}
    for a in accounts.values():
        for cur, bal in sorted(by_account.get(a.id, [(company.home_currency, 0)])):
            row = TrialBalanceRow(a.id, a.code, a.name, a.type, cur, bal)
            rows.append(row)
            total = totals.setdefault(cur, [0, 0])
            total[0] += row.debit
            total[1] += row.credit
    return TrialBalance(
        company_id,
        as_of,
        tuple(rows),
        tuple(TrialBalanceTotal(c, dr, cr) for c, (dr, cr) in sorted(totals.items())),
    )
