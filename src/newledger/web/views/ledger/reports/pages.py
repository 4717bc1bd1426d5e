"""The Reports index, one page per report (``/reports/profit-and-loss`` ...) and each page's CSV
(``/reports/profit-and-loss.csv``). All need ``reports:read``; the figures link to the entries
behind them for people who may also read the journal."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from newledger.identity.permissions import Permission
from newledger.ledger.reports.presets import period_presets
from newledger.money import format_minor
from newledger.web.context import WebContext
from newledger.web.csvcells import csv_cell
from newledger.web.deps import require_permission, web_router
from newledger.web.templating import render
from newledger.web.views.ledger.reports.model import ReportView
from newledger.web.views.ledger.reports.operations import (
    ap_aging_view,
    ar_aging_view,
    cash_position_view,
    expenses_by_category_view,
)
from newledger.web.views.ledger.reports.query import Drill, ReportQuery, parse_query
from newledger.web.views.ledger.reports.statements import (
    balance_sheet_view,
    profit_and_loss_view,
    trial_balance_view,
)
from newledger.web.views.ledger.reports.taxes import sales_tax_view

__all__ = ["REPORTS", "ReportSpec", "csv_lines", "router"]

router = web_router()
_read = require_permission(Permission.REPORTS_READ)
Build = Callable[[WebContext, ReportQuery, Drill], ReportView]


@dataclass(frozen=True)
class ReportSpec:
    slug: str  # the page's path under /reports, as the REST API's
    prefix: str  # of the page's element ids ("bs" -> #bs-total-assets)
    title: str
    summary: str  # what the index card says
    as_of: bool  # one date (as of) rather than a period
    build: Build
    compare: str = ""  # "periods" (P&L) or "as_of" (balance sheet)
    month_to_date: bool = False  # the default period (else the fiscal year to date)


REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(
        "profit-and-loss",
        "pnl",
        "Profit and loss",
        "Income, cost of sales and expenses for a period, with earlier periods beside it.",
        False,
        profit_and_loss_view,
        compare="periods",
    ),
    ReportSpec(
        "balance-sheet",
        "bs",
        "Balance sheet",
        "Assets, liabilities and equity at a date, optionally beside a second date.",
        True,
        balance_sheet_view,
        compare="as_of",
    ),
    ReportSpec(
        "trial-balance",
        "tb",
        "Trial balance",
        "Every account's debit or credit balance at a date; the columns agree.",
        True,
        trial_balance_view,
    ),
    ReportSpec(
        "cash-position",
        "cash",
        "Cash position",
        "Each bank account's opening balance, money in and out, and closing balance.",
        False,
        cash_position_view,
        month_to_date=True,
    ),
    ReportSpec(
        "ar-aging",
        "ar",
        "Accounts receivable aging",
        "What customers owe, by days past due.",
        True,
        ar_aging_view,
    ),
    ReportSpec(
        "ap-aging",
        "ap",
        "Accounts payable aging",
        "What you owe vendors, by days past due.",
        True,
        ap_aging_view,
    ),
    ReportSpec(
        "expenses-by-category",
        "exp",
        "Expenses by category",
        "Spend per expense account and month.",
        False,
        expenses_by_category_view,
    ),
    ReportSpec(
        "sales-tax",
        "tax",
        "Sales tax",
        "Tax collected and paid per rate, the net owed, tied out to the tax accounts.",
        False,
        sales_tax_view,
    ),
)


@router.get("/reports")
def reports_index(request: Request, ctx: WebContext = Depends(_read)) -> Response:
    return render(request, "ledger/reports/index.html", ctx, reports=REPORTS)


def _query(request: Request, ctx: WebContext, spec: ReportSpec) -> ReportQuery:
    assert ctx.company is not None
    return parse_query(
        request.query_params,
        dt.date.today(),
        ctx.company.fiscal_year_start_month,
        month_to_date=spec.month_to_date,
    )


def _preset_links(ctx: WebContext, spec: ReportSpec) -> list[tuple[str, str]]:
    """(label, query string) per named period: the period, or for a report at a date, its
    last day (today for a period still running)."""
    assert ctx.company is not None
    today = dt.date.today()
    links = []
    for preset in period_presets(today, ctx.company.fiscal_year_start_month):
        p = preset.period
        if spec.as_of:
            query = {"as_of": min(p.end, today).isoformat()}
        else:
            query = {"from": p.start.isoformat(), "to": p.end.isoformat()}
        links.append((preset.label, urlencode(query)))
    return links


def _page(spec: ReportSpec) -> Callable[..., Response]:
    def page(request: Request, ctx: WebContext = Depends(_read)) -> Response:
        q = _query(request, ctx, spec)
        view = spec.build(ctx, q, Drill(ctx))
        query = request.url.query
        return render(
            request,
            "ledger/reports/report.html",
            ctx,
            status=422 if q.errors else 200,
            spec=spec,
            view=view,
            filters=q.form,
            errors=q.errors,
            presets=_preset_links(ctx, spec),
            csv_url=f"/reports/{spec.slug}.csv" + (f"?{query}" if query else ""),
        )

    return page


def csv_lines(view: ReportView) -> str:
    """The report as CSV: one line per row, the same figures as the page, amounts as plain
    decimals in the row's currency (blank where the page is blank)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["Section", "Code", view.row_label, "Currency", *(c.label for c in view.columns)]
    )
    for table in view.tables:
        for row in table.rows:
            currency = view.currency_of(row)
            amounts = [
                "" if cell.amount is None else format_minor(cell.amount, currency)
                for cell in row.cells
            ]
            writer.writerow(
                [
                    csv_cell(table.caption),
                    csv_cell(row.code),
                    csv_cell(row.name),
                    currency,
                    *amounts,
                ]
            )
    return buffer.getvalue()


def _csv(spec: ReportSpec) -> Callable[..., Response]:
    def download(request: Request, ctx: WebContext = Depends(_read)) -> Response:
        assert ctx.company is not None
        q = _query(request, ctx, spec)
        if q.errors:
            # A file of other dates than the ones asked for would mislead: show the page,
            # which says what to correct.
            return RedirectResponse(f"/reports/{spec.slug}?{request.url.query}", status_code=303)
        view = spec.build(ctx, q, Drill(ctx))
        filename = f"{ctx.company.slug}-{spec.slug}-{view.period}.csv"
        return Response(
            csv_lines(view),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    return download


for _spec in REPORTS:
    router.add_api_route(f"/reports/{_spec.slug}", _page(_spec), methods=["GET"])
    router.add_api_route(f"/reports/{_spec.slug}.csv", _csv(_spec), methods=["GET"])
