"""Named periods a person picks instead of typing dates: this month, last month, this quarter,
this fiscal year, last fiscal year. Quarters and years follow the company's fiscal year."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from newledger.ledger.reports.common import Period, add_months, fiscal_year_start

__all__ = ["Preset", "month_end", "period_presets"]


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    period: Period


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def period_presets(today: dt.date, fiscal_start_month: int) -> tuple[Preset, ...]:
    """The periods around ``today``, whole months each (so the P&L compares them month for
    month)."""
    month = today.replace(day=1)
    last_month = add_months(month, -1)
    fy_start = fiscal_year_start(today, fiscal_start_month)
    into_year = (month.year - fy_start.year) * 12 + month.month - fy_start.month
    quarter = add_months(fy_start, into_year // 3 * 3)
    return (
        Preset("this-month", "This month", Period(month, month_end(month))),
        Preset("last-month", "Last month", Period(last_month, month_end(last_month))),
        Preset("this-quarter", "This quarter", Period(quarter, month_end(add_months(quarter, 2)))),
        Preset(
            "this-fiscal-year",
            "This fiscal year",
            Period(fy_start, month_end(add_months(fy_start, 11))),
        ),
        Preset(
            "last-fiscal-year",
            "Last fiscal year",
            Period(add_months(fy_start, -12), fy_start - dt.timedelta(days=1)),
        ),
    )
