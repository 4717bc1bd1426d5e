"""``/``: the dashboard. Cash per bank account, receivables aging and expenses by month as
server-made SVG charts, with the number of drafts awaiting review and of connected apps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Depends, Request, Response

from newledger.identity import invitations
from newledger.identity.permissions import Permission
from newledger.ledger.reports import ap_aging, ar_aging, cash_position, expenses_by_category
from newledger.ledger.reports.common import add_months
from newledger.ledger.review import count_drafts_awaiting_review
from newledger.web.charts import bar_chart, horizontal_bar_chart, stacked_bar_chart
from newledger.web.deps import WebContext, require_user, web_router
from newledger.web.templating import render
from newledger.web.views.ledger.listing import connected_app_count

router = web_router()

AGING_LABELS = ("Current", "1-30 days", "31-60 days", "61-90 days", "Over 90 days")
MONTHS_SHOWN = 12


def _month_label(year_month: str) -> str:
    return dt.date.fromisoformat(f"{year_month}-01").strftime("%b %Y")


def _charts(ctx: WebContext, today: dt.date) -> dict[str, Any]:
    """The three charts (reports:read); empty when the user may not read reports."""
    assert ctx.company is not None
    if not ctx.can(Permission.REPORTS_READ):
        return {}
    company_id, home = ctx.company.id, ctx.company.home_currency
    first = add_months(today.replace(day=1), -(MONTHS_SHOWN - 1))

    locale = ctx.company.locale
    cash = cash_position(ctx.db, ctx.actor, company_id, first, today)
    in_home = [a for a in cash.accounts if a.currency == home]
    cash_svg = horizontal_bar_chart(
        f"Cash position on {today.isoformat()} ({home})",
        [a.name for a in in_home],
        [a.closing for a in in_home],
        home,
        chart_id="chart-cash",
        width=520,
        empty_message="No bank accounts yet",
        locale=locale,
    )
    aging = ar_aging(ctx.db, ctx.actor, company_id, today)
    aging_svg = stacked_bar_chart(
        f"Receivables aging on {today.isoformat()} ({aging.currency})",
        list(AGING_LABELS),
        list(aging.totals),
        aging.currency,
        chart_id="chart-aging",
        width=520,
        locale=locale,
    )
    spend = expenses_by_category(ctx.db, ctx.actor, company_id, first, today)
    spend_svg = bar_chart(
        f"Expenses by month ({spend.currency})",
        [_month_label(m) for m in spend.months],
        list(spend.totals),
        spend.currency,
        chart_id="chart-expenses",
        width=760,
        empty_message="No expenses in the last 12 months",
        locale=locale,
    )
    other = [a for a in cash.accounts if a.currency != home]
    payables = ap_aging(ctx.db, ctx.actor, company_id, today)
    return {
        "headline": {
            "cash": (sum(a.closing for a in in_home), home),
            "overdue_receivables": (sum(aging.totals[1:]), aging.currency),
            "payables_due": (payables.total, payables.currency),
            "payables_overdue": (sum(payables.totals[1:]), payables.currency),
        },
        "cash_chart": cash_svg,
        "aging_chart": aging_svg,
        "expenses_chart": spend_svg,
        "cash_other": other,
        "aging": aging,
    }


_REVIEWABLE = (
    Permission.INVOICES_READ,
    Permission.EXPENSES_READ,
    Permission.PAYMENTS_READ,
    Permission.BANK_READ,
)


def _drafts(ctx: WebContext) -> dict[str, int]:
    if not any(ctx.can(p) for p in _REVIEWABLE):
        return {"total": 0, "external": 0}
    return count_drafts_awaiting_review(ctx.db, ctx.actor)


@router.get("/")
def dashboard(request: Request, ctx: WebContext = Depends(require_user)) -> Response:
    invited = len(invitations.pending_for_user(ctx.db, ctx.user))
    if ctx.company is None:
        return render(request, "ledger/dashboard.html", ctx, no_company=True, invited=invited)
    today = dt.date.today()
    return render(
        request,
        "ledger/dashboard.html",
        ctx,
        today=today,
        drafts=_drafts(ctx),
        apps=connected_app_count(ctx.db, ctx.company.id),
        can_review=ctx.can(Permission.LEDGER_POST),
        invited=invited,
        **_charts(ctx, today),
    )
