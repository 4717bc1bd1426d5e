"""Reports: the balance sheet at a date and profit and loss for a period, side by side."""

from __future__ import annotations

import datetime as dt

from fastapi import Depends, Request, Response

from newledger.identity.permissions import Permission
from newledger.ledger.reports import balance_sheet, profit_and_loss
from newledger.ledger.reports.common import fiscal_year_start
from newledger.web.deps import WebContext, require_permission, web_router
from newledger.web.templating import render
from newledger.web.views.ledger._common import date_param

router = web_router()
_read = require_permission(Permission.REPORTS_READ)


@router.get("/reports")
def reports_page(request: Request, ctx: WebContext = Depends(_read)) -> Response:
    assert ctx.company is not None
    today = dt.date.today()
    q = request.query_params
    errors: dict[str, str] = {}
    as_of = date_param(q, "as_of", errors, today) or today
    start = date_param(q, "from", errors, None) or fiscal_year_start(
        as_of, ctx.company.fiscal_year_start_month
    )
    end = date_param(q, "to", errors, None) or as_of
    if start > end:
        errors["to"] = "The end date is before the start date."
        start, end = end, start
    sheet = balance_sheet(ctx.db, ctx.actor, ctx.company.id, as_of)
    pnl = profit_and_loss(ctx.db, ctx.actor, ctx.company.id, start, end)
    return render(
        request,
        "ledger/reports.html",
        ctx,
        status=422 if errors else 200,
        errors=errors,
        filters={"as_of": as_of.isoformat(), "from": start.isoformat(), "to": end.isoformat()},
        sheet=sheet,
        pnl=pnl,
    )
