"""Report tools: company info, cash position, AR/AP aging, P&L, balance sheet, expenses by
category, sales tax owed. Each calls the report service REST's ``/reports/…`` calls, with the
same defaults, and returns the REST report's JSON as structured content."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import Field

from newledger.appconnect.audience import company_mcp_url
from newledger.appconnect.mcp.call import McpCall, page_url
from newledger.appconnect.mcp.tools import models
from newledger.appconnect.mcp.tools.periods import NamedPeriod, period_dates, today
from newledger.appconnect.mcp.tools.registry import tool
from newledger.appconnect.mcp.tools.results import guarded, success
from newledger.errors import ValidationFailed
from newledger.identity.models import Company
from newledger.identity.permissions import Permission
from newledger.identity.services import get_company
from newledger.ledger import reports
from newledger.ledger.reports.aging import BUCKETS
from newledger.ledger.reports.common import fiscal_year_start
from newledger.money import format_minor

__all__: list[str] = []

REPORTS = Permission.REPORTS_READ
Day = Annotated[dt.date | None, Field(description="ISO 8601 date (YYYY-MM-DD)")]
Currency = Annotated[
    str | None,
    Field(pattern=r"^[A-Z]{3}$", description="Report currency (ISO 4217); default: home currency"),
]
Period = Annotated[
    NamedPeriod | None,
    Field(description="A named period instead of start/end (quarters are calendar quarters)"),
]


def _company(call: McpCall) -> Company:
    company = call.session.get(Company, call.company_id)
    assert company is not None  # the token's grant names a live company
    return company


def _range(
    call: McpCall, period: NamedPeriod | None, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    """``period`` if given, else ``start``..``end``, by default the fiscal year to date (as the
    REST reports)."""
    if period is not None:
        if start is not None or end is not None:
            raise ValidationFailed(
                "Give either period or start/end, not both",
                errors={"period": "given together with start/end"},
            )
        return period_dates(period, today(), _company(call).fiscal_year_start_month)
    end = end or today()
    if start is None:
        start = fiscal_year_start(end, _company(call).fiscal_year_start_month)
    return start, end


@tool("company_info", "Company info", Permission.COMPANY_READ)
async def company_info() -> Annotated[CallToolResult, models.CompanyOut]:
    """The company these tools act on: its name, home currency (amounts default to it) and the
    month its fiscal year starts. Call it first if you need the currency or fiscal year."""

    def work(call: McpCall) -> CallToolResult:
        company = get_company(call.session, call.actor)
        data = {
            "id": company.id,
            "name": company.name,
            "slug": company.slug,
            "home_currency": company.home_currency,
            "fiscal_year_start_month": company.fiscal_year_start_month,
            "mcp_url": company_mcp_url(company.slug),
            "url": page_url("/"),
        }
        text = (
            f"{company.name}: home currency {company.home_currency}, fiscal year starts in "
            f"month {company.fiscal_year_start_month}."
        )
        return success(text, models.CompanyOut, data)

    return await guarded(work)


@tool("cash_position", "Cash position", REPORTS)
async def cash_position(
    start: Annotated[Day, Field(description="First day; default: the 1st of end's month")] = None,
    end: Annotated[Day, Field(description="Last day; default: today")] = None,
) -> Annotated[CallToolResult, models.CashPositionOut]:
    """How much cash the company has: each bank account's opening balance, money in, money out
    and closing balance over a period (default: the month to date), with totals per currency.
    Answers "how much cash do we have"."""

    def work(call: McpCall) -> CallToolResult:
        last = end or today()
        first = start or last.replace(day=1)
        report = reports.cash_position(call.session, call.actor, call.company_id, first, last)
        data: dict[str, Any] = {**report.to_json(), "url": page_url("/")}
        totals = "; ".join(
            f"{t['closing']} {t['currency']} (in {t['money_in']}, out {t['money_out']})"
            for t in data["totals"]
        )
        text = (
            f"Cash on {last.isoformat()}: {totals or 'no bank accounts'} across "
            f"{len(data['accounts'])} bank account(s), since {first.isoformat()}."
        )
        return success(text, models.CashPositionOut, data)

    # On the event loop: one indexed read of bank accounts x days (as the token endpoint's
    # read, see ``oauth/token.py``), cheaper than a thread-pool hop; ``guarded`` ends the
    # unit of work before returning, so no connection is held across an await.
    return await guarded(work)


def _aging(kind: Literal["ar", "ap"], as_of: dt.date | None, currency: str | None) -> Any:
    def work(call: McpCall) -> CallToolResult:
        build = reports.ar_aging if kind == "ar" else reports.ap_aging
        day = as_of or today()
        report = build(call.session, call.actor, call.company_id, day, currency=currency)
        data: dict[str, Any] = report.to_json()
        cur = data["currency"]
        late: list[dict[str, Any]] = []
        for row in sorted(report.contacts, key=lambda c: c.buckets[::-1], reverse=True):
            past_due = sum(row.buckets[1:])
            if past_due <= 0:
                continue
            oldest = max(i for i in range(1, 5) if row.buckets[i] > 0)
            late.append(
                {
                    "contact_id": row.contact_id,
                    "name": row.name,
                    "past_due": format_minor(past_due, cur),
                    "oldest_bucket": BUCKETS[oldest],
                    "url": page_url(f"/contacts/{row.contact_id}"),
                }
            )
        data["late"] = late
        data["url"] = page_url("/invoices" if kind == "ar" else "/expenses")
        who = "Customers owe" if kind == "ar" else "The company owes vendors"
        totals = data["totals"]
        past = format_minor(sum(report.totals[1:]), cur)
        names = ", ".join(
            f"{x['name']} ({x['past_due']}, oldest {x['oldest_bucket'].replace('_', '-')} days)"
            for x in late[:5]
        )
        text = (
            f"{who} {totals['total']} {cur} as of {day.isoformat()}; {past} {cur} is past due."
            + (f" Late: {names}." if late else " Nobody is late.")
            + (f" ({len(late) - 5} more late in structured content.)" if len(late) > 5 else "")
        )
        return success(text, models.AgingOut, data)

    return work


@tool("ar_aging", "Accounts receivable aging", REPORTS)
async def ar_aging(
    as_of: Annotated[Day, Field(description="Age on this day; default: today")] = None,
    currency: Currency = None,
) -> Annotated[CallToolResult, models.AgingOut]:
    """Who owes the company money, and who is late: open invoices per customer in buckets of
    days past due (current, 1-30, 31-60, 61-90, 90+), plus the late customers, most overdue
    first."""
    return await guarded(_aging("ar", as_of, currency), thread=True)


@tool("ap_aging", "Accounts payable aging", REPORTS)
async def ap_aging(
    as_of: Annotated[Day, Field(description="Age on this day; default: today")] = None,
    currency: Currency = None,
) -> Annotated[CallToolResult, models.AgingOut]:
    """What the company owes its vendors, and which bills are late: open bills per vendor in
    buckets of days past due (current, 1-30, 31-60, 61-90, 90+), plus the vendors paid late,
    most overdue first."""
    return await guarded(_aging("ap", as_of, currency), thread=True)


@tool("profit_and_loss", "Profit and loss", REPORTS)
async def profit_and_loss(
    period: Period = None,
    start: Annotated[Day, Field(description="First day; default: fiscal year start")] = None,
    end: Annotated[Day, Field(description="Last day; default: today")] = None,
    compare: Annotated[
        int, Field(ge=0, le=12, description="How many previous periods of equal length to add")
    ] = 0,
    compare_year: Annotated[bool, Field(description="Add the same period a year back")] = False,
    currency: Currency = None,
) -> Annotated[CallToolResult, models.ProfitAndLossOut]:
    """Profit and loss (income statement) for a period, optionally beside comparison periods:
    income, cost of sales, expenses, gross and operating profit and net income. Default
    period: the fiscal year to date."""

    def work(call: McpCall) -> CallToolResult:
        first, last = _range(call, period, start, end)
        try:
            report = reports.profit_and_loss(
                call.session,
                call.actor,
                call.company_id,
                first,
                last,
                compare=compare,
                compare_year=compare_year,
                currency=currency,
            )
        except OverflowError:
            raise ValidationFailed(
                "The requested periods fall outside the supported dates",
                errors={"start": "out of range"},
            ) from None
        data: dict[str, Any] = {**report.to_json(), "url": page_url("/reports")}
        cur = data["currency"]
        sections = {s["key"]: s["totals"][0] for s in data["sections"]}
        periods = data["periods"]
        text = (
            f"Net income {periods[0]['from']} to {periods[0]['to']}: {data['net_income'][0]} {cur} "
            f"(income {sections.get('income', '0')}, cost of sales "
            f"{sections.get('cost_of_sales', '0')}, expenses {sections.get('expense', '0')})."
        )
        for p, ni in zip(periods[1:], data["net_income"][1:], strict=True):
            text += f" {p['from']} to {p['to']}: {ni} {cur}."
        return success(text, models.ProfitAndLossOut, data)

    return await guarded(work, thread=True)


@tool("balance_sheet", "Balance sheet", REPORTS)
async def balance_sheet(
    as_of: Annotated[
        Day, Field(description="Balances at the end of this day; default: today")
    ] = None,
    currency: Currency = None,
) -> Annotated[CallToolResult, models.BalanceSheetOut]:
    """Balance sheet on a day: assets, liabilities and equity by account, with current-year
    earnings, and whether it balances."""

    def work(call: McpCall) -> CallToolResult:
        day = as_of or today()
        report = reports.balance_sheet(
            call.session, call.actor, call.company_id, day, currency=currency
        )
        data: dict[str, Any] = {**report.to_json(), "url": page_url("/reports")}
        cur = data["currency"]
        text = (
            f"Balance sheet on {day.isoformat()}: assets {data['total_assets']} {cur}, "
            f"liabilities {data['liabilities']['total']} {cur}, equity "
            f"{data['equity']['total']} {cur}"
            + (" (balanced)." if data["balanced"] else " (NOT balanced).")
        )
        return success(text, models.BalanceSheetOut, data)

    return await guarded(work, thread=True)


@tool("expenses_by_category", "Expenses by category", REPORTS)
async def expenses_by_category(
    period: Period = None,
    start: Annotated[Day, Field(description="First day; default: fiscal year start")] = None,
    end: Annotated[Day, Field(description="Last day; default: today")] = None,
    category: Annotated[
        str | None,
        Field(
            max_length=100,
            description="Keep only expense accounts whose name or code contains this (any case),"
            " e.g. 'software'",
        ),
    ] = None,
    currency: Currency = None,
) -> Annotated[CallToolResult, models.ExpensesByCategoryOut]:
    """Spend per expense account and month over a period (default: the fiscal year to date).
    Answers "what did we spend on software this quarter" (period quarter_to_date, category
    software). `totals` and `total` always cover every category."""

    def work(call: McpCall) -> CallToolResult:
        first, last = _range(call, period, start, end)
        report = reports.expenses_by_category(
            call.session, call.actor, call.company_id, first, last, currency=currency
        )
        data: dict[str, Any] = {**report.to_json(), "url": page_url("/reports")}
        cur = data["currency"]
        cats = data["categories"]
        if category:
            needle = category.strip().lower()
            cats = [c for c in cats if needle in c["name"].lower() or needle in c["code"]]
            data["categories"] = cats
            kept = [
                c for c in report.categories if any(c.account_id == x["account_id"] for x in cats)
            ]
            spent = format_minor(sum(c.total for c in kept), cur)
            names = ", ".join(f"{c['name']} {c['total']}" for c in cats) or "no matching account"
            text = (
                f"Spent {spent} {cur} on '{category}' from {first.isoformat()} to "
                f"{last.isoformat()} ({names}); all expenses: {data['total']} {cur}."
            )
        else:
            top = sorted(report.categories, key=lambda c: c.total, reverse=True)[:5]
            names = ", ".join(f"{c.name} {format_minor(c.total, cur)}" for c in top)
            text = (
                f"Spent {data['total']} {cur} from {first.isoformat()} to {last.isoformat()}."
                + (f" Largest: {names}." if top else "")
            )
        return success(text, models.ExpensesByCategoryOut, data)

    return await guarded(work, thread=True)


@tool("sales_tax_owed", "Sales tax owed", REPORTS)
async def sales_tax_owed(
    period: Period = None,
    start: Annotated[Day, Field(description="First day; default: fiscal year start")] = None,
    end: Annotated[Day, Field(description="Last day; default: today")] = None,
    currency: Currency = None,
) -> Annotated[CallToolResult, models.SalesTaxOut]:
    """Sales tax / VAT over a period (default: the fiscal year to date): per rate, the taxable
    sales and tax collected, the taxed purchases and tax paid, and the net owed; and the
    tie-out to the tax accounts (other postings, such as payments to the tax authority, apart).
    Answers "how much sales tax do I owe this quarter" (period quarter_to_date)."""

    def work(call: McpCall) -> CallToolResult:
        first, last = _range(call, period, start, end)
        report = reports.sales_tax(
            call.session, call.actor, call.company_id, first, last, currency=currency
        )
        query = f"?from={first.isoformat()}&to={last.isoformat()}"
        data: dict[str, Any] = {**report.to_json(), "url": page_url(f"/reports/sales-tax{query}")}
        totals, cur = data["totals"], data["currency"]
        text = (
            f"Sales tax from {first.isoformat()} to {last.isoformat()}: collected "
            f"{totals['sales_tax']} {cur}, paid {totals['purchases_tax']} {cur}, net owed "
            f"{totals['net_owed']} {cur} over {len(data['rates'])} rate(s). The tax accounts "
            + ("tie out" if report.ties_out else "do NOT tie out")
            + f" (other postings {data['other_movement']} {cur})."
        )
        return success(text, models.SalesTaxOut, data)

    return await guarded(work, thread=True)
