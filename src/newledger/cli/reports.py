"""``newledger report {cash,ar-aging,ap-aging,expenses,pnl,balance-sheet,trial-balance,
sales-tax}``.

Rich tables by default, the report's JSON with ``--json``. Runs as the system actor.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import typer
from rich.table import Table

from newledger.cli.common import COMPANY_OPTION, company_actor, console, err_console, unit_of_work
from newledger.ledger import reports
from newledger.ledger.reports.aging import BUCKETS
from newledger.ledger.reports.common import fiscal_year_start, money

app = typer.Typer(
    help="Reports: cash, aging, expenses, P&L, balance sheet, trial balance, sales tax.",
    no_args_is_help=True,
)

AsOfOpt = typer.Option(None, "--as-of", help="Date (YYYY-MM-DD); default today")
FromOpt = typer.Option(None, "--from", help="Start date; default the fiscal year's start")
ToOpt = typer.Option(None, "--to", help="End date; default today")
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table")
CurrencyOpt = typer.Option(None, "--currency", help="Report currency; default the home currency")


def _date(value: str | None, name: str, default: dt.date) -> dt.date:
    if value is None:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[red]error:[/red] {name} must be a date like 2025-01-31")
        raise typer.Exit(2) from None


# The report's dates, given the company's fiscal-year start month.
Dates = Callable[[int], tuple[dt.date, ...]]


def _run(
    company: str, as_json: bool, build: Callable[..., Any], dates: Dates, **options: Any
) -> None:
    """``build(session, actor, company_id, *dates, **options)`` as the system actor, printed."""
    with unit_of_work() as session:
        comp, actor = company_actor(session, company)
        report = build(session, actor, comp.id, *dates(comp.fiscal_year_start_month), **options)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        console.print(_RENDER[type(report)](report))


def _as_of(value: str | None) -> Dates:
    """``--as-of``, default today; checked at once, before the company is looked up."""
    day = _date(value, "--as-of", dt.date.today())
    return lambda fy_month: (day,)


def _period(start: str | None, end: str | None) -> Dates:
    """``--from`` (default the fiscal year's start) and ``--to`` (default today)."""

    def dates(fy_month: int) -> tuple[dt.date, dt.date]:
        to = _date(end, "--to", dt.date.today())
        return _date(start, "--from", fiscal_year_start(to, fy_month)), to

    return dates


@app.command("cash")
def cash(
    company: str = COMPANY_OPTION,
    start: str | None = FromOpt,
    end: str | None = ToOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Cash position per bank account: opening, money in, money out, closing."""
    _run(company, as_json, reports.cash_position, _period(start, end))


@app.command("ar-aging")
def ar_aging(
    company: str = COMPANY_OPTION,
    as_of: str | None = AsOfOpt,
    currency: str | None = CurrencyOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Receivables by customer: current, 1-30, 31-60, 61-90, 90+ days past due."""
    _run(company, as_json, reports.ar_aging, _as_of(as_of), currency=currency)


@app.command("ap-aging")
def ap_aging(
    company: str = COMPANY_OPTION,
    as_of: str | None = AsOfOpt,
    currency: str | None = CurrencyOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Bills owed by vendor: current, 1-30, 31-60, 61-90, 90+ days past due."""
    _run(company, as_json, reports.ap_aging, _as_of(as_of), currency=currency)


@app.command("expenses")
def expenses(
    company: str = COMPANY_OPTION,
    start: str | None = FromOpt,
    end: str | None = ToOpt,
    currency: str | None = CurrencyOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Expenses by category (expense account) and month."""
    _run(company, as_json, reports.expenses_by_category, _period(start, end), currency=currency)


@app.command("pnl")
def pnl(
    company: str = COMPANY_OPTION,
    start: str | None = FromOpt,
    end: str | None = ToOpt,
    compare: int = typer.Option(0, "--compare", help="Number of previous periods to compare"),
    compare_year: bool = typer.Option(
        False, "--compare-year", help="Add the same period a year earlier"
    ),
    currency: str | None = CurrencyOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Profit and loss for a period, with comparison periods."""
    _run(
        company,
        as_json,
        reports.profit_and_loss,
        _period(start, end),
        compare=compare,
        compare_year=compare_year,
        currency=currency,
    )


@app.command("balance-sheet")
def balance_sheet(
    company: str = COMPANY_OPTION,
    as_of: str | None = AsOfOpt,
    currency: str | None = CurrencyOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Balance sheet at a date, with current-year earnings."""
    _run(company, as_json, reports.balance_sheet, _as_of(as_of), currency=currency)


@app.command("trial-balance")
def trial_balance(
    company: str = COMPANY_OPTION, as_of: str | None = AsOfOpt, as_json: bool = JsonOpt
) -> None:
    """Every account's debit or credit balance at a date; the columns agree."""
    _run(company, as_json, reports.trial_balance, _as_of(as_of))


@app.command("sales-tax")
def sales_tax(
    company: str = COMPANY_OPTION,
    start: str | None = FromOpt,
    end: str | None = ToOpt,
    currency: str | None = CurrencyOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Sales tax collected and paid per rate, the net owed, and the tie-out to the tax
    accounts."""
    _run(company, as_json, reports.sales_tax, _period(start, end), currency=currency)


def _money_table(title: str, *columns: str) -> Table:
    table = Table(title=title)
    table.add_column(columns[0])
    for col in columns[1:]:
        table.add_column(col, justify="right")
    return table


def _render_cash(r: reports.CashPosition) -> Table:
    t = _money_table(
        f"Cash position {r.period.label}", "Account", "Opening", "In", "Out", "Closing"
    )
    for a in r.accounts:
        c = a.currency
        t.add_row(
            f"{a.name} ({c})",
            *(money(v, c) for v in (a.opening, a.money_in, a.money_out, a.closing)),
        )
    for tot in r.totals:
        c = tot.currency
        t.add_row(
            f"[bold]Total {c}",
            *(money(v, c) for v in (tot.opening, tot.money_in, tot.money_out, tot.closing)),
        )
    return t


def _render_aging(r: reports.Aging) -> Table:
    kind = "AR" if r.kind == "receivable" else "AP"
    t = _money_table(f"{kind} aging as of {r.as_of} ({r.currency})", "Contact", *BUCKETS, "Total")
    for x in r.contacts:
        t.add_row(x.name, *(money(v, r.currency) for v in (*x.buckets, x.total)))
    t.add_row("[bold]Total", *(money(v, r.currency) for v in (*r.totals, r.total)))
    return t


def _render_expenses(r: reports.ExpensesByCategory) -> Table:
    t = _money_table(
        f"Expenses by category {r.period.label} ({r.currency})", "Category", *r.months, "Total"
    )
    for cat in r.categories:
        t.add_row(
            f"{cat.code} {cat.name}", *(money(v, r.currency) for v in (*cat.months, cat.total))
        )
    t.add_row("[bold]Total", *(money(v, r.currency) for v in (*r.totals, r.total)))
    return t


def _render_pnl(r: reports.ProfitAndLoss) -> Table:
    t = _money_table(f"Profit and loss ({r.currency})", "", *(p.label for p in r.periods))
    c = r.currency
    for s in r.sections:
        t.add_row(f"[bold]{s.title}")
        for ln in s.lines:
            t.add_row(f"  {ln.code} {ln.name}", *(money(v, c) for v in ln.amounts))
        t.add_row(f"Total {s.title.lower()}", *(money(v, c) for v in s.totals))
        if s.key == "cost_of_sales":
            t.add_row("[bold]Gross profit", *(money(v, c) for v in r.gross_profit))
        if s.key == "expense":
            t.add_row("[bold]Operating profit", *(money(v, c) for v in r.operating_profit))
    t.add_row("[bold]Net income", *(money(v, c) for v in r.net_income))
    return t


def _render_balance_sheet(r: reports.BalanceSheet) -> Table:
    t = _money_table(f"Balance sheet as of {r.as_of} ({r.currency})", "", "Amount")
    for s in (r.assets, r.liabilities, r.equity):
        t.add_row(f"[bold]{s.title}")
        for ln in s.lines:
            t.add_row(f"  {ln.code} {ln.name}".rstrip(), money(ln.amount, r.currency))
        t.add_row(f"Total {s.title.lower()}", money(s.total, r.currency))
    t.add_row("[bold]Liabilities and equity", money(r.liabilities_and_equity, r.currency))
    return t


def _render_trial_balance(r: reports.TrialBalance) -> Table:
    t = _money_table(f"Trial balance as of {r.as_of}", "Account", "Currency", "Debit", "Credit")
    for row in r.rows:
        c = row.currency
        t.add_row(f"{row.code} {row.name}", c, money(row.debit, c), money(row.credit, c))
    for tot in r.totals:
        c = tot.currency
        t.add_row("[bold]Total", c, money(tot.debit, c), money(tot.credit, c))
    return t


def _render_sales_tax(r: reports.SalesTax) -> Table:
    c = r.currency
    t = _money_table(
        f"Sales tax {r.period.label} ({c})",
        "Rate",
        "Sales",
        "Tax collected",
        "Purchases",
        "Tax paid",
        "Net owed",
    )
    sums = ("sales_net", "sales_tax", "purchases_net", "purchases_tax", "net_owed")
    for row in r.rates:
        t.add_row(row.name, *(money(getattr(row, name), c) for name in sums))
    t.add_row("[bold]Total", *(money(r.total(name), c) for name in sums))
    t.add_row("")
    t.add_row("[bold]Tax accounts", "Movement", "Documents", "Other")
    for a in r.accounts:
        t.add_row(
            f"{a.code} {a.name}", *(money(v, c) for v in (a.movement, a.from_documents, a.other))
        )
    t.add_row("Ties out", "yes" if r.ties_out else "[red]NO")
    return t


_RENDER: dict[type, Callable[[Any], Table]] = {
    reports.CashPosition: _render_cash,
    reports.Aging: _render_aging,
    reports.ExpensesByCategory: _render_expenses,
    reports.ProfitAndLoss: _render_pnl,
    reports.BalanceSheet: _render_balance_sheet,
    reports.TrialBalance: _render_trial_balance,
    reports.SalesTax: _render_sales_tax,
}
