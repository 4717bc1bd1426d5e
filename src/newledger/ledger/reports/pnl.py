"""Profit and loss for a period, with comparison periods.

Sections: income, cost of sales, expenses, and other income and expenses. Income and "other"
amounts are shown credit-positive, costs debit-positive, so:
gross profit = income - cost of sales; operating profit = gross profit - expenses;
net income = operating profit + other.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from newledger.actor import Actor
from newledger.errors import ValidationFailed
from newledger.identity.permissions import Permission
from newledger.ledger.reports.common import (
    AccountRef,
    Period,
    account_sums,
    add_months,
    authorize,
    load_accounts,
    money,
    report_currency,
    validate_period,
)

__all__ = ["PnlLine", "PnlSection", "ProfitAndLoss", "comparison_periods", "profit_and_loss"]

# (key, title, sign): sign turns debit-minus-credit into the amount shown.
SECTIONS: tuple[tuple[str, str, int], ...] = (
    ("income", "Income", -1),
    ("cost_of_sales", "Cost of sales", 1),
    ("expense", "Expenses", 1),
    ("other", "Other income and expenses", -1),
)
MAX_COMPARE = 24


def _section_of(account: AccountRef) -> str:
    if account.subtype in ("other_income", "other_expense"):
        return "other"
    if account.type == "income":
        return "income"
    return "cost_of_sales" if account.subtype == "cost_of_sales" else "expense"


@dataclass(frozen=True)
class PnlLine:
    account_id: int
    code: str
    name: str
    amounts: tuple[int, ...]  # one per period


@dataclass(frozen=True)
class PnlSection:
    key: str
    title: str
    lines: tuple[PnlLine, ...]
    totals: tuple[int, ...]


@dataclass(frozen=True)
class ProfitAndLoss:
    company_id: int
    currency: str
    periods: tuple[Period, ...]  # the period asked for first, then comparisons
    sections: tuple[PnlSection, ...]
    gross_profit: tuple[int, ...]
    operating_profit: tuple[int, ...]
    net_income: tuple[int, ...]

    def section(self, key: str) -> PnlSection:
        return next(s for s in self.sections if s.key == key)

    def to_json(self) -> dict[str, Any]:
        c = self.currency

        def amounts(values: tuple[int, ...]) -> list[str]:
            return [money(v, c) for v in values]

        return {
            "report": "profit_and_loss",
            "company_id": self.company_id,
            "currency": c,
            "periods": [p.to_json() for p in self.periods],
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "lines": [
                        {
                            "account_id": ln.account_id,
                            "code": ln.code,
                            "name": ln.name,
                            "amounts": amounts(ln.amounts),
                        }
                        for ln in s.lines
                    ],
                    "totals": amounts(s.totals),
                }
                for s in self.sections
            ],
            "gross_profit": amounts(self.gross_profit),
            "operating_profit": amounts(self.operating_profit),
            "net_income": amounts(self.net_income),
        }


def _is_whole_months(period: Period) -> bool:
    last = calendar.monthrange(period.end.year, period.end.month)[1]
    return period.start.day == 1 and period.end.day == last


def _shift(period: Period, steps: int) -> Period:
    """The period ``steps`` lengths earlier: whole months stay whole months."""
    if _is_whole_months(period):
        months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month
        span = (months + 1) * steps
        start = add_months(period.start, -span)
        end_month = add_months(period.end.replace(day=1), -span)
        end = end_month.replace(day=calendar.monthrange(end_month.year, end_month.month)[1])
        return Period(start, end)
    length = (period.end - period.start).days + 1
    delta = dt.timedelta(days=length * steps)
    return Period(period.start - delta, period.end - delta)


def _year_earlier(period: Period) -> Period:
    if _is_whole_months(period):
        end_month = add_months(period.end.replace(day=1), -12)
        end = end_month.replace(day=calendar.monthrange(end_month.year, end_month.month)[1])
        return Period(add_months(period.start, -12), end)
    return Period(add_months(period.start, -12), add_months(period.end, -12))


def comparison_periods(period: Period, compare: int, compare_year: bool) -> tuple[Period, ...]:
    if not 0 <= compare <= MAX_COMPARE:
        raise ValidationFailed(
            f"compare must be between 0 and {MAX_COMPARE}", errors={"compare": "out of range"}
        )
    try:
        periods = [period] + [_shift(period, n) for n in range(1, compare + 1)]
        if compare_year:
            periods.append(_year_earlier(period))
    except (OverflowError, ValueError):
        # date arithmetic left the calendar (before year 1): a bad request, not a crash.
        raise ValidationFailed(
            "The comparison periods reach before the year 1",
            errors={"compare": "reaches before the year 1"},
        ) from None
    return tuple(periods)


def profit_and_loss(
    session: Session,
    actor: Actor,
    company_id: int,
    start: dt.date,
    end: dt.date,
    *,
    compare: int = 0,
    compare_year: bool = False,
    currency: str | None = None,
) -> ProfitAndLoss:
    """P&L for [start, end], then ``compare`` previous periods, then the same period a year back."""
    company = authorize(session, actor, company_id, Permission.REPORTS_READ)
    cur = report_currency(company, currency)
    periods = comparison_periods(validate_period(start, end), compare, compare_year)
    accounts = load_accounts(session, company_id, types=("income", "expense"))
    net: dict[int, list[int]] = {a: [0] * len(periods) for a in accounts}
    for i, p in enumerate(periods):
        sums = account_sums(
            session, company_id, currency=cur, start=p.start, end=p.end, account_ids=accounts
        )
        for (account_id, _c), (dr, cr) in sums.items():
            net[account_id][i] = dr - cr
    sections: list[PnlSection] = []
    for key, title, sign in SECTIONS:
        lines = tuple(
            PnlLine(a.id, a.code, a.name, tuple(sign * v for v in net[a.id]))
            for a in accounts.values()
            if _section_of(a) == key and any(net[a.id])
        )
        totals = tuple(sum(ln.amounts[i] for ln in lines) for i in range(len(periods)))
        sections.append(PnlSection(key, title, lines, totals))
    by_key = {s.key: s.totals for s in sections}
    n = range(len(periods))
    gross = tuple(by_key["income"][i] - by_key["cost_of_sales"][i] for i in n)
    operating = tuple(gross[i] - by_key["expense"][i] for i in n)
    net_income = tuple(operating[i] + by_key["other"][i] for i in n)
    return ProfitAndLoss(company_id, cur, periods, tuple(sections), gross, operating, net_income)
