"""The sales tax report as a report view (``model``), from the same report service the REST
API and MCP answer with: per rate, then the tie-out to the tax accounts."""

from __future__ import annotations

from newledger.ledger.reports import sales_tax
from newledger.web.context import WebContext
from newledger.web.views.ledger._common import tax_rate_label
from newledger.web.views.ledger.reports.model import (
    Cell,
    Column,
    ReportTable,
    ReportView,
    Row,
    period_text,
)
from newledger.web.views.ledger.reports.query import Drill, ReportQuery

__all__ = ["sales_tax_view"]

_SUMS = ("sales_net", "sales_tax", "purchases_net", "purchases_tax", "net_owed")
_COLUMNS = tuple(
    Column(key, label)
    for key, label in zip(
        _SUMS, ("Sales", "Tax collected", "Purchases", "Tax paid", "Net owed"), strict=True
    )
)


def _last(amount: int, url: str | None = None) -> tuple[Cell, ...]:
    """A tie-out row: only the last (net owed) column has a figure."""
    return (*(Cell(None) for _ in _SUMS[:-1]), Cell(amount, url))


def sales_tax_view(ctx: WebContext, q: ReportQuery, drill: Drill) -> ReportView:
    assert ctx.company is not None
    report = sales_tax(ctx.db, ctx.actor, ctx.company.id, q.start, q.end)
    rates = tuple(
        Row(
            f"rate-{r.tax_rate_id}",
            tax_rate_label(r.name, r.rate),
            tuple(Cell(getattr(r, name)) for name in _SUMS),
        )
        for r in report.rates
    )
    total = Row("total", "Total", tuple(Cell(report.total(name)) for name in _SUMS), total=True)
    accounts = tuple(
        Row(
            f"account-{a.account_id}",
            a.name,
            _last(a.movement, drill.ledger(a.account_id, q.start, q.end)),
            code=a.code,
        )
        for a in report.accounts
    )
    tie = (
        Row("tie-documents", "Net owed from documents", _last(report.net_owed)),
        Row(
            "tie-other",
            "Other postings (e.g. payments to the tax authority)",
            _last(report.other_movement),
        ),
        Row(
            "tie-movement",
            "Movement on the tax accounts",
            _last(report.tax_account_movement),
            total=True,
        ),
    )
    return ReportView(
        f"Sales tax {q.start.isoformat()} to {q.end.isoformat()}",
        report.currency,
        "Tax rate",
        _COLUMNS,
        (
            ReportTable("tax-rates", "Tax by rate", (*rates, total)),
            ReportTable("tax-accounts", "Tie-out to the tax accounts", (*accounts, *tie)),
        ),
        period_text(q.start, q.end),
        balanced=report.ties_out,
        balance_labels=("ties out", "does not tie out"),
    )
