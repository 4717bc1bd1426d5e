"""Expenses by category (expense accounts) and calendar month for a period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.identity.permissions import Permission
from newledger.ledger.reports.common import (
    Period,
    authorize,
    daily_rows,
    load_accounts,
    money,
    report_currency,
    validate_period,
)

__all__ = ["ExpenseCategory", "ExpensesByCategory", "expenses_by_category"]


@dataclass(frozen=True)
class ExpenseCategory:
    account_id: int
    code: str
    name: str
    months: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.months)


@dataclass(frozen=True)
class ExpensesByCategory:
    company_id: int
    currency: str
    period: Period
    months: tuple[str, ...]  # "YYYY-MM"
    categories: tuple[ExpenseCategory, ...]
    totals: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.totals)

    def to_json(self) -> dict[str, Any]:
        c = self.currency
        return {
            "report": "expenses_by_category",
            "company_id": self.company_id,
            "currency": c,
            "period": self.period.to_json(),
            "months": list(self.months),
            "categories": [
                {
                    "account_id": cat.account_id,
                    "code": cat.code,
                    "name": cat.name,
                    "months": {
                        m: money(v, c) for m, v in zip(self.months, cat.months, strict=True)
                    },
                    "total": money(cat.total, c),
                }
                for cat in self.categories
            ],
            "totals": {m: money(v, c) for m, v in zip(self.months, self.totals, strict=True)},
            "total": money(self.total, c),
        }


def _months(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def expenses_by_category(
    session: Session,
    actor: Actor,
    company_id: int,
    start: dt.date,
    end: dt.date,
    *,
    currency: str | None = None,
) -> ExpensesByCategory:
    """Net spend (debits less credits) per expense account and month; empty accounts omitted."""
    company = authorize(session, actor, company_id, Permission.REPORTS_READ)
    cur = report_currency(company, currency)
    period = validate_period(start, end)
    accounts = load_accounts(session, company_id, types=("expense",))
    months = _months(start, end)
    index = {ym: i for i, ym in enumerate(months)}
    grid: dict[int, list[int]] = {}
    for account_id, day, debit, credit in daily_rows(
        session, company_id, currency=cur, start=start, end=end, account_ids=accounts
    ):
        row = grid.setdefault(account_id, [0] * len(months))
        row[index[(day.year, day.month)]] += debit - credit
    categories = [
        ExpenseCategory(a.id, a.code, a.name, tuple(grid[a.id]))
        for a in accounts.values()
        if a.id in grid and any(grid[a.id])
    ]
    totals = tuple(sum(c.months[i] for c in categories) for i in range(len(months)))
    return ExpensesByCategory(
        company_id,
        cur,
        period,
        tuple(f"{y:04d}-{m:02d}" for y, m in months),
        tuple(categories),
        totals,
    )
