"""The balance sheet, profit and loss and trial balance as report views (``model``), from the
same report services the REST API answers with."""

from __future__ import annotations

from newledger.ledger.reports import balance_sheet, profit_and_loss, trial_balance
from newledger.ledger.reports.balance_sheet import BalanceLine, BalanceSheet
from newledger.ledger.reports.common import fiscal_year_start
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

__all__ = ["balance_sheet_view", "profit_and_loss_view", "trial_balance_view"]


def _line_key(line: BalanceLine) -> str:
    """Accounts by id; the computed earnings lines by name ("current-year-earnings")."""
    if line.account_id is not None:
        return f"account-{line.account_id}"
    return line.name.lower().replace(" ", "-")


def balance_sheet_view(ctx: WebContext, q: ReportQuery, drill: Drill) -> ReportView:
    assert ctx.company is not None
    dates = [q.as_of] + ([q.compare_as_of] if q.compare_as_of else [])
    sheets = [balance_sheet(ctx.db, ctx.actor, ctx.company.id, day) for day in dates]
    fy_month = ctx.company.fiscal_year_start_month
    columns = tuple(Column(f"p{i}", f"At {day.isoformat()}") for i, day in enumerate(dates))

    def section_table(key: str) -> ReportTable:
        sections = [getattr(sheet, key) for sheet in sheets]
        order: dict[str, BalanceLine] = {}
        for section in sections:
            for line in section.lines:
                order.setdefault(_line_key(line), line)
        rows = []
        for line_key, line in order.items():
            amounts = [
                {_line_key(ln): ln.amount for ln in section.lines}.get(line_key)
                for section in sections
            ]
            cells = tuple(
                Cell(
                    amount if amount is not None else 0,
                    drill.ledger(line.account_id, fiscal_year_start(day, fy_month), day),
                )
                for amount, day in zip(amounts, dates, strict=True)
            )
            rows.append(Row(line_key, line.name, cells, code=line.code))
        title = sections[0].title
        total = Row(
            f"total-{key}",
            f"Total {title.lower()}",
            tuple(Cell(s.total) for s in sections),
            total=True,
        )
        return ReportTable(f"bs-{key}", title, (*rows, total))

    summary = ReportTable(
        "bs-summary",
        "Liabilities and equity",
        (
            Row(
                "total-liabilities-equity",
                "Total liabilities and equity",
                tuple(Cell(s.liabilities_and_equity) for s in sheets),
                total=True,
            ),
        ),
    )
    first: BalanceSheet = sheets[0]
    heading = f"Balance sheet at {q.as_of.isoformat()}"
    if q.compare_as_of:
        heading += f" compared with {q.compare_as_of.isoformat()}"
    return ReportView(
        heading,
        first.currency,
        "Account",
        columns,
        (*(section_table(k) for k in ("assets", "liabilities", "equity")), summary),
        q.as_of.isoformat(),
        balanced=all(s.balanced for s in sheets),
    )


def profit_and_loss_view(ctx: WebContext, q: ReportQuery, drill: Drill) -> ReportView:
    assert ctx.company is not None
    pnl = profit_and_loss(
        ctx.db,
        ctx.actor,
        ctx.company.id,
        q.start,
        q.end,
        compare=q.compare,
        compare_year=q.compare_year,
    )
    columns = tuple(
        Column(f"p{i}", f"{p.start.isoformat()} to {p.end.isoformat()}")
        for i, p in enumerate(pnl.periods)
    )
    tables = []
    for section in pnl.sections:
        rows = [
            Row(
                f"account-{line.account_id}",
                line.name,
                tuple(
                    Cell(amount, drill.ledger(line.account_id, p.start, p.end))
                    for amount, p in zip(line.amounts, pnl.periods, strict=True)
                ),
                code=line.code,
            )
            for line in section.lines
        ]
        total = Row(
            f"total-{section.key}",
            f"Total {section.title.lower()}",
            tuple(Cell(v) for v in section.totals),
            total=True,
        )
        tables.append(ReportTable(f"pnl-{section.key}", section.title, (*rows, total)))
    results = (
        ("gross-profit", "Gross profit", pnl.gross_profit),
        ("operating-profit", "Operating profit", pnl.operating_profit),
        ("net-income", "Net income", pnl.net_income),
    )
    summary = tuple(
        Row(key, name, tuple(Cell(v) for v in values), total=True) for key, name, values in results
    )
    tables.append(ReportTable("pnl-summary", "Profit", summary))
    return ReportView(
        f"Profit and loss {q.start.isoformat()} to {q.end.isoformat()}",
        pnl.currency,
        "Account",
        columns,
        tuple(tables),
        period_text(q.start, q.end),
    )


def trial_balance_view(ctx: WebContext, q: ReportQuery, drill: Drill) -> ReportView:
    assert ctx.company is not None
    tb = trial_balance(ctx.db, ctx.actor, ctx.company.id, q.as_of)
    start = fiscal_year_start(q.as_of, ctx.company.fiscal_year_start_month)
    home = ctx.company.home_currency

    def cells(debit: int, credit: int, url: str | None = None) -> tuple[Cell, ...]:
        # Blank, not 0.00, where an account has no balance on that side (as on paper).
        return (
            Cell(debit or None, url if debit else None),
            Cell(credit or None, url if credit else None),
        )

    rows = tuple(
        Row(
            f"account-{r.account_id}-{r.currency}",
            r.name,
            cells(
                r.debit,
                r.credit,
                drill.ledger(
                    r.account_id, start, q.as_of, "" if r.currency == home else r.currency
                ),
            ),
            code=r.code,
            currency=r.currency,
        )
        for r in tb.rows
    )
    totals = tuple(
        Row(
            f"total-{t.currency}",
            f"Total {t.currency}",
            (Cell(t.debit), Cell(t.credit)),
            currency=t.currency,
            total=True,
        )
        for t in tb.totals
    )
    return ReportView(
        f"Trial balance at {q.as_of.isoformat()}",
        "",
        "Account",
        (Column("debit", "Debit"), Column("credit", "Credit")),
        (ReportTable("tb-accounts", "Accounts", rows), ReportTable("tb-totals", "Totals", totals)),
        q.as_of.isoformat(),
        balanced=tb.balanced,
    )
