"""Balance sheet at a date: assets = liabilities + equity.

Income and expense accounts are closed into equity on the fly: this fiscal year's result shows
as "Current year earnings", earlier years' results are added to retained earnings. The fiscal
year starts on the first day of ``companies.fiscal_year_start_month``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.permissions import Permission
from newledger.ledger.reports.common import (
    authorize,
    balances_split,
    fiscal_year_start,
    load_accounts,
    money,
    report_currency,
)

__all__ = ["BalanceLine", "BalanceSection", "BalanceSheet", "balance_sheet"]


@dataclass(frozen=True)
class BalanceLine:
    account_id: int | None  # None for the computed current-year earnings line
    code: str
    name: str
    amount: int


@dataclass(frozen=True)
class BalanceSection:
    key: str
    title: str
    lines: tuple[BalanceLine, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True)
class BalanceSheet:
    company_id: int
    currency: str
    as_of: dt.date
    fiscal_year_start: dt.date
    assets: BalanceSection
    liabilities: BalanceSection
    equity: BalanceSection
    current_year_earnings: int
    prior_years_earnings: int

    @property
    def liabilities_and_equity(self) -> int:
        return self.liabilities.total + self.equity.total

    @property
    def balanced(self) -> bool:
        return self.assets.total == self.liabilities_and_equity

    def to_json(self) -> dict[str, Any]:
        c = self.currency

        def section(s: BalanceSection) -> dict[str, Any]:
            return {
                "lines": [
                    {
                        "account_id": ln.account_id,
                        "code": ln.code,
                        "name": ln.name,
                        "amount": money(ln.amount, c),
                    }
                    for ln in s.lines
                ],
                "total": money(s.total, c),
            }

        return {
            "report": "balance_sheet",
            "company_id": self.company_id,
            "currency": c,
            "as_of": self.as_of.isoformat(),
            "fiscal_year_start": self.fiscal_year_start.isoformat(),
            "assets": section(self.assets),
            "liabilities": section(self.liabilities),
            "equity": section(self.equity),
            "current_year_earnings": money(self.current_year_earnings, c),
            "prior_years_earnings": money(self.prior_years_earnings, c),
            "total_assets": money(self.assets.total, c),
            "total_liabilities_and_equity": money(self.liabilities_and_equity, c),
            "balanced": self.balanced,
        }


def balance_sheet(
    session: Session,
    actor: Actor,
    company_id: int,
    as_of: dt.date,
    *,
    currency: str | None = None,
) -> BalanceSheet:
    company = authorize(session, actor, company_id, Permission.REPORTS_READ)
    cur = report_currency(company, currency)
    fy_start = fiscal_year_start(as_of, company.fiscal_year_start_month)
    accounts = load_accounts(session, company_id)
    sums = balances_split(session, company_id, currency=cur, end=as_of, split=fy_start)
    pnl_ids = [a.id for a in accounts.values() if a.type in ("income", "expense")]

    def balance(account_id: int) -> int:
        return sums.get(account_id, (0, 0))[0]

    # Earnings are credit-positive: income less expenses.
    all_earnings = -sum(balance(a) for a in pnl_ids)
    prior = -sum(sums.get(a, (0, 0))[1] for a in pnl_ids)
    current = all_earnings - prior

    assets: list[BalanceLine] = []
    liabilities: list[BalanceLine] = []
    equity: list[BalanceLine] = []
    retained_done = False
    for a in accounts.values():
        amount = balance(a.id)
        if a.type == "asset":
            if amount:
                assets.append(BalanceLine(a.id, a.code, a.name, amount))
        elif a.type == "liability":
            if amount:
                liabilities.append(BalanceLine(a.id, a.code, a.name, -amount))
        elif a.type == "equity":
            shown = -amount
            if a.subtype == "retained_earnings" and not retained_done:
                shown += prior
                retained_done = True
            if shown:
                equity.append(BalanceLine(a.id, a.code, a.name, shown))
    if not retained_done and prior:
        equity.append(BalanceLine(None, "", "Retained Earnings", prior))
    equity.append(BalanceLine(None, "", "Current Year Earnings", current))
    return BalanceSheet(
        company_id,
        cur,
        as_of,
        fy_start,
        BalanceSection("assets", "Assets", tuple(assets)),
        BalanceSection("liabilities", "Liabilities", tuple(liabilities)),
        BalanceSection("equity", "Equity", tuple(equity)),
        current,
        prior,
    )
