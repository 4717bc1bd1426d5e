"""A report page's query string (dates, comparisons) and the drill-down links it hands out.

Dates that do not parse are reported per field (the page is then a 422 that shows them) and
the defaults are used, as the REST API's defaults: today, the fiscal year to date, and the
month to date for the cash position.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from newledger.identity.permissions import Permission
from newledger.ledger.reports.common import fiscal_year_start
from newledger.web.context import WebContext
from newledger.web.views.ledger._common import date_param

__all__ = ["MAX_COMPARE", "Drill", "ReportQuery", "parse_query"]

MAX_COMPARE = 12  # as the REST API allows
_TRUE = ("1", "on", "true", "yes")


@dataclass(frozen=True)
class ReportQuery:
    as_of: dt.date
    start: dt.date
    end: dt.date
    compare: int = 0  # previous periods (P&L)
    compare_year: bool = False  # the same period a year back (P&L)
    compare_as_of: dt.date | None = None  # a second balance sheet date
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def form(self) -> dict[str, str]:
        """The values the date form shows."""
        return {
            "as_of": self.as_of.isoformat(),
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "compare": str(self.compare),
            "compare_year": "1" if self.compare_year else "",
            "compare_as_of": self.compare_as_of.isoformat() if self.compare_as_of else "",
        }


def parse_query(
    query: Mapping[str, str], today: dt.date, fiscal_start_month: int, *, month_to_date: bool
) -> ReportQuery:
    errors: dict[str, str] = {}
    as_of = date_param(query, "as_of", errors, today) or today
    compare_as_of = date_param(query, "compare_as_of", errors, None)
    end = date_param(query, "to", errors, None) or today
    default_start = (
        end.replace(day=1) if month_to_date else fiscal_year_start(end, fiscal_start_month)
    )
    start = date_param(query, "from", errors, None) or default_start
    if start > end:
        errors["to"] = "The end date is before the start date."
        start, end = end, start
    compare = 0
    raw = query.get("compare", "").strip()
    if raw:
        if raw.isdigit() and int(raw) <= MAX_COMPARE:
            compare = int(raw)
        else:
            errors["compare"] = f"Choose 0 to {MAX_COMPARE} earlier periods."
    compare_year = query.get("compare_year", "").strip().lower() in _TRUE
    return ReportQuery(as_of, start, end, compare, compare_year, compare_as_of, errors)


class Drill:
    """Links from a figure to the account ledger behind it: only for people who may read the
    journal (``journal:read``); everyone else sees the figures without links."""

    def __init__(self, ctx: WebContext) -> None:
        self.allowed = ctx.can(Permission.JOURNAL_READ)

    def ledger(
        self, account_id: int | None, start: dt.date, end: dt.date, currency: str = ""
    ) -> str | None:
        if not self.allowed or account_id is None:
            return None
        params = {"from": start.isoformat(), "to": end.isoformat()}
        if currency:
            params["currency"] = currency
        return f"/reports/accounts/{account_id}?{urlencode(params)}"
