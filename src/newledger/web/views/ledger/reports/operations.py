"""The cash position, AR and AP aging and expenses by category as report views (``model``),
from the same report services the REST API answers with."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from newledger.ledger.reports import ap_aging, ar_aging, cash_position, expenses_by_category
from newledger.ledger.reports.aging import BUCKETS
from newledger.ledger.reports.presets import month_end
from newledger.web.context import WebContext
from newledger.web.views.ledger.reports.model import (
    Cell,
    Column,
    ReportTable,
    ReportView,
    Row,
    period_text,
)
from newledger.web.views.ledger.reports.query import Drill, ReportQuery

__all__ = [
    "AGING_COLUMNS",
    "ap_aging_view",
    "ar_aging_view",
    "cash_position_view",
    "expenses_by_category_view",
]

AGING_COLUMNS = (
    *(
        Column(key, label)
        for key, label in zip(
            BUCKETS,
            ("Current", "1-30 days", "31-60 days", "61-90 days", "Over 90 days"),
            strict=True,
        )
    ),
    Column("total", "Total"),
)


def cash_position_view(ctx: WebContext, q: ReportQuery, drill: Drill) -> ReportView:
    assert ctx.company is not None
    report = cash_position(ctx.db, ctx.actor, ctx.company.id, q.start, q.end)
    home = ctx.company.home_currency
    rows = []
    for a in report.accounts:
        url = drill.ledger(a.account_id, q.start, q.end, "" if a.currency == home else a.currency)
        rows.append(
            Row(
                f"bank-{a.bank_account_id}",
                a.name,
                (Cell(a.opening), Cell(a.money_in, url), Cell(a.money_out, url), Cell(a.closing)),
                currency=a.currency,
            )
        )
    totals = tuple(
        Row(
            f"total-{t.currency}",
            f"Total {t.currency}",
            (Cell(t.opening), Cell(t.money_in), Cell(t.money_out), Cell(t.closing)),
            currency=t.currency,
            total=True,
        )
        for t in report.totals
    )
    return ReportView(
        f"Cash position {q.start.isoformat()} to {q.end.isoformat()}",
        "",
        "Bank account",
        (
            Column("opening", "Opening"),
            Column("money_in", "Money in"),
            Column("money_out", "Money out"),
            Column("closing", "Closing"),
        ),
        (ReportTable("cash-accounts", "Bank accounts", (*rows, *totals)),),
        period_text(q.start, q.end),
    )


def _aging_view(ctx: WebContext, q: ReportQuery, kind: str) -> ReportView:
    assert ctx.company is not None
    build = ar_aging if kind == "receivable" else ap_aging
    report = build(ctx.db, ctx.actor, ctx.company.id, q.as_of)
    slug = "ar-aging" if kind == "receivable" else "ap-aging"
    query = urlencode({"as_of": q.as_of.isoformat()})
    rows = tuple(
        Row(
            f"contact-{c.contact_id}",
            c.name,
            tuple(Cell(v) for v in (*c.buckets, c.total)),
            url=f"/reports/{slug}/contacts/{c.contact_id}?{query}",
        )
        for c in report.contacts
    )
    total = Row(
        "total", "Total", tuple(Cell(v) for v in (*report.totals, report.total)), total=True
    )
    title = "Accounts receivable aging" if kind == "receivable" else "Accounts payable aging"
    return ReportView(
        f"{title} at {q.as_of.isoformat()}",
        report.currency,
        "Customer" if kind == "receivable" else "Vendor",
        AGING_COLUMNS,
        (ReportTable(f"{slug}-contacts", "Days past due", (*rows, total)),),
        q.as_of.isoformat(),
    )


def ar_aging_view(ctx: WebContext, q: ReportQuery, drill: Drill) -> ReportView:
    return _aging_view(ctx, q, "receivable")


def ap_aging_view(ctx: WebContext, q: ReportQuery, drill: Drill) -> ReportView:
    return _aging_view(ctx, q, "payable")


def _month_bounds(month: str, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """A ``YYYY-MM`` month's days inside [start, end]."""
    first = dt.date(int(month[:4]), int(month[5:]), 1)
    return max(first, start), min(month_end(first), end)


def expenses_by_category_view(ctx: WebContext, q: ReportQuery, drill: Drill) -> ReportView:
    assert ctx.company is not None
    report = expenses_by_category(ctx.db, ctx.actor, ctx.company.id, q.start, q.end)
    bounds = [_month_bounds(m, q.start, q.end) for m in report.months]
    rows = tuple(
        Row(
            f"account-{c.account_id}",
            c.name,
            (
                *(
                    Cell(v, drill.ledger(c.account_id, *b) if v else None)
                    for v, b in zip(c.months, bounds, strict=True)
                ),
                Cell(c.total, drill.ledger(c.account_id, q.start, q.end)),
            ),
            code=c.code,
        )
        for c in report.categories
    )
    total = Row(
        "total", "Total", tuple(Cell(v) for v in (*report.totals, report.total)), total=True
    )
    return ReportView(
        f"Expenses by category {q.start.isoformat()} to {q.end.isoformat()}",
        report.currency,
        "Category",
        (*(Column(m, m) for m in report.months), Column("total", "Total")),
        (ReportTable("expenses-categories", "Expense accounts", (*rows, total)),),
        period_text(q.start, q.end),
    )
