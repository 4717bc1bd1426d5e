"""Named periods an assistant can ask for without knowing today's date."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from newledger.ledger.reports.common import add_months, fiscal_year_start

__all__ = ["NamedPeriod", "period_dates", "today"]

NamedPeriod = Literal[
    "month_to_date",
    "quarter_to_date",
    "year_to_date",
    "last_month",
    "last_quarter",
    "last_year",
]


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def period_dates(
    name: NamedPeriod, now: dt.date, fiscal_start_month: int
) -> tuple[dt.date, dt.date]:
    """``[start, end]`` of a named period; quarters are calendar quarters, years fiscal years."""
    month_start = now.replace(day=1)
    quarter_start = now.replace(month=(now.month - 1) // 3 * 3 + 1, day=1)
    year_start = fiscal_year_start(now, fiscal_start_month)
    match name:
        case "month_to_date":
            return month_start, now
        case "quarter_to_date":
            return quarter_start, now
        case "year_to_date":
            return year_start, now
        case "last_month":
            return add_months(month_start, -1), month_start - dt.timedelta(days=1)
        case "last_quarter":
            return add_months(quarter_start, -3), quarter_start - dt.timedelta(days=1)
        case "last_year":
            return add_months(year_start, -12), year_start - dt.timedelta(days=1)
