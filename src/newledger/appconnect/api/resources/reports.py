"""``/reports/…``: the foundation's reports, computed by ``newledger.ledger.reports``.

Reports read per-day account totals, so they stay fast on large books; they still run in the
thread pool so one big report never holds up the worker's other requests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.problems import ApiProblem
from newledger.appconnect.api.schemas import CurrencyCode, Day, WireBool
from newledger.identity.models import Company
from newledger.identity.permissions import Permission
from newledger.ledger import reports
from newledger.ledger.reports.common import fiscal_year_start
from newledger.ledger.reports.schemas import (
    AgingReport,
    BalanceSheetReport,
    CashPositionReport,
    ExpensesByCategoryReport,
    ProfitAndLossReport,
    SalesTaxReport,
    TrialBalanceReport,
)

__all__ = ["router"]

router = APIRouter(prefix="/reports", tags=["Reports"])

AsOf = Annotated[Day | None, Query(description="Default: today (UTC).")]
From = Annotated[
    Day | None, Query(alias="from", description="First day. Default: see the operation.")
]
To = Annotated[Day | None, Query(alias="to", description="Last day. Default: today (UTC).")]
Currency = Annotated[
    CurrencyCode | None, Query(description="Report currency. Default: the home currency.")
]


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _run(
    ctx: ApiContext, build: Callable[..., Any], *dates: dt.date, **options: Any
) -> Response:
    """``build(session, actor, company_id, *dates, **options)`` in the thread pool, as JSON.

    The request's connection goes back to the pool before the hop (the token check's unit of
    work is committed) and again before the thread returns. Held across the ``await``, a burst of
    report requests would take every pooled connection, the next request's token check would
    wait for one *on the event loop*, and the threads that could free one would wait for that
    loop: every worker stalled until the pool timeout.
    """
    ctx.session.commit()
    try:
        report = await run_in_threadpool(
            _released, build, ctx.session, ctx.actor, ctx.company_id, *dates, **options
        )
    except OverflowError:
        # e.g. many comparison periods before 1900: the periods would leave the calendar.
        raise ApiProblem(
            422,
            "validation_failed",
            "The requested periods fall outside the supported dates.",
            errors={"from": "out of range"},
        ) from None
    return ctx.respond(report.to_json())


def _released(build: Callable[..., Any], session: Session, *args: Any, **options: Any) -> Any:
    """Run ``build`` and end its read transaction in the same thread (see ``_run``)."""
    try:
        return build(session, *args, **options)
    finally:
        session.rollback()  # a read: nothing to commit, and the connection is returned


def _fiscal_year_to_date(
    ctx: ApiContext, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    """``start`` to ``end``; by default the fiscal year to date."""
    end = end or _today()
    if start is None:
        company = ctx.session.get(Company, ctx.company_id)
        start = fiscal_year_start(end, company.fiscal_year_start_month if company else 1)
    return start, end


@router.get(
    "/cash-position",
    response_model=CashPositionReport,
    operation_id="getCashPosition",
    summary="Cash position",
)
async def cash_position(
    start: From = None, end: To = None, ctx: ApiContext = requires(Permission.REPORTS_READ)
) -> Response:
    """Each bank account's opening balance, money in and out, and closing balance over the
    period (default: the month to date)."""
    end = end or _today()
    return await _run(ctx, reports.cash_position, start or end.replace(day=1), end)


@router.get(
    "/ar-aging",
    response_model=AgingReport,
    operation_id="getArAging",
    summary="Accounts receivable aging",
)
async def ar_aging(
    as_of: AsOf = None,
    currency: Currency = None,
    ctx: ApiContext = requires(Permission.REPORTS_READ),
) -> Response:
    """Open invoices by customer: current, 1-30, 31-60, 61-90 and 90+ days past due."""
    return await _run(ctx, reports.ar_aging, as_of or _today(), currency=currency)


@router.get(
    "/ap-aging",
    response_model=AgingReport,
    operation_id="getApAging",
    summary="Accounts payable aging",
)
async def ap_aging(
    as_of: AsOf = None,
    currency: Currency = None,
    ctx: ApiContext = requires(Permission.REPORTS_READ),
) -> Response:
    """Open bills by vendor: current, 1-30, 31-60, 61-90 and 90+ days past due."""
    return await _run(ctx, reports.ap_aging, as_of or _today(), currency=currency)


@router.get(
    "/expenses-by-category",
    response_model=ExpensesByCategoryReport,
    operation_id="getExpensesByCategory",
    summary="Expenses by category",
)
async def expenses_by_category(
    start: From = None,
    end: To = None,
    currency: Currency = None,
    ctx: ApiContext = requires(Permission.REPORTS_READ),
) -> Response:
    """Net spend per expense account and month (default: the fiscal year to date)."""
    period = _fiscal_year_to_date(ctx, start, end)
    return await _run(ctx, reports.expenses_by_category, *period, currency=currency)


@router.get(
    "/profit-and-loss",
    response_model=ProfitAndLossReport,
    operation_id="getProfitAndLoss",
    summary="Profit and loss",
)
async def profit_and_loss(
    start: From = None,
    end: To = None,
    compare: Annotated[int, Query(ge=0, le=12, description="Previous periods to add")] = 0,
    compare_year: Annotated[WireBool, Query(description="Add the same period a year back")] = False,
    currency: Currency = None,
    ctx: ApiContext = requires(Permission.REPORTS_READ),
) -> Response:
    """Income, cost of sales and expenses (default: the fiscal year to date)."""
    period = _fiscal_year_to_date(ctx, start, end)
    return await _run(
        ctx,
        reports.profit_and_loss,
        *period,
        compare=compare,
        compare_year=compare_year,
        currency=currency,
    )


@router.get(
    "/sales-tax",
    response_model=SalesTaxReport,
    operation_id="getSalesTaxReport",
    summary="Sales tax",
)
async def sales_tax(
    start: From = None,
    end: To = None,
    currency: Currency = None,
    ctx: ApiContext = requires(Permission.REPORTS_READ),
) -> Response:
    """Tax collected and paid per rate, the net owed, and its tie-out to the tax accounts'
    movement (default: the fiscal year to date)."""
    period = _fiscal_year_to_date(ctx, start, end)
    return await _run(ctx, reports.sales_tax, *period, currency=currency)


@router.get(
    "/balance-sheet",
    response_model=BalanceSheetReport,
    operation_id="getBalanceSheet",
    summary="Balance sheet",
)
async def balance_sheet(
    as_of: AsOf = None,
    currency: Currency = None,
    ctx: ApiContext = requires(Permission.REPORTS_READ),
) -> Response:
    return await _run(ctx, reports.balance_sheet, as_of or _today(), currency=currency)


@router.get(
    "/trial-balance",
    response_model=TrialBalanceReport,
    operation_id="getTrialBalance",
    summary="Trial balance",
)
async def trial_balance(
    as_of: AsOf = None, ctx: ApiContext = requires(Permission.REPORTS_READ)
) -> Response:
    return await _run(ctx, reports.trial_balance, as_of or _today())
