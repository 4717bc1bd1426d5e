"""REST API reports: each one is the ledger's report for the asked (or default) dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy.orm import Session, sessionmaker

from newledger.identity.models import Company
from newledger.ledger import reports
from newledger.ledger.invoices import approve_invoice
from tests.conftest import LiveServer
from tests.support.api import api_for
from tests.support.appconnect import server_key
from tests.support.books import make_books

__all__ = ["server_key"]


def test_each_report_is_the_ledgers_report_for_the_asked_or_default_dates(
    live_server: LiveServer, sessions: sessionmaker[Session], server_key: None
) -> None:
    books = make_books(sessions, invoices=2)
    with sessions.begin() as session:
        company = session.get(Company, books.company_id)
        assert company is not None
        company.fiscal_year_start_month = 4
        approve_invoice(session, books.tenant.actor(session), books.invoice_ids[0])
    api, _ = api_for(live_server.url, sessions, books, "reports:read")
    today = dt.datetime.now(dt.UTC).date()
    fy_start = reports.common.fiscal_year_start(today, 4)
    day, start, end = dt.date(2025, 3, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 28)

    def expect(build: Callable[..., Any], *args: Any, **options: Any) -> Any:
        with sessions() as session:
            actor = books.tenant.actor(session)
            report = build(session, actor, books.company_id, *args, **options)
            return orjson.loads(orjson.dumps(report.to_json()))

    cases: list[tuple[str, dict[str, Any], Any]] = [
        ("cash-position", {}, expect(reports.cash_position, today.replace(day=1), today)),
        ("cash-position", {"from": start, "to": end}, expect(reports.cash_position, start, end)),
        ("ar-aging", {}, expect(reports.ar_aging, today)),
        ("ar-aging", {"as_of": day}, expect(reports.ar_aging, day)),
        ("ap-aging", {"as_of": day, "currency": "USD"}, expect(reports.ap_aging, day)),
        ("expenses-by-category", {}, expect(reports.expenses_by_category, fy_start, today)),
        (
            "expenses-by-category",
            {"from": start, "to": end},
            expect(reports.expenses_by_category, start, end),
        ),
        ("profit-and-loss", {}, expect(reports.profit_and_loss, fy_start, today)),
        (
            "profit-and-loss",
            {"from": start, "to": end, "compare": 2, "compare_year": "true"},
            expect(reports.profit_and_loss, start, end, compare=2, compare_year=True),
        ),
        ("balance-sheet", {"as_of": day}, expect(reports.balance_sheet, day)),
        ("balance-sheet", {}, expect(reports.balance_sheet, today)),
        ("trial-balance", {"as_of": day}, expect(reports.trial_balance, day)),
        ("trial-balance", {}, expect(reports.trial_balance, today)),
    ]
    for path, params, expected in cases:
        query = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items()}
        response = api.get(f"/reports/{path}", params=query)
        assert response.status_code == 200, (path, response.text)
        assert response.json() == expected, (path, params)
    # The approved invoice is in the books, so the comparisons above are not of empty reports.
    receivable = api.get("/reports/ar-aging", params={"as_of": day.isoformat()}).json()
    assert [c["name"] for c in receivable["contacts"]] == [books.customer.name], receivable
    api.close()
