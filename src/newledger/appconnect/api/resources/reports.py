"""``/reports/…``: the foundation's reports, computed by ``newledger.ledger.reports``.

Reports read per-day account totals, so they stay fast on large books; they still run in the
thread pool so one big report never holds up the worker's other requests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from newledger.appconnect.api.deps import ApiContext, requires
from newledger.appconnect.api.problems import ApiProblem
from newledger.appconnect.api.schemas import Day
from newledger.identity.models import Company
from newledger.identity.permissions import Permission
from newledger.ledger import reports
from newledger.ledger.reports.common import fiscal_year_start

__all__ = ["router"]

router = APIRouter(prefix="/reports", tags=["Reports"])

Report = dict[str, Any]
AsOf = Annotated[Day | None, Query(description="Default: today (UTC).")]
From = Annotated[
    Day | None, Query(alias="from", description="First day. Default: see the operation.")
]
To = Annotated[Day | None, Query(alias="to", description="Last day. Default: today (UTC).")]
Currency = Annotated[
    str | None,
    Query(pattern=r"^[A-Z]{3}$", description="Report currency. Default: the home currency."),
]


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _run(ctx: ApiContext, build: Callable[[], Any]) -> Response:
    try:
        report = await run_in_threadpool(build)
    except OverflowError:
        # e.g. many comparison periods before 1900: the periods would leave the calendar.
        raise ApiProblem(
            422,
            "validation_failed",
            "The requested periods fall outside the supported dates.",
            errors={"from": "out of range"},
        ) from None
    return ctx.respond(report.to_json())


def _fy_start(ctx: ApiContext, day: dt.date) -> dt.date:
    company = ctx.session.get(Company, ctx.company_id)
    return fiscal_year_start(day, company.fiscal_year_start_month if company else 1)


@router.get("/cash-position", response_model=Report, summary="Cash position")
async def cash_position(
    start: From = None, end: To = None, ctx: ApiContext = requires(Permission.REPORTS_READ)
) -> Response:
    """Each bank account's opening balance, money in and out, and closing balance over the
    period (default: the month to date)."""
    end = end or _today()
    start = start or end.replace(day=1)
    return await _run(
        ctx, lambda: reports.cash_position(ctx.session, ctx.actor, ctx.company_id, start, end)
    )


@router.get("/ar-aging", response_model=Report, summary="Accounts receivable aging")
async def ar_aging(
    as_of: AsOf = None,
    currency: Currency = None,
    ctx: ApiContext = requires(Permission.REPORTS_READ),
) -> Response:
    """Open invoices by customer: current, 1-30, 31-60, 61-90 and 90+ days past due."""
    day = as_of or _today()
    return await _run(
        ctx,
        lambda: reports.ar_aging(ctx.session, ctx.actor, ctx.company_id, day, currency=currency),
    )


@router.get("/ap-aging", response_model=Report, summary="Accounts payable aging")
async def ap_aging(
    as_of: AsOf = None,
    currency: Currency = None,
    ctx: ApiContext = requires(Permission.REPORTS_READ),
) -> Response:
    """Open bills by vendor: current, 1-30, 31-60, 61-90 and 90+ days past due."""
    day = as_of or _today()
    return await _run(
        ctx,
        lambda: reports.ap_aging(ctx.session, ctx.actor, ctx.company_id, day, currency=currency),
    )


@router.get("/expenses-by-category", response_model=Report, summary="Expenses by category")
async def expenses_by_category(
    start: From = None,
    end: To = None,
    currency: Currency = None,
    ctx: ApiContext = requires(Permission.REPORTS_READ),
) -> Response:
    """Net spend per expense account and month (default: the fiscal year to date)."""
    end = end or _today()
    start = start or _fy_start(ctx, end)
    return await _run(
        ctx,
        lambda: reports.expenses_by_category(
            ctx.session, ctx.actor, ctx.company_id, start, end, currency=currency
        ),
    )


@router.get("/profit-and-loss", response_model=Report, summary="Profit and loss")
async def profit_and_loss(
    start: From = None,
    end: To = None,
    compare: Annotated[int, Query(ge=0, le=12, description="Previous periods to add")] = 0,
    compare_year: Annotated[bool, Query(description="Add the same period a year back")] = False,
    currency: Currency = None,
    ctx: ApiContext = requires(Permission.REPORTS_READ),
) -> Response:
    """Income, cost of sales and expenses (default: the fiscal year to date)."""
    end = end or _today()
    start = start or _fy_start(ctx, end)
    return await _run(
        ctx,
        lambda: reports.profit_and_loss(
            ctx.session,
            ctx.actor,
            ctx.company_id,
            start,
            end,
            compare=compare,
            compare_year=compare_year,
            currency=currency,
        ),
    )


@router.get("/balance-sheet", response_model=Report, summary="Balance sheet")
async def balance_sheet(
    as_of: AsOf = None,
    currency: Currency = None,
    ctx: ApiContext = requires(Permission.REPORTS_READ),
) -> Response:
    day = as_of or _today()
    return await _run(
        ctx,
        lambda: reports.balance_sheet(
            ctx.session, ctx.actor, ctx.company_id, day, currency=currency
        ),
    )


@router.get("/trial-balance", response_model=Report, summary="Trial balance")
async def trial_balance(
    as_of: AsOf = None, ctx: ApiContext = requires(Permission.REPORTS_READ)
) -> Response:
    day = as_of or _today()
    return await _run(
        ctx, lambda: reports.trial_balance(ctx.session, ctx.actor, ctx.company_id, day)
    )
